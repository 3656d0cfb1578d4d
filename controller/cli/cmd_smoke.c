/*
 * cmd_smoke.c - "deployctl smoke": run the smoke checks of what is
 * deployed (the project's latest successful release, as recorded with it)
 * now, every check to its verdict; exit 1 when one fails. Nothing is
 * changed, not even the record: the checks a release ran are in show.
 * Checks from inside a project network run one-off containers: those take
 * the state lock first, as apply does, so that an apply's removal of
 * leftover one-offs cannot take a check's container from under it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd.h"
#include "deployctl/lock.h"
#include "deployctl/out.h"
#include "deployctl/redact.h"
#include "deployctl/release_checks.h"
#include "deployctl/sig.h"
#include "deployctl/store.h"

static const struct cmd_opt smoke_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	CMD_OPT_USE_HELP(cmd_opt_json,
	                 "print the checks' outcomes as JSON (exit 1 when one failed)"),
	CMD_OPT_USE_HELP(cmd_opt_lock_wait,
	                 "with checks from inside a network: wait up to DUR for another "
	                 "apply or rollback (default: fail at once)"),
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
		out_json_field(stdout, "url", p->smoke[i].url);
		out_json_field(stdout, "network", p->smoke[i].network);
		out_json_field(stdout, "image", p->smoke[i].image);
		printf(",\"passed\":%s,\"status\":%ld,\"attempts\":%u,\"duration_s\":%.3f,"
		       "\"reason\":",
		       r[i].passed ? "true" : "false", r[i].status, r[i].attempts, r[i].duration_s);
		out_json_str(stdout, r[i].passed ? NULL : r[i].reason);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

/*
 * The networks of the checks by key: the project's own (found by label),
 * and an external one by the Docker name the release recorded for it (the
 * record holds no network definitions).
 */
static int known_networks(struct kvv *ids, struct ctx *ctx, const struct project *p,
                          int64_t release, struct err *err)
{
	struct docker_resource *nets = NULL;
	struct kvv names = { 0 };
	size_t i, n = 0;
	int rc = docker_resource_list(&nets, &n, ctx->docker, RES_NETWORK, p->name, err);

	for (i = 0; rc == 0 && i < n; i++)
		if (nets[i].key && kvv_set(ids, nets[i].key, nets[i].id) < 0)
			rc = err_set(err, ERR_NOMEM, "out of memory");
	for (i = 0; rc == 0 && i < p->nsmoke; i++) {
		const char *key = p->smoke[i].network, *name;
		char *id = NULL;

		if (!key || kvv_get(ids, key))
			continue;
		if (!names.n &&
		    (rc = store_release_resources(&names, ctx->store, release, "network", err)) < 0)
			break;
		if (!(name = kvv_get(&names, key)))
			continue; /* the check reports the network missing */
		rc = docker_resource_lookup(&id, ctx->docker, RES_NETWORK, name, err);
		if (rc == ERR_NOTFOUND) {
			err_clear(err);
			rc = 0;
		} else if (rc == 0 && kvv_set(ids, key, id) < 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
		}
		free(id);
	}
	kvv_free(&names);
	docker_resource_list_free(nets, n);
	return rc;
}

/*
 * A check whose URL, body_contains or header held a secret was recorded
 * with REDACT_MASK in its place: on demand it cannot be run as the release
 * ran it, and is reported so rather than failed on a request it never meant.
 */
static void mark_scrubbed(struct smoke_result *res, const struct project *p)
{
	size_t i, f;

	for (i = 0; i < p->nsmoke; i++) {
		const struct smoke_check *k = &p->smoke[i];
		const struct {
			const char *key, *text;
		} fields[] = { { "url", k->url },
			       { "body_contains", k->body_contains },
			       { "header", k->header } };

		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			if (fields[f].text && strstr(fields[f].text, REDACT_MASK))
				break;
		if (f == sizeof(fields) / sizeof(fields[0]))
			continue;
		res[i].not_run = true;
		snprintf(res[i].reason, sizeof(res[i].reason),
		         "not run on demand: its %s holds a secret, which the release recorded "
		         "only scrubbed (deployctl apply checks it with the secret)",
		         fields[f].key);
	}
}

static bool smoke_in_network(const struct project *p)
{
	size_t i;

	for (i = 0; i < p->nsmoke; i++)
		if (p->smoke[i].network)
			return true;
	return false;
}

/*
 * The state lock, for checks that run containers: the store opened to read
 * the record is closed and opened again writable under the lock (cmd_lock
 * also closes releases a dead process left running).
 */
static int lock_for_net(struct lock **lk, struct ctx *ctx, const struct project *p,
                        const char *project, long wait_ms)
{
	if (!smoke_in_network(p))
		return EXIT_OK;
	store_free(ctx->store);
	ctx->store = NULL;
	ctx->read_only = false;
	return cmd_lock(lk, ctx, project, "smoke", wait_ms);
}

/*
 * Where in-network checks run now: Docker (opened only when a check needs
 * it), this state database's owner labels, the release deployed.
 */
static int open_net(struct smoke_net *net, struct store_identity *me, struct ctx *ctx,
                    const struct project *p, int64_t release, const char *release_label,
                    struct kvv *ids, bool quiet)
{
	struct err err = ERR_INIT;
	int ex;

	if (!smoke_in_network(p))
		return EXIT_OK;
	if ((ex = cmd_open_docker(ctx)) != EXIT_OK)
		return ex;
	if (store_identity_get(me, ctx->store, &err) < 0 ||
	    known_networks(ids, ctx, p, release, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	net->oo = (struct oneoff){ .docker = ctx->docker,
		                   .project = p,
		                   .release = release_label,
		                   .owner = me->id,
		                   .owner_host = me->host,
		                   .owner_state = me->path,
		                   .network_ids = ids };
	net->quiet = quiet;
	return EXIT_OK;
}

static int smoke_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct smoke_net net = { 0 };
	struct store_identity me = { 0 };
	struct kvv ids = { 0 };
	char label[32];
	struct smoke_result *res = NULL;
	struct project p = { 0 };
	struct strv secrets = { 0 };
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	struct lock *lk = NULL;
	char *project = NULL;
	int64_t release = 0;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_smoke, ctx, &a, NULL, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	sig_catch();
	ctx->read_only = true;
	ex = cmd_open_store(ctx);
	if (ex == EXIT_OK)
		ex = cmd_pick_project(&project, ctx, a.project);
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
		if (a.json)
			print_json(project, release, &p, NULL, true);
		else
			printf("release %lld of %s has no smoke checks (x-deployctl.smoke)\n",
			       (long long)release, project);
		ex = EXIT_OK;
		goto out;
	}
	snprintf(label, sizeof(label), "%lld", (long long)release);
	if (!p.name && !(p.name = strdup(project))) {
		err_set(&err, ERR_NOMEM, "out of memory");
		cmd_report(&err);
		ex = EXIT_FAILED;
		goto out;
	}
	if ((ex = lock_for_net(&lk, ctx, &p, project, a.lock_wait_ms)) != EXIT_OK ||
	    (ex = open_net(&net, &me, ctx, &p, release, label, &ids, a.json)) != EXIT_OK)
		goto out;
	if (!(res = calloc(p.nsmoke, sizeof(*res)))) {
		err_set(&err, ERR_NOMEM, "out of memory");
		cmd_report(&err);
		ex = EXIT_FAILED;
		goto out;
	}
	mark_scrubbed(res, &p);
	ex = smoke_run(res, &p, &secrets, &net, true, &err) == 0 ? EXIT_OK : EXIT_FAILED;
	if (a.json) {
		print_json(project, release, &p, res, ex == EXIT_OK);
	} else {
		smoke_print(stdout, &p, res);
		printf("%s: %zu smoke check(s) of release %lld %s\n", project, p.nsmoke,
		       (long long)release, ex == EXIT_OK ? "passed" : "did not all pass");
	}
	if (err.code == ERR_STOPPED)
		ex = sig_exit_status(sig_pending());
out:
	lock_release(lk);
	kvv_free(&ids);
	store_identity_release(&me);
	free(res);
	strv_free(&secrets);
	model_project_release(&p);
	free(project);
	return ex;
}

const struct cmd cmd_smoke = {
	.name = "smoke",
	.run = smoke_cmd_run,
	.usage = "smoke [--project NAME] [--json] [--lock-wait DUR]",
	.summary = "Run the smoke checks of what is deployed (its latest successful release) now; "
	           "change nothing.",
	.opts = smoke_opts,
};
