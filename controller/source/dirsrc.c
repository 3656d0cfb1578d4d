/*
 * dirsrc.c - manifests read from a plain directory (--dir), for local
 * trials. Symlinks are refused so a path cannot leave the root, and the
 * content read is hashed so the release records exactly what was deployed.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/source.h"

struct dirsrc {
	char *root;
	struct hash_ctx *hash;
};

int dirsrc_new(struct dirsrc **out, const char *root, struct err *err)
{
	struct dirsrc *d = calloc(1, sizeof(*d));
	struct stat st;

	if (!d)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(d);
		return err_set(err, ERR_NOTFOUND, "'%s' is not a directory", root);
	}
	/* absolute: bind mounts under it go to Docker, which takes absolute paths only */
	d->root = realpath(root, NULL);
	d->hash = hash_ctx_new();
	if (!d->root || !d->hash) {
		dirsrc_free(d);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	*out = d;
	return 0;
}

void dirsrc_free(struct dirsrc *d)
{
	if (!d)
		return;
	free(d->root);
	hash_ctx_free(d->hash);
	free(d);
}

/* Open root/path refusing symlinks at every element (O_NOFOLLOW per step). */
static int dirsrc_open(int *fd_out, struct dirsrc *d, const char *path, int final_flags,
                       struct err *err)
{
	char elem[256];
	const char *p = path;
	int fd, next, rc = 0;

	fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot open '%s': %s", d->root, strerror(errno));
	while (*p) {
		size_t len = strcspn(p, "/");
		int last = p[len] == '\0';

		if (len >= sizeof(elem)) {
			rc = err_set(err, ERR_INVALID, "path '%s' is too long", path);
			goto out;
		}
		memcpy(elem, p, len);
		elem[len] = '\0';
		next = openat(fd, elem,
		              (last ? final_flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW |
		                      O_CLOEXEC);
		if (next < 0) {
			if (errno == ENOENT)
				rc = err_set(err, ERR_NOTFOUND, "'%s' does not exist", path);
			else if (errno == ELOOP || errno == ENOTDIR)
				rc = err_set(err, ERR_INVALID,
				             "'%s' is or passes through a symlink or non-directory",
				             path);
			else
				rc = err_set(err, ERR_IO, "cannot open '%s': %s", path,
				             strerror(errno));
			goto out;
		}
		close(fd);
		fd = next;
		p += len;
		while (*p == '/')
			p++;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int dirsrc_read(void *ctx, char **out, size_t *len, const char *path, struct err *err)
{
	struct dirsrc *d = ctx;
	struct buf b;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd = -1, rc;

	buf_init(&b, SOURCE_MAX_FILE);
	rc = source_check_path(path, err);
	if (rc < 0)
		goto out;
	rc = dirsrc_open(&fd, d, path, O_RDONLY, err);
	if (rc < 0)
		goto out;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a regular file", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_add(&b, chunk, (size_t)n) < 0) {
			rc = err_set(err, ERR_INVALID, "'%s' is larger than %u bytes", path,
			             SOURCE_MAX_FILE);
			goto out;
		}
	}
	if (n < 0) {
		rc = err_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	hash_ctx_add(d->hash, path, strlen(path) + 1);
	hash_ctx_add(d->hash, b.ptr, b.len);
	*len = b.len;
	*out = buf_detach(&b);
	rc = *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dirsrc_list(void *ctx, char ***out, size_t *nout, const char *dir, struct err *err)
{
	struct dirsrc *d = ctx;
	DIR *dh = NULL;
	struct dirent *de;
	char **list = NULL;
	size_t n = 0;
	int fd = -1, rc;

	rc = dirsrc_open(&fd, d, dir, O_RDONLY | O_DIRECTORY, err);
	if (rc < 0)
		goto out;
	dh = fdopendir(fd);
	if (!dh) {
		rc = err_set(err, ERR_IO, "cannot list '%s': %s", dir, strerror(errno));
		goto out;
	}
	fd = -1;
	while ((de = readdir(dh))) {
		struct stat st;
		struct buf path;
		char **grown;

		if (de->d_name[0] == '.' || !source_is_manifest_name(de->d_name))
			continue;
		if (fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_set(err, ERR_IO, "cannot stat '%s/%s': %s", dir, de->d_name,
			             strerror(errno));
			goto out;
		}
		/* A directory is no manifest (as in git); anything else skipped would be. */
		if (S_ISDIR(st.st_mode))
			continue;
		if (!S_ISREG(st.st_mode)) {
			rc = err_set(err, ERR_INVALID,
			             "'%s/%s' is %s; deployctl reads regular files only", dir,
			             de->d_name,
			             S_ISLNK(st.st_mode) ? "a symlink" : "not a regular file");
			goto out;
		}
		if (n == SOURCE_MAX_FILES) {
			rc = err_set(err, ERR_INVALID, "more than %u manifest files in '%s'",
			             SOURCE_MAX_FILES, dir);
			goto out;
		}
		grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		list = grown;
		buf_init(&path, 4096);
		if (buf_printf(&path, "%s%s%s", dir, *dir ? "/" : "", de->d_name) < 0 ||
		    !(list[n] = buf_detach(&path))) {
			buf_release(&path);
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(list, n, sizeof(*list), name_cmp);
	*out = list;
	*nout = n;
	list = NULL;
	n = 0;
	rc = 0;
out:
	source_list_free(list, n);
	if (dh)
		closedir(dh);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int dirsrc_tree_id_cb(void *ctx, char out[41], const char *dir, struct err *err)
{
	const struct dirsrc *d = ctx;

	return dirsrc_tree_id(out, d->root, dir, err);
}

void dirsrc_source(struct source *s, struct dirsrc *d)
{
	s->ctx = d;
	s->kind = "dir";
	s->read = dirsrc_read;
	s->list_manifests = dirsrc_list;
	s->list_tree = NULL;
	s->tree_id = dirsrc_tree_id_cb; /* build contexts: the directory's content */
	s->root = d->root;
}

char *dirsrc_content_id(struct dirsrc *d)
{
	char hex[HASH_HEX_LEN + 1];
	struct buf b;

	hash_ctx_final(hex, d->hash);
	d->hash = hash_ctx_new();
	buf_init(&b, 128);
	if (buf_printf(&b, "dir:%s", hex) < 0)
		return NULL;
	return buf_detach(&b);
}
