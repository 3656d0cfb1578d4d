/*
 * preflight_swarm.c - check's "swarm" item: a project that targets Swarm
 * (x-deployctl.target or --target) needs a daemon that is a Swarm manager.
 */
#include <string.h>

#include "deployctl/docker_swarm.h"
#include "preflight_internal.h"

void preflight_swarm(struct run *run)
{
	const char *target = run->o->target;
	struct err err = ERR_INIT;

	if (!target && run->dp->project)
		target = run->dp->project->target;
	if (!target || strcmp(target, "swarm") || !run->ctx->docker)
		return;
	if (docker_swarm_check(run->ctx->docker, &err) < 0)
		preflight_item_add(run, "swarm", ST_FAIL, "%s", err.msg);
	else
		preflight_item_add(run, "swarm", ST_OK, "the daemon is a Swarm manager");
}
