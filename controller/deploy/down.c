/*
 * down.c - what "deployctl down" starts from on either target: an empty
 * project of that name, recorded with the source of the release it takes
 * down (nothing is read at a commit), so that the down is a release like
 * any other and "deployctl rollback" undoes it.
 */
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"

int deploy_down_begin(struct deploy *dp, struct ctx *ctx, const char *project, struct err *err)
{
	struct store_release last = { 0 };
	int64_t latest = 0;
	int rc;

	dp->project = calloc(1, sizeof(*dp->project));
	dp->hashes = calloc(1, sizeof(*dp->hashes));
	if (!dp->project || !dp->hashes || !(dp->project->name = strdup(project)))
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = store_release_latest(&latest, ctx->store, project, NULL, err);
	if (rc == 0 && latest)
		rc = store_release_get(&last, ctx->store, latest, err);
	if (rc < 0)
		return rc;
	dp->from_snapshot = true;
	dp->prev_release = latest;
	dp->source_kind = latest && !strcmp(last.source_kind, "dir") ? "dir" : "git";
	dp->source_id = strdup(latest ? last.source : "");
	dp->ref = strdup(latest && last.ref ? last.ref : "");
	store_release_release(&last);
	if (!dp->source_id || !dp->ref)
		return err_set(err, ERR_NOMEM, "out of memory");
	return 0;
}
