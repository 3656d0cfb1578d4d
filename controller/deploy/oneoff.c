/*
 * oneoff.c - running one-off containers: the image (local or pulled), the
 * networks (their Docker IDs), the container's life (create, start, wait
 * within a timeout, read the output, remove whatever happened), and the
 * removal of those a killed run left. Release jobs (jobs.c) and in-network
 * smoke checks (smoke_net.c) both run through here, so there is one set of
 * labels and one leftover rule.
 */
#include "deployctl/oneoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/clock.h"
#include "deployctl/log.h"
#include "deployctl/sig.h"

int oneoff_image(struct oneoff *o, struct service *s, const char *who, bool quiet, struct err *err)
{
	const char *refs[1] = { s->image };
	char *ids[1] = { NULL }, *digest = NULL;
	int rc = docker_image_resolve(ids, o->docker, refs, 1, err);

	if (rc == 0 && !ids[0]) {
		if (!quiet) {
			printf("%s: pulling %s\n", who, s->image);
			fflush(stdout);
		}
		rc = docker_image_pull(&ids[0], &digest, o->docker, s->image, NULL, err);
	}
	if (rc == 0) {
		free(s->image_id);
		s->image_id = ids[0];
		ids[0] = NULL;
	}
	free(ids[0]);
	free(digest);
	return rc;
}

int oneoff_networks(struct oneoff *o, const struct service *s, struct err *err)
{
	struct docker_resource *nets = NULL;
	const struct project *p = o->project;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < s->nnetworks; i++)
		if (!kvv_get(o->network_ids, s->networks[i].name))
			break;
	if (i == s->nnetworks)
		return 0;
	rc = docker_resource_list(&nets, &n, o->docker, RES_NETWORK, p->name, err);
	for (i = 0; rc == 0 && i < s->nnetworks; i++) {
		const char *key = s->networks[i].name;
		const struct project_resource *pn = model_res_find(p, RES_NETWORK, key);
		const struct docker_resource *own;
		char *name = model_res_docker_name(p, RES_NETWORK, key), *id = NULL;

		if (!name || !pn) {
			free(name);
			rc = name ? err_set(err, ERR_INVALID, "network '%s' is not declared", key)
			          : err_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		if (kvv_get(o->network_ids, key)) {
			free(name);
			continue;
		}
		if (pn->external)
			rc = docker_resource_lookup(&id, o->docker, RES_NETWORK, name, err);
		else if ((own = docker_resource_find(nets, n, key, name)) != NULL)
			id = strdup(own->id);
		if (rc == 0 && !id)
			rc = err_set(err, ERR_NOTFOUND, "network %s does not exist", name);
		if (rc == 0 && kvv_set(o->network_ids, key, id) < 0)
			rc = err_set(err, ERR_NOMEM, "out of memory");
		free(id);
		free(name);
	}
	docker_resource_list_free(nets, n);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && !sig_pending())
		;
}

/* Wait for container id to exit, at most timeout_ns; then it is killed. */
static int wait_exit(struct oneoff_outcome *out, struct oneoff *o, const char *id,
                     int64_t timeout_ns, struct err *err)
{
	double t0 = clock_mono(), limit = (double)timeout_ns / 1e9;
	struct docker_container_state st = { 0 };
	struct err ignored = ERR_INIT;
	long pause = 20;
	int rc;

	for (;;) {
		rc = docker_container_inspect_state(&st, o->docker, id, err);
		if (rc < 0)
			return rc;
		if (!strcmp(st.status, "exited") || !strcmp(st.status, "dead")) {
			out->exit_code = st.exit_code;
			docker_container_state_release(&st);
			return 0;
		}
		docker_container_state_release(&st);
		if (clock_mono() - t0 >= limit || sig_pending())
			break;
		sleep_ms(pause);
		pause = pause < 400 ? pause * 2 : 500;
	}
	docker_container_stop(o->docker, id, 0, &ignored);
	out->timed_out = true;
	if (sig_pending())
		return err_set(err, ERR_STOPPED, "interrupted by %s", sig_name(sig_pending()));
	return err_set(err, ERR_FAIL, "timed out after %.0fs and was killed", limit);
}

int oneoff_run(struct oneoff_outcome *out, struct oneoff *o, const struct service *s,
               const char *name, const char *label, int64_t timeout_ns, unsigned log_lines,
               struct err *err)
{
	struct docker_create c = {
		.project = o->project,
		.service = s,
		.name = name,
		.release = o->release,
		.job = label,
		.owner = o->owner,
		.owner_host = o->owner_host,
		.owner_state = o->owner_state,
		.network_ids = o->network_ids,
		.files_dir = o->files_dir,
	};
	struct err ignored = ERR_INIT;
	double t0 = clock_mono();
	char *id = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	rc = docker_container_create(&id, o->docker, &c, err);
	if (rc == 0)
		rc = docker_container_start(o->docker, id, err);
	if (rc == 0)
		rc = wait_exit(out, o, id, timeout_ns, err);
	out->took = clock_mono() - t0;
	if (id) {
		if (docker_container_logs_tail(&out->output, o->docker, id, log_lines, &ignored) <
		    0)
			out->output = NULL;
		docker_container_remove(o->docker, id, DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES,
		                        &ignored);
	}
	free(id);
	return rc;
}

void oneoff_outcome_release(struct oneoff_outcome *out)
{
	free(out->output);
	out->output = NULL;
}

void oneoff_remove_leftovers(struct oneoff *o)
{
	const char *me = o->owner;
	struct docker_container *v = NULL;
	struct err ignored = ERR_INIT;
	size_t i, n = 0;

	if (docker_job_list(&v, &n, o->docker, o->project->name, &ignored) < 0)
		return;
	for (i = 0; i < n; i++)
		if (!me || !v[i].owner || strcmp(v[i].owner, me))
			log_info(
			        "one-off container %s is not this state's (owner %.12s): left alone",
			        v[i].name, v[i].owner ? v[i].owner : "none");
		else if (docker_container_remove(o->docker, v[i].id,
		                                 DOCKER_REMOVE_FORCE | DOCKER_REMOVE_VOLUMES,
		                                 &ignored) == 0)
			log_info("removed one-off container %s left by an earlier run", v[i].name);
	docker_container_list_free(v, n);
}
