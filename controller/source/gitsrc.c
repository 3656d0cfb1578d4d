/*
 * gitsrc.c - manifests read from a git object database at one commit,
 * through libgit2: what is deployed is what was committed, whatever the
 * working tree holds. Bare repositories work the same.
 */
#include "deployctl/gitsrc.h"

#include <errno.h>
#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_tar.h"

struct gitsrc {
	git_repository *repo;
	git_commit *commit;
	git_tree *tree;
	char sha[GIT_OID_HEXSZ + 1];
	char *subject;
	char *author;          /* "Name <email>" */
	char committed_at[32]; /* ISO-8601 UTC */
	char *path;
};

static int gitsrc_fail(struct err *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(err, code == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT, "%s: %s", what,
	               e && e->message ? e->message : "libgit2 error");
}

/* Author and commit time, recorded with every release. */
static int gitsrc_commit_meta(struct gitsrc *g)
{
	const git_signature *a = git_commit_author(g->commit);
	time_t t = (time_t)git_commit_time(g->commit);
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm))
		strftime(g->committed_at, sizeof(g->committed_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = (a && a->name ? strlen(a->name) : 0) + (a && a->email ? strlen(a->email) : 0) + 4;
	g->author = malloc(n);
	if (!g->author)
		return ERR_NOMEM;
	snprintf(g->author, n, "%s <%s>", a && a->name ? a->name : "",
	         a && a->email ? a->email : "");
	return 0;
}

/*
 * git (and libgit2 since 1.4.3) refuses a repository another user owns
 * (CVE-2022-24765): say so, and how to trust it, as git itself does.
 */
static int gitsrc_not_owner(struct err *err, const char *gitdir)
{
	char path[4096];
	size_t n;

	/* safe.directory names the working tree, not its .git directory. */
	snprintf(path, sizeof(path), "%s", gitdir);
	n = strlen(path);
	if (n > 6 && !strcmp(path + n - 6, "/.git/"))
		path[n - 6] = '\0';
	else if (n > 1 && path[n - 1] == '/')
		path[n - 1] = '\0';
	return err_set(err, ERR_GIT,
	               "repository '%s' is owned by another user and git refuses it; if you "
	               "trust it: git config --global --add safe.directory '%s'",
	               path, path);
}

/* Does the effective user own path (a repository's .git directory)? */
static bool owned_by_us(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 || st.st_uid == geteuid();
}

int gitsrc_open(struct gitsrc **out, const char *path, const char *ref, struct err *err)
{
	struct gitsrc *g = calloc(1, sizeof(*g));
	git_object *obj = NULL;
	git_buf found = { 0 };
	const char *summary;
	int rc;

	if (!g)
		return err_set(err, ERR_NOMEM, "out of memory");
	gitsrc_global_init();
	rc = git_repository_discover(&found, path, 0, NULL);
	if (rc == GIT_EOWNER) {
		rc = gitsrc_not_owner(err, path);
		goto out;
	}
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "'%s' is not in a git repository (use --repo PATH or --dir DIR)",
		             path);
		goto out;
	}
	rc = git_repository_open(&g->repo, found.ptr);
	/* libgit2 1.5 may report the refusal as a missing safe.directory value: look. */
	if (rc < 0 && rc != GIT_EOWNER && !owned_by_us(found.ptr))
		rc = GIT_EOWNER;
	if (rc == GIT_EOWNER) {
		rc = gitsrc_not_owner(err, found.ptr);
		goto out;
	}
	if (rc < 0) {
		rc = gitsrc_fail(err, rc, found.ptr);
		goto out;
	}
	rc = git_revparse_single(&obj, g->repo, ref);
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "ref '%s' not found in '%s'", ref, found.ptr);
		goto out;
	}
	rc = git_object_peel((git_object **)&g->commit, obj, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		rc = err_set(err, ERR_INVALID, "ref '%s' does not name a commit", ref);
		goto out;
	}
	rc = git_commit_tree(&g->tree, g->commit);
	if (rc < 0) {
		rc = gitsrc_fail(err, rc, "commit tree");
		goto out;
	}
	git_oid_tostr(g->sha, sizeof(g->sha), git_commit_id(g->commit));
	summary = git_commit_summary(g->commit);
	g->subject = strdup(summary ? summary : "");
	rc = gitsrc_commit_meta(g);
	if (rc < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	g->path = strdup(git_repository_is_bare(g->repo) ? git_repository_path(g->repo)
	                                                 : git_repository_workdir(g->repo));
	if (!g->subject || !g->path) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = g;
	g = NULL;
	rc = 0;
out:
	git_object_free(obj);
	git_buf_dispose(&found);
	gitsrc_free(g);
	return rc;
}

void gitsrc_free(struct gitsrc *g)
{
	if (!g)
		return;
	git_tree_free(g->tree);
	git_commit_free(g->commit);
	git_repository_free(g->repo);
	free(g->subject);
	free(g->author);
	free(g->path);
	free(g);
}

const char *gitsrc_commit(const struct gitsrc *g)
{
	return g->sha;
}

const char *gitsrc_subject(const struct gitsrc *g)
{
	return g->subject;
}

const char *gitsrc_author(const struct gitsrc *g)
{
	return g->author;
}

const char *gitsrc_committed_at(const struct gitsrc *g)
{
	return g->committed_at;
}

const char *gitsrc_path(const struct gitsrc *g)
{
	return g->path;
}

int gitsrc_dirty(bool *out, struct gitsrc *g, const char *dir, struct err *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	char *spec[1];
	int rc;

	*out = false;
	if (git_repository_is_bare(g->repo))
		return 0;
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	spec[0] = (char *)dir;
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
	             GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	opts.pathspec.strings = spec;
	opts.pathspec.count = 1;
	rc = git_status_list_new(&list, g->repo, &opts);
	if (rc < 0)
		return gitsrc_fail(err, rc, "git status");
	*out = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

int gitsrc_tracked(bool *out, struct gitsrc *g, const char *path, struct err *err)
{
	git_index *index = NULL;
	int rc;

	*out = false;
	rc = git_repository_index(&index, g->repo);
	if (rc < 0)
		return gitsrc_fail(err, rc, "git index");
	*out = git_index_get_bypath(index, path, 0) != NULL;
	git_index_free(index);
	return 0;
}

static int gitsrc_read(void *ctx, char **out, size_t *len, const char *path, struct err *err)
{
	struct gitsrc *g = ctx;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *text = NULL;
	git_object_size_t size;
	int rc;

	rc = source_check_path(path, err);
	if (rc < 0)
		return rc;
	rc = git_tree_entry_bypath(&entry, g->tree, path);
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "'%s' does not exist at commit %.12s", path, g->sha);
		goto out;
	}
	if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
		rc = err_set(err, ERR_INVALID,
		             "'%s' is a symlink; deployctl reads regular files only", path);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a file", path);
		goto out;
	}
	rc = git_blob_lookup(&blob, g->repo, git_tree_entry_id(entry));
	if (rc < 0) {
		rc = gitsrc_fail(err, rc, path);
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > SOURCE_MAX_FILE) {
		rc = err_set(err, ERR_INVALID, "'%s' is larger than %u bytes", path,
		             SOURCE_MAX_FILE);
		goto out;
	}
	text = malloc((size_t)size + 1);
	if (!text) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(text, git_blob_rawcontent(blob), (size_t)size);
	text[size] = '\0';
	*out = text;
	*len = (size_t)size;
	text = NULL;
	rc = 0;
out:
	free(text);
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return rc;
}

static int gitsrc_list(void *ctx, char ***out, size_t *nout, const char *dir, struct err *err)
{
	struct gitsrc *g = ctx;
	git_tree_entry *entry = NULL;
	git_tree *sub = NULL;
	char **list = NULL;
	size_t i, count, n = 0;
	int rc;

	rc = *dir ? source_check_path(dir, err) : 0;
	if (rc < 0)
		return rc;
	/* "" is the repository root */
	rc = *dir ? git_tree_entry_bypath(&entry, g->tree, dir) : 0;
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "directory '%s' does not exist at commit %.12s", dir, g->sha);
		goto out;
	}
	if (entry && git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a directory", dir);
		goto out;
	}
	rc = git_tree_lookup(&sub, g->repo,
	                     entry ? git_tree_entry_id(entry) : git_tree_id(g->tree));
	if (rc < 0) {
		rc = gitsrc_fail(err, rc, dir);
		goto out;
	}
	count = git_tree_entrycount(sub);
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Tree entries come sorted by name, so the list is sorted too. */
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(sub, i);
		const char *name = git_tree_entry_name(e);
		size_t len;

		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || name[0] == '.' ||
		    !source_is_manifest_name(name))
			continue;
		/* Skipped, its services would silently be planned for removal. */
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
			rc = err_set(err, ERR_INVALID,
			             "'%s/%s' is a symlink; deployctl reads regular files only",
			             dir, name);
			goto out;
		}
		if (n == SOURCE_MAX_FILES) {
			rc = err_set(err, ERR_INVALID, "more than %u manifest files in '%s'",
			             SOURCE_MAX_FILES, dir);
			goto out;
		}
		len = strlen(dir) + strlen(name) + 2;
		list[n] = malloc(len);
		if (!list[n]) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(list[n], len, "%s%s%s", dir, *dir ? "/" : "", name);
		n++;
	}
	*out = list;
	*nout = n;
	list = NULL;
	n = 0;
	rc = 0;
out:
	source_list_free(list, n);
	git_tree_free(sub);
	git_tree_entry_free(entry);
	return rc;
}

struct tree_walk {
	const char *dir;
	struct source_entry *v;
	size_t n;
	struct err *err;
	int rc;
};

static int walk_one(const char *root, const git_tree_entry *e, void *payload)
{
	struct tree_walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(e);
	struct source_entry *grown;
	size_t len;

	if (mode == GIT_FILEMODE_TREE)
		return 0;
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
		w->rc = err_set(w->err, ERR_INVALID,
		                "'%s/%s%s' is a %s; only regular files are read", w->dir, root,
		                git_tree_entry_name(e),
		                mode == GIT_FILEMODE_LINK ? "symlink" : "submodule");
		return -1;
	}
	if (w->n == SOURCE_MAX_TREE) {
		w->rc = err_set(w->err, ERR_INVALID, "more than %u files under '%s'",
		                SOURCE_MAX_TREE, w->dir);
		return -1;
	}
	grown = realloc(w->v, (w->n + 1) * sizeof(*grown));
	if (!grown) {
		w->rc = err_set(w->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	w->v = grown;
	len = strlen(w->dir) + strlen(root) + strlen(git_tree_entry_name(e)) + 2;
	grown[w->n].path = malloc(len);
	if (!grown[w->n].path) {
		w->rc = err_set(w->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	snprintf(grown[w->n].path, len, "%s/%s%s", w->dir, root, git_tree_entry_name(e));
	grown[w->n].exec = mode == GIT_FILEMODE_BLOB_EXECUTABLE;
	w->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct source_entry *)a)->path,
	              ((const struct source_entry *)b)->path);
}

static int gitsrc_list_tree(void *ctx, struct source_entry **out, size_t *nout, const char *dir,
                            struct err *err)
{
	struct gitsrc *g = ctx;
	struct tree_walk w = { .dir = dir, .err = err };
	git_tree_entry *entry = NULL;
	git_tree *sub = NULL;
	int rc;

	rc = source_check_path(dir, err);
	if (rc < 0)
		return rc;
	rc = git_tree_entry_bypath(&entry, g->tree, dir);
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "'%s' does not exist at commit %.12s", dir, g->sha);
		goto out;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
		rc = err_set(err, ERR_INVALID, "'%s' is not a directory", dir);
		goto out;
	}
	rc = git_tree_lookup(&sub, g->repo, git_tree_entry_id(entry));
	if (rc < 0) {
		rc = gitsrc_fail(err, rc, dir);
		goto out;
	}
	if (git_tree_walk(sub, GIT_TREEWALK_PRE, walk_one, &w) < 0) {
		rc = w.rc ? w.rc : gitsrc_fail(err, ERR_GIT, dir);
		goto out;
	}
	if (w.n)
		qsort(w.v, w.n, sizeof(*w.v), entry_cmp);
	*out = w.v;
	*nout = w.n;
	w.v = NULL;
	w.n = 0;
	rc = 0;
out:
	source_entries_free(w.v, w.n);
	git_tree_free(sub);
	git_tree_entry_free(entry);
	return rc;
}

/* The subtree at dir ("" or "." for the root); *out new (git_tree_free()). */
static int subtree(git_tree **out, struct gitsrc *g, const char *dir, struct err *err)
{
	git_tree_entry *entry = NULL;
	int rc;

	if (!*dir || !strcmp(dir, "."))
		return git_tree_lookup(out, g->repo, git_tree_id(g->tree)) < 0
		               ? gitsrc_fail(err, ERR_GIT, dir)
		               : 0;
	rc = source_check_path(dir, err);
	if (rc < 0)
		return rc;
	rc = git_tree_entry_bypath(&entry, g->tree, dir);
	if (rc < 0)
		return err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		               "'%s' does not exist at commit %.12s", dir, g->sha);
	if (git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		rc = err_set(err, ERR_INVALID, "'%s' is not a directory", dir);
	else if (git_tree_lookup(out, g->repo, git_tree_entry_id(entry)) < 0)
		rc = gitsrc_fail(err, ERR_GIT, dir);
	git_tree_entry_free(entry);
	return rc;
}

int gitsrc_tree_id(char out[41], struct gitsrc *g, const char *dir, struct err *err)
{
	git_tree *t = NULL;
	int rc = subtree(&t, g, dir, err);

	if (rc == 0)
		git_oid_tostr(out, 41, git_tree_id(t));
	git_tree_free(t);
	return rc;
}

struct tar_walk {
	struct gitsrc *g;
	struct archive *a;
	struct archive_entry *e;
	struct err *err;
	int rc;
};

static int tar_one(const char *root, const git_tree_entry *te, void *payload)
{
	struct tar_walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(te);
	git_blob *blob = NULL;
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(te)) >=
	    sizeof(path)) {
		w->rc = err_set(w->err, ERR_INVALID, "path '%s...' too long", root);
		return -1;
	}
	if (mode == GIT_FILEMODE_COMMIT) {
		w->rc = err_set(w->err, ERR_INVALID,
		                "'%s' is a submodule: a build context is one repository", path);
		return -1;
	}
	archive_entry_clear(w->e);
	archive_entry_set_pathname(w->e, path);
	archive_entry_set_mtime(w->e, 0, 0); /* the same tree, the same archive */
	if (mode == GIT_FILEMODE_TREE) {
		archive_entry_set_filetype(w->e, AE_IFDIR);
		archive_entry_set_perm(w->e, 0755);
		if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
			goto archive_fail;
		return 0;
	}
	if (git_blob_lookup(&blob, w->g->repo, git_tree_entry_id(te)) < 0) {
		w->rc = gitsrc_fail(w->err, ERR_GIT, path);
		return -1;
	}
	if (mode == GIT_FILEMODE_LINK) {
		char target[4096];

		snprintf(target, sizeof(target), "%.*s", (int)git_blob_rawsize(blob),
		         (const char *)git_blob_rawcontent(blob));
		archive_entry_set_filetype(w->e, AE_IFLNK);
		archive_entry_set_perm(w->e, 0777);
		archive_entry_set_symlink(w->e, target);
		archive_entry_set_size(w->e, 0);
		if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
			goto archive_fail;
	} else {
		archive_entry_set_filetype(w->e, AE_IFREG);
		archive_entry_set_perm(w->e, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
		archive_entry_set_size(w->e, (la_int64_t)git_blob_rawsize(blob));
		if (archive_write_header(w->a, w->e) != ARCHIVE_OK ||
		    archive_write_data(w->a, git_blob_rawcontent(blob),
		                       (size_t)git_blob_rawsize(blob)) < 0)
			goto archive_fail;
	}
	git_blob_free(blob);
	return 0;
archive_fail:
	git_blob_free(blob);
	w->rc = err_set(w->err, ERR_INVALID, "build context '%s': %s", path,
	                archive_error_string(w->a) ? archive_error_string(w->a) : "tar failed");
	return -1;
}

int gitsrc_tar(char **out, size_t *len, struct gitsrc *g, const char *dir, size_t max,
               struct err *err)
{
	struct tar_walk w = { .g = g, .err = err };
	struct archive_tar tar = { 0 };
	git_tree *t = NULL;
	int rc = subtree(&t, g, dir, err);

	if (rc == 0)
		rc = archive_tar_open(&tar, dir, max, err);
	if (rc)
		goto out;
	w.a = tar.a;
	w.e = tar.e;
	if (git_tree_walk(t, GIT_TREEWALK_PRE, tar_one, &w) < 0) {
		rc = w.rc ? w.rc : gitsrc_fail(err, ERR_GIT, dir);
		if (archive_errno(w.a) == ENOMEM || strstr(err->msg, "emory"))
			err_set(err, ERR_INVALID, "build context '%s' is larger than %zu bytes",
			        dir, max);
		goto out;
	}
	rc = archive_tar_close(out, len, &tar, dir, err);
out:
	archive_tar_release(&tar);
	git_tree_free(t);
	return rc;
}

static int gitsrc_tree_id_cb(void *ctx, char out[41], const char *dir, struct err *err)
{
	return gitsrc_tree_id(out, ctx, dir, err);
}

void gitsrc_source(struct source *s, struct gitsrc *g)
{
	s->ctx = g;
	s->kind = "git";
	s->read = gitsrc_read;
	s->list_manifests = gitsrc_list;
	s->list_tree = gitsrc_list_tree;
	s->root = NULL;
	s->tree_id = gitsrc_tree_id_cb;
}
