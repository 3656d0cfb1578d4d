/*
 * load_internal.h - what load.c (load, observe, diff) and images.c (images
 * resolved or pulled) share. Not for use outside deploy/.
 */
#ifndef DEPLOYCTL_LOAD_INTERNAL_H
#define DEPLOYCTL_LOAD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/hash.h"

/*
 * Resolve every image to a local ID (images.c): one list call for all of
 * them, then pulls as pull_policy asks; a rollback's snapshot pulls
 * nothing, nor does plan (its pulls are recorded in dp->pulls). Returns an
 * exit code, EXIT_OK or what the failure calls for.
 */
int deploy_resolve_images(struct deploy *dp, struct ctx *ctx);

/* The spec hashes of a project's services, being worked out (hashes.c). */
struct deploy_hashes {
	pthread_t thread;
	bool started;
	const struct project *p;
	const struct hash_key *key;
	char (*out)[HASH_HEX_LEN + 1]; /* borrowed: one per service of p */
	struct err err;
	int rc;
};

/*
 * Start filling out[i] with the spec hash of p's service i, on a thread of
 * its own (inline if none can be had). p, key and out are borrowed and must
 * stay unchanged until deploy_hashes_join().
 */
void deploy_hashes_start(struct deploy_hashes *h, char (*out)[HASH_HEX_LEN + 1],
                         const struct project *p, const struct hash_key *key);
/* Wait for them: 0, or the first failure's code with err filled if it was clear. */
int deploy_hashes_join(struct deploy_hashes *h, struct err *err);

#endif
