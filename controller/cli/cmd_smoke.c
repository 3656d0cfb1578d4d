/*
 * cmd_smoke.c - "deployctl smoke": run the smoke checks of what is
 * deployed (the project's latest successful release, as recorded with it)
 * now, every check to its verdict; exit 1 when one fails. Nothing is
 * changed, not even the record: the checks a release ran are in show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd.h"
#include "deployctl/out.h"
#include "deployctl/release_checks.h"
#include "deployctl/sig.h"
#include "deployctl/store.h"

static const struct cmd_opt smoke_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_json,
	                 "print the checks' outcomes as JSON (exit 1 when one failed)"),
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
static void print_json(const char *project, int64_t release, const struct project *p,
                       const struct smoke_result *r, bool passed)
{
	size_t i;

	fputs("{\"project\":", stdout);
	out_json_str(stdout, project);
	printf(",\"release\":%lld,\"passed\":%s,\"checks\":[", (long long)release,
	       passed ? "true" : "false");
	for (i = 0; i < p->nsmoke; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
		out_json_str(stdout, p->smoke[i].name);
		fputs(",\"url\":", stdout);
		out_json_str(stdout, p->smoke[i].url);
		printf(",\"passed\":%s,\"status\":%ld,\"attempts\":%u,\"duration_s\":%.3f,"
		       "\"reason\":",
		       r[i].passed ? "true" : "false", r[i].status, r[i].attempts, r[i].duration_s);
		out_json_str(stdout, r[i].passed ? NULL : r[i].reason);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

static int smoke_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct smoke_result *res = NULL;
	struct project p = { 0 };
	struct strv secrets = { 0 };
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	const char *given;
	char *project = NULL;
	bool json;
	int64_t release = 0;
	int first, ex;

	ex = cmd_opts_parse(
	        &first,
	        &(struct cmd_parse){ .cmd = &cmd_smoke, .ctx = ctx, .args = &a, .operands = true },
	        argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	given = a.project;
	json = a.json;
	if (first != argc) {
		cmd_print_help(&cmd_smoke, stderr);
		return EXIT_USAGE;
	}
	sig_catch();
	ctx->read_only = true;
	ex = cmd_open_store(ctx);
	if (ex == EXIT_OK)
		ex = cmd_pick_project(&project, ctx, given);
	if (ex != EXIT_OK)
		return ex;
	if (store_release_latest(&release, ctx->store, project, "succeeded", &err) < 0 ||
	    (release && store_release_smoke_load(&p, ctx->store, release, &err) < 0)) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	if (!release) {
		fprintf(stderr,
		        "deployctl: %s has no successful release: nothing deployed to check\n",
		        project);
		ex = EXIT_USAGE;
		goto out;
	}
	if (!p.nsmoke) {
		if (json)
			print_json(project, release, &p, NULL, true);
		else
			printf("release %lld of %s has no smoke checks (x-deployctl.smoke)\n",
			       (long long)release, project);
		ex = EXIT_OK;
		goto out;
	}
	if (!(res = calloc(p.nsmoke, sizeof(*res)))) {
		err_set(&err, ERR_NOMEM, "out of memory");
		cmd_report(&err);
		ex = EXIT_FAILED;
		goto out;
	}
	ex = smoke_run(res, &p, &secrets, true, &err) == 0 ? EXIT_OK : EXIT_FAILED;
	if (json) {
		print_json(project, release, &p, res, ex == EXIT_OK);
	} else {
		smoke_print(stdout, &p, res);
		printf("%s: %zu smoke check(s) of release %lld %s\n", project, p.nsmoke,
		       (long long)release, ex == EXIT_OK ? "passed" : "did not all pass");
	}
	if (err.code == ERR_STOPPED)
		ex = sig_exit_status(sig_pending());
out:
	free(res);
	strv_free(&secrets);
	model_project_release(&p);
	free(project);
	return ex;
}

const struct cmd cmd_smoke = {
	.name = "smoke",
	.run = smoke_cmd_run,
	.usage = "smoke [--project NAME] [--json]",
	.summary = "Run the smoke checks of what is deployed (its latest successful release) now; "
	           "change nothing.",
	.opts = smoke_opts,
};
