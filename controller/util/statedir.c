/*
 * statedir.c - resolving and trusting the state directory: created 0700
 * when asked, made absolute with realpath(), and refused when another user
 * owns it or could write to it (the database, the lock and the files that
 * containers mount live there).
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include "deployctl/statedir.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Owned by us or root, and no one else may write: 0 or ERR_IO naming the fix. */
static int statedir_trusted(const struct stat *st, const char *path, const char *what,
                            struct err *err)
{
	uid_t me = geteuid();

	if (st->st_uid != me && st->st_uid != 0)
		return err_set(err, ERR_IO,
		               "%s '%s' is owned by uid %lu, not by uid %lu who runs deployctl (or "
		               "root): refusing to trust it",
		               what, path, (unsigned long)st->st_uid, (unsigned long)me);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return err_set(err, ERR_IO,
		               "%s '%s' is writable by %s (mode %04o): refusing to trust it; "
		               "chmod go-w '%s'",
		               what, path, st->st_mode & S_IWOTH ? "everyone" : "its group",
		               (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int statedir_check_file(const struct stat *st, const char *path, const char *what, struct err *err)
{
	if (S_ISLNK(st->st_mode))
		return err_set(err, ERR_IO, "%s '%s' is a symbolic link: refusing to follow it",
		               what, path);
	if (!S_ISREG(st->st_mode))
		return err_set(err, ERR_IO, "%s '%s' is not a regular file", what, path);
	return statedir_trusted(st, path, what, err);
}

int statedir_resolve(char **out, const char *dir, bool create, struct err *err)
{
	char real[PATH_MAX];
	struct stat st;
	char *abs;

	*out = NULL;
	if (!dir || !*dir)
		return err_set(err, ERR_INVALID, "empty state directory");
	if (create && mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) < 0) /* umask can only narrow 0700; exact anyway */
			return err_set(err, ERR_IO, "cannot chmod state directory '%s': %s", dir,
			               strerror(errno));
	} else if (create && errno == ENOENT) {
		return err_set(
		        err, ERR_IO,
		        "cannot create state directory '%s': parent directory does not exist", dir);
	} else if (create && errno != EEXIST) {
		return err_set(err, ERR_IO, "cannot create state directory '%s': %s", dir,
		               strerror(errno));
	}
	if (!realpath(dir, real)) {
		if (errno == ENOENT)
			return err_set(err, ERR_NOTFOUND, "state directory '%s' does not exist",
			               dir);
		return err_set(err, ERR_IO, "cannot resolve state directory '%s': %s", dir,
		               strerror(errno));
	}
	if (stat(real, &st) < 0)
		return err_set(err, ERR_IO, "cannot stat state directory '%s': %s", real,
		               strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "state directory '%s' is not a directory", real);
	if (statedir_trusted(&st, real, "state directory", err) < 0)
		return err->code;
	abs = strdup(real);
	if (!abs)
		return err_set(err, ERR_NOMEM, "out of memory");
	*out = abs;
	return 0;
}
