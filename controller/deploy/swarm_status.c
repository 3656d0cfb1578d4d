/*
 * swarm_status.c - "deployctl status" on a project whose releases went to
 * Swarm: per service the desired and running task counts (running tasks
 * of a service with a healthcheck are healthy ones: Swarm holds a task in
 * "starting" until its check passes), the pinned image, whether its
 * spec-hash label is what the release recorded, and the nodes its tasks
 * run on. One filtered /services list and one /tasks list; the nodes are
 * shown by ID, as listing them would be a third call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/docker_swarm_ops.h"
#include "deployctl/out.h"

int deploy_swarm_project(bool *out, struct ctx *ctx, const char *project)
{
	struct err err = ERR_INIT;
	int64_t latest = 0;
	char *target = NULL;

	*out = false;
	if (store_release_latest(&latest, ctx->store, project, NULL, &err) < 0 ||
	    (latest && store_release_target(&target, ctx->store, latest, &err) < 0)) {
		cmd_report(&err);
		return EXIT_STATE;
	}
	*out = target && !strcmp(target, "swarm");
	free(target);
	return EXIT_OK;
}

/* What one service's tasks add up to. */
struct svc_count {
	unsigned desired; /* tasks meant to run: Replicas, or a global service's desired ones */
	unsigned running; /* running, of the service's current container spec */
	unsigned stale;   /* running, of another spec (an update under way) */
	unsigned starting;
	unsigned failed; /* failed or rejected, still listed */
	const struct docker_task *last_failed;
};

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void count_tasks(struct svc_count *c, const struct docker_service *s,
                        const struct docker_task *t, size_t nt)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < nt; i++) {
		if (!is(t[i].service_id, s->id))
			continue;
		if (s->global && is(t[i].desired, "running"))
			c->desired++;
		if (is(t[i].state, "running") && is(t[i].desired, "running")) {
			if (!s->task_hash || is(t[i].spec_hash, s->task_hash))
				c->running++;
			else
				c->stale++;
		} else if (is(t[i].desired, "running") && docker_task_active(&t[i])) {
			c->starting++;
		} else if (is(t[i].state, "failed") || is(t[i].state, "rejected")) {
			c->failed++;
			if (!c->last_failed || t[i].since > c->last_failed->since)
				c->last_failed = &t[i];
		}
	}
	if (!s->global)
		c->desired = s->replicas;
}

/* "abcdef123456 x2, 0123456789ab": the nodes the running tasks are on. */
static void nodes_text(char *out, size_t size, const struct docker_service *s,
                       const struct docker_task *t, size_t nt)
{
	size_t i, k, len = 0;

	out[0] = '\0';
	for (i = 0; i < nt && len + 20 < size; i++) {
		unsigned same = 0;
		bool seen = false;

		if (!is(t[i].service_id, s->id) || !is(t[i].state, "running") || !t[i].node_id)
			continue;
		for (k = 0; k < i && !seen; k++)
			seen = is(t[k].service_id, s->id) && is(t[k].state, "running") &&
			       is(t[k].node_id, t[i].node_id);
		if (seen)
			continue;
		for (k = i; k < nt; k++)
			same += is(t[k].service_id, s->id) && is(t[k].state, "running") &&
			        is(t[k].node_id, t[i].node_id);
		len += (size_t)snprintf(out + len, size - len, "%s%.12s", len ? "," : "",
		                        t[i].node_id);
		if (same > 1 && len + 8 < size)
			len += (size_t)snprintf(out + len, size - len, " x%u", same);
	}
	if (!out[0])
		snprintf(out, size, "-");
}

static const char *health_text(char *buf, size_t size, const struct svc_count *c,
                               const struct docker_service_view *v)
{
	if (!v->healthcheck)
		return "no check";
	if (c->running >= c->desired && !c->starting)
		return "healthy";
	snprintf(buf, size, "%u/%u", c->running, c->desired);
	return buf;
}

static void json_task(const struct docker_task *t, bool first)
{
	fputs(first ? "{\"id\":" : ",{\"id\":", stdout);
	out_json_str(stdout, t->id);
	fprintf(stdout, ",\"slot\":%u,\"node\":", t->slot);
	out_json_str(stdout, t->node_id);
	out_json_field(stdout, "state", t->state);
	out_json_field(stdout, "desired", t->desired);
	out_json_field(stdout, "container", t->container_id);
	out_json_field(stdout, "spec_hash", t->spec_hash);
	out_json_field(stdout, "error", t->error && *t->error ? t->error : NULL);
	fputc('}', stdout);
}

static void json_service(const struct docker_service *s, const struct docker_service_view *v,
                         const struct svc_count *c, bool match, const struct docker_task *t,
                         size_t nt, bool first)
{
	char *end = NULL;
	long long rel = s->release ? strtoll(s->release, &end, 10) : 0;
	size_t i;
	bool tfirst = true;

	fputs(first ? "{\"service\":" : ",{\"service\":", stdout);
	out_json_str(stdout, s->service);
	out_json_field(stdout, "name", s->name);
	out_json_field(stdout, "id", s->id);
	fprintf(stdout,
	        ",\"mode\":\"%s\",\"desired\":%u,\"running\":%u,\"starting\":%u,\"stale\":%u,"
	        "\"failed\":%u,\"healthcheck\":%s,\"healthy\":",
	        s->global ? "global" : "replicated", c->desired, c->running, c->starting, c->stale,
	        c->failed, v->healthcheck ? "true" : "false");
	if (v->healthcheck)
		fprintf(stdout, "%u", c->running);
	else
		fputs("null", stdout);
	out_json_field(stdout, "image", v->image);
	out_json_field(stdout, "ports", v->ports);
	fputs(",\"release\":", stdout);
	if (s->release && end && !*end && rel > 0)
		fprintf(stdout, "%lld", rel);
	else
		fputs("null", stdout);
	out_json_field(stdout, "spec_hash", s->spec_hash);
	fprintf(stdout, ",\"matches_release\":%s,\"tasks\":[", match ? "true" : "false");
	for (i = 0; i < nt; i++)
		if (is(t[i].service_id, s->id) && docker_task_active(&t[i])) {
			json_task(&t[i], tfirst);
			tfirst = false;
		}
	fputs("]}", stdout);
}

/* name@sha256:<12 hex>, or sha256:<12 hex> for an image pinned by ID; JSON has it whole. */
static void image_short(const char *image)
{
	const char *at = image ? strstr(image, "@sha256:") : NULL;
	char buf[300];

	if (!image)
		snprintf(buf, sizeof(buf), "-");
	else if (at)
		snprintf(buf, sizeof(buf), "%.*s@sha256:%.12s", (int)(at - image), image, at + 8);
	else if (!strncmp(image, "sha256:", 7))
		snprintf(buf, sizeof(buf), "sha256:%.12s", image + 7);
	else
		snprintf(buf, sizeof(buf), "%s", image);
	out_safe(stdout, buf);
}

static void text_service(const struct docker_service *s, const struct docker_service_view *v,
                         const struct svc_count *c, bool match, const struct docker_task *t,
                         size_t nt)
{
	char nodes[200], hbuf[32], counts[48];

	nodes_text(nodes, sizeof(nodes), s, t, nt);
	snprintf(counts, sizeof(counts), "%u/%u%s", c->running, c->desired,
	         s->global ? " global" : "");
	fprintf(stdout, "%-16s %-14s %-10s %-8s %-6s %-16s ", s->service ? s->service : s->name,
	        counts, health_text(hbuf, sizeof(hbuf), c, v), s->release ? s->release : "-",
	        match ? "yes" : "no", nodes);
	image_short(v->image);
	fputc('\n', stdout);
	if (c->stale || c->starting)
		fprintf(stdout, "%-16s   %u starting, %u of an older spec still running\n", "",
		        c->starting, c->stale);
	if (c->running < c->desired && c->last_failed && c->last_failed->error) {
		fprintf(stdout, "%-16s   last failed task: ", "");
		out_safe(stdout, c->last_failed->error);
		fputc('\n', stdout);
	}
}

static int service_cmp(const void *a, const void *b)
{
	const struct docker_service *x = a, *y = b;

	return strcmp(x->service ? x->service : x->name, y->service ? y->service : y->name);
}

static void print_header(const char *project, const struct store_release *cur, int64_t ok,
                         bool json)
{
	if (json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, project);
		fprintf(stdout, ",\"target\":\"swarm\",\"release\":%lld,\"release_status\":",
		        (long long)cur->id);
		out_json_str(stdout, cur->status);
		fprintf(stdout, ",\"latest_succeeded\":%lld,\"services\":[", (long long)ok);
		return;
	}
	if (cur->status && strcmp(cur->status, "succeeded"))
		fprintf(stdout,
		        "project %s on Swarm, release %lld (%s), latest successful release %lld\n",
		        project, (long long)cur->id, cur->status, (long long)ok);
	else
		fprintf(stdout, "project %s on Swarm, latest successful release %lld\n", project,
		        (long long)cur->id);
	fprintf(stdout, "%-16s %-14s %-10s %-8s %-6s %-16s %s\n", "SERVICE", "TASKS", "HEALTH",
	        "RELEASE", "MATCH", "NODES", "IMAGE");
}

int deploy_swarm_status(struct ctx *ctx, const char *project, const struct store_release *cur,
                        int64_t ok, const struct store_service_row *rows, size_t nrows, bool json)
{
	struct docker_service *s = NULL;
	struct docker_task *t = NULL;
	struct err err = ERR_INIT;
	size_t ns = 0, nt = 0, i, k;
	bool first = true;
	int ex = EXIT_OK;

	if (docker_service_list(&s, &ns, ctx->docker, project, &err) < 0 ||
	    docker_task_list(&t, &nt, ctx->docker, project, NULL, &err) < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	if (ns)
		qsort(s, ns, sizeof(*s), service_cmp);
	print_header(project, cur, ok, json);
	for (i = 0; i < ns; i++) {
		struct docker_service_view v;
		struct svc_count c;
		bool match = store_service_row_label_matches(
		        ctx->store, store_service_row_find(rows, nrows, s[i].service),
		        s[i].spec_hash);

		if (docker_service_view(&v, &s[i], &err) < 0) {
			if (json)
				fputs("]", stdout);
			cmd_report(&err);
			ex = cmd_exit_for(err.code);
			goto out;
		}
		count_tasks(&c, &s[i], t, nt);
		if (json)
			json_service(&s[i], &v, &c, match, t, nt, first);
		else
			text_service(&s[i], &v, &c, match, t, nt);
		first = false;
		docker_service_view_release(&v);
	}
	/* Services the release deployed that Swarm has no service for. */
	if (json)
		fputs("],\"missing\":[", stdout);
	first = true;
	for (i = 0; i < nrows; i++) {
		bool seen = false;

		for (k = 0; k < ns && !seen; k++)
			seen = is(s[k].service, rows[i].service);
		if (seen)
			continue;
		if (json) {
			fputs(first ? "" : ",", stdout);
			out_json_str(stdout, rows[i].service);
		} else {
			fprintf(stdout, "%-16s %-14s %-10s %-8s %-6s\n", rows[i].service, "missing",
			        "-", "-", "no");
		}
		first = false;
	}
	if (json)
		fputs("]", stdout);
out:
	docker_services_free(s, ns);
	docker_tasks_free(t, nt);
	return ex;
}
