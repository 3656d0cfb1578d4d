/*
 * cmd_check.c - "deployctl check": every preflight check as one line (or
 * JSON), without changing anything. Exits 0 when nothing failed (warnings
 * allowed), 1 when a check failed, 3 when Docker does not answer.
 */
#include <stdio.h>

#include "deployctl/check.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/manifest.h"
#include "deployctl/out.h"

/* ---- printing the report (also apply's preflight) ---- */

static const char *item_status(const struct check_item *it)
{
	return !it->ok ? "fail" : it->warn ? "warn" : "ok";
}

void check_report_print(const struct check_report *r, bool json, FILE *f)
{
	size_t i, failed = check_report_nfailed(r), warns = 0;

	for (i = 0; i < r->n; i++)
		warns += r->v[i].ok && r->v[i].warn;
	if (json) {
		fprintf(f, "{\"ok\":%s,\"failed\":%zu,\"warnings\":%zu,\"checks\":[",
		        failed ? "false" : "true", failed, warns);
		for (i = 0; i < r->n; i++) {
			fprintf(f, "%s{\"name\":", i ? "," : "");
			out_json_str(f, r->v[i].name);
			out_json_field(f, "status", item_status(&r->v[i]));
			out_json_field(f, "message", r->v[i].message);
			fputc('}', f);
		}
		fputs("]}\n", f);
		return;
	}
	for (i = 0; i < r->n; i++) {
		fprintf(f, "%-6s", !r->v[i].ok ? "FAIL" : r->v[i].warn ? "warn" : "ok");
		out_safe(f, r->v[i].name);
		out_safe_between(f, ": ", r->v[i].message, "\n");
	}
	if (failed)
		fprintf(f, "%zu check(s) failed, %zu warning(s)\n", failed, warns);
	else
		fprintf(f, "all checks passed, %zu warning(s)\n", warns);
}

int check_preflight(struct ctx *ctx, struct deploy *dp, const struct deploy_opts *o)
{
	struct check_report rep = { 0 };
	size_t i, failed;
	int ex;

	if (check_run(&rep, ctx, dp, o, CHECK_PREFLIGHT) < 0) {
		fputs("deployctl: out of memory\n", stderr);
		check_report_release(&rep);
		return EXIT_FAILED;
	}
	for (i = 0; i < rep.n; i++) {
		if (rep.v[i].ok && !rep.v[i].warn)
			continue;
		fprintf(stderr, "deployctl: check: %s ", rep.v[i].ok ? "warning:" : "FAIL");
		out_safe(stderr, rep.v[i].name);
		out_safe_between(stderr, ": ", rep.v[i].message, "\n");
	}
	failed = check_report_nfailed(&rep);
	if (rep.docker_unreachable)
		ex = EXIT_UNREACHABLE;
	else
		ex = failed ? EXIT_USAGE : EXIT_OK;
	if (failed)
		fprintf(stderr,
		        "deployctl: %zu check(s) failed; nothing was changed ('deployctl check' "
		        "lists every check)\n",
		        failed);
	check_report_release(&rep);
	return ex;
}

/* ---- the command ---- */

/* --min-free SIZE into the report. */
static int opt_min_free(void *base, const struct cmd_opt *o, const char *arg)
{
	int64_t bytes;

	if (manifest_parse_bytes(&bytes, arg) < 0 || bytes <= 0)
		return cmd_opt_fail(o, "a size such as 512m or 2g, not '%s'", arg);
	((struct check_report *)base)->min_free = (uint64_t)bytes;
	return 0;
}

static const struct cmd_opt check_opts[] = {
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_USE_HELP(cmd_opt_json, "print the checks as JSON"),
	{ .kind = CMD_OPT_CALL,
	  .name = "min-free",
	  .arg = "SIZE",
	  .base = CMD_BASE_OWN,
	  .call = opt_min_free,
	  .help = "free space wanted in Docker's data root (default: 1g)" },
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int check_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct check_report rep = { 0 };
	struct cmd_args a = { .deploy = &o };
	bool json = false;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_check, ctx, &a, &rep, argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	ex = EXIT_OK;
	json = a.json;
	if (check_run(&rep, ctx, &dp, &o, 0) < 0) {
		fputs("deployctl: out of memory\n", stderr);
		ex = EXIT_FAILED;
		goto out;
	}
	check_report_print(&rep, json, stdout);
	if (rep.docker_unreachable)
		ex = EXIT_UNREACHABLE;
	else if (check_report_nfailed(&rep))
		ex = EXIT_FAILED;
out:
	check_report_release(&rep);
	deploy_release(&dp);
	deploy_opts_release(&o);
	return ex;
}

const struct cmd cmd_check = {
	.name = "check",
	.run = check_cmd_run,
	.usage = "check [--repo PATH] [--ref REF | --dir DIR] [--env-file FILE] [--json] "
	         "[--min-free SIZE]",
	.summary = "Check everything a deploy needs (Docker, manifests, env rules, images, ports, "
	           "files, TLS certificates, state, disk); change nothing.",
	.opts = check_opts,
	.help = "certificates: x-deployctl.tls entries {cert, key, names} and every .pem/.crt/.cer/.key\n"
	        "a service mounts: must parse, not be expired (warning under 14 days), match the key,\n"
	        "cover the names; the key file must not be readable by group or others\n"
	        "swarm: a project with x-deployctl.target: swarm (or --target swarm) needs a daemon\n"
	        "that is a Swarm manager (docs/swarm.md)\n",
};
