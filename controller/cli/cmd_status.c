/*
 * cmd_status.c - "deployctl status": the project's containers as one list
 * call sees them, against the latest successful release's snapshot (does
 * each container's spec hash match what that release deployed?).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/out.h"
#include "deployctl/reconcile.h"

static const struct cmd_opt status_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_json, "print the status as JSON"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static const struct cmd_opt ps_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_json, "the same JSON as 'deployctl status --json'"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};
static int container_cmp(const void *a, const void *b)
{
	const struct docker_container *x = a, *y = b;
	int c = strcmp(x->service ? x->service : "", y->service ? y->service : "");

	return c ? c : (x->replica > y->replica) - (x->replica < y->replica);
}

/*
 * Docker runs a healthcheck's first probe one interval after the start, so
 * right after a release its containers read "(health: starting)" although
 * deployctl ran the same check and gated on it. A container created by the
 * latest successful release whose action there is done was verified up:
 * say so instead. Returns the status text to show; into buf when rewritten.
 */
static const char *shown_status(char *buf, size_t size, const struct docker_container *c,
                                int64_t release, const struct store_action_row *acts, size_t nacts,
                                bool *verified)
{
	const char *st = c->status ? c->status : "";
	const char *starting = strstr(st, "(health: starting)");
	char target[300];
	int64_t created_by = 0;
	size_t i;

	*verified = false;
	if (!starting || !c->release || cmd_parse_release(&created_by, c->release) < 0 ||
	    created_by != release)
		return st;
	snprintf(target, sizeof(target), "%s#%u", c->service ? c->service : "", c->replica);
	for (i = 0; i < nacts && !*verified; i++)
		*verified =
		        !strcmp(acts[i].target, target) && !strcmp(acts[i].outcome, "done") &&
		        (!strcmp(acts[i].action, "create") || !strcmp(acts[i].action, "replace") ||
		         !strcmp(acts[i].action, "start"));
	if (!*verified)
		return st;
	snprintf(buf, size, "%.*s(healthy: checked by deployctl; Docker's first probe is due)",
	         (int)(starting - st), st);
	return buf;
}

/* A container's release label as a JSON integer, like every release number; null if none. */
static void json_release(const char *label)
{
	int64_t id;

	if (label && cmd_parse_release(&id, label) == 0)
		fprintf(stdout, "%lld", (long long)id);
	else
		fputs("null", stdout);
}

/*
 * The release the containers should match: the newest that succeeded or
 * was interrupted (a kill or a full disk after its changes: what runs is
 * its), skipping those rolled back or failed. *ok_out: the newest success.
 */
static int pick_current(struct store_release *out, int64_t *ok_out, struct ctx *ctx,
                        const char *project, struct err *err)
{
	struct store_release *v = NULL;
	size_t i, n = 0;
	int rc;

	*ok_out = 0;
	rc = store_release_list(&v, &n, ctx->store, project, 0, err);
	for (i = 0; rc == 0 && i < n; i++) {
		bool ok = !strcmp(v[i].status, "succeeded");

		if (ok && !*ok_out)
			*ok_out = v[i].id;
		if (!out->id && (ok || !strcmp(v[i].status, "interrupted") ||
		                 !strcmp(v[i].status, "running"))) {
			*out = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
	}
	store_release_list_free(v, n);
	return rc;
}

static void print_status(struct store *store, const char *project, const struct store_release *cur,
                         int64_t ok, const struct docker_container *c, size_t nc,
                         const struct store_service_row *rows, size_t nr,
                         const struct store_action_row *acts, size_t nacts, bool json)
{
	int64_t release = cur->id;
	size_t i, nretained = 0;
	bool first = true;

	if (json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, project);
		fprintf(stdout, ",\"release\":%lld,\"release_status\":", (long long)release);
		out_json_str(stdout, cur->status);
		fprintf(stdout, ",\"latest_succeeded\":%lld,\"containers\":[", (long long)ok);
	} else if (cur->status && strcmp(cur->status, "succeeded")) {
		fprintf(stdout, "project %s, release %lld (%s), latest successful release %lld\n",
		        project, (long long)release, cur->status, (long long)ok);
		fprintf(stdout, "%-16s %-28s %-10s %-8s %-6s %s\n", "SERVICE", "CONTAINER", "STATE",
		        "RELEASE", "MATCH", "STATUS");
	} else {
		fprintf(stdout, "project %s, latest successful release %lld\n", project,
		        (long long)release);
		fprintf(stdout, "%-16s %-28s %-10s %-8s %-6s %s\n", "SERVICE", "CONTAINER", "STATE",
		        "RELEASE", "MATCH", "STATUS");
	}
	for (i = 0; i < nc; i++) {
		const struct store_service_row *r = store_service_row_find(rows, nr, c[i].service);
		bool match = store_service_row_label_matches(store, r, c[i].spec_hash);
		char sbuf[400];
		bool verified;
		const char *status =
		        shown_status(sbuf, sizeof(sbuf), &c[i], release, acts, nacts, &verified);

		if (reconcile_is_kept(c[i].name)) {
			nretained++;
			continue;
		}
		if (json) {
			fputs(first ? "{\"service\":" : ",{\"service\":", stdout);
			first = false;
			out_json_str(stdout, c[i].service);
			fprintf(stdout, ",\"replica\":%u,\"container\":", c[i].replica);
			out_json_str(stdout, c[i].name);
			out_json_field(stdout, "id", c[i].id);
			out_json_field(stdout, "state", c[i].state);
			out_json_field(stdout, "status", status);
			fprintf(stdout, ",\"verified_up\":%s", verified ? "true" : "false");
			fputs(",\"release\":", stdout);
			json_release(c[i].release);
			out_json_field(stdout, "spec_hash", c[i].spec_hash);
			fprintf(stdout, ",\"matches_release\":%s}", match ? "true" : "false");
			continue;
		}
		fprintf(stdout, "%-16s %-28s %-10s %-8s %-6s ", c[i].service ? c[i].service : "-",
		        c[i].name, c[i].state, c[i].release ? c[i].release : "-",
		        match ? "yes" : "no");
		out_safe(stdout, status);
		fputc('\n', stdout);
	}
	/* Services the release deployed that have no container at all. */
	if (json)
		fputs("],\"missing\":[", stdout);
	first = true;
	for (i = 0; i < nr; i++) {
		size_t k;
		bool seen = false;

		for (k = 0; k < nc && !seen; k++)
			seen = c[k].service && !strcmp(c[k].service, rows[i].service) &&
			       !reconcile_is_kept(c[k].name);
		if (seen || !rows[i].replicas)
			continue;
		if (json) {
			fputs(first ? "" : ",", stdout);
			first = false;
			out_json_str(stdout, rows[i].service);
		} else {
			fprintf(stdout, "%-16s %-28s %-10s %-8s %-6s\n", rows[i].service, "-",
			        "missing", "-", "no");
		}
	}
	if (json) {
		fputs("],\"retained\":[", stdout);
		first = true;
		for (i = 0; i < nc; i++) {
			if (!reconcile_is_kept(c[i].name))
				continue;
			fputs(first ? "{\"container\":" : ",{\"container\":", stdout);
			first = false;
			out_json_str(stdout, c[i].name);
			fputs(",\"release\":", stdout);
			json_release(c[i].release);
			out_json_field(stdout, "state", c[i].state);
			fputc('}', stdout);
		}
		fputs("]", stdout);
	} else if (nretained) {
		printf("%zu container(s) of earlier releases retained, stopped, for rollback\n",
		       nretained);
	}
}

/* The pin, if any: JSON member or a line. */
static void print_pin(struct ctx *ctx, const char *project, bool json)
{
	struct store_pin pin = { 0 };
	struct err err = ERR_INIT;

	if (store_pin_get(&pin, ctx->store, project, &err) < 0) {
		if (json)
			fputs(",\"pin\":null}\n", stdout);
		return;
	}
	if (json) {
		fprintf(stdout,
		        ",\"pin\":{\"release\":%lld,\"commit\":", (long long)pin.release_id);
		out_json_str(stdout, pin.commit);
		out_json_field(stdout, "who", pin.who);
		out_json_field(stdout, "reason", pin.reason);
		out_json_field(stdout, "since", pin.pinned_at);
		fputs("}}\n", stdout);
	} else {
		printf("pinned to release %lld by %s since %s: %s; commit %.12s is not redeployed "
		       "automatically (deployctl unpin)\n",
		       (long long)pin.release_id, pin.who ? pin.who : "?",
		       pin.pinned_at ? pin.pinned_at : "?", pin.reason ? pin.reason : "",
		       pin.commit ? pin.commit : "-");
	}
	store_pin_release(&pin);
}

/* ps: the live containers only, one line each, as "docker compose ps" shows them. */
static void print_ps(const struct docker_container *c, size_t nc, int64_t release,
                     const struct store_action_row *acts, size_t nacts)
{
	size_t i, k;

	fprintf(stdout, "%-16s %-28s %-10s %-30s %s\n", "SERVICE", "CONTAINER", "STATE", "STATUS",
	        "PORTS");
	for (i = 0; i < nc; i++) {
		char sbuf[400];
		bool verified;
		const char *st;

		if (reconcile_is_retained(c[i].name))
			continue;
		st = shown_status(sbuf, sizeof(sbuf), &c[i], release, acts, nacts, &verified);
		fprintf(stdout, "%-16s %-28s %-10s ", c[i].service ? c[i].service : "-", c[i].name,
		        c[i].state);
		out_safe(stdout, st);
		fprintf(stdout, "%*s", strlen(st) < 30 ? (int)(31 - strlen(st)) : 1, "");
		for (k = 0; k < c[i].ports.n; k++)
			fprintf(stdout, "%s%s", k ? "," : "", c[i].ports.v[k]);
		fputc('\n', stdout);
	}
}

static int status_main(struct ctx *ctx, int argc, char **argv, const struct cmd *self)
{
	bool ps = self == &cmd_ps;
	struct docker_container *c = NULL;
	struct store_service_row *rows = NULL;
	struct store_action_row *acts = NULL;
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	const char *given;
	char *project = NULL;
	struct store_release cur = { 0 };
	int64_t ok = 0;
	size_t nc = 0, nr = 0, nacts = 0;
	bool json, swarm = false;
	int first, ex;

	ex = cmd_opts_parse_read(&first, self, ctx, &a, NULL, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	given = a.project;
	json = a.json;
	/* status keeps its own exit codes: a project it cannot name is a usage error */
	if (cmd_pick_project(&project, ctx, given) != EXIT_OK)
		return given ? EXIT_FAILED : EXIT_USAGE;
	ex = cmd_open_docker(ctx);
	if (ex != EXIT_OK)
		goto out;
	if (pick_current(&cur, &ok, ctx, project, &err) < 0 ||
	    (cur.id && store_release_services(&rows, &nr, ctx->store, cur.id, &err) < 0)) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	/* Released to Swarm: services and their tasks (deploy/swarm_status.c). */
	ex = deploy_swarm_project(&swarm, ctx, project);
	if (ex == EXIT_OK && swarm) {
		ex = deploy_swarm_status(ctx, project, &cur, ok, rows, nr, json);
		if (ex == EXIT_OK)
			print_pin(ctx, project, json);
		goto out;
	}
	if (ex != EXIT_OK || docker_container_list(&c, &nc, ctx->docker, project, &err) < 0) {
		if (ex == EXIT_OK) {
			cmd_report(&err);
			ex = cmd_exit_for(err.code);
		}
		goto out;
	}
	if (nc)
		qsort(c, nc, sizeof(*c), container_cmp);
	/* What the release did, to know which containers deployctl itself verified up. */
	if (cur.id && store_release_actions(&acts, &nacts, ctx->store, cur.id, &err) < 0)
		err_clear(&err);
	if (ps && !json) {
		print_ps(c, nc, cur.id, acts, nacts);
		goto out;
	}
	print_status(ctx->store, project, &cur, ok, c, nc, rows, nr, acts, nacts, json);
	print_pin(ctx, project, json);
out:
	docker_container_list_free(c, nc);
	store_service_rows_free(rows, nr);
	store_release_release(&cur);
	store_action_rows_free(acts, nacts);
	free(project);
	return ex;
}

static int status_run(struct ctx *ctx, int argc, char **argv)
{
	return status_main(ctx, argc, argv, &cmd_status);
}

static int ps_run(struct ctx *ctx, int argc, char **argv)
{
	return status_main(ctx, argc, argv, &cmd_ps);
}

const struct cmd cmd_ps = {
	.name = "ps",
	.run = ps_run,
	.usage = "ps [--project NAME] [--json]",
	.summary = "List the project's containers: state, Docker's status, ports (short status).",
	.opts = ps_opts,
};

const struct cmd cmd_status = {
	.name = "status",
	.run = status_run,
	.usage = "status [--project NAME] [--json]",
	.summary = "Show the project's containers and whether they match the latest release.",
	.opts = status_opts,
	.help = "On Swarm (the project's releases went to Swarm): per service its running tasks "
	        "against\nthe desired count, health, pinned image, release match and nodes "
	        "(docs/swarm.md).\n",
};
