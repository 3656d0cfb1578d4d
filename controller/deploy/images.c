/*
 * images.c - every service's image resolved to a local image ID before any
 * change: one list call for all of them, and for what is missing (or asked
 * to be pulled) a pull, with its progress lines and the pull recorded for
 * the plan. Called by deploy_observe() in load.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/cmd_deploy.h"
#include "deployctl/fetch_view.h"
#include "deployctl/log.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"
#include "load_internal.h"

/* Resolve every image to a local ID: one list call for all of them. */
static void pull_line(void *ctx, const char *ref, const char *status, const char *detail)
{
	(void)ref;
	/* Per-layer progress is noise in a log; the overall steps are not. */
	if (!detail)
		fetch_view_status(ctx, status);
}

/* A terminal shows the share of bytes downloaded: "pulling 42%". */
static void pull_percent(void *ctx, const char *ref, unsigned percent)
{
	char state[32];

	(void)ref;
	snprintf(state, sizeof(state), "pulling %u%%", percent);
	fetch_view_state(ctx, state);
}

/* Pull s's image (pull_policy always, or missing and absent); the ID into *id. */
static int pull_image(char **id, struct service *s, struct ctx *ctx, bool json)
{
	struct fetch_view view;
	struct docker_pull_progress progress = { pull_line, &view, pull_percent };
	struct err err = ERR_INIT;
	char *digest = NULL;
	int rc;

	fetch_view_begin(&view, "pull", s->image, json);
	rc = docker_image_pull(id, &digest, ctx->docker, s->image, &progress, &err);
	fetch_view_end(&view, rc == 0);
	if (rc < 0) {
		char line[1024];

		fprintf(stderr, "deployctl: %s:%u:%u: services.%s.image: cannot pull '%s': ",
		        s->loc.file ? s->loc.file : "?", s->loc.line, s->loc.col, s->name,
		        s->image);
		out_safe(stderr, err_format(line, sizeof(line), &err));
		fputc('\n', stderr);
		return err.code == ERR_UNREACHABLE || err.code == ERR_STOPPED ? err.code
		                                                              : ERR_INVALID;
	}
	free(s->repo_digest);
	s->repo_digest = digest;
	return 0;
}

bool deploy_pull_noted(const struct deploy *dp, size_t njobs, const char *image)
{
	const struct project *p = dp->project;
	char line[600];
	size_t i;

	snprintf(line, sizeof(line), "image %s: not present, apply will pull it", image);
	for (i = 0; i < dp->pulls.n; i++)
		if (!strcmp(dp->pulls.v[i], line))
			return true;
	for (i = 0; i < njobs && i < p->njobs; i++)
		if (p->jobs[i].phase != JOB_ROLLBACK && !strcmp(p->jobs[i].svc.image, image))
			return true;
	return false;
}

/* plan: say once per image that apply would pull it, and pull nothing. */
static int note_pull(struct deploy *dp, const struct service *s, bool present)
{
	char line[600];
	size_t i;

	snprintf(line, sizeof(line), "image %s: %s, apply will pull it", s->image,
	         present ? "pull_policy is always" : "not present");
	for (i = 0; i < dp->pulls.n; i++)
		if (!strcmp(dp->pulls.v[i], line))
			return 0;
	return strv_push(&dp->pulls, line);
}

/*
 * Resolve every image to a local ID: one list call for all of them, then
 * pulls as pull_policy asks (missing: the default; always; never). A
 * snapshot (rollback) names exact image IDs: those must still be here, and
 * nothing is pulled, so a rollback works with the registry down. plan
 * (no_pull) pulls nothing: a missing image keeps no ID, so its service
 * plans as changed, and the plan says the image will be pulled.
 */
int deploy_resolve_images(struct deploy *dp, struct ctx *ctx)
{
	struct project *p = dp->project;
	const char **refs = calloc(p->nservices + 1, sizeof(*refs));
	char **ids = calloc(p->nservices + 1, sizeof(*ids));
	bool *pinned = calloc(p->nservices + 1, sizeof(*pinned));
	struct err err = ERR_INIT;
	size_t i, k, missing = 0;
	int rc, ex = EXIT_OK;

	if (!refs || !ids || !pinned) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < p->nservices; i++) {
		pinned[i] = p->services[i].image_id != NULL;
		refs[i] = pinned[i] ? p->services[i].image_id : p->services[i].image;
	}
	if (deploy_build_refs(dp, refs) < 0) {
		err_set(&err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (p->nservices && docker_image_resolve(ids, ctx->docker, refs, p->nservices, &err) < 0)
		goto fail;
	ex = deploy_build_missing(dp, ctx, ids);
	if (ex != EXIT_OK)
		goto out;
	for (i = 0; i < p->nservices; i++) {
		struct service *s = &p->services[i];
		const char *policy = s->pull_policy ? s->pull_policy : "missing";
		bool want = !pinned[i] && !s->build.context &&
		            (!strcmp(policy, "always") || (!ids[i] && strcmp(policy, "never")));

		/* Several services of one image: one pull. */
		for (k = 0; want && k < i; k++)
			if (!pinned[k] && !strcmp(p->services[k].image, s->image) &&
			    p->services[k].repo_digest) {
				free(ids[i]);
				ids[i] = strdup(p->services[k].image_id);
				s->repo_digest = strdup(p->services[k].repo_digest);
				want = false;
			}
		if (want && dp->no_pull) {
			if (note_pull(dp, s, ids[i] != NULL) < 0) {
				err_set(&err, ERR_NOMEM, "out of memory");
				goto fail;
			}
			if (!ids[i])
				continue;
			want = false;
		}
		if (want) {
			free(ids[i]);
			ids[i] = NULL;
			rc = pull_image(&ids[i], s, ctx, dp->json_events);
			if (rc == ERR_UNREACHABLE || rc == ERR_STOPPED) {
				ex = cmd_exit_for(rc);
				goto out;
			}
		}
		if (!ids[i]) {
			if (!want)
				fprintf(stderr,
				        "deployctl: %s:%u:%u: services.%s.image: image '%s' is not "
				        "present locally%s\n",
				        s->loc.file ? s->loc.file : "?", s->loc.line, s->loc.col,
				        s->name, pinned[i] ? s->image_id : s->image,
				        pinned[i] ? " (a rollback never pulls)"
				                  : " and pull_policy is never");
			missing++;
			continue;
		}
		free(s->image_id);
		s->image_id = ids[i];
		ids[i] = NULL;
	}
	if (missing) {
		fprintf(stderr, "deployctl: %zu image(s) missing; nothing was changed\n", missing);
		ex = EXIT_USAGE;
	}
	goto out;
fail:
	cmd_report(&err);
	ex = cmd_exit_for(err.code);
out:
	docker_image_ids_free(ids, p->nservices);
	free(refs);
	free(pinned);
	return ex;
}
