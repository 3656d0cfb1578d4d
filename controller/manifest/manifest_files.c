/*
 * manifest_files.c - top-level configs: and secrets: (struct project_file)
 * and the x-deployctl.env rule definitions (struct env_rule).
 *
 * Configs come from inside the repository, read through the source (git at
 * the release's commit) with its path checks, or inline (content:), or from
 * a variable (environment:); their content is kept. Secrets come from an
 * absolute host path outside the repository (read once, only to hash it:
 * the content is not kept) or from a variable (content kept, for
 * files_materialize()). A secret's content never appears in a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/hash.h"
#include "manifest_internal.h"

/* ---- shared ---- */

static struct project_file *file_new(struct manifest_ctx *c, struct project_file **list, size_t *n,
                                     const struct mnode *key)
{
	struct project_file *nl = realloc(*list, (*n + 1) * sizeof(*nl)), *f;

	if (!nl) {
		manifest_nomem(c);
		return NULL;
	}
	*list = nl;
	f = &nl[(*n)++];
	memset(f, 0, sizeof(*f));
	f->loc.file = key->file;
	f->loc.line = key->line;
	f->loc.col = key->col;
	f->name = strdup(key->value);
	if (!f->name) {
		manifest_nomem(c);
		return NULL;
	}
	return f;
}

static void set_hash(struct project_file *f)
{
	hash_sha256_hex(f->content_hash, f->content ? f->content : "", f->content_len);
}

/* The value of variable name becomes f's content. */
static int from_env(struct manifest_ctx *c, struct project_file *f, const struct mnode *v,
                    const char *path)
{
	const char *val;
	int rc = manifest_set_string(c, &f->environment, v, path);

	if (rc)
		return rc;
	val = kvv_get(c->vars, f->environment);
	if (!val) {
		manifest_error(c, v, path, "variable '%s' is not set", f->environment);
		return ERR_INVALID;
	}
	f->content = strdup(val);
	if (!f->content)
		return manifest_nomem(c);
	f->content_len = strlen(val);
	set_hash(f);
	return 0;
}

/* Where a config's or secret's content comes from: the one source key and its value. */
struct file_src {
	const struct mnode *src, *srckey;
};

/* file:, environment: or (configs) content:, at most one of them; k->what says so. */
static int read_source(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                       const struct mnode *key, const struct mnode *v, const char *path)
{
	struct file_src *fs = field;

	if (fs->src) {
		manifest_error(c, key, path, "%s", k->what);
		return ERR_INVALID;
	}
	fs->src = v;
	fs->srckey = key;
	return 0;
}

/* external: true is refused (k->why says why); false is the default. */
static int read_external(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	bool ext = false;
	int rc = manifest_bool(c, &ext, v, path);

	(void)field;
	if (!rc && ext) {
		manifest_error(c, key, path, "%s", k->why);
		rc = ERR_INVALID;
	}
	return rc;
}

#define SOURCE(name, msg)                                                                          \
	{                                                                                          \
		.key = name, .kind = MK_FIELD, .field = read_source, .what = msg                   \
	}
#define CONFIG_SOURCE(name) SOURCE(name, "only one of file, content and environment")
#define SECRET_SOURCE(name) SOURCE(name, "only one of file and environment")
#define SWARM_OPT(name, noun)                                                                      \
	{                                                                                          \
		.key = name, .kind = MK_REFUSED, .why = "not supported: a Swarm " noun " option"   \
	}

/* A top-level config: the first bad key ends it. */
static const struct manifest_key config_keys[] = {
	CONFIG_SOURCE("content"),
	SWARM_OPT("driver", "config"),
	SWARM_OPT("driver_opts", "config"),
	CONFIG_SOURCE("environment"),
	{ .key = "external",
	  .kind = MK_FIELD,
	  .field = read_external,
	  .why = "external configs are a Swarm feature: use file: or environment:" },
	CONFIG_SOURCE("file"),
	SWARM_OPT("labels", "config"),
	SWARM_OPT("name", "config"),
	SWARM_OPT("template_driver", "config"),
	{ .key = NULL, .flags = MKF_FIRST },
};

/* A top-level secret: the first bad key ends it. */
static const struct manifest_key secret_keys[] = {
	{ .key = "content",
	  .kind = MK_REFUSED,
	  .why = "a secret's content is never written in a manifest: use file: (a host path) or "
	         "environment:" },
	SWARM_OPT("driver", "secret"),
	SWARM_OPT("driver_opts", "secret"),
	SECRET_SOURCE("environment"),
	{ .key = "external",
	  .kind = MK_FIELD,
	  .field = read_external,
	  .why = "external secrets are a Swarm feature: use file: or environment:" },
	SECRET_SOURCE("file"),
	SWARM_OPT("labels", "secret"),
	SWARM_OPT("name", "secret"),
	SWARM_OPT("template_driver", "secret"),
	{ .key = NULL, .flags = MKF_FIRST },
};

/* ---- configs ---- */

static int config_file(struct manifest_ctx *c, struct project_file *f, const struct mnode *v,
                       const char *path)
{
	struct err e = ERR_INIT;
	char *rel = NULL, *dir = NULL, *full = NULL;
	int rc = manifest_string(c, &rel, v, path);

	if (rc)
		return rc;
	if (rel[0] == '/') {
		manifest_error(c, v, path,
		               "'%s' is an absolute path: configs are read from the repository, "
		               "relative to the manifest",
		               rel);
		rc = ERR_INVALID;
		goto out;
	}
	dir = manifest_base_dir(c, v);
	if (!dir) {
		rc = manifest_nomem(c);
		goto out;
	}
	rc = manifest_join(c, &full, dir, rel, v, path);
	if (rc)
		goto out;
	if (!c->src) {
		manifest_error(c, v, path, "config files cannot be read here");
		rc = ERR_INVALID;
		goto out;
	}
	rc = c->src->read(c->src->ctx, &f->content, &f->content_len, full, &e);
	if (rc == ERR_NOTFOUND) {
		manifest_error(c, v, path, "config file '%s' not found in the repository", full);
	} else if (rc) {
		manifest_error(c, v, path, "config file '%s': %s", full, e.msg);
		manifest_read_failed(c, rc);
	}
	if (rc) {
		rc = ERR_INVALID;
		goto out;
	}
	f->file = full;
	full = NULL;
	set_hash(f);
out:
	free(rel);
	free(dir);
	free(full);
	return rc;
}

/*
 * The keys of one config or secret (v at path), by its table: exactly one
 * source, *srckey its key and *src its value (file or environment;
 * content only for a config: a secret's is refused). Problems are
 * reported; 0, ERR_INVALID or ERR_NOMEM.
 */
static int file_source(struct manifest_ctx *c, const struct mnode **src,
                       const struct mnode **srckey, const struct mnode *v, const char *path,
                       bool secret)
{
	struct file_src fs = { NULL, NULL };
	int rc = manifest_read_map(c, secret ? secret_keys : config_keys, &fs, v, path);

	*src = fs.src;
	*srckey = fs.srckey;
	if (rc)
		return rc;
	if (!*src) {
		manifest_error(c, v, path, "%s",
		               secret ? "needs file: or environment:"
		                      : "needs file:, content: or environment:");
		return ERR_INVALID;
	}
	return 0;
}

static int config_one(struct manifest_ctx *c, struct project_file *f, const struct mnode *v,
                      const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *src, *srckey;
	struct strv *outer;
	int rc = file_source(c, &src, &srckey, v, path, false);

	if (rc)
		return rc;
	manifest_path_key(kpath, sizeof(kpath), path, srckey->value);
	if (!strcmp(srckey->value, "file"))
		return config_file(c, f, src, kpath);
	if (!strcmp(srckey->value, "environment"))
		return from_env(c, f, src, kpath);
	/* the variables it takes: config hides the content when one is secret */
	outer = c->used_vars;
	c->used_vars = &f->content_vars;
	rc = manifest_string(c, &f->content, src, kpath);
	c->used_vars = outer;
	if (!rc) {
		f->content_len = strlen(f->content);
		set_hash(f);
	}
	return rc;
}

/* ---- secrets ---- */

/* Hash a host file (regular, bounded) without keeping its content. */
static int secret_file(struct manifest_ctx *c, struct project_file *f, const struct mnode *v,
                       const char *path)
{
	struct hash_ctx *h = NULL;
	struct stat st;
	char chunk[8192];
	ssize_t got;
	size_t total = 0;
	int fd = -1, rc = manifest_set_string(c, &f->file, v, path);

	if (rc)
		return rc;
	if (f->file[0] != '/') {
		manifest_error(c, v, path,
		               "'%s' must be an absolute path outside the repository (secrets are "
		               "never committed)",
		               f->file);
		return ERR_INVALID;
	}
	fd = open(f->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		manifest_error(c, v, path, "cannot read secret file '%s': %s", f->file,
		               fd < 0 ? strerror(errno) : "not a regular file");
		rc = ERR_INVALID;
		goto out;
	}
	if ((uint64_t)st.st_size > SOURCE_MAX_FILE) {
		manifest_error(c, v, path, "secret file '%s' is larger than %u bytes", f->file,
		               SOURCE_MAX_FILE);
		rc = ERR_INVALID;
		goto out;
	}
	h = hash_ctx_new();
	if (!h) {
		rc = manifest_nomem(c);
		goto out;
	}
	while ((got = read(fd, chunk, sizeof(chunk))) > 0 && total <= SOURCE_MAX_FILE) {
		hash_ctx_add(h, chunk, (size_t)got);
		total += (size_t)got;
	}
	memset(chunk, 0, sizeof(chunk));
	if (got < 0 || total > SOURCE_MAX_FILE) {
		manifest_error(c, v, path, "cannot read secret file '%s': %s", f->file,
		               got < 0 ? strerror(errno) : "too large");
		rc = ERR_INVALID;
		goto out;
	}
	hash_ctx_final(f->content_hash, h); /* frees h */
	h = NULL;
out:
	hash_ctx_free(h);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int secret_one(struct manifest_ctx *c, struct project_file *f, const struct mnode *v,
                      const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *src, *srckey;
	int rc = file_source(c, &src, &srckey, v, path, true);

	if (rc)
		return rc;
	manifest_path_key(kpath, sizeof(kpath), path, srckey->value);
	if (!strcmp(srckey->value, "file"))
		return secret_file(c, f, src, kpath);
	return from_env(c, f, src, kpath);
}

static int load_files(struct manifest_ctx *c, const struct mnode *n, bool secret)
{
	const char *section = secret ? "secrets" : "configs";
	char path[MANIFEST_PATH_MAX];
	struct project_file *f;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, section))
		return 0;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];

		manifest_path_key(path, sizeof(path), section, key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path, "invalid %s name '%s'",
			               secret ? "secret" : "config", key->value);
			continue;
		}
		f = secret ? file_new(c, &c->p->secrets, &c->p->nsecrets, key)
		           : file_new(c, &c->p->configs, &c->p->nconfigs, key);
		if (!f)
			return ERR_NOMEM;
		rc = secret ? secret_one(c, f, n->items[i], path)
		            : config_one(c, f, n->items[i], path);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

int manifest_load_configs(struct manifest_ctx *c, const struct mnode *n)
{
	return load_files(c, n, false);
}

int manifest_load_secrets(struct manifest_ctx *c, const struct mnode *n)
{
	return load_files(c, n, true);
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct project_file *)a)->name,
	              ((const struct project_file *)b)->name);
}

static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct env_rule *)a)->key, ((const struct env_rule *)b)->key);
}

static void twice(struct manifest_ctx *c, const char *section, const char *name,
                  const struct loc *a, const struct loc *b)
{
	errlist_add(c->errs, ERR_INVALID, b->file, b->line, b->col,
	            "%s.%s: defined twice (first at %s:%u:%u)", section, name, a->file, a->line,
	            a->col);
}

void manifest_files_finish(struct manifest_ctx *c)
{
	struct project *p = c->p;
	size_t i;

	if (p->nconfigs > 1)
		qsort(p->configs, p->nconfigs, sizeof(*p->configs), file_cmp);
	if (p->nsecrets > 1)
		qsort(p->secrets, p->nsecrets, sizeof(*p->secrets), file_cmp);
	if (p->nenv_rules > 1)
		qsort(p->env_rules, p->nenv_rules, sizeof(*p->env_rules), rule_cmp);
	for (i = 1; i < p->nconfigs; i++)
		if (!strcmp(p->configs[i - 1].name, p->configs[i].name))
			twice(c, "configs", p->configs[i].name, &p->configs[i - 1].loc,
			      &p->configs[i].loc);
	for (i = 1; i < p->nsecrets; i++)
		if (!strcmp(p->secrets[i - 1].name, p->secrets[i].name))
			twice(c, "secrets", p->secrets[i].name, &p->secrets[i - 1].loc,
			      &p->secrets[i].loc);
	for (i = 1; i < p->nenv_rules; i++)
		if (!strcmp(p->env_rules[i - 1].key, p->env_rules[i].key))
			twice(c, "x-deployctl.env", p->env_rules[i].key, &p->env_rules[i - 1].loc,
			      &p->env_rules[i].loc);
}

/* ---- x-deployctl.env ---- */

static int rule_len(struct manifest_ctx *c, long *out, const struct mnode *v, const char *path)
{
	uint64_t n = 0;
	int rc = manifest_uint(c, &n, v, path, 1u << 20);

	if (!rc)
		*out = (long)n;
	return rc;
}

static int rule_pattern(struct manifest_ctx *c, struct env_rule *r, const struct mnode *v,
                        const char *path)
{
	char msg[160];
	regex_t re;
	int rc, e;

	/* Not interpolated: a pattern is full of '$'. */
	if (manifest_expect(c, v, MNODE_SCALAR, path))
		return ERR_INVALID;
	free(r->pattern);
	r->pattern = strdup(v->value);
	if (!r->pattern)
		return manifest_nomem(c);
	e = regcomp(&re, r->pattern, REG_EXTENDED | REG_NOSUB);
	if (!e) {
		regfree(&re);
		return 0;
	}
	regerror(e, &re, msg, sizeof(msg));
	rc = e == REG_ESPACE ? manifest_nomem(c) : ERR_INVALID;
	if (rc == ERR_INVALID)
		manifest_error(c, v, path, "invalid regular expression: %s", msg);
	return rc;
}

static int read_rule_len(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	(void)key;
	return rule_len(c, field, v, path);
}

static int read_rule_pattern(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                             const struct mnode *key, const struct mnode *v, const char *path)
{
	(void)k;
	(void)key;
	return rule_pattern(c, field, v, path);
}

#define RULE(field) offsetof(struct env_rule, field)

/* x-deployctl.env.<VAR>.url as a mapping: the first bad key ends it; no x- keys. */
static const struct manifest_key url_keys[] = {
	{ .key = "schemes", .kind = MK_STRINGS, .offset = RULE(url_schemes) },
	{ .key = NULL, .flags = MKF_NO_EXT | MKF_FIRST, .hint = ": use schemes" },
};

/* url: true/false, or {schemes: [...]} (field: the whole struct env_rule). */
static int read_rule_url(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                         const struct mnode *key, const struct mnode *v, const char *path)
{
	struct env_rule *r = field;

	(void)k;
	(void)key;
	if (v->type == MNODE_SCALAR)
		return manifest_bool(c, &r->url, v, path);
	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	r->url = true;
	return manifest_read_map(c, url_keys, r, v, path);
}

/* x-deployctl.env.<VAR> (null: no rule beyond the name; no x- keys). */
static const struct manifest_key rule_keys[] = {
	{ .key = "max_length",
	  .kind = MK_FIELD,
	  .offset = RULE(max_length),
	  .field = read_rule_len },
	{ .key = "min_length",
	  .kind = MK_FIELD,
	  .offset = RULE(min_length),
	  .field = read_rule_len },
	{ .key = "one_of", .kind = MK_STRINGS, .offset = RULE(one_of) },
	{ .key = "pattern", .kind = MK_FIELD, .offset = 0, .field = read_rule_pattern },
	{ .key = "required", .kind = MK_BOOL, .offset = RULE(required) },
	{ .key = "url", .kind = MK_FIELD, .offset = 0, .field = read_rule_url },
	{ .key = NULL,
	  .flags = MKF_NULL_OK | MKF_NO_EXT,
	  .what = "rule",
	  .hint = ": use required, min_length, max_length, pattern, url or one_of" },
};

static int rule_one(struct manifest_ctx *c, struct env_rule *r, const struct mnode *v,
                    const char *path)
{
	int rc = manifest_read_map(c, rule_keys, r, v, path);

	if (!mnode_is_null(v) && !rc && r->min_length >= 0 && r->max_length >= 0 &&
	    r->min_length > r->max_length) {
		manifest_error(c, v, path, "min_length is above max_length");
		rc = ERR_INVALID;
	}
	return rc;
}

int manifest_load_env_rules(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	char kpath[MANIFEST_PATH_MAX];
	struct env_rule *nr, *r;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, path))
		return 0;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];
		const char *k = key->value;
		size_t j;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		for (j = 0;
		     k[j] && (k[j] == '_' || (k[j] >= 'A' && k[j] <= 'Z') ||
		              (k[j] >= 'a' && k[j] <= 'z') || (j && k[j] >= '0' && k[j] <= '9'));
		     j++)
			;
		if (!*k || k[j]) {
			manifest_error(c, key, kpath, "invalid environment variable name");
			continue;
		}
		nr = realloc(c->p->env_rules, (c->p->nenv_rules + 1) * sizeof(*nr));
		if (!nr)
			return manifest_nomem(c);
		c->p->env_rules = nr;
		r = &nr[c->p->nenv_rules++];
		memset(r, 0, sizeof(*r));
		r->min_length = -1;
		r->max_length = -1;
		r->loc.file = key->file;
		r->loc.line = key->line;
		r->loc.col = key->col;
		r->key = strdup(k);
		if (!r->key)
			return manifest_nomem(c);
		rc = rule_one(c, r, n->items[i], kpath);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}
