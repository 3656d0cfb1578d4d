/*
 * files_rw.c - the copies that writable binds from git mount. A bind
 * tracked in git is its commit's content, kept read-only under the files
 * directory (files.c); asked for writes (":rw", read_only: false), each
 * spec the service is deployed with gets a copy of its own, made from that
 * content when a container of it is first created and never overwritten
 * or removed afterwards: writes stay with the release that made them, a
 * new release starts from its commit's content, and a rollback mounts the
 * copy of the release it goes back to, as that release left it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/fdio.h"
#include "deployctl/files.h"
#include "deployctl/hash.h"

#define COPY_DEPTH_MAX 32

static int fail(struct err *err, const char *what, const char *path)
{
	return err_set(err, ERR_IO, "%s '%s': %s", what, path, strerror(errno));
}

/* One regular file from to, mode 0644 (0755 when it was executable). */
static int copy_file(const char *from, const char *to, mode_t mode, struct err *err)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return fail(err, "cannot open", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	           mode & 0111 ? 0755 : 0644);
	if (out < 0) {
		close(in);
		return fail(err, "cannot create", to);
	}
	while (!rc && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(err, "cannot read", from);
			break;
		}
		if (fd_write_all(out, buf, (size_t)n) < 0)
			rc = fail(err, "cannot write", to);
	}
	if (!rc && fsync(out))
		rc = fail(err, "cannot write", to);
	close(in);
	if (close(out) && !rc)
		rc = fail(err, "cannot write", to);
	return rc;
}

/* from (a file or a directory tree of the files directory) to to, which does not exist. */
static int copy_tree(const char *from, const char *to, unsigned depth, struct err *err)
{
	char f[4096], t[4096];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (lstat(from, &st))
		return fail(err, "cannot read", from);
	if (S_ISREG(st.st_mode))
		return copy_file(from, to, st.st_mode, err);
	if (!S_ISDIR(st.st_mode) || depth > COPY_DEPTH_MAX)
		return err_set(err, ERR_IO, "'%s' is not a file or a directory", from);
	if (mkdir(to, 0755))
		return fail(err, "cannot create directory", to);
	d = opendir(from);
	if (!d)
		return fail(err, "cannot read", from);
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(f, sizeof(f), "%s/%s", from, e->d_name) >= sizeof(f) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", to, e->d_name) >= sizeof(t))
			rc = err_set(err, ERR_IO, "'%s': path too long", from);
		else
			rc = copy_tree(f, t, depth + 1, err);
	}
	closedir(d);
	return rc;
}

/* Remove what a failed copy left under its temporary name (best effort). */
static void remove_tree(const char *path, unsigned depth)
{
	char sub[4096];
	struct dirent *e;
	DIR *d;

	if (!unlink(path) || errno == ENOENT || depth > COPY_DEPTH_MAX)
		return;
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < sizeof(sub))
			remove_tree(sub, depth + 1);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static int copy_one(const char *dir, const char *spec_hash, const struct svc_mount *m,
                    struct err *err)
{
	char from[4096], to[4096], tmp[4200];
	struct stat st;
	int rc;

	snprintf(from, sizeof(from), "%s/%s", dir, m->content_hash);
	if ((size_t)snprintf(to, sizeof(to), MODEL_BIND_COPY_FMT, dir, spec_hash,
	                     m->content_hash) >= sizeof(to))
		return err_set(err, ERR_IO, "files directory '%s': path too long", dir);
	if (!lstat(to, &st))
		return 0; /* this spec's copy, with what its containers wrote: kept */
	if (lstat(from, &st))
		return err_set(err, ERR_IO,
		               "bind %s: its content '%s' is missing from the state directory",
		               m->rel ? m->rel : m->target, from);
	snprintf(tmp, sizeof(tmp), "%s/rw/.tmp-%ld-%.16s", dir, (long)getpid(), spec_hash);
	remove_tree(tmp, 0);
	rc = copy_tree(from, tmp, 0, err);
	if (!rc && rename(tmp, to))
		rc = fail(err, "cannot rename into", to);
	if (rc)
		remove_tree(tmp, 0);
	return rc;
}

int files_bind_copies(const char *dir, const struct service *s, const char *spec_hash,
                      struct err *err)
{
	char rw[4096];
	size_t i;
	int rc;

	for (i = 0; i < s->nmounts; i++) {
		const struct svc_mount *m = &s->mounts[i];

		if (m->type != MOUNT_BIND || !m->content_hash[0] || m->read_only)
			continue;
		if (!dir || !spec_hash)
			return err_set(err, ERR_IO, "bind %s: no files directory for its copy",
			               m->rel ? m->rel : m->target);
		snprintf(rw, sizeof(rw), "%s/rw", dir);
		if (mkdir(rw, 0700) && errno != EEXIST)
			return fail(err, "cannot create directory", rw);
		rc = copy_one(dir, spec_hash, m, err);
		if (rc)
			return rc;
	}
	return 0;
}
