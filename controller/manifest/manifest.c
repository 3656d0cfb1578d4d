/*
 * manifest.c - the Compose loader's top level: read every manifest file,
 * parse it to a node tree, merge the files (a service, network or volume
 * may be defined once across all of them), read the top-level keys, then
 * check, sort and hand over the model. Below it: which files make the
 * project and its .env (manifest_discover.c), one network or volume
 * (manifest_resource.c), x-deployctl: (manifest_xdeployctl.c), and the
 * helpers every reader of the tree uses (manifest_scalar.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* Where a service, network or volume was first defined, for "defined twice". */
struct manifest_seen {
	const char *section; /* "services", "networks", "volumes" */
	const char *name;    /* borrowed from the model */
	struct loc loc;
};

static bool project_name_ok(const char *name)
{
	size_t i;

	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return false;
	for (i = 1; name[i]; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_' && name[i] != '-')
			return false;
	return i <= 64;
}

/* ---- top level ---- */

static bool seen_twice(struct manifest_ctx *c, struct manifest_seen *seen, size_t nseen,
                       const char *section, const struct mnode *key, const char *path)
{
	size_t i;

	for (i = 0; i < nseen; i++) {
		if (strcmp(seen[i].section, section) || strcmp(seen[i].name, key->value))
			continue;
		manifest_error(c, key, path, "defined twice (first at %s:%u:%u)", seen[i].loc.file,
		               seen[i].loc.line, seen[i].loc.col);
		return true;
	}
	return false;
}

struct manifest_load_state {
	struct manifest_seen *seen;
	size_t nseen;
	char *name;                 /* top-level name:, interpolated */
	const struct mnode *name_n; /* where it was set */
};

static int seen_add(struct manifest_ctx *c, struct manifest_load_state *st, const char *section,
                    const char *name, const struct mnode *key)
{
	struct manifest_seen *ns = realloc(st->seen, (st->nseen + 1) * sizeof(*ns));

	if (!ns)
		return manifest_nomem(c);
	st->seen = ns;
	ns[st->nseen++] = (struct manifest_seen){
		.section = section,
		.name = name,
		.loc = { .file = key->file, .line = key->line, .col = key->col },
	};
	return 0;
}

/*
 * Is the service (its profiles: node, or NULL) enabled by the active
 * profiles? A disabled one is remembered with its profiles for messages.
 */
static int profiles_enabled(struct manifest_ctx *c, bool *on, const struct mnode *key,
                            const struct mnode *prof, const char *spath)
{
	char path[MANIFEST_PATH_MAX];
	struct strv want = { NULL, 0 };
	struct buf b;
	size_t i, j;
	int rc;

	*on = true;
	if (!prof)
		return 0;
	rc = manifest_strings(c, &want, prof,
	                      manifest_path_key(path, sizeof(path), spath, "profiles"), false);
	if (rc || !want.n)
		goto out;
	*on = false;
	for (i = 0; c->profiles && i < c->profiles->n && !*on; i++)
		for (j = 0; j < want.n && !*on; j++)
			*on = !strcmp(c->profiles->v[i], want.v[j]);
	if (*on)
		goto out;
	buf_init(&b, 4096);
	for (j = 0; j < want.n; j++)
		if (buf_printf(&b, "%s'%s'", j ? " or " : "", want.v[j]))
			rc = ERR_NOMEM;
	if (rc || kvv_set(&c->disabled, key->value, b.ptr))
		rc = manifest_nomem(c);
	buf_release(&b);
out:
	strv_free(&want);
	return rc == ERR_NOMEM ? rc : 0;
}

static int load_services(struct manifest_ctx *c, struct manifest_load_state *st,
                         const struct mnode *n, size_t tree)
{
	char path[MANIFEST_PATH_MAX];
	struct mnode *merged = NULL;
	struct service *ns;
	bool on;
	size_t i;
	int rc = 0;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, "services"))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];
		struct service *s;

		manifest_path_key(path, sizeof(path), "services", key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path,
			               "invalid service name '%s': use letters, digits, '_', '.' "
			               "and '-', starting with a letter or digit",
			               key->value);
			continue;
		}
		if (seen_twice(c, st->seen, st->nseen, "services", key, path))
			continue;
		mnode_free(merged);
		merged = NULL;
		rc = manifest_extends_resolve(c, &merged, tree, key, n->items[i]);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc) {
			rc = seen_add(c, st, "services", key->value, key);
			if (rc)
				return rc;
			continue;
		}
		rc = profiles_enabled(c, &on, key,
		                      mnode_get(merged ? merged : n->items[i], "profiles"), path);
		if (!rc && !on)
			rc = seen_add(c, st, "services", key->value, key);
		if (rc) {
			mnode_free(merged);
			return rc;
		}
		if (!on)
			continue;
		if (c->p->nservices >= MANIFEST_MAX_SERVICES) {
			manifest_error(c, key, path, "too many services (at most %d)",
			               MANIFEST_MAX_SERVICES);
			mnode_free(merged);
			return ERR_INVALID;
		}
		ns = realloc(c->p->services, (c->p->nservices + 1) * sizeof(*ns));
		if (!ns) {
			mnode_free(merged);
			return manifest_nomem(c);
		}
		c->p->services = ns;
		s = &ns[c->p->nservices++];
		memset(s, 0, sizeof(*s));
		s->stop_grace_ns = -1;
		s->replicas = 1;
		manifest_rollout_init(&s->rollout);
		s->name = strdup(key->value);
		if (!s->name) {
			mnode_free(merged);
			return manifest_nomem(c);
		}
		rc = seen_add(c, st, "services", s->name, key);
		if (!rc)
			rc = manifest_service_build(c, s, key, merged ? merged : n->items[i]);
		if (rc == ERR_NOMEM)
			break;
		rc = 0;
	}
	mnode_free(merged);
	return rc;
}

/*
 * A new, zeroed resource of kind k called name (copied) at the end of the
 * project's array, or NULL when out of memory (reported).
 */
static struct project_resource *resource_add(struct manifest_ctx *c, enum res_kind k,
                                             const char *name)
{
	struct project_resource **v, *grown, *r;
	size_t *n;

	model_resources_slot(c->p, k, &v, &n);
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown) {
		manifest_nomem(c);
		return NULL;
	}
	*v = grown;
	r = memset(&grown[*n], 0, sizeof(*r));
	r->name = strdup(name);
	(*n)++;
	if (!r->name)
		manifest_nomem(c);
	return r->name ? r : NULL;
}

/* The top-level networks: or volumes: (kind k) of one file. */
static int load_resources(struct manifest_ctx *c, struct manifest_load_state *st,
                          const struct mnode *n, enum res_kind k)
{
	const char *section = k == RES_NETWORK ? "networks" : "volumes";
	char path[MANIFEST_PATH_MAX];
	struct project_resource *r;
	size_t i;
	int rc;

	if (mnode_is_null(n))
		return 0;
	if (manifest_expect(c, n, MNODE_MAP, section))
		return ERR_INVALID;
	for (i = 0; i < n->n; i++) {
		const struct mnode *key = n->keys[i];

		manifest_path_key(path, sizeof(path), section, key->value);
		if (!manifest_name_ok(key->value)) {
			manifest_error(c, key, path, "invalid %s name '%s'", model_res_noun(k),
			               key->value);
			continue;
		}
		if (seen_twice(c, st->seen, st->nseen, section, key, path))
			continue;
		r = resource_add(c, k, key->value);
		if (!r)
			return ERR_NOMEM;
		r->loc.file = key->file;
		r->loc.line = key->line;
		r->loc.col = key->col;
		rc = seen_add(c, st, section, r->name, key);
		if (!rc)
			rc = manifest_load_resource(c, n->items[i], path, k, r);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

static int load_name(struct manifest_ctx *c, struct manifest_load_state *st, const struct mnode *n)
{
	char *s = NULL, q[80];
	int rc;

	rc = manifest_string(c, &s, n, "name");
	if (rc)
		return rc == ERR_NOMEM ? rc : 0;
	if (st->name && strcmp(st->name, s)) {
		manifest_error(c, n, "name", "differs from \"%s\" set at %s:%u:%u", st->name,
		               st->name_n->file, st->name_n->line, st->name_n->col);
		free(s);
		return 0;
	}
	if (!project_name_ok(s)) {
		manifest_error(c, n, "name",
		               "invalid project name \"%s\": use lower-case letters, digits, '_' "
		               "and '-', starting with a letter or digit",
		               manifest_quote(q, sizeof(q), n));
		free(s);
		return 0;
	}
	free(st->name);
	st->name = s;
	st->name_n = n;
	return 0;
}

static int load_file(struct manifest_ctx *c, struct manifest_load_state *st,
                     const struct mnode *root, size_t tree)
{
	static const char *const order[] = { "name",    "x-deployctl", "volumes", "networks",
		                             "configs", "secrets",     "services" };
	size_t i, k;
	int rc;

	if (!root)
		return 0;
	if (manifest_expect(c, root, MNODE_MAP, "(top level)"))
		return 0;
	for (i = 0; i < root->n; i++) {
		const char *key = root->keys[i]->value;
		bool known = false;

		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			known = known || !strcmp(key, order[k]);
		if (known || !strncmp(key, "x-", 2))
			continue;
		if (!strcmp(key, "version"))
			manifest_warn(c, root->keys[i], "version", "obsolete, ignored");
		else if (!strcmp(key, "include"))
			continue; /* read before (manifest_include.c) */
		else if (!strcmp(key, "models"))
			manifest_error(c, root->keys[i], key,
			               "not supported: AI model runner models");
		else
			manifest_error(c, root->keys[i], "(top level)", "unknown key '%s'", key);
	}
	/* A fixed order, so declarations are known before services refer to them. */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		const struct mnode *v = mnode_get(root, order[k]);

		if (!v || (k == 0 && tree >= c->nproject))
			continue; /* an included file's name: is not the project's */
		if (k == 0)
			rc = load_name(c, st, v);
		else if (k == 1)
			rc = manifest_load_x_deployctl(c, v);
		else if (k == 2)
			rc = load_resources(c, st, v, RES_VOLUME);
		else if (k == 3)
			rc = load_resources(c, st, v, RES_NETWORK);
		else if (k == 4)
			rc = manifest_load_configs(c, v);
		else if (k == 5)
			rc = manifest_load_secrets(c, v);
		else
			rc = load_services(c, st, v, tree);
		if (rc == ERR_NOMEM)
			return rc;
	}
	return 0;
}

/* ---- finishing ---- */

static int service_cmp(const void *a, const void *b)
{
	return strcmp(((const struct service *)a)->name, ((const struct service *)b)->name);
}

static int resource_cmp(const void *a, const void *b)
{
	return strcmp(((const struct project_resource *)a)->name,
	              ((const struct project_resource *)b)->name);
}

/* The implicit "default" network, when a service uses it and no file declares it. */
static int add_default_network(struct manifest_ctx *c)
{
	struct project_resource *net;
	size_t i, j;
	bool used = false;

	for (i = 0; i < c->p->nservices; i++)
		for (j = 0; j < c->p->services[i].nnetworks; j++)
			used = used || !strcmp(c->p->services[i].networks[j].name, "default");
	used = used || manifest_jobs_use_default(c->p);
	if (!used || model_res_find(c->p, RES_NETWORK, "default"))
		return 0;
	net = resource_add(c, RES_NETWORK, "default");
	if (!net)
		return ERR_NOMEM;
	net->loc.file = c->p->files.n ? c->p->files.v[0] : NULL;
	return 0;
}

static void sort_project(struct project *p)
{
	if (p->nservices > 1)
		qsort(p->services, p->nservices, sizeof(*p->services), service_cmp);
	if (p->nnetworks > 1)
		qsort(p->networks, p->nnetworks, sizeof(*p->networks), resource_cmp);
	if (p->nvolumes > 1)
		qsort(p->volumes, p->nvolumes, sizeof(*p->volumes), resource_cmp);
	strv_sort(&p->secret_keys);
}

static void refs_free(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nrefs; i++) {
		free(c->refs[i].service);
		free(c->refs[i].name);
		free(c->refs[i].path);
		free(c->refs[i].alias);
	}
	free(c->refs);
	c->refs = NULL;
	c->nrefs = 0;
}

/* Compose's project name from a directory name: lower case, [a-z0-9_-], from the first letter or
 * digit. */
static char *name_normalise(const char *dir)
{
	char *out = malloc(strlen(dir) + 1);
	size_t i, n = 0;

	if (!out)
		return NULL;
	for (i = 0; dir[i]; i++) {
		char ch = (char)tolower((unsigned char)dir[i]);

		if (!islower((unsigned char)ch) && !isdigit((unsigned char)ch) &&
		    (!n || (ch != '_' && ch != '-')))
			continue;
		out[n++] = ch;
	}
	out[n < 64 ? n : 64] = '\0';
	return out;
}

/* The project name, by Compose's precedence. 0 or ERR_NOMEM; problems reported. */
static int project_name(struct manifest_ctx *c, struct manifest_load_state *st,
                        const struct manifest_opts *opts, bool quiet)
{
	const char *env = kvv_get(c->vars, "COMPOSE_PROJECT_NAME");
	const char *given = opts && opts->project_name ? opts->project_name
	                    : env && *env              ? env
	                                               : NULL;
	struct project *p = c->p;

	if (given) {
		if (!project_name_ok(given))
			errlist_add(c->errs, ERR_INVALID, NULL, 0, 0,
			            "invalid project name '%s'%s: use lower-case letters, digits, "
			            "'_' and '-', starting with a letter or digit",
			            given,
			            opts && opts->project_name ? "" : " ($COMPOSE_PROJECT_NAME)");
		p->name = strdup(given);
	} else if (st->name) {
		p->name = st->name;
		st->name = NULL;
	} else if (opts && opts->default_name) {
		p->name = name_normalise(opts->default_name);
		if (p->name && !project_name_ok(p->name))
			errlist_add(c->errs, ERR_INVALID, p->files.n ? p->files.v[0] : NULL, 0, 0,
			            "no project name: the directory name '%s' makes none; set "
			            "top-level name:, $COMPOSE_PROJECT_NAME or --project",
			            opts->default_name);
	} else {
		if (!quiet)
			errlist_add(c->errs, ERR_INVALID, p->files.n ? p->files.v[0] : NULL, 0, 0,
			            "no project name: set top-level name:, $COMPOSE_PROJECT_NAME "
			            "or --project");
		return 0;
	}
	return p->name ? 0 : manifest_nomem(c);
}

/* Parse every file to its tree; merged into one (opts->merge) or kept apart. */
static int project_trees(struct manifest_ctx *c, struct mnode ***out, size_t *nout,
                         const char *const *texts, const size_t *lens, size_t n, bool merge)
{
	struct mnode **roots = calloc(n ? n : 1, sizeof(*roots)), *merged = NULL, *nt;
	size_t i, len, total = 0;
	int rc = 0;

	if (!roots)
		return manifest_nomem(c);
	for (i = 0; i < n && rc != ERR_NOMEM; i++) {
		len = lens ? lens[i] : strlen(texts[i]);
		if (len > SOURCE_MAX_FILE) {
			errlist_add(c->errs, ERR_INVALID, c->p->files.v[i], 0, 0,
			            "file is larger than %u bytes", SOURCE_MAX_FILE);
			continue;
		}
		total += len;
		if (total > MANIFEST_MAX_TOTAL) {
			errlist_add(c->errs, ERR_INVALID, c->p->files.v[i], 0, 0,
			            "the project's files are larger than %u bytes together",
			            MANIFEST_MAX_TOTAL);
			break;
		}
		rc = manifest_tree_from_text(c, &roots[i], c->p->files.v[i], texts[i], len);
	}
	if (rc != ERR_NOMEM && merge && n) {
		rc = manifest_project_dirs(c, n);
		for (i = 0; i < n && rc != ERR_NOMEM; i++) {
			if (!roots[i])
				continue;
			nt = manifest_merge_file(merged, roots[i]);
			mnode_free(merged);
			merged = nt;
			rc = merged ? 0 : manifest_nomem(c);
		}
		for (i = 0; i < n; i++)
			mnode_free(roots[i]);
		roots[0] = merged;
		n = 1;
	} else if (rc != ERR_NOMEM) {
		rc = manifest_drop_referenced(c, roots, &n);
	}
	/* merged: the tags have done their work */
	for (i = 0; i < n && rc != ERR_NOMEM; i++) {
		if (!roots[i])
			continue;
		nt = manifest_node_copy(roots[i]);
		mnode_free(roots[i]);
		roots[i] = nt;
		rc = nt ? rc : manifest_nomem(c);
	}
	c->nproject = n;
	if (rc != ERR_NOMEM)
		rc = manifest_include(c, &roots, &n);
	*out = roots;
	*nout = n;
	return rc == ERR_NOMEM ? rc : 0;
}

/*
 * manifest_load_texts() with each text's length (lens NULL: up to its NUL),
 * so that a NUL byte read from a file reaches the parser, which refuses it.
 */
static int load_texts(struct project **out, const char *const *names, const char *const *texts,
                      const size_t *lens, size_t n, const struct source *src,
                      const struct manifest_opts *opts, struct errlist *errs, struct errlist *warns)
{
	static const struct kvv no_vars = { NULL, 0 };
	struct manifest_ctx c = { 0 };
	struct manifest_load_state st = { 0 };
	struct mnode **trees = NULL;
	struct project *p = NULL;
	size_t i, ntrees = 0, start = errs->n + errs->dropped;
	int rc = 0;

	p = calloc(1, sizeof(*p));
	c.p = p;
	c.src = src;
	c.vars = opts && opts->vars ? &opts->vars->vars : &no_vars;
	c.errs = errs;
	c.warns = warns;
	c.profiles = opts ? opts->profiles : NULL;
	if (!p) {
		rc = ERR_NOMEM;
		errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	if (!n)
		errlist_add(errs, ERR_INVALID, opts && opts->dir ? opts->dir : NULL, 0, 0,
		            "no manifests (*.yml or *.yaml files) found");
	for (i = 0; i < n; i++) {
		if (strv_push(&p->files, names[i])) {
			rc = manifest_nomem(&c);
			goto out;
		}
	}
	rc = project_trees(&c, &trees, &ntrees, texts, lens, n, opts && opts->merge);
	if (rc)
		goto out;
	c.trees = calloc(ntrees + c.nspare + 1, sizeof(*c.trees));
	if (!c.trees) {
		rc = manifest_nomem(&c);
		goto out;
	}
	for (i = 0; i < ntrees; i++) {
		c.trees[i].name = trees[i] ? (char *)trees[i]->file : p->files.v[0];
		c.trees[i].root = trees[i];
	}
	c.ntrees = c.nmanifests = ntrees;
	/* files only extends names: found there, not read again */
	for (i = 0; i < c.nspare; i++) {
		if (!c.spare[i])
			continue;
		c.trees[c.ntrees].name = (char *)c.spare[i]->file;
		c.trees[c.ntrees++].root = c.spare[i];
		c.spare[i] = NULL;
	}
	for (i = 0; i < ntrees; i++) {
		const struct kvv *vars = c.vars;

		c.vars = manifest_tree_vars(&c, trees[i]); /* an include's env_file */
		rc = load_file(&c, &st, trees[i], i);
		c.vars = vars;
		if (rc)
			goto out;
	}
	rc = project_name(&c, &st, opts, !n || errs->n + errs->dropped > start);
	if (rc || add_default_network(&c)) {
		rc = manifest_nomem(&c);
		goto out;
	}
	/* a service built without image: is tagged <project>-<service>, as Compose does */
	for (i = 0; p->name && i < p->nservices; i++) {
		struct service *s = &p->services[i];
		struct buf tag;

		if (!s->build.context || s->image)
			continue;
		buf_init(&tag, 512);
		if (buf_printf(&tag, "%s-%s", p->name, s->name) < 0 ||
		    !(s->image = buf_detach(&tag))) {
			buf_release(&tag);
			rc = manifest_nomem(&c);
			goto out;
		}
		for (char *q = s->image; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	}
	sort_project(p);
	if (manifest_mark_interpolated_secrets(&c) < 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	manifest_files_finish(&c);
	manifest_rollout_finish(&c);
	if (manifest_jobs_finish(&c) < 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (manifest_smoke_finish(&c) < 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	manifest_check(&c);
	rc = c.fatal;
out:
	if (!rc && errs->n + errs->dropped > start)
		rc = ERR_INVALID;
	if (!rc) {
		*out = p;
		p = NULL;
		if (opts && opts->disabled) {
			*opts->disabled = c.disabled;
			memset(&c.disabled, 0, sizeof(c.disabled));
		}
	}
	errlist_sort(errs);
	if (warns)
		errlist_sort(warns);
	refs_free(&c);
	for (i = c.nmanifests; i < c.ntrees; i++) {
		mnode_free(c.trees[i].root);
		if (c.trees[i].owned)
			free(c.trees[i].name);
	}
	for (i = 0; i < c.nspare; i++)
		mnode_free(c.spare[i]);
	free(c.spare);
	free(c.trees);
	kvv_free(&c.disabled);
	kvv_free(&c.dirs);
	manifest_incvars_free(&c);
	strv_free(&c.warned);
	for (i = 0; trees && i < ntrees; i++)
		mnode_free(trees[i]);
	free(trees);
	free(st.seen);
	free(st.name);
	model_project_free(p);
	return rc;
}

int manifest_load_texts(struct project **out, const char *const *names, const char *const *texts,
                        size_t n, const struct source *src, const struct manifest_opts *opts,
                        struct errlist *errs, struct errlist *warns)
{
	return load_texts(out, names, texts, NULL, n, src, opts, errs, warns);
}

int manifest_load(struct project **out, const struct source *src, const struct manifest_opts *opts,
                  struct errlist *errs, struct errlist *warns)
{
	struct manifest_opts o = *opts;
	struct manifest_vars dotenv_vars;
	struct strv dotenv_keys = { NULL, 0 }, dotenv_profiles = { NULL, 0 };
	struct err e = ERR_INIT;
	char **list = NULL, **texts = NULL, *dotenv = NULL;
	size_t n = 0, i, *lens = NULL;
	int rc;

	manifest_vars_init(&dotenv_vars);
	rc = manifest_project_files(&list, &n, &o.merge, src, opts, errs, warns);
	if (rc)
		return rc;
	if (n && (rc = manifest_dotenv_load(&dotenv_vars, &dotenv, &dotenv_keys, src, list[0], opts,
	                                    errs)))
		goto out;
	if (dotenv) {
		o.vars = &dotenv_vars;
		if (manifest_dotenv_profiles(&dotenv_profiles, &dotenv_vars, &dotenv_keys, opts)) {
			rc = errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
			goto out;
		}
		if (dotenv_profiles.n)
			o.profiles = &dotenv_profiles;
	}
	if (n > SOURCE_MAX_FILES) {
		rc = errlist_add(errs, ERR_INVALID, opts->dir, 0, 0,
		                 "too many manifest files (at most %u)", SOURCE_MAX_FILES);
		goto out;
	}
	texts = calloc(n ? n : 1, sizeof(*texts));
	lens = calloc(n ? n : 1, sizeof(*lens));
	if (!texts || !lens) {
		rc = errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = src->read(src->ctx, &texts[i], &lens[i], list[i], &e);
		if (rc) {
			if (!e.code)
				err_set_at(&e, rc, list[i], 0, 0, "cannot read file");
			else if (!e.src[0])
				snprintf(e.src, sizeof(e.src), "%s", list[i]);
			errlist_push(errs, &e);
			goto out;
		}
	}
	rc = load_texts(out, (const char *const *)list, (const char *const *)texts, lens, n, src,
	                &o, errs, warns);
	if (!rc && dotenv) {
		(*out)->dotenv = dotenv;
		(*out)->dotenv_keys = dotenv_keys;
		dotenv = NULL;
		dotenv_keys.v = NULL;
		dotenv_keys.n = 0;
	}
out:
	for (i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	source_list_free(list, n);
	free(dotenv);
	strv_free(&dotenv_keys);
	strv_free(&dotenv_profiles);
	manifest_vars_release(&dotenv_vars);
	return rc;
}
