/*
 * manifest_case.c - runs one data-driven manifest case:
 *
 *   manifest_case valid|invalid DIR
 *
 * Every .yml and .yaml file in DIR/manifests is loaded (sorted, named "manifests/<file>")
 * with variables from DIR/vars.env when present (never from the process
 * environment); env_file paths are read from under DIR. "invalid": the
 * error lines must equal DIR/expected. "valid": the load must succeed, and
 * one canonical spec line per service (secrets redacted) followed by one
 * "warning: ..." line per warning must equal DIR/expected. The actual
 * output is printed on stdout; a mismatch is described on stderr, exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/spec.h"

struct casesrc {
	const char *root;
};

/* Read root/rel (a regular file, no symlink) into a new string. */
/* A fixed key, so fingerprints and hashes are the same on every run. */
static const struct hash_key case_key = { { 0 } };

static int read_file(char **out, size_t *len, const char *root, const char *rel)
{
	char path[4096];
	struct buf b;
	char chunk[4096];
	ssize_t got;
	struct stat st;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return ERR_INVALID;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return ERR_INVALID;
	}
	buf_init(&b, SOURCE_MAX_FILE);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)got)) {
			rc = ERR_INVALID;
			break;
		}
	if (got < 0)
		rc = ERR_IO;
	close(fd);
	if (rc) {
		buf_release(&b);
		return rc;
	}
	*len = b.len;
	*out = buf_detach(&b);
	return *out ? 0 : ERR_NOMEM;
}

static int case_read(void *ctx, char **out, size_t *len, const char *path, struct err *err)
{
	struct casesrc *cs = ctx;
	int rc;

	rc = source_check_path(path, err);
	if (rc)
		return rc;
	rc = read_file(out, len, cs->root, path);
	if (rc == ERR_NOTFOUND)
		return err_set(err, rc, "'%s' not found", path);
	if (rc)
		return err_set(err, rc, "cannot read '%s'", path);
	return 0;
}

static int case_list(void *ctx, char ***out, size_t *n, const char *dir, struct err *err)
{
	(void)ctx;
	(void)out;
	(void)n;
	return err_set(err, ERR_FAIL, "listing '%s' is not used by manifest_case", dir);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_manifest(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
	                          (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

/* Sorted "manifests/<file>" names under root/manifests. */
static int list_manifests(struct strv *out, const char *root)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/manifests", root);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "manifest_case: cannot open %s\n", path);
		return ERR_IO;
	}
	while ((de = readdir(d))) {
		if (!is_manifest(de->d_name))
			continue;
		snprintf(path, sizeof(path), "manifests/%s", de->d_name);
		if (strv_push(out, path)) {
			rc = ERR_NOMEM;
			break;
		}
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), name_cmp);
	return rc;
}

static int render(struct buf *actual, const struct project *p, const struct errlist *warns)
{
	char line[1024];
	struct err e = ERR_INIT;
	char *json = NULL;
	size_t i;

	for (i = 0; i < p->nservices; i++) {
		if (spec_render(&json, &case_key, p, &p->services[i], true, &e)) {
			fprintf(stderr, "manifest_case: spec_render %s: %s\n", p->services[i].name,
			        e.msg);
			return ERR_FAIL;
		}
		buf_printf(actual, "%s\n", json);
		free(json);
		json = NULL;
	}
	for (i = 0; i < warns->n; i++)
		buf_printf(actual, "warning: %s\n",
		           err_format(line, sizeof(line), &warns->items[i]));
	return 0;
}

/* Print both texts line by line, marking the first difference. */
static void show_diff(const char *want, const char *got)
{
	size_t line = 1;

	while (*want && *got) {
		size_t wl = strcspn(want, "\n"), gl = strcspn(got, "\n");

		if (wl != gl || memcmp(want, got, wl))
			break;
		want += wl + (want[wl] == '\n');
		got += gl + (got[gl] == '\n');
		line++;
	}
	fprintf(stderr, "manifest_case: output differs from expected at line %zu\n", line);
	fprintf(stderr, "--- expected from there:\n%s", want);
	fprintf(stderr, "+++ actual from there:\n%s", got);
}

int main(int argc, char **argv)
{
	struct casesrc cs;
	struct source src = { &cs, "case", case_read, case_list, NULL, NULL, NULL };
	struct manifest_vars vars;
	struct manifest_opts opts = { .dir = "manifests", .vars = &vars };
	struct errlist errs, warns;
	struct strv names = { NULL, 0 };
	char **texts = NULL, *expected = NULL, line[1024], vpath[4096];
	struct project *p = NULL;
	struct buf actual;
	struct err e = ERR_INIT;
	size_t i, len;
	bool valid;
	int rc, status = 1;

	if (argc != 3 || (strcmp(argv[1], "valid") && strcmp(argv[1], "invalid"))) {
		fprintf(stderr, "usage: manifest_case valid|invalid DIR\n");
		return 2;
	}
	valid = !strcmp(argv[1], "valid");
	cs.root = argv[2];
	manifest_vars_init(&vars);
	buf_init(&actual, 0);
	errlist_init(&errs);
	errlist_init(&warns);
	snprintf(vpath, sizeof(vpath), "%s/vars.env", cs.root);
	if (access(vpath, F_OK) == 0 && manifest_vars_load_file(&vars, vpath, &e)) {
		fprintf(stderr, "manifest_case: %s\n", err_format(line, sizeof(line), &e));
		goto out;
	}
	if (list_manifests(&names, cs.root))
		goto out;
	texts = calloc(names.n + 1, sizeof(*texts));
	if (!texts)
		goto out;
	for (i = 0; i < names.n; i++) {
		if (read_file(&texts[i], &len, cs.root, names.v[i])) {
			fprintf(stderr, "manifest_case: cannot read %s/%s\n", cs.root, names.v[i]);
			goto out;
		}
	}
	if (read_file(&expected, &len, cs.root, "expected")) {
		fprintf(stderr, "manifest_case: cannot read %s/expected\n", cs.root);
		goto out;
	}
	rc = manifest_load_texts(&p, (const char *const *)names.v, (const char *const *)texts,
	                         names.n, &src, &opts, &errs, &warns);
	for (i = 0; i < errs.n; i++)
		buf_printf(&actual, "%s\n", err_format(line, sizeof(line), &errs.items[i]));
	if (errs.dropped)
		buf_printf(&actual, "(%zu more errors)\n", errs.dropped);
	if (valid && rc) {
		fprintf(stderr, "manifest_case: expected a valid load, got:\n%s", actual.ptr);
		goto out;
	}
	if (!valid && rc != ERR_INVALID) {
		fprintf(stderr, "manifest_case: expected ERR_INVALID, got %d\n", rc);
		goto out;
	}
	if (valid && render(&actual, p, &warns))
		goto out;
	fputs(actual.ptr, stdout);
	if (strcmp(actual.ptr, expected)) {
		show_diff(expected, actual.ptr);
		goto out;
	}
	status = 0;
out:
	model_project_free(p);
	for (i = 0; texts && i < names.n; i++)
		free(texts[i]);
	free(texts);
	free(expected);
	strv_free(&names);
	buf_release(&actual);
	manifest_vars_release(&vars);
	return status;
}
