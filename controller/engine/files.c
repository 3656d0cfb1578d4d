/*
 * files.c - materialises config and environment-secret contents as files
 * named by their sha256 under one directory, for read-only bind mounts.
 * Content-addressed: a file that exists has the right content (it was
 * renamed into place whole), so it is never rewritten.
 */
#include "deployctl/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(struct err *err, const char *what, const char *path)
{
	return err_set(err, ERR_IO, "%s '%s': %s", what, path, strerror(errno));
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_one(const char *dir, const struct project_file *f, mode_t mode, struct err *err)
{
	char path[4096], tmp[4200];
	struct stat st;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, f->content_hash) >= sizeof(path))
		return err_set(err, ERR_IO, "files directory '%s': path too long", dir);
	if (!lstat(path, &st))
		return S_ISREG(st.st_mode)
		               ? 0
		               : err_set(err, ERR_IO, "'%s' is not a regular file", path);
	if (errno != ENOENT)
		return fail(err, "cannot check", path);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%s", dir, (long)getpid(), f->content_hash);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return fail(err, "cannot create", tmp);
	if (write_all(fd, f->content ? f->content : "", f->content_len) || fchmod(fd, mode) ||
	    fsync(fd))
		rc = fail(err, "cannot write", tmp);
	if (close(fd) && !rc)
		rc = fail(err, "cannot write", tmp);
	if (!rc && rename(tmp, path))
		rc = fail(err, "cannot rename into", path);
	if (rc)
		unlink(tmp);
	return rc;
}

int files_materialize(const struct project *p, const char *dir, struct err *err)
{
	struct stat st;
	size_t i;
	int rc;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(err, "cannot create directory", dir);
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "'%s' is not a directory", dir);
	for (i = 0; i < p->nconfigs; i++) {
		rc = write_one(dir, &p->configs[i], 0444, err);
		if (rc)
			return rc;
	}
	for (i = 0; i < p->nsecrets; i++) {
		if (!p->secrets[i].environment)
			continue; /* a host file: mounted where it is */
		rc = write_one(dir, &p->secrets[i], 0400, err);
		if (rc)
			return rc;
	}
	return 0;
}
