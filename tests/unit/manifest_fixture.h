/*
 * manifest_fixture.h - what the manifest loader's unit tests share: an
 * in-memory source of files, a fixed fingerprint key, and a run that loads
 * one or two documents and keeps the model and the error lines.
 * Only test_manifest*.c include it.
 */
#ifndef DEPLOYCTL_MANIFEST_FIXTURE_H
#define DEPLOYCTL_MANIFEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/model_secret.h"
#include "deployctl/spec.h"

/* An in-memory source: files[i] = { path, body }. */
struct memfile {
	const char *path;
	const char *body;
};

/* A fixed key, so fingerprints and hashes are the same on every run. */
static const struct hash_key test_key = { { 0 } };

static const struct memfile mem_files[] = {
	{ "manifests/app.env", "A=from-file\nB=from-file\n# comment\nC=file-only\n" },
	{ "manifests/more.env", "B=from-more\n" },
	{ "shared/common.env", "COMMON=1\n" },
	{ "manifests/listed.yml",
	  "name: listed\nservices:\n  api:\n    image: api\n    env_file: app.env\n" },
};

/* manifests/big.env when set (test_manifest__copies_bounded). */
static const char *mem_big_env;

static inline int mem_read(void *ctx, char **out, size_t *len, const char *path, struct err *err)
{
	size_t i;

	(void)ctx;
	if (mem_big_env && !strcmp(path, "manifests/big.env")) {
		*out = strdup(mem_big_env);
		*len = strlen(mem_big_env);
		return *out ? 0 : ERR_NOMEM;
	}
	for (i = 0; i < sizeof(mem_files) / sizeof(mem_files[0]); i++) {
		if (strcmp(mem_files[i].path, path))
			continue;
		*out = strdup(mem_files[i].body);
		*len = strlen(mem_files[i].body);
		return *out ? 0 : ERR_NOMEM;
	}
	return err_set(err, ERR_NOTFOUND, "'%s' not found", path);
}

/* Lists one manifest for dir "manifests"; anything else is absent. */
static inline int mem_list(void *ctx, char ***out, size_t *n, const char *dir, struct err *err)
{
	char **list;

	(void)ctx;
	if (strcmp(dir, "manifests"))
		return err_set(err, ERR_NOTFOUND, "'%s' not found", dir);
	list = calloc(1, sizeof(*list));
	if (!list || !(list[0] = strdup("manifests/listed.yml"))) {
		free(list);
		return ERR_NOMEM;
	}
	*out = list;
	*n = 1;
	return 0;
}

static const struct source mem_src = { NULL, "mem", mem_read, mem_list, NULL, NULL, NULL };

struct run {
	struct strv profiles; /* active --profile names */
	struct project *p;
	struct errlist errs, warns;
	struct manifest_vars vars;
	int rc;
};

/* Load one or two documents as manifests/a.yml, manifests/b.yml. */
static inline void load2(struct run *r, const char *a, const char *b, const char *project)
{
	const char *names[] = { "manifests/a.yml", "manifests/b.yml" };
	const char *texts[] = { a, b };
	struct manifest_opts opts = { .dir = "manifests",
		                      .project_name = project,
		                      .vars = &r->vars,
		                      .profiles = &r->profiles };

	r->p = NULL;
	errlist_init(&r->errs);
	errlist_init(&r->warns);
	r->rc = manifest_load_texts(&r->p, names, texts, b ? 2 : 1, &mem_src, &opts, &r->errs,
	                            &r->warns);
}

static inline void load(struct run *r, const char *a)
{
	load2(r, a, NULL, NULL);
}

static inline void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	manifest_vars_init(&r->vars);
}

static inline void run_done(struct run *r)
{
	strv_free(&r->profiles);
	model_project_free(r->p);
	manifest_vars_release(&r->vars);
}

/* The i-th error, formatted. */
static inline const char *errline(struct run *r, size_t i, char *buf, size_t size)
{
	if (i >= r->errs.n)
		return "(none)";
	return err_format(buf, size, &r->errs.items[i]);
}

/*
 * A load that was expected to fail: ERR_INVALID, exactly these error lines
 * and in this order. A failure also names the caller's line.
 * EXPECT_ERRS(&r, "manifests/a.yml:4:5: services.api: unknown key 'imagee'", ...);
 */
#define EXPECT_ERRS(r, ...)                                                                        \
	expect_errs_at(__FILE__, __LINE__, (r), (const char *const[]){ __VA_ARGS__ },              \
	               sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static inline void expect_errs_at(const char *file, int line, struct run *r,
                                  const char *const *want, size_t n)
{
	char buf[1024];
	int before = check_failures;
	size_t i;

	CHECK_INT(r->rc, ERR_INVALID);
	CHECK_INT(r->errs.n, n);
	for (i = 0; i < n; i++)
		CHECK_STR(errline(r, i, buf, sizeof(buf)), want[i]);
	if (check_failures != before)
		fprintf(stderr, "  (in the case at %s:%d)\n", file, line);
}

/* Show the errors of a load that was expected to succeed. */
static inline void dump_errs(struct run *r)
{
	char buf[1024];
	size_t i;

	if (!r->rc)
		return;
	for (i = 0; i < r->errs.n; i++)
		fprintf(stderr, "  error: %s\n", err_format(buf, sizeof(buf), &r->errs.items[i]));
}

#endif
