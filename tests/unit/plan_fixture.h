/*
 * plan_fixture.h - what the planners' unit tests (reconcile, swarm,
 * ownership, allocation failures, apply) share: a fixed fingerprint key, a
 * project loaded from one YAML text, and every service of it stamped with
 * one image ID and its spec hash, as a pull and the planner's caller would.
 */
#ifndef DEPLOYCTL_PLAN_FIXTURE_H
#define DEPLOYCTL_PLAN_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/spec.h"

/* A fixed key, so fingerprints and hashes are the same on every run. */
static const struct hash_key test_key = { { 0 } };

/* yaml loaded as manifests/app.yml (checked to load with no error), or NULL. */
static inline struct project *plan_load(const char *yaml)
{
	const char *names[] = { "manifests/app.yml" };
	const char *texts[] = { yaml };
	struct manifest_vars vars;
	struct manifest_opts o = { .dir = "manifests", .vars = &vars };
	struct errlist errs, warns;
	struct project *p = NULL;

	manifest_vars_init(&vars);
	errlist_init(&errs);
	errlist_init(&warns);
	CHECK_INT(manifest_load_texts(&p, names, texts, 1, NULL, &o, &errs, &warns), 0);
	CHECK_INT(errs.n, 0);
	manifest_vars_release(&vars);
	return p;
}

/* Every service i of p gets image_id and its spec hash in hashes[i] (checked). */
static inline void plan_stamp(struct project *p, char (*hashes)[HASH_HEX_LEN + 1],
                              const char *image_id)
{
	size_t i;

	for (i = 0; i < p->nservices; i++) {
		struct err err = ERR_INIT;

		p->services[i].image_id = strdup(image_id);
		CHECK_INT(spec_hash(hashes[i], &test_key, p, &p->services[i], &err), 0);
	}
}

#endif
