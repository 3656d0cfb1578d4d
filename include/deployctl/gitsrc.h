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
/*
 * libgit2's process-wide tear-down, once from main(). Its set-up happens on
 * the first gitsrc_open(), so that commands reading no repository never pay
 * for it.
 */
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

#endif
