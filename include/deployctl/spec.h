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
 * With redact, the value of every secret env key (model_env_is_secret) is
 * replaced by its fingerprint (hash_fingerprint), so the result can be
 * stored or printed.
 */
int spec_render(char **out, const struct project *p, const struct service *s, bool redact,
                struct err *err);

/* sha256 hex of the unredacted canonical JSON. */
int spec_hash(char out[HASH_HEX_LEN + 1], const struct project *p, const struct service *s,
              struct err *err);

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
