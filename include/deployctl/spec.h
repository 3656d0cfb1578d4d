/*
 * spec.h - the canonical JSON rendering of one service's container, its
 * sha256 (the io.deployctl.spec-hash label), and the way back from JSON to
 * the model for release snapshots, and the reasons two renderings differ.
 *
 * The canonical JSON is deployctl's own format, not the Engine's: this
 * module (spec.c, spec_reasons.c) is the only one that reads or writes it;
 * docker/ owns the Engine's JSON.
 *
 * Canonical: keys sorted, compact, lists in model order (already sorted
 * where order has no meaning). It holds everything that shapes a container
 * (image reference and resolved ID, command, entrypoint, env, labels, ports,
 * mounts with Docker-side volume names, networks with Docker-side names and
 * aliases, healthcheck, restart, user, working_dir, hostname, extra_hosts,
 * capabilities, tmpfs, read_only, init, stop signal and grace period,
 * resource limits, logging) and nothing that does not (replicas,
 * depends_on, source locations): changing depends_on recreates nothing.
 */
#ifndef DEPLOYCTL_SPEC_H
#define DEPLOYCTL_SPEC_H

#include <stdbool.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"

#define SPEC_VERSION 1

/*
 * Render s (of project p) to canonical JSON; *out is new (free()).
 * With redact, every secret value (model_secret.h: env keys secret by
 * name or x-deployctl.secrets, values interpolated from secret variables,
 * URL passwords, labels likewise) is replaced by its shown form
 * (model_secret_shown(), fingerprints under key k), and secret files'
 * content hashes by their fingerprint, so the result can be stored or
 * printed. k may be NULL without redact.
 */
int spec_render(char **out, const struct hash_key *k, const struct project *p,
                const struct service *s, bool redact, struct err *err);

/*
 * HMAC-SHA256 (under the state directory's key k) of the unredacted
 * canonical JSON, as hex: the io.deployctl.spec-hash label and the
 * snapshot's spec_hash. Keyed, so neither lets anyone test guesses of a
 * secret the spec holds.
 */
int spec_hash(char out[HASH_HEX_LEN + 1], const struct hash_key *k, const struct project *p,
              const struct service *s, struct err *err);

/*
 * Does a container's spec-hash label say it runs s? True when it is hash
 * (spec_hash() of s), or the unkeyed sha256 that containers made before
 * hashes were keyed carry (computed to compare, never stored), so an
 * upgrade replaces nothing.
 */
bool spec_hash_matches(const char *label, const char *hash, const struct project *p,
                       const struct service *s);

/*
 * Decode canonical JSON (as rendered, redacted or not) into *out, which the
 * caller releases with model_service_release(). Secret values come back as
 * they were stored (fingerprints when redacted). name is set to the
 * service name recorded in the JSON. ERR_INVALID on malformed input.
 */
int spec_parse(struct service *out, const char *json, struct err *err);

/*
 * The reasons a container must be replaced, from the redacted canonical
 * JSON it was created from and the redacted rendering of the desired spec:
 * "image changed (sha256:ab12cd34ef56 -> sha256:...)", "env LOG_LEVEL:
 * info -> debug" (values cut at 48 characters), "env API_TOKEN changed" (a
 * secret: a fingerprint on either side, or a secret-looking name), "ports
 * changed", ... joined with "; ". *out new. Secret values never appear.
 */
int spec_reasons(char **out, const char *old_json, const char *new_json, struct err *err);

/*
 * Self-check of the field table: every SVC_CUSTOM row of model_svc_fields
 * has its render/parse pair here, and no pair lacks a row. 0, or -1 with
 * *missing naming the culprit (for test_spec).
 */
int spec_check_fields(const char **missing);

/*
 * One difference between two redacted renderings, value by value: a
 * top-level field ("image", "ports", "user", ...) with key NULL, or one key
 * of an object field ("env", "labels"). old/new_ are the values' texts
 * (strings as they are, other values as compact JSON), NULL when absent —
 * and always NULL for a secret, whose text is never kept (secret true).
 */
struct spec_change {
	char *field, *key;
	char *old, *new_;
	bool secret, added, removed;
};

/*
 * Every difference from old_json to new_json, in field order, then
 * removed fields. ignore_image_id: one side was not resolved against
 * Docker (a commit rather than a release). *out new (spec_changes_free()),
 * *n 0 when they do not differ. ERR_INVALID on malformed input.
 */
int spec_changes(struct spec_change **out, size_t *n, const char *old_json, const char *new_json,
                 bool ignore_image_id, struct err *err);
void spec_changes_free(struct spec_change *v, size_t n);

#endif
