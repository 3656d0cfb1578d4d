/*
 * statedir.h - the state directory, resolved once and trusted only when it
 * deserves it: an absolute path (so bind-mount sources under files/ are
 * absolute whatever the working directory), owned by the user running
 * deployctl (or root), and writable by nobody else, as ssh insists on for
 * ~/.ssh.
 */
#ifndef DEPLOYCTL_STATEDIR_H
#define DEPLOYCTL_STATEDIR_H

#include <stdbool.h>
#include <sys/stat.h>

#include "deployctl/err.h"

/*
 * Resolve dir into an absolute, symlink-free path (*out new, free()).
 * create: make dir 0700 when missing (its parent must exist); else a
 * missing dir is ERR_NOTFOUND. A dir that is not a directory, is owned by
 * another user than the effective one and root, or is group- or
 * world-writable is refused with ERR_IO and a message saying what to fix.
 */
int statedir_resolve(char **out, const char *dir, bool create, struct err *err);

/*
 * Check an lstat() result st of path, a file inside the state directory
 * (what names it: "database", "lock file"): a regular file (not a
 * symlink), owned by the effective user or root, not group- or
 * world-writable. 0 or ERR_IO.
 */
int statedir_check_file(const struct stat *st, const char *path, const char *what, struct err *err);

#endif
