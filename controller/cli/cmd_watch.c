/*
 * cmd_watch.c - "deployctl watch": the long-lived reconciler in the
 * foreground (for systemd, a terminal or a container), and the options it
 * shares with serve. The loop itself is daemon/watch.c.
 */
#include "deployctl/cmd_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/check.h"
#include "deployctl/lock.h"
#include "deployctl/projects.h"

struct watch_cli_conf;
static void conf_free(struct watch_cli_conf *cc);

void watch_cli_init(struct watch_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->one.interval_ms = 5000;
	c->conf.events = true;
	c->args.parallel = 4;
	c->args.lock_wait_ms = 10000;
	c->max_body = 1u << 20;
	c->rate = 5;
}

void watch_cli_release(struct watch_cli *c)
{
	deploy_opts_release(&c->one.opts);
	if (c->conf.owner)
		conf_free(c->conf.owner);
	c->conf.owner = NULL;
	c->conf.v = NULL;
}

static int opt_no_events(void *base, const struct cmd_opt *o, const char *arg)
{
	(void)o;
	(void)arg;
	((struct watch_cli *)base)->conf.events = false;
	return 0;
}

const struct cmd_opt watch_cli_opts[] = {
	CMD_OPT_ALL(cmd_opts_deploy),
	{ .kind = CMD_OPT_DURATION,
	  .name = "interval",
	  .arg = "DUR",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, one.interval_ms),
	  .min = 1,
	  .help = "how often each project is looked at (default: 5s)" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "self-heal",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, one.self_heal),
	  .help = "repair drift (a container stopped, removed or changed by hand);\n"
	          "without it drift is only reported" },
	{ .kind = CMD_OPT_STRING,
	  .name = "config",
	  .arg = "FILE",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, config),
	  .help = "several projects from a YAML file (see docs/controller.md)" },
	CMD_OPT_USE_HELP(cmd_opt_lock_wait,
	                 "how long an apply waits for another one (default: 10s)"),
	CMD_OPT_USE_HELP(cmd_opt_parallel, "actions of one stage run at once, 1-8 (default: 4)"),
	CMD_OPT_USE(cmd_opt_keep),
	{ .kind = CMD_OPT_UINT,
	  .name = "ticks",
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, conf.max_ticks),
	  .min = 1,
	  .max = 100000000,
	  .help = "stop after N ticks (tests and benchmarks)" },
	{ .kind = CMD_OPT_CALL,
	  .name = "no-events",
	  .base = CMD_BASE_OWN,
	  .call = opt_no_events,
	  .help = "do not follow the Docker events stream (poll only)" },
	CMD_OPT_TABLE_END,
};

/* The projects of a --config file as watch projects; strings borrowed from *pc. */
struct watch_cli_conf {
	struct projects_conf pc;
	struct watch_project *v;
};

static void conf_free(struct watch_cli_conf *cc)
{
	size_t i;

	if (!cc)
		return;
	for (i = 0; cc->v && i < cc->pc.n; i++)
		deploy_opts_release(&cc->v[i].opts);
	free(cc->v);
	projects_conf_release(&cc->pc);
	free(cc);
}

/* Read path into *conf (the rest of conf copied from base). Prints the error. */
static int conf_load(struct watch_conf *conf, const struct watch_conf *base, const char *path)
{
	struct watch_cli_conf *cc = calloc(1, sizeof(*cc));
	struct err err = ERR_INIT;
	size_t i, k;

	if (!cc || projects_conf_load(&cc->pc, path, &err) < 0) {
		if (cc)
			cmd_report(&err);
		conf_free(cc);
		return -1;
	}
	cc->v = calloc(cc->pc.n, sizeof(*cc->v));
	if (!cc->v) {
		conf_free(cc);
		return -1;
	}
	for (i = 0; i < cc->pc.n; i++) {
		const struct projects_entry *e = &cc->pc.v[i];
		struct watch_project *p = &cc->v[i];

		p->name = e->name;
		p->interval_ms = e->interval_ms;
		p->self_heal = e->self_heal;
		p->opts.repo = e->repo;
		p->opts.ref = e->branch;
		p->opts.manifests = e->manifests;
		p->opts.project = e->name;
		for (k = 0; k < e->env_files.n && k < DEPLOY_MAX_ENV_FILES; k++)
			p->opts.env_files[p->opts.nenv_files++] = e->env_files.v[k];
		for (k = 0; k < e->profiles.n; k++)
			if (strv_push(&p->opts.profiles, e->profiles.v[k]) < 0) {
				conf_free(cc);
				return -1;
			}
	}
	*conf = *base;
	conf->v = cc->v;
	conf->n = cc->pc.n;
	conf->owner = cc;
	return 0;
}

static int conf_reload(struct watch_conf *out, void *arg)
{
	struct watch_cli *c = arg;

	return conf_load(out, &c->conf, c->config);
}

static void conf_release(struct watch_conf *conf, void *arg)
{
	(void)arg;
	conf_free(conf->owner);
	conf->owner = NULL;
}

void watch_cli_callbacks(struct watch_callbacks *cb, struct watch_cli *c)
{
	memset(cb, 0, sizeof(*cb));
	cb->preflight = check_preflight;
	if (c->config) {
		cb->reload = conf_reload;
		cb->conf_release = conf_release;
		cb->ctx = c;
	}
}

int watch_cli_finish(struct watch_cli *c, struct ctx *ctx)
{
	(void)ctx;
	c->conf.parallel = c->args.parallel;
	c->conf.keep = c->args.keep;
	c->conf.lock_wait_ms = c->args.lock_wait_ms;
	if (c->one.opts.dir) {
		fputs("deployctl: --dir is not watched: watch a git repository (--repo)\n", stderr);
		return EXIT_USAGE;
	}
	if (c->config) {
		if (c->one.opts.repo || c->one.opts.ref || c->one.opts.project ||
		    c->one.opts.manifests || c->one.opts.nenv_files) {
			fputs("deployctl: --config names the projects: give --repo, --ref, --project, "
			      "--manifests and --env-file there\n",
			      stderr);
			return EXIT_USAGE;
		}
		return conf_load(&c->conf, &c->conf, c->config) < 0 ? EXIT_USAGE : EXIT_OK;
	}
	c->conf.v = &c->one;
	c->conf.n = 1;
	return EXIT_OK;
}

static const struct cmd_opt watch_opts[] = {
	CMD_OPT_ALL(watch_cli_opts),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int watch_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct watch_callbacks cb;
	struct watch_cli c;
	struct watch *w = NULL;
	struct err err = ERR_INIT;
	int first, ex;

	watch_cli_init(&c);
	ex = cmd_opts_parse(&first,
	                    &(struct cmd_parse){ .cmd = &cmd_watch,
	                                         .ctx = ctx,
	                                         .args = &c.args,
	                                         .deploy = &c.one.opts,
	                                         .own = &c },
	                    argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	ex = watch_cli_finish(&c, ctx);
	if (ex != EXIT_OK)
		goto out;
	watch_cli_callbacks(&cb, &c);
	/* a log, read as it happens: releases' lines in order with the watcher's */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (watch_new(&w, ctx, &c.conf, &cb, &err) < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	ex = watch_run(w);
out:
	watch_free(w);
	watch_cli_release(&c);
	return ex;
}

const struct cmd cmd_watch = {
	.name = "watch",
	.run = watch_cmd_run,
	.usage = "watch [--repo PATH|URL] [--ref BRANCH] [--interval 5s] [--self-heal] [--env-file "
	         "FILE]...",
	.summary = "Keep a stack converged to its deploy branch, in the foreground.",
	.opts = watch_opts,
	.help = "A moved branch is applied; with --self-heal a container that dies, is removed\n"
	        "or is changed by hand is put back (the Docker events stream says so at once).\n"
	        "A rolled-back commit is never redeployed. SIGHUP reloads; SIGTERM and SIGINT\n"
	        "stop between actions (exit 0).\n",
};
