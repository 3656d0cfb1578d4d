/*
 * cmd_check.c - "deployctl check": every preflight check as one line (or
 * JSON), without changing anything. Exits 0 when nothing failed (warnings
 * allowed), 1 when a check failed, 3 when Docker does not answer.
 */
#include <getopt.h>
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
			fputs(",\"status\":", f);
			out_json_str(f, item_status(&r->v[i]));
			fputs(",\"message\":", f);
			out_json_str(f, r->v[i].message);
			fputc('}', f);
		}
		fputs("]}\n", f);
		return;
	}
	for (i = 0; i < r->n; i++) {
		fprintf(f, "%-6s", !r->v[i].ok ? "FAIL" : r->v[i].warn ? "warn" : "ok");
		out_safe(f, r->v[i].name);
		fputs(": ", f);
		out_safe(f, r->v[i].message);
		fputc('\n', f);
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
		fputs(": ", stderr);
		out_safe(stderr, rep.v[i].message);
		fputc('\n', stderr);
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

static const struct option check_options[] = {
	DEPLOY_LONG_OPTIONS,
	{ "json", no_argument, NULL, 'J' },
	{ "min-free", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

/* Options only check has; returns 1 when taken, 0 to print help, -1 on a usage error. */
static int check_opt(struct check_report *rep, bool *json, int opt, const char *arg)
{
	int64_t bytes;

	if (opt == 'J') {
		*json = true;
		return 1;
	}
	if (opt == 'F') {
		if (manifest_parse_bytes(&bytes, arg) < 0 || bytes <= 0) {
			fprintf(stderr,
			        "deployctl: check: invalid --min-free '%s' (e.g. 512m, 2g)\n", arg);
			return -1;
		}
		rep->min_free = (uint64_t)bytes;
		return 1;
	}
	return 0;
}

static int check_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct check_report rep = { 0 };
	bool json = false;
	int opt, ex = EXIT_OK;

	while ((opt = getopt_long(argc, argv, "+hf:", check_options, NULL)) != -1) {
		int parsed = deploy_parse_opt(&o, opt, optarg);

		if (parsed == 0)
			parsed = check_opt(&rep, &json, opt, optarg);
		if (parsed < 0) {
			ex = EXIT_USAGE;
			goto out;
		}
		if (parsed)
			continue;
		cmd_print_help(&cmd_check, opt == 'h' ? stdout : stderr);
		ex = opt == 'h' ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: check: unexpected argument '%s'\n", argv[optind]);
		ex = EXIT_USAGE;
		goto out;
	}
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
	.help = DEPLOY_OPTS_HELP
	"  --json             print the checks as JSON\n"
	"  --min-free SIZE    free space wanted in Docker's data root (default: 1g)\n"
	"certificates: x-deployctl.tls entries {cert, key, names} and every .pem/.crt/.cer/.key\n"
	"a service mounts: must parse, not be expired (warning under 14 days), match the key,\n"
	"cover the names; the key file must not be readable by group or others\n"
	"swarm: a project with x-deployctl.target: swarm (or --target swarm) needs a daemon\n"
	"that is a Swarm manager (docs/swarm.md)\n",
};
