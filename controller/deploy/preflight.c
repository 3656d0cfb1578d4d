/*
 * preflight.c - preflight checks for "deployctl check" and apply: the daemon,
 * the manifests and the images here, then the checks of the files below it
 * in their order (preflight_env.c, preflight_ports.c, preflight_host.c,
 * preflight_tls.c), each reporting through preflight_item.c. Each problem is
 * one item naming what is wrong; no item quotes an environment value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/check.h"
#include "deployctl/envrules.h"
#include "deployctl/out.h"
#include "preflight_internal.h"

static void check_docker(struct run *run)
{
	struct ctx *ctx = run->ctx;
	struct err err = ERR_INIT;

	if (!ctx->docker && docker_open(&ctx->docker, ctx->docker_host, &err) < 0) {
		run->r->docker_unreachable = err.code == ERR_UNREACHABLE;
		preflight_item_add(run, "docker", ST_FAIL, "%s", err.msg);
		return;
	}
	if (docker_info(&run->info, ctx->docker, &err) < 0) {
		run->r->docker_unreachable = err.code == ERR_UNREACHABLE;
		preflight_item_add(run, "docker", ST_FAIL,
		                   "reachable, API %s, but /info failed: %s",
		                   docker_api_version(ctx->docker), err.msg);
		return;
	}
	run->docker_ok = true;
	preflight_item_add(run, "docker", ST_OK, "reachable, API %s (Engine %s), socket %s",
	                   docker_api_version(ctx->docker),
	                   run->info.server_version ? run->info.server_version : "unknown",
	                   docker_socket(ctx->docker));
}

static void check_manifests(struct run *run)
{
	struct deploy *dp = run->dp;
	const struct deploy_opts *o = run->o;
	struct errlist *lists;
	struct err err = ERR_INIT;
	int rc;

	if (run->flags & CHECK_PREFLIGHT) {
		run->loaded = dp->project != NULL;
		return;
	}
	lists = calloc(2, sizeof(*lists));
	if (!lists) {
		run->rc = ERR_NOMEM;
		return;
	}
	errlist_init(&lists[0]);
	errlist_init(&lists[1]);
	dp->state_dir = o->state_dir ? o->state_dir : run->ctx->state_dir;
	rc = deploy_load(dp, o, &lists[0], &lists[1], &err);
	if (rc == 0 && dp->project) {
		run->loaded = true;
		preflight_item_add(run, "manifests", ST_OK,
		                   "valid: project %s, %zu service(s), %s %.12s", dp->project->name,
		                   dp->project->nservices, dp->source_kind, dp->source_id);
	} else if (lists[0].n) {
		errlist_sort(&lists[0]);
		preflight_add_list(run, "manifests", ST_FAIL, &lists[0]);
	} else {
		preflight_item_err(run, "manifests", ST_FAIL, &err);
	}
	run->r->manifests_invalid = !run->loaded;
	if (dp->dirty)
		preflight_item_add(
		        run, "manifests", ST_WARN,
		        "uncommitted changes under %s/ are not checked: checking commit %.12s",
		        o->manifests ? o->manifests : "manifests", dp->source_id);
	preflight_add_list(run, "manifests", ST_WARN, &lists[1]);
	free(lists);
}

/* One image absent locally: may the registry supply it? */
static bool image_remote_ok(struct run *run, const struct service *s, bool local)
{
	struct err err = ERR_INIT;
	char *digest = NULL;
	int rc;

	rc = docker_image_remote(&digest, run->ctx->docker, s->image, &err);
	free(digest);
	if (rc == 0)
		return true;
	if (rc == ERR_NOMEM)
		run->rc = rc;
	if (local)
		preflight_item_add(
		        run, "images", ST_WARN,
		        "services.%s: image '%s' (pull_policy: always) is present locally but its "
		        "registry does not answer: %s",
		        s->name, s->image, err.msg);
	else if (rc == ERR_NOTFOUND)
		preflight_item_add(
		        run, "images", ST_FAIL,
		        "services.%s: image '%s' is not present locally nor in its registry",
		        s->name, s->image);
	else
		preflight_item_add(
		        run, "images", ST_FAIL,
		        "services.%s: image '%s' is not present locally and its registry cannot "
		        "supply it: %s",
		        s->name, s->image, err.msg);
	return local;
}

/* The project's distinct image references, "a, b", cut with "...". */
static void image_names(char *out, size_t size, const struct project *p)
{
	size_t i, k, used = 0;

	out[0] = '\0';
	for (i = 0; i < p->nservices; i++) {
		for (k = 0; k < i && strcmp(p->services[k].image, p->services[i].image); k++)
			;
		if (k == i && !out_list_add(out, size, &used, used == 0, p->services[i].image))
			return;
	}
}

static void check_images(struct run *run)
{
	const struct project *p = run->dp->project;
	const char **refs = calloc(p->nservices + 1, sizeof(*refs));
	char **ids = calloc(p->nservices + 1, sizeof(*ids));
	struct err err = ERR_INIT;
	size_t i, local = 0, remote = 0, bad = 0;

	if (!refs || !ids) {
		run->rc = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < p->nservices; i++)
		refs[i] = p->services[i].image;
	if (p->nservices && !(run->flags & CHECK_PREFLIGHT) &&
	    docker_image_resolve(ids, run->ctx->docker, refs, p->nservices, &err) < 0) {
		preflight_item_add(run, "images", ST_FAIL, "cannot list images: %s", err.msg);
		goto out;
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];
		const char *policy = s->pull_policy ? s->pull_policy : "missing";
		bool here = ids[i] || s->image_id;

		if (s->build.context && !s->image_id) {
			/* built from the commit by apply, never pulled */
			preflight_item_add(run, "images", ST_OK,
			                   "services.%s: built from %s (tree %.12s) by apply",
			                   s->name, s->build.context, s->build.tree_id);
			local++;
		} else if (here && strcmp(policy, "always") != 0) {
			local++;
		} else if (!here && !strcmp(policy, "never")) {
			preflight_item_add(
			        run, "images", ST_FAIL,
			        "services.%s: image '%s' is not present locally (pull_policy: never)",
			        s->name, s->image);
			bad++;
		} else if (image_remote_ok(run, s, here)) {
			if (here)
				local++;
			else
				remote++;
		} else {
			bad++;
		}
	}
	if (!bad) {
		char names[512];

		image_names(names, sizeof(names), p);
		preflight_item_add(
		        run, "images", ST_OK,
		        "%zu image(s): %zu present locally, %zu resolvable in their registry: %s",
		        p->nservices, local, remote, names);
	}
out:
	docker_image_ids_free(ids, p->nservices);
	free(refs);
}

int check_run(struct check_report *out, struct ctx *ctx, struct deploy *dp,
              const struct deploy_opts *o, unsigned flags)
{
	struct run run = { .r = out, .ctx = ctx, .dp = dp, .o = o, .flags = flags };

	if (!(flags & CHECK_PREFLIGHT)) {
		if (o->state_dir && !ctx->state_dir_abs)
			ctx->state_dir = o->state_dir;
		if (o->docker_host)
			ctx->docker_host = o->docker_host;
	}
	check_docker(&run);
	check_manifests(&run);
	preflight_env_files(&run);
	preflight_dotenv(&run);
	if (run.loaded) {
		preflight_env_rules(&run);
		if (run.docker_ok)
			check_images(&run);
		if (run.docker_ok)
			preflight_swarm(&run);
		preflight_ports(&run);
		preflight_files(&run);
		preflight_tls(&run, (int64_t)time(NULL));
		preflight_release(&run);
	}
	preflight_state(&run);
	preflight_disk(&run);
	docker_info_release(&run.info);
	return run.rc;
}

void check_report_release(struct check_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].message);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
	r->docker_unreachable = false;
	r->manifests_invalid = false;
}

size_t check_report_nfailed(const struct check_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !r->v[i].ok;
	return n;
}
