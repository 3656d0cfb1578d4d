/*
 * manifest_service_swarm.c - the deploy: keys only Swarm has (mode: global,
 * placement, endpoint_mode, update_config, rollback_config,
 * restart_policy), read into struct service when the project targets Swarm
 * (x-deployctl.target: swarm) and refused, with the way to get them, when
 * it runs containers on one host.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"
#include "manifest_node.h"

/* Keys of an update_config / rollback_config / restart_policy map and how each is read. */
enum swarm_kind { SK_UINT, SK_DURATION, SK_RATIO, SK_ONE_OF };
struct swarm_sub {
	const char *key;
	enum swarm_kind kind;
	const char *one_of; /* SK_ONE_OF: "a|b|c" */
};

static const struct swarm_sub update_keys[] = {
	{ "parallelism", SK_UINT, NULL },
	{ "delay", SK_DURATION, NULL },
	{ "failure_action", SK_ONE_OF, "continue|pause|rollback" },
	{ "monitor", SK_DURATION, NULL },
	{ "max_failure_ratio", SK_RATIO, NULL },
	{ "order", SK_ONE_OF, "stop-first|start-first" },
	{ NULL, 0, NULL },
};
static const struct swarm_sub rollback_keys[] = {
	{ "parallelism", SK_UINT, NULL },
	{ "delay", SK_DURATION, NULL },
	{ "failure_action", SK_ONE_OF, "continue|pause" },
	{ "monitor", SK_DURATION, NULL },
	{ "max_failure_ratio", SK_RATIO, NULL },
	{ "order", SK_ONE_OF, "stop-first|start-first" },
	{ NULL, 0, NULL },
};
static const struct swarm_sub restart_keys[] = {
	{ "condition", SK_ONE_OF, "none|on-failure|any" },
	{ "delay", SK_DURATION, NULL },
	{ "max_attempts", SK_UINT, NULL },
	{ "window", SK_DURATION, NULL },
	{ NULL, 0, NULL },
};

static bool one_of(const char *v, const char *list)
{
	size_t n = strlen(v);
	const char *p;

	for (p = list; *p; p += strcspn(p, "|"), p += *p == '|')
		if (!strncmp(p, v, n) && (p[n] == '|' || !p[n]))
			return true;
	return false;
}

static int read_sub(struct manifest_ctx *c, struct kvv *out, const struct mnode *v,
                    const char *path, const struct swarm_sub *table)
{
	char kpath[MANIFEST_PATH_MAX], text[64], q[80];
	size_t i;
	int rc = 0;

	if (manifest_expect(c, v, MNODE_MAP, path))
		return ERR_INVALID;
	for (i = 0; i < v->n; i++) {
		const char *k = v->keys[i]->value;
		const struct swarm_sub *t;
		char *str = NULL;
		int64_t ns;
		uint64_t u;
		int r = 0;

		manifest_path_key(kpath, sizeof(kpath), path, k);
		for (t = table; t->key && strcmp(t->key, k); t++)
			;
		if (!t->key) {
			if (strncmp(k, "x-", 2)) {
				manifest_error(c, v->keys[i], path, "unknown key '%s'", k);
				rc = rc ? rc : ERR_INVALID;
			}
			continue;
		}
		switch (t->kind) {
		case SK_UINT:
			r = manifest_uint(c, &u, v->items[i], kpath, 1000000);
			if (!r)
				snprintf(text, sizeof(text), "%llu", (unsigned long long)u);
			break;
		case SK_DURATION:
			r = manifest_duration(c, &ns, v->items[i], kpath);
			if (!r)
				snprintf(text, sizeof(text), "%lld", (long long)ns);
			break;
		case SK_RATIO:
		case SK_ONE_OF:
			r = manifest_string(c, &str, v->items[i], kpath);
			if (!r && t->kind == SK_ONE_OF && !one_of(str, t->one_of)) {
				manifest_error(
				        c, v->items[i], kpath, "invalid value \"%s\": use %s",
				        manifest_quote(q, sizeof(q), v->items[i]), t->one_of);
				r = ERR_INVALID;
			} else if (!r && t->kind == SK_RATIO) {
				char *end;
				double d = strtod(str, &end);

				if (*end || d < 0 || d > 1) {
					manifest_error(c, v->items[i], kpath,
					               "must be a number from 0 to 1");
					r = ERR_INVALID;
				}
			}
			if (!r)
				snprintf(text, sizeof(text), "%s", str);
			free(str);
			break;
		}
		if (!r && kvv_set(out, k, text) < 0)
			return manifest_nomem(c);
		rc = rc ? rc : r;
	}
	return rc;
}

/* placement.preferences: a list of {spread: <node label>}; the first bad entry ends it. */
static int read_preferences(struct manifest_ctx *c, struct service *s, const struct mnode *x,
                            const char *kpath)
{
	char ipath[MANIFEST_PATH_MAX + 24];
	size_t j;
	int r = 0;

	if (manifest_expect(c, x, MNODE_SEQ, kpath))
		return ERR_INVALID;
	for (j = 0; !r && j < x->n; j++) {
		const struct mnode *spread = NULL;
		char *str = NULL;

		snprintf(ipath, sizeof(ipath), "%s[%zu]", kpath, j);
		if (x->items[j]->type == MNODE_MAP && x->items[j]->n == 1 &&
		    !strcmp(x->items[j]->keys[0]->value, "spread"))
			spread = x->items[j]->items[0];
		if (!spread) {
			manifest_error(c, x->items[j], ipath, "must be {spread: <node label>}");
			return ERR_INVALID;
		}
		r = manifest_string(c, &str, spread, ipath);
		if (!r && strv_push(&s->placement_prefs, str) < 0)
			r = manifest_nomem(c);
		free(str);
	}
	return r;
}

/* deploy.placement (max_replicas_per_node is not read: unknown). */
static const struct manifest_key placement_keys[] = {
	{ .key = "constraints",
	  .kind = MK_STRINGS,
	  .offset = offsetof(struct service, placement_constraints) },
	{ .key = "preferences", .kind = MK_CUSTOM, .fn = read_preferences },
	{ .key = NULL },
};

int manifest_deploy_swarm(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                          const struct mnode *v, const char *kpath)
{
	const char *k = key->value;
	bool swarm = c->p->target && !strcmp(c->p->target, "swarm");
	char *str = NULL, q[80];
	int r = 0;

	if (!strcmp(k, "mode") || !strcmp(k, "endpoint_mode")) {
		bool mode = !strcmp(k, "mode");

		r = manifest_string(c, &str, v, kpath);
		if (r)
			return r;
		if (mode ? !strcmp(str, "replicated") : !strcmp(str, "vip")) {
			free(str);
			return 0;
		}
		if (!(mode ? !strcmp(str, "global") : !strcmp(str, "dnsrr"))) {
			manifest_error(c, v, kpath, "invalid value \"%s\": use %s",
			               manifest_quote(q, sizeof(q), v),
			               mode ? "replicated or global" : "vip or dnsrr");
			free(str);
			return ERR_INVALID;
		}
		if (!swarm) {
			manifest_error(
			        c, v, kpath,
			        "\"%s\" is a Swarm feature: set x-deployctl: {target: swarm}", str);
			free(str);
			return ERR_INVALID;
		}
		free(mode ? s->deploy_mode : s->endpoint_mode);
		if (mode)
			s->deploy_mode = str;
		else
			s->endpoint_mode = str;
		return 0;
	}
	if (!swarm) {
		if (!strcmp(k, "restart_policy"))
			manifest_error(c, key, kpath,
			               "not supported on one host: use restart:, or x-deployctl: "
			               "{target: swarm}");
		else if (!strcmp(k, "placement"))
			manifest_error(c, key, kpath,
			               "not supported: a Swarm feature; deployctl runs on one host "
			               "(x-deployctl: {target: swarm} runs on Swarm)");
		else
			manifest_error(c, key, kpath,
			               "not supported: use x-deployctl: {rollout: ...} for how a "
			               "service is replaced, or x-deployctl: {target: swarm}");
		return ERR_INVALID;
	}
	if (!strcmp(k, "placement"))
		return manifest_read_map(c, placement_keys, s, v, kpath);
	if (!strcmp(k, "update_config"))
		return read_sub(c, &s->update_config, v, kpath, update_keys);
	if (!strcmp(k, "rollback_config"))
		return read_sub(c, &s->rollback_config, v, kpath, rollback_keys);
	return read_sub(c, &s->restart_policy, v, kpath, restart_keys);
}
