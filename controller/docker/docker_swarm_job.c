/*
 * docker_swarm_job.c - release jobs as Swarm one-offs: the job services of
 * a project (listed by LABEL_PROJECT, kept by LABEL_JOB), the outcome of a job
 * service's task (state, exit code, error), its output from
 * /services/{id}/logs, and the check of what a job cannot be on Swarm. The
 * spec itself is docker_service_spec() with want.job set.
 */
#include "deployctl/docker_swarm_job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/docker_swarm.h"
#include "docker_internal.h"
#include "docker_json.h"

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

/* One entry of GET /services: ID, name and the labels that identify a job's service. */
static int decode_job_service(void *elem, json_t *o, struct err *err)
{
	struct docker_job_service *js = elem;
	json_t *spec = json_object_get(o, "Spec"), *labels = json_object_get(spec, "Labels");

	if (docker_dup_str(&js->id, o, "ID", err) < 0 ||
	    docker_dup_str(&js->name, spec, "Name", err) < 0 ||
	    docker_dup_label(&js->job, labels, LABEL_JOB, err) < 0 ||
	    docker_dup_label(&js->release, labels, LABEL_RELEASE, err) < 0 ||
	    docker_dup_label(&js->owner, labels, LABEL_OWNER, err) < 0)
		return err->code;
	return 0;
}

static void job_service_release(void *elem)
{
	struct docker_job_service *js = elem;

	free(js->id);
	free(js->name);
	free(js->job);
	free(js->release);
	free(js->owner);
}

static const struct docker_list_decoder job_service_list = {
	"/services",        "services",          NULL, sizeof(struct docker_job_service),
	decode_job_service, job_service_release,
};

void docker_job_services_free(struct docker_job_service *v, size_t n)
{
	docker_list_free(v, n, &job_service_list);
}

int docker_job_service_list(struct docker_job_service **out, size_t *n, struct docker *d,
                            const char *project, struct err *err)
{
	struct docker_job_service *v = NULL;
	size_t i, k = 0, cnt = 0;
	int rc = docker_list_fetch((void **)&v, &cnt, d, &job_service_list, "", project, err);

	if (rc < 0)
		return rc;
	/* the project's services are listed too: keep its jobs' (LABEL_JOB) */
	for (i = 0; i < cnt; i++)
		if (v[i].job && v[i].id && v[i].name)
			v[k++] = v[i];
		else
			job_service_release(&v[i]);
	*out = v;
	*n = k;
	return 0;
}

/* States a task never leaves (Engine API: TaskState). */
static bool final_state(const char *s)
{
	static const char *const fin[] = { "complete", "failed",   "rejected",
		                           "shutdown", "orphaned", "remove" };
	size_t i;

	for (i = 0; i < sizeof(fin) / sizeof(fin[0]); i++)
		if (!strcmp(s, fin[i]))
			return true;
	return false;
}

int docker_job_task_state(struct docker_job_task *out, struct docker *d, const char *service_id,
                          struct err *err)
{
	struct buf path;
	json_t *root = NULL, *t, *last = NULL;
	const char *last_at = "";
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	buf_init(&path, 0);
	if (buf_puts(&path, "/tasks?") < 0) {
		rc = nomem(err);
		goto out;
	}
	{
		const char *ids[] = { service_id };

		if (docker_filter_query(&path, "service", ids, 1) < 0) {
			rc = nomem(err);
			goto out;
		}
	}
	rc = docker_get_json(&root, d, path.ptr, "list job tasks", "/tasks", JSON_ARRAY, err);
	if (rc < 0)
		goto out;
	/* TotalCompletions 1, restart none: one task; the newest wins should there be more */
	json_array_foreach(root, i, t)
	{
		const char *at = json_string_value(json_object_get(t, "CreatedAt"));

		if (!last || (at && strcmp(at, last_at) > 0)) {
			last = t;
			last_at = at ? at : "";
		}
	}
	if (last) {
		json_t *st = json_object_get(last, "Status");
		json_t *cs = json_object_get(st, "ContainerStatus");
		json_t *code = json_object_get(cs, "ExitCode");
		const char *state = json_string_value(json_object_get(st, "State"));
		const char *msg = json_string_value(json_object_get(st, "Err"));

		if (!msg || !*msg)
			msg = json_string_value(json_object_get(st, "Message"));
		snprintf(out->state, sizeof(out->state), "%s", state ? state : "");
		snprintf(out->message, sizeof(out->message), "%s", msg ? msg : "");
		out->done = state && final_state(state);
		/* a container that ran has an ID; a rejected task (no image) has none */
		if (json_is_integer(code) &&
		    json_string_value(json_object_get(cs, "ContainerID"))) {
			out->exited = true;
			out->exit_code = (int)json_integer_value(code);
		}
	}
	rc = 0;
out:
	json_decref(root);
	buf_release(&path);
	return rc;
}

int docker_job_logs_tail(char **out, struct docker *d, const char *service_id, unsigned lines,
                         struct err *err)
{
	struct buf resp, path, text;
	int rc;

	buf_init(&resp, 1u << 20);
	buf_init(&path, 0);
	buf_init(&text, 1u << 20);
	if (buf_puts(&path, "/services/") < 0 || docker_path_encode(&path, service_id, "") < 0 ||
	    buf_printf(&path, "/logs?stdout=1&stderr=1&tail=%u", lines) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "service logs", err);
	if (rc < 0)
		goto out;
	if (docker_logs_demux(&text, &resp) < 0) {
		rc = nomem(err);
		goto out;
	}
	*out = buf_detach(&text);
	rc = *out ? 0 : nomem(err);
out:
	buf_release(&text);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_swarm_job_check(const struct service *job, struct err *err)
{
	const struct loc *l = &job->loc;
	size_t i;

	/* a job has no network_mode, privileged, ...: its keys (manifest_jobs.c) leave only this */
	for (i = 0; i < job->nmounts; i++) {
		const struct svc_mount *m = &job->mounts[i];

		if (m->type == MOUNT_BIND &&
		    (m->content_hash[0] || m->host || !m->source || m->source[0] != '/'))
			return err_set_at(
			        err, ERR_INVALID, l->file ? l->file : "", l->line, l->col,
			        "x-deployctl.jobs.%s.volumes: a bind from the repository or "
			        "a relative path cannot reach the node a Swarm job runs on: "
			        "use a config, or an absolute host path",
			        job->name);
	}
	return 0;
}
