/*
 * build.c - images of services with build:, made from the commit being
 * deployed: the context directory's tree goes to the Engine as a tar
 * (gitsrc_tar), tagged image: (or <project>-<service>) and
 * "<repo>:b-<build id>", labelled with the context's tree id. The build
 * tag is how an unchanged context is found again by the one image list
 * call, so a no-op never builds; a rollback deploys recorded image IDs and
 * never gets here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/fetch_view.h"
#include "deployctl/log.h"
#include "deployctl/out.h"

#define BUILD_CONTEXT_MAX (256u << 20)

/* "<repo>:b-<first 12 of the build id>", repo being image without its tag. */
static void build_tag(char *out, size_t size, const struct service *s)
{
	const char *slash = strrchr(s->image, '/'), *colon = strrchr(slash ? slash : s->image, ':');
	size_t repo = colon ? (size_t)(colon - s->image) : strlen(s->image);

	snprintf(out, size, "%.*s:b-%.12s", (int)repo, s->image, s->build.build_id);
}

int deploy_build_refs(struct deploy *dp, const char **refs)
{
	const struct project *p = dp->project;
	size_t i;

	dp->build_tags = calloc(p->nservices + 1, sizeof(*dp->build_tags));
	if (!dp->build_tags)
		return ERR_NOMEM;
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		if (!s->build.context || s->image_id)
			continue;
		build_tag(dp->build_tags[i], sizeof(dp->build_tags[i]), s);
		refs[i] = dp->build_tags[i];
	}
	return 0;
}

/* Output lines as they come; a terminal shows "building step k/n" instead. */
static void build_line(void *ctx, const char *text)
{
	fetch_view_build_line(ctx, text);
}

/* Build s from its context at the commit; its image ID into *id. */
static int build_one(char **id, struct deploy *dp, struct ctx *ctx, const struct service *s,
                     const char *tag)
{
	const char *tags[] = { s->image, tag, NULL };
	struct fetch_view view;
	struct kvv labels = { NULL, 0 };
	struct docker_build b = { .tags = tags,
		                  .dockerfile = s->build.dockerfile,
		                  .target = s->build.target,
		                  .args = &s->build.args,
		                  .labels = &labels,
		                  .line = build_line,
		                  .ctx = &view };
	struct err err = ERR_INIT;
	char *tar = NULL, line[1024];
	size_t len = 0, i;
	int rc = 0;

	for (i = 0; i < s->build.labels.n && !rc; i++)
		rc = kvv_set(&labels, s->build.labels.v[i].key, s->build.labels.v[i].value);
	if (!rc)
		rc = kvv_set(&labels, "io.deployctl.build-context", s->build.tree_id);
	if (!rc)
		rc = kvv_set(&labels, "io.deployctl.build-id", s->build.build_id);
	if (rc) {
		kvv_free(&labels);
		return ERR_NOMEM;
	}
	if (log_get_level() == LOG_LEVEL_QUIET) {
		/* -q: only failures */
	} else if (dp->git) {
		fprintf(stderr, "deployctl: build %s: context %s (tree %.12s) at commit %.12s\n",
		        s->name, s->build.context, s->build.tree_id, dp->source_id);
	} else { /* --dir: the directory as it is */
		fprintf(stderr, "deployctl: build %s: context %s (content %.12s) in %s\n", s->name,
		        s->build.context, s->build.tree_id, dp->src.root);
	}
	if (dp->git)
		rc = gitsrc_tar(&tar, &len, dp->git, s->build.context, BUILD_CONTEXT_MAX, &err);
	else
		rc = dirsrc_tar(&tar, &len, dp->src.root, s->build.context, BUILD_CONTEXT_MAX,
		                &err);
	fetch_view_begin(&view, "build", s->name, dp->json_events);
	if (!rc)
		rc = docker_image_build(id, ctx->docker, tar, len, &b, &err);
	fetch_view_end(&view, rc == 0);
	if (rc) {
		fprintf(stderr,
		        "deployctl: %s:%u:%u: services.%s.build: ", s->loc.file ? s->loc.file : "?",
		        s->loc.line, s->loc.col, s->name);
		out_safe(stderr, err_format(line, sizeof(line), &err));
		fputc('\n', stderr);
	}
	free(tar);
	kvv_free(&labels);
	return rc;
}

int deploy_build_missing(struct deploy *dp, struct ctx *ctx, char **ids)
{
	struct project *p = dp->project;
	size_t i;
	int rc;

	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];
		char fake[80];

		if (!dp->build_tags[i][0] || ids[i])
			continue;
		if (!dp->may_build || (!dp->git && !dp->dirsrc)) {
			/* plan and check build nothing: the ID it will have is unknown */
			fprintf(stderr,
			        "deployctl: build %s: would build %s from %s (tree %.12s)\n",
			        s->name, s->image, s->build.context, s->build.tree_id);
			snprintf(fake, sizeof(fake), "sha256:%s", s->build.build_id);
			ids[i] = strdup(fake);
			if (!ids[i])
				return EXIT_FAILED;
			continue;
		}
		rc = build_one(&ids[i], dp, ctx, s, dp->build_tags[i]);
		if (rc == ERR_UNREACHABLE)
			return EXIT_UNREACHABLE;
		if (rc) {
			fprintf(stderr, "deployctl: the build of %s failed; nothing was changed\n",
			        s->name);
			return EXIT_FAILED;
		}
	}
	return EXIT_OK;
}
