/*
 * manifest_jobs.c - x-deployctl.jobs: one-off containers run at a phase of
 * a release (a backup before, a migration once its database is up, ...).
 * A job is read by a key table like a service's: the keys it shares with
 * a service (image, command, entrypoint, environment, env_file, volumes,
 * networks, configs, secrets, user, working_dir, labels, init) are rows
 * naming the service readers, so they mean exactly what they mean under
 * services:; the job's own keys (phase, needs, timeout, artifact,
 * irreversible) are read here. Unknown keys are refused.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

#define JOB_MAX         64
#define JOB_TIMEOUT_MAX (24LL * 3600 * 1000000000LL)

static bool job_image_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
			return false;
	return i > 0;
}

static bool job_absolute_ok(const char *s)
{
	return s[0] == '/';
}

#define JSVC(field) offsetof(struct service, field)

/* clang-format off */
static const struct manifest_key job_keys[] = {
	{ .key = "artifact", .kind = MK_LATER },
	{ .key = "command", .kind = MK_CUSTOM, .fn = manifest_key_command },
	{ .key = "configs", .kind = MK_CUSTOM, .fn = manifest_key_configs },
	{ .key = "entrypoint", .kind = MK_CUSTOM, .fn = manifest_key_entrypoint },
	{ .key = "env_file", .kind = MK_LATER },
	{ .key = "environment", .kind = MK_LATER },
	{ .key = "image", .kind = MK_STRING, .offset = JSVC(image), .valid = job_image_ok, .what = "invalid image reference" },
	{ .key = "init", .kind = MK_BOOL, .offset = JSVC(init) },
	{ .key = "irreversible", .kind = MK_LATER },
	{ .key = "labels", .kind = MK_PAIRS, .offset = JSVC(labels) },
	{ .key = "needs", .kind = MK_LATER },
	{ .key = "networks", .kind = MK_CUSTOM, .fn = manifest_key_networks },
	{ .key = "phase", .kind = MK_LATER },
	{ .key = "secrets", .kind = MK_CUSTOM, .fn = manifest_key_secrets },
	{ .key = "timeout", .kind = MK_LATER },
	{ .key = "user", .kind = MK_STRING, .offset = JSVC(user) },
	{ .key = "volumes", .kind = MK_CUSTOM, .fn = manifest_key_volumes },
	{ .key = "working_dir", .kind = MK_STRING, .offset = JSVC(working_dir), .valid = job_absolute_ok,
	  .what = "invalid working_dir", .hint = "use an absolute path" },
	{ .key = NULL },
};
/* clang-format on */

static const char job_keys_hint[] =
        "a job takes phase, image, command, entrypoint, environment, env_file, volumes, "
        "networks, needs, timeout, artifact, irreversible, configs, secrets, user, "
        "working_dir, labels, init";

/* The job's own keys (the MK_LATER rows but env). */
static int job_own_key(struct manifest_ctx *c, struct project_job *j, const char *k,
                       const struct mnode *v, const char *path)
{
	char *s = NULL, q[80];
	int rc = 0, ph;
	size_t i;

	if (!strcmp(k, "phase")) {
		rc = manifest_string(c, &s, v, path);
		if (rc)
			return rc;
		ph = model_job_phase_parse(s);
		if (ph < 0) {
			manifest_error(
			        c, v, path,
			        "invalid phase \"%s\": use before, after_dependencies, after "
			        "or rollback",
			        manifest_quote(q, sizeof(q), v));
			rc = ERR_INVALID;
		} else {
			j->phase = (enum job_phase)ph;
		}
		free(s);
		return rc;
	}
	if (!strcmp(k, "timeout")) {
		rc = manifest_duration(c, &j->timeout_ns, v, path);
		if (rc == 0 && (j->timeout_ns <= 0 || j->timeout_ns > JOB_TIMEOUT_MAX)) {
			manifest_error(c, v, path,
			               "a job's timeout is more than 0s and at most 24h");
			rc = ERR_INVALID;
		}
		return rc;
	}
	if (!strcmp(k, "irreversible"))
		return manifest_bool(c, &j->irreversible, v, path);
	if (!strcmp(k, "artifact")) {
		rc = manifest_set_string(c, &j->artifact, v, path);
		if (rc == 0 && j->artifact[0] != '/') {
			manifest_error(c, v, path,
			               "an artifact is an absolute path in the job's container");
			rc = ERR_INVALID;
		}
		return rc;
	}
	/* needs: the services that must be up; checked once every file is read. */
	rc = manifest_strings(c, &j->needs, v, path, true);
	for (i = 0; rc == 0 && mnode_is_null(v) == false && i < j->needs.n; i++) {
		char ipath[MANIFEST_PATH_MAX];
		const struct mnode *at = v->type == MNODE_SEQ && i < v->n ? v->items[i] : v;

		manifest_path_index(ipath, sizeof(ipath), path, i);
		rc = manifest_ref_add(c, MANIFEST_REF_JOB_NEEDS, j->svc.name, j->needs.v[i],
		                      v->type == MNODE_SEQ ? ipath : path, at);
	}
	strv_sort(&j->needs);
	return rc;
}

/* Cross-key rules of one job (key: its name's node, val: its mapping). */
static void job_check(struct manifest_ctx *c, struct project_job *j, const struct mnode *key,
                      const struct mnode *val, const char *jpath)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *x;

	if (!mnode_get(val, "phase"))
		manifest_error(c, key, jpath,
		               "a job needs phase: before, after_dependencies, after or rollback");
	if (!mnode_get(val, "image"))
		manifest_error(c, key, jpath, "a job needs image:");
	x = mnode_get(val, "needs");
	if (x && j->phase != JOB_AFTER_DEPENDENCIES && mnode_get(val, "phase"))
		manifest_error(c, x, manifest_path_key(kpath, sizeof(kpath), jpath, "needs"),
		               "only a job of phase after_dependencies has needs:");
	if (!x && j->phase == JOB_AFTER_DEPENDENCIES)
		manifest_error(c, key, jpath,
		               "a job of phase after_dependencies needs needs: (the services that "
		               "must be up first)");
}

/* env_file:, then environment:, read as a service's. */
static int job_env(struct manifest_ctx *c, struct service *s, const struct mnode *val,
                   const char *jpath)
{
	char kpath[MANIFEST_PATH_MAX];
	const struct mnode *x;
	int rc = 0;

	if ((x = mnode_get(val, "env_file")) && !mnode_is_null(x))
		rc = manifest_service_env_files(
		        c, &s->env, x, manifest_path_key(kpath, sizeof(kpath), jpath, "env_file"));
	if (rc != ERR_NOMEM && (x = mnode_get(val, "environment"))) {
		c->from = &s->env_from;
		rc = manifest_service_environment(
		        c, &s->env, x,
		        manifest_path_key(kpath, sizeof(kpath), jpath, "environment"));
		c->from = NULL;
	}
	return rc;
}

static int job_read(struct manifest_ctx *c, struct project_job *j, const struct mnode *key,
                    const struct mnode *val, const char *jpath)
{
	char kpath[MANIFEST_PATH_MAX];
	struct svc_network *net;
	size_t i;
	int rc = 0;

	j->svc.loc.file = key->file;
	j->svc.loc.line = key->line;
	j->svc.loc.col = key->col;
	j->svc.replicas = 1;
	j->svc.stop_grace_ns = -1;
	manifest_rollout_init(&j->svc.rollout);
	if (manifest_expect(c, val, MNODE_MAP, jpath))
		return 0;
	c->used_vars = &j->svc.vars_elsewhere;
	for (i = 0; i < val->n && rc != ERR_NOMEM; i++) {
		const char *k = val->keys[i]->value;
		const struct manifest_key *row = manifest_key_find(job_keys, k);

		manifest_path_key(kpath, sizeof(kpath), jpath, k);
		if (!strncmp(k, "x-", 2))
			continue;
		if (!row)
			manifest_error(c, val->keys[i], jpath, "unknown key '%s': %s", k,
			               job_keys_hint);
		else if (row->kind != MK_LATER)
			rc = manifest_read_key(c, row, &j->svc, val->keys[i], val->items[i], kpath);
		else if (strcmp(k, "environment") && strcmp(k, "env_file"))
			rc = job_own_key(c, j, k, val->items[i], kpath);
	}
	c->used_vars = NULL;
	if (rc == ERR_NOMEM || job_env(c, &j->svc, val, jpath) == ERR_NOMEM)
		return ERR_NOMEM;
	job_check(c, j, key, val, jpath);
	if (!j->svc.nnetworks &&
	    manifest_network_add(c, &j->svc, key, jpath, "default", &net) == ERR_NOMEM)
		return ERR_NOMEM;
	return 0;
}

int manifest_load_jobs(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	char jpath[MANIFEST_PATH_MAX];
	struct project_job *nj, *j;
	size_t i;

	if (mnode_is_null(n) || manifest_expect(c, n, MNODE_MAP, path))
		return 0;
	for (i = 0; i < n->n; i++) {
		const char *name = n->keys[i]->value;
		const struct project_job *old = model_job_find(c->p, name);

		manifest_path_key(jpath, sizeof(jpath), path, name);
		if (!manifest_name_ok(name)) {
			manifest_error(
			        c, n->keys[i], path,
			        "invalid job name '%s': use letters, digits, '_', '.' and '-'",
			        name);
			continue;
		}
		if (old) {
			manifest_error(c, n->keys[i], jpath,
			               "job '%s' is defined twice (first at %s:%u:%u)", name,
			               old->svc.loc.file, old->svc.loc.line, old->svc.loc.col);
			continue;
		}
		if (c->p->njobs >= JOB_MAX) {
			manifest_error(c, n->keys[i], path, "more than %d jobs", JOB_MAX);
			break;
		}
		nj = realloc(c->p->jobs, (c->p->njobs + 1) * sizeof(*nj));
		if (!nj)
			return manifest_nomem(c);
		c->p->jobs = nj;
		j = &nj[c->p->njobs++];
		memset(j, 0, sizeof(*j));
		if (!(j->svc.name = strdup(name)))
			return manifest_nomem(c);
		if (job_read(c, j, n->keys[i], n->items[i], jpath) == ERR_NOMEM)
			return ERR_NOMEM;
	}
	return 0;
}

bool manifest_jobs_use_default(const struct project *p)
{
	size_t i, k;

	for (i = 0; i < p->njobs; i++)
		for (k = 0; k < p->jobs[i].svc.nnetworks; k++)
			if (!strcmp(p->jobs[i].svc.networks[k].name, "default"))
				return true;
	return false;
}

static int job_cmp(const void *a, const void *b)
{
	return strcmp(((const struct project_job *)a)->svc.name,
	              ((const struct project_job *)b)->svc.name);
}

/* A job's configs and secrets get what the spec of a service's would: hash, host file. */
static int fill_refs(struct manifest_ctx *c, struct svc_file_ref *refs, size_t n,
                     const struct project_file *files, size_t nfiles)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < nfiles; k++) {
			if (strcmp(refs[i].source, files[k].name))
				continue;
			memcpy(refs[i].content_hash, files[k].content_hash,
			       sizeof(refs[i].content_hash));
			if (files[k].file && !files[k].content && !refs[i].host_file &&
			    !(refs[i].host_file = strdup(files[k].file)))
				return manifest_nomem(c);
		}
	return 0;
}

int manifest_jobs_finish(struct manifest_ctx *c)
{
	struct project *p = c->p;
	size_t i;

	for (i = 0; i < c->nrefs; i++) {
		const struct manifest_ref *r = &c->refs[i];

		if (r->kind != MANIFEST_REF_JOB_NEEDS || model_service_find(p, r->name))
			continue;
		errlist_add(c->errs, ERR_INVALID, r->loc.file, r->loc.line, r->loc.col,
		            "%s: unknown service '%s'%s", r->path, r->name,
		            kvv_get(&c->disabled, r->name) ? " (not enabled by the profiles)" : "");
	}
	for (i = 0; i < p->njobs; i++) {
		struct project_job *j = &p->jobs[i];

		if (fill_refs(c, j->svc.configs, j->svc.nconfigs, p->configs, p->nconfigs) < 0 ||
		    fill_refs(c, j->svc.secrets, j->svc.nsecrets, p->secrets, p->nsecrets) < 0)
			return ERR_NOMEM;
	}
	if (p->njobs > 1)
		qsort(p->jobs, p->njobs, sizeof(*p->jobs), job_cmp);
	return 0;
}

/* The keys a job shares with a service, rendered by the service rows, in key order. */
static const char *const shared_keys[] = { "command", "configs", "entrypoint", "environment",
	                                   "image",   "init",    "labels",     "networks",
	                                   "secrets", "user",    "volumes",    "working_dir" };

void manifest_render_jobs(struct manifest_render *r, struct mnode *root)
{
	const struct project *p = r->p;
	struct mnode *x, *jobs, *m;
	size_t i, k;

	if (!p->njobs || !root)
		return;
	x = (struct mnode *)mnode_get(root, "x-deployctl");
	if (!x)
		x = manifest_render_map(r, root, "x-deployctl");
	jobs = manifest_render_map(r, x, "jobs");
	for (i = 0; jobs && i < p->njobs; i++) {
		const struct project_job *j = &p->jobs[i];

		m = manifest_render_map(r, jobs, j->svc.name);
		manifest_render_str(r, m, "phase", model_job_phase_name(j->phase));
		for (k = 0; m && k < sizeof(shared_keys) / sizeof(shared_keys[0]); k++)
			manifest_render_row(
			        r, m, manifest_key_find(manifest_service_keys(), shared_keys[k]),
			        &j->svc);
		manifest_render_list(r, m, "needs", &j->needs, false);
		manifest_render_duration(r, m, "timeout",
		                         j->timeout_ns > 0 ? j->timeout_ns
		                                           : JOB_TIMEOUT_DEFAULT_NS);
		manifest_render_str(r, m, "artifact", j->artifact);
		if (j->irreversible)
			manifest_render_bool(r, m, "irreversible", true);
	}
}
