/*
 * swarm_ops.c - logs, exec and restart on a project whose releases went to
 * Swarm. logs streams /services/{id}/logs, so every task's output comes,
 * on whatever node it runs. exec can reach a task's container only on the
 * node this daemon is (the Engine has no remote exec): elsewhere it says
 * which node, and how to get there. restart is a forced rolling update
 * (TaskTemplate.ForceUpdate + 1: the same spec, new tasks) of one service
 * after the other, each gated as a release wave gates it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/clock.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/docker_swarm_ops.h"
#include "deployctl/out.h"
#include "deployctl/sig.h"
#include "deployctl/spec.h"

#define POLL_MS   250
#define SETTLE_S  2.0
#define TIMEOUT_S 60u

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool named(char **names, int n, const char *name)
{
	int i;

	if (!n)
		return true;
	for (i = 0; i < n; i++)
		if (is(names[i], name))
			return true;
	return false;
}

/* Every name given is a service of the project on Swarm; else printed, EXIT_USAGE. */
static int check_named(const struct docker_service *s, size_t ns, const char *project, char **names,
                       int nnames)
{
	int i;
	size_t k;

	for (i = 0; i < nnames; i++) {
		bool found = false;

		for (k = 0; k < ns && !found; k++)
			found = is(s[k].service, names[i]);
		if (!found) {
			fprintf(stderr, "deployctl: %s has no Swarm service '", project);
			out_safe(stderr, names[i]);
			fputs("'\n", stderr);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

static int list_services(struct docker_service **s, size_t *ns, struct ctx *ctx,
                         const char *project)
{
	struct err err = ERR_INIT;

	if (docker_service_list(s, ns, ctx->docker, project, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	return EXIT_OK;
}

int deploy_swarm_log_targets(struct docker_container **out, size_t *n, struct ctx *ctx,
                             const char *project, char **services, int nservices)
{
	struct docker_service *s = NULL;
	struct docker_container *c = NULL;
	size_t ns = 0, i, k = 0;
	int ex = list_services(&s, &ns, ctx, project);

	if (ex == EXIT_OK)
		ex = check_named(s, ns, project, services, nservices);
	if (ex == EXIT_OK && !(c = calloc(ns + 1, sizeof(*c))))
		ex = EXIT_FAILED;
	for (i = 0; ex == EXIT_OK && i < ns; i++) {
		if (!s[i].service || !named(services, nservices, s[i].service))
			continue;
		c[k].id = dup_or_null(s[i].id);
		c[k].name = dup_or_null(s[i].name);
		c[k].service = dup_or_null(s[i].service);
		c[k].state = strdup("running");
		if (!c[k++].state)
			ex = EXIT_FAILED;
	}
	if (ex == EXIT_OK) {
		*out = c;
		*n = k;
		c = NULL;
	}
	docker_container_list_free(c, k);
	docker_services_free(s, ns);
	return ex;
}

/* The running task of service in slot replica (the lowest slot for a global service). */
static const struct docker_task *pick_task(const struct docker_task *t, size_t nt, unsigned replica)
{
	const struct docker_task *best = NULL;
	size_t i;

	for (i = 0; i < nt; i++) {
		if (!is(t[i].state, "running") || !is(t[i].desired, "running") ||
		    !t[i].container_id)
			continue;
		if (t[i].slot == replica)
			return &t[i];
		if (!t[i].slot && !best && replica == 1)
			best = &t[i];
	}
	return best;
}

/*
 * On a worker (no task list: only managers have one), the task containers
 * this node runs, named "<project>_<service>.<slot>.<task ID>". *out new
 * (one entry) or NULL when there is none.
 */
static int local_task(struct docker_container **out, struct ctx *ctx, const char *project,
                      const char *service, unsigned replica)
{
	struct docker_container *c = NULL, *one = NULL;
	struct err err = ERR_INIT;
	char prefix[300];
	size_t nc = 0, i;
	int len = snprintf(prefix, sizeof(prefix), "%s_%s.%u.", project, service, replica);

	*out = NULL;
	if (len < 0 || (size_t)len >= sizeof(prefix) ||
	    docker_container_list(&c, &nc, ctx->docker, project, &err) < 0)
		return 0;
	for (i = 0; i < nc && !one; i++)
		if (is(c[i].service, service) && is(c[i].state, "running") &&
		    !strncmp(c[i].name, prefix, (size_t)len) && (one = calloc(2, sizeof(*one)))) {
			one[0] = c[i];
			memset(&c[i], 0, sizeof(c[i])); /* moved */
			one[0].replica = replica;
		}
	docker_container_list_free(c, nc);
	*out = one;
	return 0;
}

int deploy_swarm_exec_target(struct docker_container **out, size_t *n, struct ctx *ctx,
                             const char *project, const char *service, unsigned replica)
{
	struct docker_task *t = NULL;
	struct docker_container *c = NULL;
	struct err err = ERR_INIT;
	const struct docker_task *task;
	char *self = NULL, *node = NULL;
	size_t nt = 0;
	int ex = EXIT_FAILED;

	if (docker_task_list(&t, &nt, ctx->docker, project, service, &err) < 0) {
		/* A worker cannot list tasks; its own task containers it can exec in. */
		local_task(&c, ctx, project, service, replica);
		if (!c) {
			fprintf(stderr,
			        "deployctl: %s.%u has no running container on this node, and "
			        "the daemon cannot list tasks to say where it runs (",
			        service, replica);
			out_safe(stderr, err.msg);
			fputs("): point --docker-host at a manager\n", stderr);
			ex = cmd_exit_for(err.code);
			goto out;
		}
		*out = c;
		*n = 1;
		ex = EXIT_OK;
		goto out;
	}
	task = pick_task(t, nt, replica);
	if (!task) {
		fprintf(stderr, "deployctl: %s has no running task of service '", project);
		out_safe(stderr, service);
		fprintf(stderr, "' in slot %u (deployctl status lists them)\n", replica);
		ex = nt ? EXIT_FAILED : EXIT_USAGE;
		goto out;
	}
	if (docker_swarm_node_self(&self, ctx->docker, &err) < 0)
		goto fail;
	if (!is(self, task->node_id)) {
		/* Only the name is worth a call, and only here. */
		if (docker_swarm_node_name(&node, ctx->docker, task->node_id, &err) < 0)
			err_clear(&err);
		fprintf(stderr, "deployctl: %s.%u runs on node '", service, replica);
		out_safe(stderr, node ? node : task->node_id);
		fprintf(stderr,
		        "' (%.12s), not on the node this daemon is: Swarm cannot exec on another "
		        "node; point --docker-host at that node's daemon, or use --replica for a "
		        "task here\n",
		        task->node_id);
		goto out;
	}
	c = calloc(2, sizeof(*c));
	if (!c)
		goto out;
	c->id = dup_or_null(task->container_id);
	c->name = malloc(strlen(project) + strlen(service) + 24);
	c->service = strdup(service);
	c->state = strdup("running");
	c->replica = replica;
	if (!c->id || !c->name || !c->service || !c->state) {
		docker_container_list_free(c, 1);
		goto out;
	}
	snprintf(c->name, strlen(project) + strlen(service) + 24, "%s_%s.%u", project, service,
	         task->slot);
	*out = c;
	*n = 1;
	ex = EXIT_OK;
	goto out;
fail:
	cmd_report(&err);
	ex = cmd_exit_for(err.code);
out:
	free(self);
	free(node);
	docker_tasks_free(t, nt);
	return ex;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The rollout timeout the latest successful release recorded for service; 60 s without. */
static unsigned rollout_timeout(struct ctx *ctx, const char *project, const char *service)
{
	struct err err = ERR_INIT;
	struct service svc;
	int64_t release = 0;
	char *json = NULL;
	unsigned s = TIMEOUT_S;

	memset(&svc, 0, sizeof(svc));
	if (store_release_latest(&release, ctx->store, project, "succeeded", &err) == 0 &&
	    release && store_service_spec(&json, ctx->store, release, service, &err) == 0 &&
	    spec_parse(&svc, json, &err) == 0 &&
	    store_release_rollout_load(&svc, ctx->store, release, &err) == 0 &&
	    svc.rollout.timeout_ns > 0)
		s = (unsigned)(svc.rollout.timeout_ns / 1000000000);
	model_service_release(&svc);
	free(json);
	return s ? s : 1;
}

/*
 * The gate of a forced update: tasks made with ForceUpdate `force` running
 * at `want` (for a long enough without a healthcheck), no other running.
 */
static int restart_gate(double *up_s, struct ctx *ctx, const char *project,
                        const struct docker_service *s, uint64_t force, bool health,
                        unsigned timeout_s, struct err *err)
{
	double t0 = clock_mono();
	unsigned want = s->replicas;

	if (s->global && docker_swarm_nodes_ready(&want, ctx->docker, err) < 0)
		return err->code;
	for (;;) {
		struct docker_task *t = NULL;
		const char *last_err = NULL;
		unsigned up = 0, old = 0, failed = 0;
		double now = wall_now();
		size_t nt = 0, i;
		int rc = docker_task_list(&t, &nt, ctx->docker, project, s->service, err);

		if (rc < 0)
			return rc;
		for (i = 0; i < nt; i++) {
			bool mine = t[i].force_update == force;

			if (!is(t[i].service_id, s->id))
				continue;
			if (is(t[i].state, "running") && !mine)
				old++;
			else if (mine && is(t[i].state, "running") && is(t[i].desired, "running"))
				up += health || (t[i].since > 0 && now - t[i].since >= SETTLE_S);
			else if (mine && (is(t[i].state, "failed") || is(t[i].state, "rejected"))) {
				failed++;
				last_err = t[i].error;
			}
		}
		if (up >= want && !old)
			rc = 0;
		else if (failed >= 2)
			rc = err_set(
			        err, ERR_FAIL,
			        "service %s: %u restarted task(s) failed (%s); %u of %u running",
			        s->name, failed, last_err ? last_err : "no message", up, want);
		else if (clock_mono() - t0 > timeout_s)
			rc = err_set(err, ERR_FAIL,
			             "service %s: %u of %u restarted task(s) up after %u s%s",
			             s->name, up, want, timeout_s,
			             old ? " (old tasks still running)" : "");
		else if (sig_pending())
			rc = err_set(err, ERR_STOPPED, "service %s: interrupted while waiting",
			             s->name);
		else
			rc = 1;
		docker_tasks_free(t, nt);
		if (rc <= 0) {
			*up_s = clock_mono() - t0;
			return rc;
		}
		sleep_ms(POLL_MS);
	}
}

static int restart_one(struct ctx *ctx, const char *project, const struct docker_service *s,
                       const struct deploy_swarm_restart_opts *o, bool first)
{
	struct docker_service_view v = { 0 };
	struct err err = ERR_INIT, ignored = ERR_INIT;
	double t0 = clock_mono(), up_s = 0;
	uint64_t force = 0;
	char msg[600];
	int rc;

	rc = docker_service_view(&v, s, &err);
	if (rc == 0)
		rc = docker_service_force_update(&force, ctx->docker, s, &err);
	if (rc == 0)
		rc = restart_gate(&up_s, ctx, project, s, force, v.healthcheck,
		                  rollout_timeout(ctx, project, s->service), &err);
	docker_service_view_release(&v);
	if (rc == 0)
		snprintf(msg, sizeof(msg),
		         "%s (Swarm) restarted by %s: forced update %llu, up in %.2fs", s->service,
		         o->who, (unsigned long long)force, clock_mono() - t0);
	else
		snprintf(msg, sizeof(msg), "%s (Swarm) restarted by %s: not up: %s", s->service,
		         o->who, err.msg);
	if (store_event_add(ctx->store, project, "restart", msg, &ignored) < 0)
		cmd_report(&ignored);
	if (o->json) {
		fputs(first ? "{\"service\":" : ",{\"service\":", stdout);
		out_json_str(stdout, s->service);
		out_json_field(stdout, "swarm_service", s->name);
		fprintf(stdout, ",\"force_update\":%llu", (unsigned long long)force);
	}
	return deploy_restart_end(rc, &err, t0, o->json, o->quiet, s->service, " (forced update, ");
}

int deploy_restart_end(int rc, const struct err *err, double t0, bool json, bool quiet,
                       const char *name, const char *tail)
{
	if (json) {
		fprintf(stdout,
		        ",\"up\":%s,\"duration_s\":%.3f,\"error\":", rc == 0 ? "true" : "false",
		        clock_mono() - t0);
		out_json_str(stdout, rc == 0 ? NULL : err->msg);
		fputc('}', stdout);
	}
	if (rc < 0) {
		cmd_report(err);
		return cmd_exit_for(err->code);
	}
	if (!quiet && !json)
		printf("  ok     restart        %s%s%.2fs)\n", name, tail, clock_mono() - t0);
	return EXIT_OK;
}

int deploy_swarm_restart(struct ctx *ctx, const char *project, char **services, int nservices,
                         const struct deploy_swarm_restart_opts *o)
{
	struct docker_service *s = NULL;
	size_t ns = 0, k;
	double t0 = clock_mono();
	int ex = list_services(&s, &ns, ctx, project), i;
	unsigned done = 0;

	if (ex == EXIT_OK)
		ex = check_named(s, ns, project, services, nservices);
	if (ex != EXIT_OK)
		goto out;
	if (o->json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, project);
		fputs(",\"target\":\"swarm\",\"restarted\":[", stdout);
	}
	/* In the order given: what the caller names first goes first. */
	for (i = 0; i < nservices && ex == EXIT_OK; i++)
		for (k = 0; k < ns && ex == EXIT_OK; k++)
			if (is(s[k].service, services[i])) {
				ex = restart_one(ctx, project, &s[k], o, done == 0);
				done += ex == EXIT_OK;
				break;
			}
	if (o->json)
		printf("],\"duration_s\":%.3f}\n", clock_mono() - t0);
	else if (ex == EXIT_OK)
		printf("restarted %u Swarm service(s) of %s in %.2fs\n", done, project,
		       clock_mono() - t0);
out:
	docker_services_free(s, ns);
	return ex;
}
