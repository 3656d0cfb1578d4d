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
 * libgit2's process-wide set-up, idempotent: every gitsrc entry point that
 * reaches libgit2 calls it first, so that commands reading no repository
 * never pay for it (Debian's libgit2 parses the system CA bundle there).
 * The tear-down, once from main(), undoes it when it happened.
 */
void gitsrc_global_init(void);
void gitsrc_global_cleanup(void);
/*
 * The system CA bundle that gitsrc_global_init() left unparsed (see
 * gitsrc_tls.c), parsed now: before anything that may speak TLS (a fetch).
 * 0, or libgit2's error (< 0). gitsrc_tls_pending(): not parsed yet.
 */
int gitsrc_tls_load(void);
bool gitsrc_tls_pending(void);

/* The resolved commit's full hex SHA; borrowed. */
const char *gitsrc_commit(const struct gitsrc *g);
/* The commit's one-line subject; borrowed, may be "". */
const char *gitsrc_subject(const struct gitsrc *g);
/* The commit's author as "Name <email>"; borrowed. */
const char *gitsrc_author(const struct gitsrc *g);
/* The commit's time, ISO-8601 UTC ("2026-11-25T10:39:56Z"); borrowed. */
const char *gitsrc_committed_at(const struct gitsrc *g);
/* Repository working directory or git dir if bare; borrowed. */
const char *gitsrc_path(const struct gitsrc *g);

/*
 * Does the working tree have uncommitted changes (modified, staged or
 * untracked, not ignored) under dir? False for bare repositories.
 */
int gitsrc_dirty(bool *out, struct gitsrc *g, const char *dir, struct err *err);

/* Is path (repository-relative) tracked in HEAD's index? */
int gitsrc_tracked(bool *out, struct gitsrc *g, const char *path, struct err *err);

/*
 * Remote repositories (gitfetch.c). Is s a URL (scheme://..., or scp-like
 * user@host:path) rather than a local path?
 */
bool gitsrc_is_remote(const char *s);
/*
 * Fetch url's branches and tags into the bare cache
 * <state_dir>/repos/<sha256(url):16>.git (created as needed, 0700), and
 * point its HEAD at the remote's default branch; *path_out (new) is the
 * cache, to open with gitsrc_open(). Credentials: $DEPLOYCTL_GIT_SSH_KEY
 * (and $DEPLOYCTL_GIT_SSH_PASSPHRASE), else ssh-agent ($SSH_AUTH_SOCK);
 * for https $DEPLOYCTL_GIT_TOKEN_FILE or $DEPLOYCTL_GIT_TOKEN with
 * $DEPLOYCTL_GIT_USERNAME. ERR_INVALID for a URL carrying a password,
 * ERR_GIT when the remote cannot be reached or fetched (the cache is left
 * as it was), ERR_IO for the cache directory.
 */
int gitsrc_fetch(char **path_out, const char *url, const char *state_dir, struct err *err);
/* The cache path gitsrc_fetch() uses for url; *out new. */
int gitsrc_cache_path(char **out, const char *url, const char *state_dir, struct err *err);
/*
 * Resolve ref in the repository at path (no discovery) to a commit's hex
 * SHA in sha_out (41 bytes), reading only the ref: the watcher's per-tick
 * check. ERR_NOTFOUND for a missing ref or repository.
 */
int gitsrc_resolve(char *sha_out, const char *path, const char *ref, struct err *err);

/*
 * A repository kept open for reading one ref again and again (the
 * watcher's tick): *out new (gitsrc_refs_free()); resolve as
 * gitsrc_resolve() does, seeing refs and objects that changed since.
 */
struct gitsrc_refs;
int gitsrc_refs_open(struct gitsrc_refs **out, const char *path, struct err *err);
void gitsrc_refs_free(struct gitsrc_refs *r);
int gitsrc_refs_resolve(char *sha_out, struct gitsrc_refs *r, const char *ref, struct err *err);

/*
 * The bare repository at path (no discovery): its git directory (absolute,
 * no trailing '/') and the branch its HEAD names (default "main"), both
 * new. ERR_NOTFOUND if path is no repository, ERR_INVALID if not bare.
 */
int gitsrc_bare_info(char **gitdir_out, char **branch_out, const char *path, struct err *err);

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
