/*
 * spec_resource.c - networks' and volumes' settings as JSON for release
 * snapshots, and back: what a rollback needs to create a network again as
 * the release had it (ipam subnets and gateways above all: a service with
 * a fixed ipv4_address cannot start on a network Docker numbered itself).
 */
#include "deployctl/spec_resource.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

static int bad(struct err *err, const char *what)
{
	return err_set(err, ERR_INVALID, "resource spec: %s", what);
}

/* Set key to s (a string) when s is set; false only when out of memory. */
static bool put_str(json_t *o, const char *key, const char *s)
{
	return !s || json_object_set_new(o, key, json_string(s)) == 0;
}

static int dump(char **out, json_t *o, struct err *err)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	if (!text)
		return nomem(err);
	*out = text;
	return 0;
}

/* A network's own settings into o: ipam, ipam_driver, internal, enable_ipv6; false: no memory. */
static bool network_render(json_t *o, const struct project_resource *n)
{
	json_t *ipam = json_array(), *e;
	bool ok = ipam != NULL;
	size_t i;

	for (i = 0; ok && i < n->nipam; i++) {
		e = json_object();
		ok = e && put_str(e, "subnet", n->ipam[i].subnet) &&
		     put_str(e, "gateway", n->ipam[i].gateway) &&
		     put_str(e, "ip_range", n->ipam[i].ip_range);
		ok = ok && json_array_append_new(ipam, e) == 0;
		if (!ok)
			json_decref(e);
	}
	ok = ok && json_object_set_new(o, "ipam", ipam) == 0;
	if (!ok)
		json_decref(ipam);
	return ok && put_str(o, "ipam_driver", n->ipam_driver) &&
	       json_object_set_new(o, "internal", json_boolean(n->internal)) == 0 &&
	       json_object_set_new(o, "enable_ipv6", json_boolean(n->enable_ipv6)) == 0;
}

int spec_resource_render(char **out, enum res_kind k, const struct project_resource *r,
                         struct err *err)
{
	json_t *o = json_object();

	if (!o || !put_str(o, "driver", r->driver) ||
	    json_object_set_new(o, "labels", spec_kvv_json(&r->labels)) < 0 ||
	    (k == RES_NETWORK && !network_render(o, r))) {
		json_decref(o);
		return nomem(err);
	}
	return dump(out, o, err);
}

/* Optional string member key of o into *out (new); absent or null: NULL. */
static int get_str(char **out, json_t *o, const char *key, struct err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : nomem(err);
}

static int get_labels(struct kvv *out, json_t *o, struct err *err)
{
	json_t *l = json_object_get(o, "labels"), *v;
	const char *k;

	if (!l)
		return 0;
	if (!json_is_object(l))
		return bad(err, "labels");
	json_object_foreach(l, k, v)
	{
		if (!json_is_string(v))
			return bad(err, "labels");
		if (kvv_set(out, k, json_string_value(v)) < 0)
			return nomem(err);
	}
	return 0;
}

static json_t *load(const char *json, struct err *err)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);

	if (!o || !json_is_object(o)) {
		json_decref(o);
		bad(err, "not a JSON object");
		return NULL;
	}
	return o;
}

/* A network's own settings of o into n (see network_render). */
static int network_parse(struct project_resource *n, json_t *o, struct err *err)
{
	json_t *ipam = json_object_get(o, "ipam"), *e;
	size_t i;
	int rc;

	rc = ipam && !json_is_array(ipam) ? bad(err, "ipam") : 0;
	if (!rc)
		rc = get_str(&n->ipam_driver, o, "ipam_driver", err);
	n->internal = json_is_true(json_object_get(o, "internal"));
	n->enable_ipv6 = json_is_true(json_object_get(o, "enable_ipv6"));
	if (!rc && ipam && json_array_size(ipam)) {
		n->ipam = calloc(json_array_size(ipam), sizeof(*n->ipam));
		rc = n->ipam ? 0 : nomem(err);
	}
	json_array_foreach(ipam, i, e)
	{
		struct net_ipam *x;

		if (rc)
			break;
		x = &n->ipam[n->nipam++];
		rc = json_is_object(e) ? 0 : bad(err, "ipam entry");
		if (!rc)
			rc = get_str(&x->subnet, e, "subnet", err);
		if (!rc)
			rc = get_str(&x->gateway, e, "gateway", err);
		if (!rc)
			rc = get_str(&x->ip_range, e, "ip_range", err);
	}
	return rc;
}

int spec_resource_parse(struct project_resource *r, enum res_kind k, const char *json,
                        struct err *err)
{
	json_t *o = load(json, err);
	int rc;

	if (!o)
		return ERR_INVALID;
	rc = get_str(&r->driver, o, "driver", err);
	if (!rc)
		rc = get_labels(&r->labels, o, err);
	if (!rc && k == RES_NETWORK)
		rc = network_parse(r, o, err);
	json_decref(o);
	return rc;
}
