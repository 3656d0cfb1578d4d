/*
 * files.c - materialises config and environment-secret contents as files
 * named by their sha256 under one directory, for read-only bind mounts.
 * Content-addressed: a file is written whole under a temporary name and
 * renamed into place, never rewritten; one that exists is hashed again
 * before it is used, so a file changed behind deployctl's back is refused
 * rather than mounted.
 */
#include "deployctl/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/fdio.h"
#include "deployctl/hash.h"

static int fail(struct err *err, const char *what, const char *path)
{
	return err_set(err, ERR_IO, "%s '%s': %s", what, path, strerror(errno));
}

/*
 * Does path hold exactly the content hash names (sha256 hex of its bytes)?
 * A file changed behind deployctl's back would be mounted into containers
 * as if it were the manifest's: refused. ERR_NOTFOUND when it is missing.
 */
static int check_one(const char *path, const char *hash, struct err *err)
{
	char buf[65536], got[HASH_HEX_LEN + 1];
	struct hash_ctx *h = NULL;
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return ERR_NOTFOUND;
		return fail(err, "cannot open", path);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(err, ERR_IO, "'%s' is not a regular file", path);
		goto out;
	}
	h = hash_ctx_new();
	if (!h) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(err, "cannot read", path);
			goto out;
		}
		hash_ctx_add(h, buf, (size_t)n);
	}
	hash_ctx_final(got, h);
	h = NULL;
	if (strcmp(got, hash))
		rc = err_set(err, ERR_IO,
		             "'%s' does not hold the content it is named for (changed outside "
		             "deployctl?): refusing to mount it; remove it and apply again",
		             path);
out:
	hash_ctx_free(h);
	close(fd);
	return rc;
}

static int write_one(const char *dir, const struct project_file *f, mode_t mode, struct err *err)
{
	char path[4096], tmp[4200];
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, f->content_hash) >= sizeof(path))
		return err_set(err, ERR_IO, "files directory '%s': path too long", dir);
	rc = check_one(path, f->content_hash, err);
	if (rc != ERR_NOTFOUND)
		return rc;
	rc = 0;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%s", dir, (long)getpid(), f->content_hash);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return fail(err, "cannot create", tmp);
	if (fd_write_all(fd, f->content ? f->content : "", f->content_len) || fchmod(fd, mode) ||
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

/* Write len bytes to path (new, exclusive) with mode. */
static int write_new(const char *path, const char *data, size_t len, mode_t mode, struct err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	int rc = 0;

	if (fd < 0)
		return fail(err, "cannot create", path);
	if (fd_write_all(fd, data ? data : "", len) || fchmod(fd, mode) || fsync(fd))
		rc = fail(err, "cannot write", path);
	if (close(fd) && !rc)
		rc = fail(err, "cannot write", path);
	return rc;
}

/* mkdir -p of the directories above path's last element, under base (which exists). */
static int make_parents(char *path, size_t base_len, mode_t mode, struct err *err)
{
	char *p;

	for (p = path + base_len + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST) {
			*p = '/';
			return fail(err, "cannot create directory", path);
		}
		*p = '/';
	}
	return 0;
}

/* A directory bind's tree: built under a temporary name, renamed into place whole. */
static int write_tree(const char *dir, const struct project_bind *b, struct err *err)
{
	char path[4096], tmp[4200], file[8192];
	struct stat st;
	size_t i, tl;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, b->content_hash);
	if (!lstat(path, &st))
		return S_ISDIR(st.st_mode) ? 0
		                           : err_set(err, ERR_IO, "'%s' is not a directory", path);
	tl = (size_t)snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%s", dir, (long)getpid(),
	                      b->content_hash);
	if (mkdir(tmp, 0755))
		return fail(err, "cannot create directory", tmp);
	for (i = 0; i < b->nfiles && !rc; i++) {
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", tmp, b->files[i].path) >=
		    sizeof(file))
			return err_set(err, ERR_IO, "'%s': path too long", b->files[i].path);
		rc = make_parents(file, tl, 0755, err);
		if (!rc)
			rc = write_new(file, b->files[i].content, b->files[i].len,
			               b->files[i].exec ? 0555 : 0444, err);
	}
	if (!rc && rename(tmp, path))
		rc = fail(err, "cannot rename into", path);
	/* a failed tree stays under its .tmp- name: never mounted, harmless */
	return rc;
}

/* An untracked relative bind's host path: created as a directory when missing, as Docker does. */
static int host_path(const struct svc_mount *m, struct err *err)
{
	char path[4096];
	struct stat st;

	if (!m->source || m->source[0] != '/' || m->no_create || !lstat(m->source, &st))
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/", m->source) >= sizeof(path))
		return err_set(err, ERR_IO, "'%s': path too long", m->source);
	return make_parents(path, 0, 0755, err);
}

int files_materialize(const struct project *p, const char *dir, struct err *err)
{
	struct stat st;
	size_t i, j;
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
	for (i = 0; i < p->nbinds; i++) {
		const struct project_bind *b = &p->binds[i];
		struct project_file one = { .content = b->nfiles ? b->files[0].content : NULL,
			                    .content_len = b->nfiles ? b->files[0].len : 0 };

		memcpy(one.content_hash, b->content_hash, sizeof(one.content_hash));
		rc = b->dir ? write_tree(dir, b, err) : write_one(dir, &one, 0444, err);
		if (rc)
			return rc;
	}
	for (i = 0; i < p->nservices; i++)
		for (j = 0; j < p->services[i].nmounts; j++)
			if (p->services[i].mounts[j].host &&
			    (rc = host_path(&p->services[i].mounts[j], err)))
				return rc;
	return 0;
}

int files_verify(const struct project *p, const char *dir, struct err *err)
{
	char path[4096];
	size_t i, k;
	int rc;

	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		for (k = 0; k < s->nconfigs + s->nsecrets; k++) {
			const struct svc_file_ref *r =
			        k < s->nconfigs ? &s->configs[k] : &s->secrets[k - s->nconfigs];

			if (r->host_file)
				continue; /* a host file secret: mounted where it is */
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, r->content_hash) >=
			    sizeof(path))
				return err_set(err, ERR_IO, "files directory '%s': path too long",
				               dir);
			rc = check_one(path, r->content_hash, err);
			if (rc == ERR_NOTFOUND)
				return err_set(
				        err, ERR_IO,
				        "service '%s': '%s' (%s '%s') is missing from the state "
				        "directory",
				        s->name, path, k < s->nconfigs ? "config" : "secret",
				        r->source);
			if (rc)
				return rc;
		}
	}
	return 0;
}
