/*
 * cmd_history.c - "deployctl history": the releases recorded in the state
 * database, newest first.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd.h"
#include "deployctl/out.h"

static const struct cmd_opt history_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_project, "only this project's releases"),
	{ .kind = CMD_OPT_UINT,
	  .name = "limit",
	  .letter = 'n',
	  .arg = "N",
	  .base = CMD_BASE_OWN,
	  .max = 1000000,
	  .unit = "(0: all)",
	  .help = "at most N releases (default: 20; 0: all)" },
	CMD_OPT_USE_HELP(cmd_opt_json, "print the releases as JSON"),
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
/* The text fields of a release's JSON, in their order, between "project" and "duration_s". */
static const struct {
	const char *name;
	size_t offset;
} history_texts[] = {
	{ "kind", offsetof(struct store_release, kind) },
	{ "status", offsetof(struct store_release, status) },
	{ "source_kind", offsetof(struct store_release, source_kind) },
	{ "source", offsetof(struct store_release, source) },
	{ "ref", offsetof(struct store_release, ref) },
	{ "subject", offsetof(struct store_release, subject) },
	{ "author", offsetof(struct store_release, author) },
	{ "committed_at", offsetof(struct store_release, committed_at) },
	{ "who", offsetof(struct store_release, who) },
	{ "host", offsetof(struct store_release, host) },
	{ "started_at", offsetof(struct store_release, started_at) },
	{ "finished_at", offsetof(struct store_release, finished_at) },
};

static void print_json(const struct store_release *v, size_t n)
{
	size_t i, j;

	fputs("[", stdout);
	for (i = 0; i < n; i++) {
		const struct store_release *r = &v[i];

		fprintf(stdout, "%s{\"release\":%lld,\"project\":", i ? "," : "", (long long)r->id);
		out_json_str(stdout, r->project);
		for (j = 0; j < sizeof(history_texts) / sizeof(history_texts[0]); j++)
			out_json_field(stdout, history_texts[j].name,
			               *(char *const *)(const void *)((const char *)r +
			                                              history_texts[j].offset));
		if (r->duration_s >= 0)
			fprintf(stdout, ",\"duration_s\":%.3f", r->duration_s);
		else
			fputs(",\"duration_s\":null", stdout);
		out_json_field(stdout, "message", r->message);
		fputs("}", stdout);
	}
	fputs("]\n", stdout);
}

static int history_run(struct ctx *ctx, int argc, char **argv)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	unsigned limit = 20;
	size_t i, n = 0;
	int first, ex;

	ex = cmd_opts_parse_read(&first, &cmd_history, ctx, &a, &limit, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	if (store_release_list(&v, &n, ctx->store, a.project, limit, &err) < 0) {
		cmd_report(&err);
		return EXIT_STATE;
	}
	if (a.json) {
		print_json(v, n);
	} else if (!n) {
		fputs("no releases yet\n", stdout);
	} else {
		fprintf(stdout, "%-8s %-12s %-8s %-12s %-14s %-9s %-12s %s\n", "RELEASE", "PROJECT",
		        "KIND", "STATUS", "SOURCE", "DURATION", "WHO", "STARTED");
		for (i = 0; i < n; i++) {
			char dur[32] = "-";
			const char *src = v[i].source ? v[i].source : "";

			if (v[i].duration_s >= 0)
				snprintf(dur, sizeof(dur), "%.2fs", v[i].duration_s);
			fprintf(stdout, "%-8lld %-12s %-8s %-12s %-14.12s %-9s %-12s %s\n",
			        (long long)v[i].id, v[i].project, v[i].kind, v[i].status, src, dur,
			        v[i].who ? v[i].who : "", v[i].started_at);
			if (!strcmp(v[i].source_kind, "git") && (v[i].author || v[i].subject)) {
				/* what was deployed: the commit, whose, when, and its subject */
				fprintf(stdout, "         commit %.12s", src);
				if (v[i].author) {
					fputs(" by ", stdout);
					out_safe(stdout, v[i].author);
				}
				if (v[i].committed_at)
					fprintf(stdout, " at %s", v[i].committed_at);
				if (v[i].subject) {
					fputs(": ", stdout);
					out_safe(stdout, v[i].subject);
				}
				fputc('\n', stdout);
			}
			if (v[i].message && *v[i].message)
				out_safe_between(stdout, "         ", v[i].message, "\n");
		}
	}
	store_release_list_free(v, n);
	return EXIT_OK;
}

const struct cmd cmd_history = {
	.name = "history",
	.run = history_run,
	.usage = "history [--project NAME] [--limit N] [--json]",
	.summary = "List recorded releases, newest first.",
	.opts = history_opts,
};
