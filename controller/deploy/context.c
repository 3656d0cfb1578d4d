/*
 * cmd_util.c - what every command shares: exit
 * statuses, error printing, opening Docker and the state database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/cmd.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/release_checks.h"
#include "deployctl/sig.h"
#include "deployctl/statedir.h"

int cmd_exit_for(int code)
{
	switch (code) {
	case 0:
		return EXIT_OK;
	case ERR_INVALID:
	case ERR_NOTFOUND:
		return EXIT_USAGE;
	case ERR_UNREACHABLE:
		return EXIT_UNREACHABLE;
	case ERR_STORE:
		return EXIT_STATE;
	case ERR_BUSY:
		return EXIT_BUSY;
	case ERR_STOPPED:
		return sig_pending() ? sig_exit_status(sig_pending()) : EXIT_FAILED;
	default:
		return EXIT_FAILED;
	}
}

void cmd_report(const struct err *e)
{
	char line[1024];

	out_safe_between(stderr, "deployctl: ", err_format(line, sizeof(line), e), "\n");
}

int cmd_open_docker(struct ctx *ctx)
{
	struct err err = ERR_INIT;

	if (ctx->docker)
		return EXIT_OK;
	if (docker_open(&ctx->docker, ctx->docker_host, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	return EXIT_OK;
}

/*
 * After a failure to open the state directory: if this user cannot write
 * it (or the nearest existing directory above it), say how to use another.
 */
static void state_hint(const char *dir)
{
	char path[4096];
	char *slash;

	snprintf(path, sizeof(path), "%s", dir);
	while (access(path, W_OK) < 0 && errno == ENOENT && (slash = strrchr(path, '/')) &&
	       slash != path)
		*slash = '\0';
	if (access(path, W_OK) == 0 || (errno != EACCES && errno != EROFS && errno != EPERM))
		return;
	if (errno == EROFS) { /* root or not: nobody writes there */
		fprintf(stderr,
		        "deployctl: hint: the state directory '%s' is on a read-only file system; "
		        "read-only commands (plan, status, history, show) still work\n",
		        dir);
		return;
	}
	fprintf(stderr,
	        "deployctl: hint: this user cannot write the state directory '%s' (the default "
	        "needs root): name another with --state DIR or DEPLOYCTL_STATE=DIR\n",
	        dir);
}

int cmd_state_dir(struct ctx *ctx, bool create)
{
	struct err err = ERR_INIT;
	char *abs = NULL;

	if (ctx->state_dir_abs && ctx->state_dir == ctx->state_dir_abs)
		return EXIT_OK;
	if (statedir_resolve(&abs, ctx->state_dir, create, &err) < 0) {
		if (err.code == ERR_NOTFOUND && !create)
			return EXIT_OK;
		cmd_report(&err);
		if (err.code != ERR_INVALID)
			state_hint(ctx->state_dir);
		return err.code == ERR_INVALID ? EXIT_USAGE : EXIT_STATE;
	}
	free(ctx->state_dir_abs);
	ctx->state_dir_abs = abs;
	ctx->state_dir = abs;
	return EXIT_OK;
}

int cmd_open_store(struct ctx *ctx)
{
	struct err err = ERR_INIT;
	int ex;

	if (ctx->store)
		return EXIT_OK;
	ex = cmd_state_dir(ctx, !ctx->read_only);
	if (ex != EXIT_OK)
		return ex;
	if ((ctx->read_only ? store_open_readonly(&ctx->store, ctx->state_dir, &err)
	                    : store_open(&ctx->store, ctx->state_dir, &err)) < 0) {
		cmd_report(&err);
		state_hint(ctx->state_dir);
		return EXIT_STATE;
	}
	return EXIT_OK;
}

int cmd_lock(struct lock **out, struct ctx *ctx, const char *project, const char *what,
             long wait_ms)
{
	struct lock_holder stale = { 0 };
	struct err err = ERR_INIT;
	char who[700], msg[800];
	unsigned interrupted = 0;
	int ex;

	ex = cmd_state_dir(ctx, true);
	if (ex != EXIT_OK)
		return ex;
	if (lock_acquire(out, ctx->state_dir, what, wait_ms, &stale, &err) < 0) {
		cmd_report(&err);
		if (err.code == ERR_STOPPED)
			return sig_exit_status(sig_pending());
		if (err.code != ERR_BUSY)
			state_hint(ctx->state_dir);
		return err.code == ERR_BUSY ? EXIT_BUSY : EXIT_STATE;
	}
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		goto fail;
	if (stale.pid) {
		lock_holder_format(who, sizeof(who), &stale);
		snprintf(msg, sizeof(msg), "lock taken over from a dead process: %s", who);
		log_warnx("%s", msg);
		if (store_event_add(ctx->store, project, "lock-takeover", msg, &err) < 0) {
			cmd_report(&err);
			err_clear(&err);
		}
		snprintf(msg, sizeof(msg), "it left the state lock held by %s", who);
	}
	/*
	 * Whoever holds the lock knows every other running release is dead,
	 * whatever its host or pid namespace: close them all, plan or no plan.
	 */
	if (store_mark_interrupted(&interrupted, ctx->store, stale.pid ? msg : NULL, &err) < 0) {
		cmd_report(&err);
		ex = EXIT_STATE;
		goto fail;
	}
	if (interrupted)
		log_warnx("%u earlier release(s) were interrupted and are marked so", interrupted);
	/* Their notify targets are told now (and any an earlier run could not tell). */
	release_checks_tell_interrupted(ctx->store);
	return EXIT_OK;
fail:
	lock_release(*out);
	*out = NULL;
	return ex;
}
