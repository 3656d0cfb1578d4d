/*
 * plan_print.c - a plan as people and programs read it: the text of
 * `deployctl plan` and apply (one line an action, its sign, target and
 * reason) or the JSON object of --json. Nothing here changes anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/jobs.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"

static const char *action_sign(enum action_kind k)
{
	switch (k) {
	case ACTION_NETWORK_CREATE:
	case ACTION_VOLUME_CREATE:
	case ACTION_CREATE:
		return "+";
	case ACTION_REPLACE:
		return "~";
	case ACTION_START:
		return ">";
	default:
		return "-";
	}
}

static void print_target(FILE *f, const struct action *a)
{
	if (a->replica)
		fprintf(f, "%s#%u", a->target, a->replica);
	else
		out_safe(f, a->target);
}

/* Containers the plan stops: the old one of each replace, each one removed. */
static size_t plan_stops(const struct plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->v[i].kind == ACTION_REPLACE || p->v[i].kind == ACTION_REMOVE;
	return n;
}

void deploy_print_plan(const struct deploy *dp, bool json, FILE *f)
{
	const struct plan *p = &dp->plan;
	size_t i;

	if (json) {
		fputs("{\"project\":", f);
		out_json_str(f, dp->project->name);
		out_json_field(f, "source_kind", dp->source_kind);
		out_json_field(f, "source", dp->source_id);
		fprintf(f, ",\"changes\":%zu,\"stops\":%zu,\"actions\":[", p->n, plan_stops(p));
		for (i = 0; i < p->n; i++) {
			const struct action *a = &p->v[i];

			fprintf(f, "%s{\"action\":", i ? "," : "");
			out_json_str(f, reconcile_action_name(a->kind));
			out_json_field(f, "target_type", reconcile_action_target_type(a->kind));
			out_json_field(f, "target", a->target);
			fprintf(f, ",\"replica\":%u,\"stage\":%u,\"container\":", a->replica,
			        a->level);
			out_json_str(f, a->container_name ? a->container_name : a->docker_name);
			out_json_field(f, "reason", a->reason);
			if (a->order_why) {
				/* "stop-first: mounts volume pgdata" -> order + why. */
				size_t k = strcspn(a->order_why, ":");

				fprintf(f, ",\"order\":\"%.*s\",\"order_why\":", (int)k,
				        a->order_why);
				out_json_str(f, a->order_why[k] ? a->order_why + k + 2 : "");
			}
			fputc('}', f);
		}
		fputs("],\"warnings\":[", f);
		for (i = 0; i < p->warnings.n; i++) {
			fputs(i ? "," : "", f);
			out_json_str(f, p->warnings.v[i]);
		}
		fputs("],\"notes\":[", f);
		for (i = 0; i < p->notes.n; i++) {
			fputs(i ? "," : "", f);
			out_json_str(f, p->notes.v[i]);
		}
		fputs("],\"pulls\":[", f);
		for (i = 0; i < dp->pulls.n; i++) {
			fputs(i ? "," : "", f);
			out_json_str(f, dp->pulls.v[i]);
		}
		fputc(']', f);
		jobs_print_planned(dp, NULL, true, f);
		fputs("}\n", f);
		return;
	}
	if (!p->n) {
		fprintf(f, "no changes: %s is up to date with %s %.12s\n", dp->project->name,
		        dp->source_kind, dp->source_id);
	} else {
		/* On Swarm, Swarm stops and starts the tasks: no container of deployctl's. */
		if (dp->swarm)
			fprintf(f, "plan for %s at %s %.12s: %zu change(s) on Swarm\n",
			        dp->project->name, dp->source_kind, dp->source_id, p->n);
		else
			fprintf(f,
			        "plan for %s at %s %.12s: %zu change(s), %zu container(s) stopped\n",
			        dp->project->name, dp->source_kind, dp->source_id, p->n,
			        plan_stops(p));
		for (i = 0; i < p->n; i++) {
			const struct action *a = &p->v[i];

			fprintf(f, "  %s %-14s ", action_sign(a->kind),
			        reconcile_action_name(a->kind));
			print_target(f, a);
			fputs(": ", f);
			out_safe(f, a->reason);
			if (a->order_why)
				out_safe_between(f, " (", a->order_why, ")");
			fputc('\n', f);
		}
	}
	for (i = 0; i < p->warnings.n; i++)
		out_safe_between(f, "warning: ", p->warnings.v[i], "\n");
	for (i = 0; i < p->notes.n; i++) {
		fputs("note: volume ", f);
		out_safe(f, p->notes.v[i]);
		fputs(" is no longer in the manifests; kept with its data\n", f);
	}
	for (i = 0; i < dp->pulls.n; i++)
		out_safe_between(f, "note: ", dp->pulls.v[i], "\n");
}
