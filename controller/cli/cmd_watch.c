/*
 * cmd_watch.c - "deployctl watch": the long-lived reconciler in the
 * foreground (for systemd, a terminal or a container), and the options it
 * shares with serve. The loop itself is daemon/watch.c.
 */
#include "deployctl/cmd_watch.h"

#include <getopt.h>
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
	c->conf.parallel = 4;
	c->conf.lock_wait_ms = 10000;
	c->max_body = 1u << 20;
}

void watch_cli_release(struct watch_cli *c)
{
	deploy_opts_release(&c->one.opts);
	if (c->conf.owner)
		conf_free(c->conf.owner);
	c->conf.owner = NULL;
	c->conf.v = NULL;
}

int watch_cli_opt(struct watch_cli *c, int opt, const char *arg)
{
	struct err err = ERR_INIT;
	int parsed = deploy_parse_opt(&c->one.opts, opt, arg);

	if (parsed)
		return parsed;
	switch (opt) {
	case 'i':
		if (lock_parse_duration(&c->one.interval_ms, arg, &err) < 0 ||
		    c->one.interval_ms < 1) {
			fprintf(stderr, "deployctl: --interval: %s\n",
			        err.code ? err.msg : "must be at least 1ms");
			return -1;
		}
		return 1;
	case 'E':
		c->one.self_heal = true;
		return 1;
	case 'C':
		c->config = arg;
		return 1;
	case 'T':
		return cmd_opt_uint(&c->conf.max_ticks, "--ticks", arg, 1, 100000000, NULL) < 0 ? -1
		                                                                                : 1;
	case 'X':
		c->conf.events = false;
		return 1;
	case 'j':
		return cmd_opt_uint(&c->conf.parallel, "--parallel", arg, 1, 8, NULL) < 0 ? -1 : 1;
	case 'K':
		return cmd_opt_uint(&c->conf.keep, "--keep", arg, 1, 100, "releases") < 0 ? -1 : 1;
	case 'W':
		if (lock_parse_duration(&c->conf.lock_wait_ms, arg, &err) < 0) {
			cmd_report(&err);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

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
	if (c->one.opts.state_dir)
		ctx->state_dir = c->one.opts.state_dir;
	if (c->one.opts.docker_host)
		ctx->docker_host = c->one.opts.docker_host;
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

static const struct option watch_options[] = {
	DEPLOY_LONG_OPTIONS,
	WATCH_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int watch_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct watch_callbacks cb;
	struct watch_cli c;
	struct watch *w = NULL;
	struct err err = ERR_INIT;
	int opt, ex = EXIT_USAGE;

	watch_cli_init(&c);
	while ((opt = getopt_long(argc, argv, "+hj:", watch_options, NULL)) != -1) {
		int parsed = watch_cli_opt(&c, opt, optarg);

		if (parsed < 0)
			goto out;
		if (parsed)
			continue;
		if (opt == 'h') {
			cmd_print_help(&cmd_watch, stdout);
			ex = EXIT_OK;
		} else {
			cmd_print_help(&cmd_watch, stderr);
		}
		goto out;
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: watch: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
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
	.help = DEPLOY_OPTS_HELP WATCH_OPTS_HELP
	"A moved branch is applied; with --self-heal a container that dies, is removed\n"
	"or is changed by hand is put back (the Docker events stream says so at once).\n"
	"A rolled-back commit is never redeployed. SIGHUP reloads; SIGTERM and SIGINT\n"
	"stop between actions (exit 0).\n",
};
