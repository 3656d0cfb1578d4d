/*
 * check.h - preflight checks: everything that would make a deploy fail
 * that can be found before it starts. "deployctl check" prints them; apply
 * runs them before its first mutation. No item ever holds a secret value
 * (nor any environment value).
 *
 * Checks, by item name: docker (reachable, API and Engine version),
 * manifests (valid), env (x-deployctl.env rules, envrules.h), env-file
 * (each --env-file: not tracked in the repository, not readable by group
 * or others), images (present locally or resolvable in their registry),
 * ports (every published host port free, or published by this project's
 * own containers), files (secrets' and bind mounts' host paths exist),
 * tls (every certificate listed in x-deployctl.tls or mounted by a
 * service: parses, not expired, 14 days left, matches its key, covers the
 * names listed, key not readable by group or others), state (the state
 * directory is writable), disk (free space in Docker's data root above a
 * threshold, and in the state directory's file system above
 * CHECK_STATE_MIN_FREE: a warning only). Every message names what it checked.
 */
#ifndef DEPLOYCTL_CHECKS_H
#define DEPLOYCTL_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "deployctl/cmd.h"
#include "deployctl/cmd_deploy.h"

/* Default free-space threshold for Docker's data root: 1 GiB. */
#define CHECK_DEFAULT_MIN_FREE ((uint64_t)1 << 30)
/* Free space below which check warns about the state directory's file system. */
#define CHECK_STATE_MIN_FREE ((uint64_t)64 << 20)

/* One line of the report. Strings owned by the report. */
struct check_item {
	char *name;    /* "docker", "manifests", "env", "env-file", "images", "ports", ... */
	bool ok;       /* false: the check failed */
	bool warn;     /* ok, with a warning */
	char *message; /* one line, never a secret or environment value */
};

struct check_report {
	/* Input, set before check_run(): disk threshold in bytes; 0 means the default. */
	uint64_t min_free;
	/* Output. */
	struct check_item *v;
	size_t n;
	bool docker_unreachable; /* the daemon did not answer (exit status 3) */
	bool manifests_invalid;  /* the manifests did not load; checks needing them were skipped */
};

enum check_flags {
	/*
	 * Called from apply after deploy_prepare(): dp is loaded, ctx->docker
	 * open, images resolved and dp->containers listed, so those are
	 * reused instead of done again.
	 */
	CHECK_PREFLIGHT = 1 << 0,
};

/*
 * Run every check into out (released first by the caller with
 * check_report_release() if reused; zero it before the first use, except
 * min_free). Without CHECK_PREFLIGHT, dp must be zeroed: check_run loads
 * it with deploy_load() (release it with deploy_release() in any case),
 * applies o->state_dir and o->docker_host to ctx, and opens ctx->docker
 * itself when it can (a daemon that does not answer is a failed item, and
 * the checks that need Docker are skipped). Returns 0, or ERR_NOMEM; a
 * failed check is not an error of check_run.
 */
int check_run(struct check_report *out, struct ctx *ctx, struct deploy *dp,
              const struct deploy_opts *o, unsigned flags);

void check_report_release(struct check_report *r);

/* Number of failed items (warnings are not failures). */
size_t check_report_nfailed(const struct check_report *r);

/*
 * Print the report (cli/cmd_check.c): one line per item, "ok    name: message",
 * "warn  name: ...", "FAIL  name: ..." and a summary line; or, with json,
 * {"ok":..., "failed":N, "warnings":N, "checks":[{"name","status","message"}]}.
 */
void check_report_print(const struct check_report *r, bool json, FILE *f);

/*
 * apply's preflight (cli/cmd_check.c): check_run() with CHECK_PREFLIGHT, warnings and
 * failures printed to stderr as "deployctl: check: ...". Returns EXIT_OK
 * when nothing failed, EXIT_USAGE ("nothing was changed") when a check
 * failed, EXIT_UNREACHABLE when Docker stopped answering, EXIT_FAILED when
 * out of memory.
 */
int check_preflight(struct ctx *ctx, struct deploy *dp, const struct deploy_opts *o);

/* The "check" command (cmd_check.c), for main.c's table. */
extern const struct cmd cmd_check;

#endif
