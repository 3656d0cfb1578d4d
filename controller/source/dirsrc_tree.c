/*
 * dirsrc_tree.c - a build context in a plain directory (--dir): its id, a
 * sha256 over every entry (path, type, executable bit, content or link
 * target) in path order, standing in for git's tree id so an unchanged
 * context is not built again; and the directory as a tar archive
 * (libarchive), entries sorted, mtimes zero, modes 0644 / 0755, symlinks
 * kept as symlinks, so the same files give the same archive.
 */
#define _XOPEN_SOURCE 700 /* readlink() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_tar.h"
#include "deployctl/hash.h"
#include "deployctl/source.h"

#define TREE_DEPTH_MAX 64

struct tree_walk {
	struct hash_ctx *h; /* the id: or NULL */
	struct archive *a;  /* the tar: or NULL */
	struct archive_entry *e;
	size_t files, max_files;
	struct err *err;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int io_fail(struct err *err, const char *what, const char *path)
{
	return err_set(err, ERR_IO, "%s '%s': %s", what, path, strerror(errno));
}

/* The whole file at path into *out (new); ERR_IO. */
static int slurp(char **out, size_t *len, const char *path, off_t size, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;
	ssize_t n;
	char *buf;

	if (fd < 0)
		return io_fail(err, "cannot open", path);
	buf = malloc((size_t)size + 1);
	if (!buf) {
		close(fd);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	while (got < (size_t)size && (n = read(fd, buf + got, (size_t)size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			return io_fail(err, "cannot read", path);
		}
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

static int tar_entry(struct tree_walk *w, const char *rel, const struct stat *st, const char *data,
                     size_t len, const char *link)
{
	archive_entry_clear(w->e);
	archive_entry_set_pathname(w->e, rel);
	archive_entry_set_mtime(w->e, 0, 0);
	if (S_ISDIR(st->st_mode)) {
		archive_entry_set_filetype(w->e, AE_IFDIR);
		archive_entry_set_perm(w->e, 0755);
	} else if (link) {
		archive_entry_set_filetype(w->e, AE_IFLNK);
		archive_entry_set_perm(w->e, 0777);
		archive_entry_set_symlink(w->e, link);
	} else {
		archive_entry_set_filetype(w->e, AE_IFREG);
		archive_entry_set_perm(w->e, st->st_mode & 0111 ? 0755 : 0644);
		archive_entry_set_size(w->e, (la_int64_t)len);
	}
	if (archive_write_header(w->a, w->e) != ARCHIVE_OK ||
	    (data && len && archive_write_data(w->a, data, len) < 0))
		return err_set(w->err, ERR_INVALID, "build context '%s': %s", rel,
		               archive_error_string(w->a) ? archive_error_string(w->a)
		                                          : "tar failed");
	return 0;
}

/* One entry (rel under the context, full on the host), then what a directory holds. */
static int walk(struct tree_walk *w, const char *full, const char *rel, unsigned depth)
{
	char link[4096], fh[HASH_HEX_LEN + 1], *data = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t ln;
	int rc = 0;

	if (lstat(full, &st))
		return io_fail(w->err, "cannot read", full);
	if (++w->files > w->max_files)
		return err_set(w->err, ERR_INVALID, "build context holds more than %zu files",
		               w->max_files);
	if (S_ISLNK(st.st_mode)) {
		ln = readlink(full, link, sizeof(link) - 1);
		if (ln < 0)
			return io_fail(w->err, "cannot read", full);
		link[ln] = '\0';
	} else if (S_ISREG(st.st_mode)) {
		rc = slurp(&data, &len, full, st.st_size, w->err);
		if (rc)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return err_set(w->err, ERR_INVALID, "build context: '%s' is not a file", rel);
	}
	if (w->h && *rel) {
		hash_ctx_add(w->h, rel, strlen(rel) + 1);
		hash_ctx_add(w->h,
		             S_ISDIR(st.st_mode)   ? "d"
		             : S_ISLNK(st.st_mode) ? "l"
		             : st.st_mode & 0111   ? "x"
		                                   : "-",
		             1);
		if (S_ISLNK(st.st_mode))
			hash_ctx_add(w->h, link, strlen(link) + 1);
		if (S_ISREG(st.st_mode)) {
			hash_sha256_hex(fh, data, len);
			hash_ctx_add(w->h, fh, HASH_HEX_LEN);
		}
	}
	if (w->a && *rel)
		rc = tar_entry(w, rel, &st, data, len, S_ISLNK(st.st_mode) ? link : NULL);
	free(data);
	if (rc || !S_ISDIR(st.st_mode))
		return rc;
	if (depth > TREE_DEPTH_MAX)
		return err_set(w->err, ERR_INVALID, "build context '%s' is nested too deep", rel);
	return 0;
}

/* full's entries, sorted, each walked (and recursed into). */
static int walk_dir(struct tree_walk *w, const char *full, const char *rel, unsigned depth)
{
	char **names = NULL, **grown, f[4096], r[4096];
	struct dirent *de;
	struct stat st;
	size_t n = 0, i;
	DIR *d;
	int rc = walk(w, full, rel, depth);

	if (rc || lstat(full, &st) || !S_ISDIR(st.st_mode))
		return rc;
	d = opendir(full);
	if (!d)
		return io_fail(w->err, "cannot read", full);
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			rc = err_set(w->err, ERR_NOMEM, "out of memory");
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (!rc && n) /* an empty directory has no list to sort (qsort(NULL) is undefined) */
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; !rc && i < n; i++) {
		if ((size_t)snprintf(f, sizeof(f), "%s/%s", full, names[i]) >= sizeof(f) ||
		    (size_t)snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", names[i]) >=
		            sizeof(r))
			rc = err_set(w->err, ERR_INVALID, "build context: path too long");
		else
			rc = walk_dir(w, f, r, depth + 1);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* root/dir as the host path of a context, which must be a directory. */
static int context_path(char *out, size_t size, const char *root, const char *dir, struct err *err)
{
	struct stat st;

	if ((size_t)snprintf(out, size, "%s/%s", root, dir) >= size)
		return err_set(err, ERR_INVALID, "build context '%s': path too long", dir);
	if (lstat(out, &st))
		return errno == ENOENT ? err_set(err, ERR_NOTFOUND, "'%s' does not exist", dir)
		                       : io_fail(err, "cannot read", out);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_INVALID, "'%s' is not a directory", dir);
	return 0;
}

int dirsrc_tree_id(char out[41], const char *root, const char *dir, struct err *err)
{
	char full[4096], hex[HASH_HEX_LEN + 1];
	struct tree_walk w = { .h = hash_ctx_new(), .max_files = SOURCE_MAX_TREE, .err = err };
	int rc;

	if (!w.h)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = context_path(full, sizeof(full), root, dir, err);
	if (!rc)
		rc = walk_dir(&w, full, "", 0);
	hash_ctx_final(hex, w.h);
	if (!rc)
		snprintf(out, 41, "%.40s", hex);
	return rc;
}

int dirsrc_tar(char **out, size_t *len, const char *root, const char *dir, size_t max,
               struct err *err)
{
	struct tree_walk w = { .max_files = SOURCE_MAX_TREE, .err = err };
	struct archive_tar tar = { 0 };
	char full[4096];
	int rc = context_path(full, sizeof(full), root, dir, err);

	if (rc == 0)
		rc = archive_tar_open(&tar, dir, max, err);
	if (rc)
		goto out;
	w.a = tar.a;
	w.e = tar.e;
	rc = walk_dir(&w, full, "", 0);
	if (rc && archive_errno(w.a) == ENOMEM)
		err_set(err, ERR_INVALID, "build context '%s' is larger than %zu bytes", dir, max);
	if (!rc)
		rc = archive_tar_close(out, len, &tar, dir, err);
out:
	archive_tar_release(&tar);
	return rc;
}
