/*
 * gitsrc.h - manifests read from a git repository's object database at an
 * exact commit (works on bare repositories; never the working tree).
 * The only module that includes <git2.h>.
 */
#ifndef DEPLOYCTL_GITSRC_H
#define DEPLOYCTL_GITSRC_H

#include <stdbool.h>

#include "deployctl/err.h"
#include "deployctl/source.h"

struct gitsrc;

/*
 * Open the repository at or above path (discovery as git does) and resolve
 * ref (any rev-parse expression: HEAD, a branch, a tag, a SHA) to a commit.
 * *out is new, free with gitsrc_free(). ERR_NOTFOUND for a missing ref,
 * ERR_GIT otherwise.
 */
int gitsrc_open(struct gitsrc **out, const char *path, const char *ref, struct err *err);
void gitsrc_free(struct gitsrc *g);
/* libgit2's process-wide set-up and tear-down: once each, from main(). */
void gitsrc_global_init(void);
void gitsrc_global_cleanup(void);

/* The resolved commit's full hex SHA; borrowed. */
const char *gitsrc_commit(const struct gitsrc *g);
/* The commit's one-line subject; borrowed, may be "". */
const char *gitsrc_subject(const struct gitsrc *g);
/* Repository working directory or git dir if bare; borrowed. */
const char *gitsrc_path(const struct gitsrc *g);

/*
 * Does the working tree have uncommitted changes (modified, staged or
 * untracked, not ignored) under dir? False for bare repositories.
 */
int gitsrc_dirty(bool *out, struct gitsrc *g, const char *dir, struct err *err);

/* Is path (repository-relative) tracked in HEAD's index? */
int gitsrc_tracked(bool *out, struct gitsrc *g, const char *path, struct err *err);

/* Fill s with callbacks reading g's commit; g must outlive s. */
void gitsrc_source(struct source *s, struct gitsrc *g);

/* The tree id (40 hex) of directory dir at the commit into out. ERR_NOTFOUND, ERR_INVALID. */
int gitsrc_tree_id(char out[41], struct gitsrc *g, const char *dir, struct err *err);
/*
 * The files of directory dir at the commit as a tar archive (libarchive,
 * ustar/pax), paths relative to dir, modes 0644 / 0755, symlinks kept as
 * symlinks, submodules refused: a build context. *out new (free()), at
 * most max bytes. ERR_NOTFOUND, ERR_INVALID (too large, not a directory).
 */
int gitsrc_tar(char **out, size_t *len, struct gitsrc *g, const char *dir, size_t max,
               struct err *err);

#endif
