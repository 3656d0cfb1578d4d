/*
 * preflight_release.c - the check items of what a release runs besides its
 * services (issue 12's checklist): the images of its jobs and of its
 * in-network smoke checks, present locally or resolvable in their registry
 * (asked, never pulled: check changes nothing), the notify targets' URLs
 * resolvable (never printed: a webhook URL is a credential), and the smoke
 * checks' URLs. One table of item kinds, each a function over the project.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/release_checks.h"
#include "deployctl/smoke.h"
#include "preflight_internal.h"

/* One image a release may need beyond its services': whose it is, for the message. */
struct extra_image {
	const char *ref;
	char who[160]; /* "job backup", "smoke check api-internal" */
};

/* Present locally, else asked of its registry; one item saying which. */
static void image_item(struct run *run, const struct extra_image *im)
{
	const char *refs[1] = { im->ref };
	char *ids[1] = { NULL }, *digest = NULL;
	struct err err = ERR_INIT;
	int rc = docker_image_resolve(ids, run->ctx->docker, refs, 1, &err);

	if (rc < 0) {
		preflight_item_add(run, "images", ST_FAIL, "%s: cannot look up image '%s': %s",
		                   im->who, im->ref, err.msg);
		return;
	}
	if (ids[0]) {
		preflight_item_add(run, "images", ST_OK, "%s: image '%s' is present locally",
		                   im->who, im->ref);
		free(ids[0]);
		return;
	}
	rc = docker_image_remote(&digest, run->ctx->docker, im->ref, &err);
	free(digest);
	if (rc == 0)
		preflight_item_add(run, "images", ST_OK,
		                   "%s: image '%s' is not present locally; its registry has it "
		                   "(apply pulls it)",
		                   im->who, im->ref);
	else if (rc == ERR_NOTFOUND)
		preflight_item_add(run, "images", ST_FAIL,
		                   "%s: image '%s' is not present locally nor in its registry",
		                   im->who, im->ref);
	else
		preflight_item_add(run, "images", ST_FAIL,
		                   "%s: image '%s' is not present locally and its registry cannot "
		                   "supply it: %s",
		                   im->who, im->ref, err.msg);
	if (rc == ERR_NOMEM)
		run->rc = rc;
}

/* The job images and in-network check images of p, each reference once. */
static void release_images(struct run *run)
{
	const struct project *p = run->dp->project;
	struct extra_image *v = calloc(p->njobs + p->nsmoke + 1, sizeof(*v));
	size_t i, k, n = 0;

	if (!v) {
		run->rc = ERR_NOMEM;
		return;
	}
	for (i = 0; i < p->njobs; i++) {
		v[n].ref = p->jobs[i].svc.image;
		snprintf(v[n++].who, sizeof(v[0].who), "job %s", p->jobs[i].svc.name);
	}
	for (i = 0; i < p->nsmoke; i++) {
		if (!p->smoke[i].network)
			continue;
		v[n].ref = p->smoke[i].image;
		snprintf(v[n++].who, sizeof(v[0].who), "smoke check %s", p->smoke[i].name);
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && strcmp(v[k].ref, v[i].ref); k++)
			;
		if (k == i && v[i].ref)
			image_item(run, &v[i]);
	}
	free(v);
}

/* Each notify target's URL resolvable now; the URL itself never said. */
static void release_notify(struct run *run)
{
	const struct project *p = run->dp->project;
	char detail[512];
	size_t i;

	for (i = 0; i < p->nnotify; i++) {
		const struct notify_target *t = &p->notify[i];
		char *url = NULL;

		if (t->format == NOTIFY_COMMAND) {
			preflight_item_add(run, "notify", ST_OK,
			                   "x-deployctl.notify[%zu]: runs a command (%s)", i,
			                   t->command.v[0]);
			continue;
		}
		detail[0] = '\0';
		notify_target_url(&url, t, &run->dp->vars.vars, detail, sizeof(detail));
		if (url)
			preflight_item_add(run, "notify", ST_OK,
			                   "x-deployctl.notify[%zu]: %s %s holds an http(s) URL "
			                   "(%s format)",
			                   i, t->url_env ? "variable" : "file",
			                   t->url_env ? t->url_env : t->url_file,
			                   notify_format_name(t->format));
		else if (t->url_env && strstr(detail, "is not set"))
			preflight_item_add(
			        run, "notify", ST_WARN,
			        "x-deployctl.notify[%zu]: %s: the notification is skipped", i,
			        detail);
		else
			preflight_item_add(run, "notify", ST_FAIL, "x-deployctl.notify[%zu]: %s", i,
			                   detail);
		free(url);
	}
}

/* The smoke checks, well-formed once loaded: where each runs. */
static void release_smoke(struct run *run)
{
	const struct project *p = run->dp->project;
	size_t i, inside = 0;

	if (!p->nsmoke)
		return;
	for (i = 0; i < p->nsmoke; i++)
		inside += p->smoke[i].network != NULL;
	preflight_item_add(run, "smoke", ST_OK,
	                   "%zu smoke check(s), URLs well-formed: %zu on this host against "
	                   "published ports, %zu from inside a project network",
	                   p->nsmoke, p->nsmoke - inside, inside);
}

/* clang-format off */
static const struct release_item {
	void (*fn)(struct run *run);
	bool docker; /* needs the daemon */
} release_items[] = {
	{ release_images, true },
	{ release_notify, false },
	{ release_smoke, false },
};
/* clang-format on */

void preflight_release(struct run *run)
{
	size_t i;

	if (run->flags & CHECK_PREFLIGHT)
		return; /* apply's preflight: apply pulls, and tells as it goes */
	for (i = 0; i < sizeof(release_items) / sizeof(release_items[0]); i++)
		if (!release_items[i].docker || run->docker_ok)
			release_items[i].fn(run);
}
