/*
 * model_secret.h - which values of a project are secret and why, the form
 * a secret value is stored and shown in, and the set of secret values the
 * scrubber (redact.h) hides in every stored or printed message.
 *
 * A value is secret when its key is (model_env_is_secret(): by name, or
 * listed in x-deployctl.secrets), when it was interpolated from a secret
 * variable ("postgres://app:${POSTGRES_PASSWORD}@db/app", a label
 * "pw=${POSTGRES_PASSWORD}"), or, for the part that is, when it is a URL
 * with a password in its userinfo.
 */
#ifndef DEPLOYCTL_MODEL_SECRET_H
#define DEPLOYCTL_MODEL_SECRET_H

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"

enum model_secret {
	MODEL_SECRET_NONE = 0,
	MODEL_SECRET_NAME,         /* the key's name says so (PASSWORD, TOKEN, ...) */
	MODEL_SECRET_LISTED,       /* x-deployctl.secrets lists the key */
	MODEL_SECRET_INTERPOLATED, /* interpolated from a secret variable */
	MODEL_SECRET_URL,          /* a URL with a userinfo password */
};

/* "name", "listed", "interpolated", "url", or NULL for NONE: as recorded (secret_by). */
const char *model_secret_why(enum model_secret why);
/* The reverse, for snapshots; NONE for NULL or an unknown word. */
enum model_secret model_secret_parse(const char *why);

/* Why env key (with value) of service s in project p is secret; p and s may be NULL. */
enum model_secret model_env_secret(const struct project *p, const struct service *s,
                                   const char *key, const char *value);
/* The same for a label: only interpolation and URLs make one secret. */
enum model_secret model_label_secret(const struct service *s, const char *key, const char *value);

/*
 * The form a secret value is stored and shown in, *out new:
 *  - secret by its key, holding a secret part too short to hide, or
 *    interpolated from secret variables whose values s does not know (a
 *    snapshot): the fingerprint alone, "hmac:0123456789ab";
 *  - else the value with its secret parts (URL password, interpolated
 *    secret variables) as "***", and the fingerprint of the whole value:
 *    "postgresql://user:***@postgres:5432/db (hmac:0123456789ab)".
 * A value already in one of these forms (a snapshot parsed back) is kept.
 * 0 or ERR_NOMEM.
 */
int model_secret_shown(char **out, const struct hash_key *k, const struct service *s,
                       enum model_secret why, const char *value);

/* Is v already a shown form (a fingerprint, or "... (hmac:...)")? */
bool model_secret_is_shown(const char *v);
/* The fingerprint in a shown form into out; false when v holds none. */
bool model_secret_shown_fingerprint(char out[HASH_FINGERPRINT_SIZE], const char *v);

/*
 * Every secret value of p, for redact_scrub(): env values secret by key
 * and those interpolated from secret variables, the secret variables'
 * values (secret_parts), URL passwords, secret labels, and the content of
 * secrets taken from environment variables. Appended to out (duplicates
 * are harmless). 0 or ERR_NOMEM.
 */
int model_secrets_collect(struct strv *out, const struct project *p);

/* redact_scrub() text with every value of secrets; returns the replacements made. */
size_t model_scrub(char *text, const struct strv *secrets);
/* The same for an error's message and source. */
void model_scrub_err(struct err *e, const struct strv *secrets);

#endif
