/*
 * load_internal.h - what load.c (load, observe, diff) and images.c (images
 * resolved or pulled) share. Not for use outside deploy/.
 */
#ifndef DEPLOYCTL_LOAD_INTERNAL_H
#define DEPLOYCTL_LOAD_INTERNAL_H

#include "deployctl/cmd_deploy.h"

/*
 * Resolve every image to a local ID (images.c): one list call for all of
 * them, then pulls as pull_policy asks; a rollback's snapshot pulls
 * nothing, nor does plan (its pulls are recorded in dp->pulls). Returns an
 * exit code, EXIT_OK or what the failure calls for.
 */
int deploy_resolve_images(struct deploy *dp, struct ctx *ctx);

#endif
