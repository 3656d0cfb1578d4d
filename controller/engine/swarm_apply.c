/*
 * swarm_apply.c - run a Swarm plan: config and secret objects named by
 * content, overlay networks, then the services wave by wave (depends_on
 * levels), each wave gated on its tasks before the next starts. A failed
 * wave puts every service the run changed back to the complete spec it had
 * before (removed services are created again, created ones removed), then
 * waits for that. Objects no desired service uses are collected after a
 * successful run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/docker_swarm_ops.h"
#include "deployctl/sig.h"
#include "deployctl/swarm.h"

#define POLL_MS   250
#define SETTLE_MS 2000u
#define GONE_S    30u

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const struct docker_service *observed(const struct swarm_apply_opts *o, const char *id)
{
	size_t i;

	for (i = 0; id && i < o->nobserved; i++)
		if (!strcmp(o->observed[i].id, id))
			return &o->observed[i];
	return NULL;
}

/* Read a whole file (at most 1 MiB) into *out. */
static int read_file(char **out, size_t *len, const char *path, struct err *err)
{
	struct buf b;
	FILE *fp;
	char chunk[4096];
	size_t n;

	fp = fopen(path, "re");
	if (!fp)
		return err_set(err, ERR_IO, "cannot read '%s'", path);
	buf_init(&b, 1u << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(&b, chunk, n) < 0) {
			fclose(fp);
			buf_release(&b);
			return err_set(err, ERR_INVALID, "'%s' is larger than 1 MiB", path);
		}
	fclose(fp);
	*len = b.len;
	*out = buf_detach(&b);
	return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

/*
 * The content of a config or secret a service mounts: in the model, else
 * (a rollback from the store) the file apply wrote to files_dir by its
 * hash, else (file secrets) the host file.
 */
static int ref_content(char **out, size_t *len, const struct project_file *f,
                       const struct svc_file_ref *ref, const char *files_dir, struct err *err)
{
	char path[4096];

	if (f && f->content) {
		*out = malloc(f->content_len + 1);
		if (!*out)
			return err_set(err, ERR_NOMEM, "out of memory");
		memcpy(*out, f->content, f->content_len);
		*len = f->content_len;
		return 0;
	}
	if (f && f->file && !f->environment)
		return read_file(out, len, f->file, err);
	if (ref->host_file)
		return read_file(out, len, ref->host_file, err);
	if (files_dir && (size_t)snprintf(path, sizeof(path), "%s/%s", files_dir,
	                                  ref->content_hash) < sizeof(path))
		return read_file(out, len, path, err);
	return err_set(err, ERR_INVALID, "'%s' has no content to make a Swarm object of",
	               ref->source);
}

/*
 * Make sure each config (or secret) object the services svcs[0..nsvcs)
 * mount exists; ids: key -> "id\tname".
 */
static int ensure_objects_of(struct kvv *ids, struct strv *wanted, struct docker *d,
                             const struct project *p, const struct service *svcs, size_t nsvcs,
                             bool secrets, const char *files_dir, struct err *err)
{
	const char *kind = secrets ? "secrets" : "configs";
	struct docker_swarm_object *have = NULL;
	size_t nhave = 0, i, j, k;
	int rc;

	rc = docker_swarm_object_list(&have, &nhave, d, kind, p->name, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < nsvcs && rc == 0; i++) {
		const struct service *s = &svcs[i];
		size_t nref = secrets ? s->nsecrets : s->nconfigs;

		for (j = 0; j < nref && rc == 0; j++) {
			const struct svc_file_ref *ref = secrets ? &s->secrets[j] : &s->configs[j];
			const struct project_file *f =
			        secrets ? model_file_find(p->secrets, p->nsecrets, ref->source)
			                : model_file_find(p->configs, p->nconfigs, ref->source);
			char *name, *id = NULL, *data = NULL, *v = NULL;
			size_t len = 0;

			if (kvv_get(ids, ref->source))
				continue;
			name = swarm_object_name(p->name, ref->source, ref->content_hash);
			if (!name) {
				rc = err_set(err, ERR_NOMEM, "out of memory");
				break;
			}
			for (k = 0; k < nhave && !id; k++)
				if (!strcmp(have[k].name, name))
					id = strdup(have[k].id);
			if (!id && (rc = ref_content(&data, &len, f, ref, files_dir, err)) == 0)
				rc = docker_swarm_object_create(&id, d, kind, name, p->name, data,
				                                len, err);
			if (data) {
				memset(data, 0, len);
				free(data);
			}
			if (rc == 0) {
				size_t l = strlen(id) + strlen(name) + 2;

				v = malloc(l);
				if (v)
					snprintf(v, l, "%s\t%s", id, name);
				if (!v || kvv_set(ids, ref->source, v) < 0 ||
				    strv_push(wanted, name) < 0)
					rc = err_set(err, ERR_NOMEM, "out of memory");
			}
			free(v);
			free(id);
			free(name);
		}
	}
	docker_swarm_objects_free(have, nhave);
	return rc;
}

static int ensure_objects(struct kvv *ids, struct strv *wanted, struct docker *d,
                          const struct project *p, bool secrets, const char *files_dir,
                          struct err *err)
{
	return ensure_objects_of(ids, wanted, d, p, p->services, p->nservices, secrets, files_dir,
	                         err);
}

int swarm_job_objects(struct kvv *config_ids, struct kvv *secret_ids, struct docker *d,
                      const struct project *p, const struct service *job, const char *files_dir,
                      struct err *err)
{
	struct strv wanted = { 0 };
	int rc = 0;

	if (job->nconfigs)
		rc = ensure_objects_of(config_ids, &wanted, d, p, job, 1, false, files_dir, err);
	if (rc == 0 && job->nsecrets)
		rc = ensure_objects_of(secret_ids, &wanted, d, p, job, 1, true, files_dir, err);
	strv_free(&wanted);
	return rc;
}

/* Objects of the project that no desired service uses: removed; one still in use stays. */
static void collect(struct docker *d, const struct project *p, const char *kind,
                    const struct strv *wanted)
{
	struct docker_swarm_object *have = NULL;
	struct err err = ERR_INIT;
	size_t nhave = 0, i, k;

	if (docker_swarm_object_list(&have, &nhave, d, kind, p->name, &err) < 0)
		return;
	for (i = 0; i < nhave; i++) {
		bool keep = false;

		for (k = 0; k < wanted->n && !keep; k++)
			keep = !strcmp(wanted->v[k], have[i].name);
		if (!keep) {
			err = (struct err)ERR_INIT;
			docker_swarm_object_remove(d, kind, have[i].id, &err);
		}
	}
	docker_swarm_objects_free(have, nhave);
}

static size_t svc_index(const struct project *p, const struct service *s)
{
	return (size_t)(s - p->services);
}

/* Wait until the tasks of spec `hash` of service id run at `want`, old ones gone. */
static int gate(struct docker *d, const char *id, const char *name, const char *hash, unsigned want,
                bool healthcheck, unsigned timeout_s, const struct reconcile_progress *pg,
                const struct action *a, struct err *err)
{
	struct docker_task_summary t = { 0 };
	double t0 = clock_mono();
	unsigned attempt = 0;
	int rc;

	for (;;) {
		rc = docker_service_tasks(&t, d, id, hash, healthcheck ? 0 : SETTLE_MS, err);
		if (rc < 0)
			return rc;
		if (t.running >= want && t.running_long >= want && !t.others)
			return 0;
		if (t.failed >= 2)
			return err_set(
			        err, ERR_FAIL,
			        "service %s: %u task(s) of the new spec failed (%s); %u of %u "
			        "running",
			        name, t.failed, t.last_error[0] ? t.last_error : "no message",
			        t.running, want);
		if (clock_mono() - t0 > timeout_s)
			return err_set(
			        err, ERR_FAIL,
			        "service %s: %u of %u task(s) of the new spec running after %u "
			        "s%s%s",
			        name, t.running, want, timeout_s, t.last_error[0] ? ": " : "",
			        t.last_error);
		if (sig_pending())
			return err_set(err, ERR_STOPPED, "service %s: interrupted while waiting",
			               name);
		if (pg && pg->action_state)
			pg->action_state(pg->ctx, a, "waiting for tasks", ++attempt);
		sleep_ms(POLL_MS);
	}
}

static int run_one(char **new_id, struct docker *d, const struct project *p, const struct action *a,
                   const struct swarm_apply_opts *o, const struct kvv *config_ids,
                   const struct kvv *secret_ids, struct err *err)
{
	struct docker_service_want w = { 0 };
	size_t i;
	char *spec = NULL;
	int rc;

	if (a->kind == ACTION_REMOVE)
		return docker_service_remove(d, a->container_id, err);
	/* down: the project's overlay networks and (on this node) volumes */
	if (a->kind == ACTION_NETWORK_REMOVE)
		return docker_resource_remove(d, RES_NETWORK, a->container_id, err);
	if (a->kind == ACTION_VOLUME_REMOVE)
		return docker_resource_remove(d, RES_VOLUME, a->docker_name, err);
	if (a->kind == ACTION_NETWORK_CREATE) {
		const struct project_resource *n = model_res_find(p, RES_NETWORK, a->target);

		rc = docker_swarm_network_create(new_id, d, a->docker_name, p->name, a->target,
		                                 n && n->internal, err);
		if (rc == 0 && kvv_set(o->network_ids, a->target, *new_id) < 0)
			rc = err_set(err, ERR_NOMEM, "out of memory");
		return rc;
	}
	i = svc_index(p, a->service);
	w.project = p;
	w.service = a->service;
	w.name = a->container_name;
	w.image = o->images[i];
	w.release = o->release;
	w.spec_hash = o->hashes[i];
	w.task_hash = o->task_hashes[i];
	w.network_ids = o->network_ids;
	w.config_ids = config_ids;
	w.secret_ids = secret_ids;
	rc = docker_service_spec(&spec, &w, err);
	if (rc < 0)
		return rc;
	if (a->kind == ACTION_CREATE)
		rc = docker_service_create(new_id, d, spec, a->service->image, err);
	else
		rc = docker_service_update(d, a->container_id, 0, spec, a->service->image, err);
	free(spec);
	return rc;
}

/*
 * A removed service's tasks shut down after the remove returns, and Swarm
 * deletes them (with their containers, also the stopped ones of its task
 * history, which still hold volumes) only then: wait until none is listed
 * and this node has none of its containers left (bounded), so that its
 * networks and volumes can go next.
 */
static int gone(struct docker *d, const char *project, const struct action *a, struct err *err)
{
	double t0 = clock_mono();

	for (;;) {
		struct docker_task *t = NULL;
		size_t nt = 0, i, left = 0;
		int rc = docker_task_list(&t, &nt, d, project, a->target, err);

		for (i = 0; rc == 0 && i < nt; i++)
			left += !strcmp(t[i].service_id ? t[i].service_id : "", a->container_id);
		docker_tasks_free(t, nt);
		/* Its containers on this node go a moment after its tasks: those too. */
		if (rc == 0 && !left) {
			struct docker_container *c = NULL;
			size_t nc = 0;

			rc = docker_container_list(&c, &nc, d, project, err);
			for (i = 0; rc == 0 && i < nc; i++)
				left += c[i].service && !strcmp(c[i].service, a->target);
			docker_container_list_free(c, nc);
		}
		if (rc < 0 || !left)
			return rc;
		if (clock_mono() - t0 > GONE_S)
			return err_set(err, ERR_FAIL,
			               "service %s: %zu task(s) still there %u s after its removal",
			               a->container_name, left, GONE_S);
		if (sig_pending())
			return err_set(err, ERR_STOPPED, "service %s: interrupted while waiting",
			               a->container_name);
		sleep_ms(POLL_MS);
	}
}

/* Put back what action i changed; then wait for it (bounded). */
static int undo_one(struct docker *d, const struct swarm_apply_opts *o, const struct action *a,
                    struct reconcile_result *r, struct err *err)
{
	const struct docker_service *prev = observed(o, a->container_id);
	char *id = NULL;
	int rc = 0;

	if (a->kind == ACTION_CREATE && r->container_id)
		rc = docker_service_remove(d, r->container_id, err);
	else if (a->kind == ACTION_REPLACE && prev)
		rc = docker_service_update(d, prev->id, 0, prev->spec_json, NULL, err);
	else if (a->kind == ACTION_REMOVE && prev)
		rc = docker_service_create(&id, d, prev->spec_json, NULL, err);
	if (rc == 0 && prev && a->kind != ACTION_CREATE)
		rc = gate(d, id ? id : prev->id, prev->name,
		          prev->task_hash ? prev->task_hash : prev->spec_hash,
		          prev->global ? 1 : prev->replicas, true, 60, NULL, a, err);
	free(id);
	return rc;
}

int swarm_apply(struct docker *d, const struct project *p, const struct plan *plan,
                const struct swarm_apply_opts *o, struct reconcile_result *res, struct err *err)
{
	const struct reconcile_progress *pg = o->progress;
	struct kvv config_ids = { 0 }, secret_ids = { 0 };
	struct strv wanted_configs = { 0 }, wanted_secrets = { 0 };
	size_t i, start, end, k;
	int rc = 0;

	for (i = 0; i < plan->n; i++)
		res[i].rc = 1;
	rc = ensure_objects(&config_ids, &wanted_configs, d, p, false, o->files_dir, err);
	if (rc == 0)
		rc = ensure_objects(&secret_ids, &wanted_secrets, d, p, true, o->files_dir, err);
	for (start = 0; rc == 0 && start < plan->n; start = end) {
		for (end = start; end < plan->n && plan->v[end].level == plan->v[start].level;
		     end++)
			;
		/* the release's jobs whose time has come: before, after_dependencies */
		if (o->stage_hook && (rc = o->stage_hook(o->stage_ctx, start, err)) < 0)
			break;
		for (i = start; i < end && rc == 0; i++) {
			const struct action *a = &plan->v[i];

			if (sig_pending()) {
				rc = err_set(err, ERR_STOPPED, "interrupted");
				break;
			}
			if (pg && pg->action_started)
				pg->action_started(pg->ctx, a);
			res[i].rc = run_one(&res[i].container_id, d, p, a, o, &config_ids,
			                    &secret_ids, &res[i].err);
			if (res[i].rc < 0) {
				rc = res[i].rc;
				*err = res[i].err;
				if (pg && pg->action_done)
					pg->action_done(pg->ctx, a, &res[i].err);
			}
		}
		/*
		 * The wave's gate: every service it created or updated, also after one
		 * failed (as a container stage finishes its other actions), so each is
		 * reported with its own outcome.
		 */
		for (i = start; i < end; i++) {
			const struct action *a = &plan->v[i];
			double t0 = clock_mono();
			unsigned timeout;

			if (res[i].rc != 0)
				continue;
			if (a->service) {
				unsigned want = a->service->replicas;

				if (a->service->deploy_mode &&
				    docker_swarm_nodes_ready(&want, d, &res[i].err) < 0) {
					res[i].rc = res[i].err.code;
					if (rc == 0) {
						rc = res[i].rc;
						*err = res[i].err;
					}
					if (pg && pg->action_done)
						pg->action_done(pg->ctx, a, &res[i].err);
					continue;
				}
				timeout = o->gate_timeout_s ? o->gate_timeout_s
				          : a->service->rollout.timeout_ns
				                  ? (unsigned)(a->service->rollout.timeout_ns /
				                               1000000000)
				                  : 60;
				res[i].rc = gate(
				        d,
				        res[i].container_id ? res[i].container_id : a->container_id,
				        a->container_name, o->task_hashes[svc_index(p, a->service)],
				        want, a->service->health.set && !a->service->health.disable,
				        timeout, pg, a, &res[i].err);
				res[i].up_s = clock_mono() - t0;
			} else if (a->kind == ACTION_REMOVE) {
				res[i].rc = gone(d, p->name, a, &res[i].err);
			}
			if (res[i].rc < 0 && rc == 0) {
				rc = res[i].rc;
				*err = res[i].err;
			}
			if (pg && pg->action_done)
				pg->action_done(pg->ctx, a, res[i].rc < 0 ? &res[i].err : NULL);
		}
	}
	/* after the last wave: the after jobs, then the smoke checks */
	if (rc == 0 && o->stage_hook && !sig_pending())
		rc = o->stage_hook(o->stage_ctx, plan->n, err);
	if (rc == 0 && o->verify && !sig_pending())
		rc = o->verify(o->verify_ctx, err);
	if (rc < 0 && !o->no_rollback) {
		/* every service the run changed, newest first */
		for (k = plan->n; k-- > 0;) {
			struct err uerr = ERR_INIT;

			if (res[k].rc == 1 || plan->v[k].kind == ACTION_NETWORK_CREATE)
				continue;
			if (res[k].rc < 0 && plan->v[k].kind != ACTION_REPLACE &&
			    !res[k].container_id)
				continue;
			if (undo_one(d, o, &plan->v[k], &res[k], &uerr) == 0) {
				res[k].undone = true;
			} else {
				res[k].undo_failed = true;
				if (res[k].rc == 0) {
					res[k].rc = uerr.code;
					res[k].err = uerr;
				}
			}
		}
	}
	if (rc == 0) {
		collect(d, p, "configs", &wanted_configs);
		collect(d, p, "secrets", &wanted_secrets);
	}
	kvv_free(&config_ids);
	kvv_free(&secret_ids);
	strv_free(&wanted_configs);
	strv_free(&wanted_secrets);
	return rc;
}
