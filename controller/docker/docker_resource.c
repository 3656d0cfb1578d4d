/*
 * docker_resource.c - the Engine's networks and volumes, the two resources
 * a project declares beside its services, as one type (struct
 * docker_resource) with a row per kind: list a project's, create one with
 * its owner labels (and a network's IPAM), remove one (a network retried
 * while the daemon still reports endpoints), and look one up by name (for
 * external ones). Where the Engine treats the two differently (a network
 * has an ID, a volume's name is its ID) the functions say so.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_internal.h"
#include "docker_json.h"

/*
 * Network removal retries while the daemon still reports active endpoints
 * (moby#42119): the endpoints of containers just removed are released
 * asynchronously, and on a busy host that took over a second (t0607 in CI).
 * Backoff from 200 ms, doubling up to 2 s a try, for at most 12 s in all.
 */
#define NETWORK_REMOVE_DELAY_MS     200
#define NETWORK_REMOVE_MAX_DELAY_MS 2000
#define NETWORK_REMOVE_BUDGET_MS    12000
/* What tells the kinds apart on the Engine's side, indexed by enum res_kind. */
static const struct resource_kind {
	const char *noun;  /* "network": /networks, /networks/create, ... */
	const char *label; /* the owner label holding the manifest key */
	const char *id;    /* the field of the ID, or NULL: the name is the ID */
} kinds[RES__COUNT] = {
	[RES_NETWORK] = { "network", LABEL_NETWORK, "Id" },
	[RES_VOLUME] = { "volume", LABEL_VOLUME, NULL },
};

static void resource_release(void *elem)
{
	struct docker_resource *r = elem;

	free(r->id);
	free(r->name);
	free(r->key);
}

static int decode_resource(struct docker_resource *r, json_t *o, enum res_kind k, struct err *err)
{
	const char *id = kinds[k].id;

	if ((id && !json_string_value(json_object_get(o, id))) ||
	    !json_string_value(json_object_get(o, "Name")))
		return err_set(err, ERR_UNREACHABLE, "bad JSON from '/%ss': entry without %s",
		               kinds[k].noun, id ? id : "Name");
	if ((id && docker_dup_str(&r->id, o, id, err) < 0) ||
	    docker_dup_str(&r->name, o, "Name", err) < 0 ||
	    docker_dup_label(&r->key, json_object_get(o, "Labels"), kinds[k].label, err) < 0)
		return ERR_NOMEM;
	return 0;
}

static int decode_network(void *elem, json_t *o, struct err *err)
{
	return decode_resource(elem, o, RES_NETWORK, err);
}

static int decode_volume(void *elem, json_t *o, struct err *err)
{
	return decode_resource(elem, o, RES_VOLUME, err);
}

/* /volumes answers {"Volumes": [...] or null, "Warnings": ...}. */
static const struct docker_list_decoder lists[RES__COUNT] = {
	[RES_NETWORK] = { "/networks", "networks", NULL, sizeof(struct docker_resource),
	                  decode_network, resource_release },
	[RES_VOLUME] = { "/volumes", "volumes", "Volumes", sizeof(struct docker_resource),
	                 decode_volume, resource_release },
};

void docker_resource_list_free(struct docker_resource *v, size_t n)
{
	docker_list_free(v, n, &lists[RES_NETWORK]); /* one element type, one release */
}

const struct docker_resource *docker_resource_find(const struct docker_resource *v, size_t n,
                                                   const char *key, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].key && !strcmp(v[i].key, key) && !strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

int docker_decode_resources(struct docker_resource **out, size_t *n, enum res_kind k,
                            const char *json, struct err *err)
{
	return docker_list_decode((void **)out, n, json, &lists[k], err);
}

int docker_resource_list(struct docker_resource **out, size_t *n, struct docker *d, enum res_kind k,
                         const char *project, struct err *err)
{
	return docker_list_fetch((void **)out, n, d, &lists[k], "", project, err);
}

/* Labels object: user labels, then the owner labels (which win). NULL on no memory. */
static json_t *owner_labels(const struct kvv *user, const char *project, const char *kind_label,
                            const char *key)
{
	json_t *labels = json_object();
	size_t i;

	if (!labels)
		return NULL;
	for (i = 0; i < user->n; i++)
		if (json_object_set_new(labels, user->v[i].key, json_string(user->v[i].value)) < 0)
			goto fail;
	if (json_object_set_new(labels, LABEL_PROJECT, json_string(project)) < 0 ||
	    json_object_set_new(labels, kind_label, json_string(key)) < 0)
		goto fail;
	return labels;
fail:
	json_decref(labels);
	return NULL;
}

/*
 * POST /<noun>s/create with body (a network's or a volume's: the two
 * resources are created alike), the answer into resp (caller's).
 */
static int resource_create(struct buf *resp, struct docker *d, const char *noun,
                           const char *docker_name, const json_t *body, struct err *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	char what[300], path[32];
	int rc;

	if (!text)
		return docker_nomem(err);
	snprintf(what, sizeof(what), "create %s '%s'", noun, docker_name);
	snprintf(path, sizeof(path), "/%ss/create", noun);
	rc = docker_call(resp, d, "POST", path, text, 0, what, err);
	free(text);
	return rc;
}

/* {"Driver": ..., "Config": [{"Subnet", "Gateway", "IPRange"}]}, or NULL when out of memory. */
static json_t *ipam_json(const struct project_resource *net)
{
	json_t *cfg = json_array(), *o;
	size_t i;

	for (i = 0; cfg && i < net->nipam; i++) {
		o = json_pack("{s:s}", "Subnet", net->ipam[i].subnet ? net->ipam[i].subnet : "");
		if (o && net->ipam[i].gateway)
			json_object_set_new(o, "Gateway", json_string(net->ipam[i].gateway));
		if (o && net->ipam[i].ip_range)
			json_object_set_new(o, "IPRange", json_string(net->ipam[i].ip_range));
		if (!o || json_array_append_new(cfg, o) < 0) {
			json_decref(cfg);
			return NULL;
		}
	}
	return cfg ? json_pack("{s:s, s:o}", "Driver",
	                       net->ipam_driver ? net->ipam_driver : "default", "Config", cfg)
	           : NULL;
}

/* A network's part of the create body: driver, internal, IPv6, IPAM; nonzero: no memory. */
static int network_body(json_t *body, const struct project_resource *net)
{
	return json_object_set_new(body, "CheckDuplicate", json_true()) < 0 ||
	       json_object_set_new(body, "Driver",
	                           json_string(net->driver ? net->driver : "bridge")) < 0 ||
	       json_object_set_new(body, "Internal", json_boolean(net->internal)) < 0 ||
	       json_object_set_new(body, "EnableIPv6", json_boolean(net->enable_ipv6)) < 0 ||
	       (net->nipam && json_object_set_new(body, "IPAM", ipam_json(net)) < 0);
}

int docker_resource_create(char **id_out, struct docker *d, enum res_kind k,
                           const struct project *p, const struct project_resource *r,
                           const char *docker_name, struct err *err)
{
	json_t *body = json_object(), *labels = NULL;
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	labels = owner_labels(&r->labels, p->name, kinds[k].label, r->name);
	if (!body || !labels || json_object_set_new(body, "Name", json_string(docker_name)) < 0 ||
	    (k == RES_NETWORK && network_body(body, r)) ||
	    (k == RES_VOLUME &&
	     json_object_set_new(body, "Driver", json_string(r->driver ? r->driver : "local")) <
	             0) ||
	    json_object_set(body, "Labels", labels) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = resource_create(&resp, d, kinds[k].noun, docker_name, body, err);
	if (rc == 0 && k == RES_NETWORK)
		rc = docker_decode_id(id_out, resp.ptr, "/networks/create", err);
	else if (rc == 0)
		*id_out = NULL;
out:
	json_decref(labels);
	json_decref(body);
	buf_release(&resp);
	return rc;
}

/* DELETE /networks/{id}, retried while the daemon reports active endpoints. */
static int network_remove(struct docker *d, const char *id, struct err *err)
{
	struct buf resp, path;
	long status = 0;
	char what[200];
	long start = clock_mono_ms(), delay = NETWORK_REMOVE_DELAY_MS;
	int rc, try;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/networks/") < 0 || docker_urlencode(&path, id) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	for (try = 1;; try++) {
		rc = docker_request(&status, &resp, d, "DELETE", path.ptr, NULL, 0, err);
		if (rc < 0 || status < 400)
			goto out;
		if (!strstr(resp.ptr, "active endpoints") ||
		    clock_mono_ms() - start + delay > NETWORK_REMOVE_BUDGET_MS)
			break;
		clock_sleep_ms(delay);
		delay = delay * 2 > NETWORK_REMOVE_MAX_DELAY_MS ? NETWORK_REMOVE_MAX_DELAY_MS
		                                                : delay * 2;
	}
	if (try > 1)
		snprintf(what, sizeof(what), "remove network \"%.12s\" (%d tries)", id, try);
	else
		docker_what(what, sizeof(what), "remove network", id);
	rc = docker_http_check(status, &resp, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* GET or DELETE /volumes/{name}. */
static int volume_op(struct docker *d, const char *method, const char *name, const char *verb,
                     struct err *err)
{
	struct buf resp, path;
	char what[300];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/volumes/") < 0 || docker_urlencode(&path, name) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "%s volume '%s'", verb, name);
	rc = docker_call(&resp, d, method, path.ptr, NULL, 0, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_resource_remove(struct docker *d, enum res_kind k, const char *id, struct err *err)
{
	return k == RES_NETWORK ? network_remove(d, id, err)
	                        : volume_op(d, "DELETE", id, "remove", err);
}

/*
 * The one network named name, by the list's name filter (which matches
 * substrings: exact matches only are kept); its ID into *id_out (new).
 */
static int network_lookup(char **id_out, struct docker *d, const char *name, struct err *err)
{
	struct docker_resource *v = NULL;
	struct buf resp, path;
	const char *values[1] = { name };
	size_t n = 0, i, found = 0;
	char *id = NULL;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/networks?") < 0 ||
	    docker_filter_query(&path, "name", values, 1) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "list networks", err);
	if (rc == 0)
		rc = docker_decode_resources(&v, &n, RES_NETWORK, resp.ptr, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name))
			continue;
		if (found++)
			continue;
		id = v[i].id;
		v[i].id = NULL;
	}
	if (!found)
		rc = err_set(err, ERR_NOTFOUND, "docker: no network named '%s'", name);
	else if (found > 1)
		rc = err_set(err, ERR_DOCKER,
		             "docker: %zu networks are named '%s'; remove the extra ones", found,
		             name);
	if (rc < 0)
		goto out;
	*id_out = id;
	id = NULL;
out:
	free(id);
	docker_resource_list_free(v, n);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_resource_lookup(char **id_out, struct docker *d, enum res_kind k, const char *name,
                           struct err *err)
{
	int rc;

	if (k == RES_NETWORK)
		return network_lookup(id_out, d, name, err);
	rc = volume_op(d, "GET", name, "inspect", err);
	if (rc == 0 && !(*id_out = strdup(name)))
		rc = docker_nomem(err);
	return rc;
}
