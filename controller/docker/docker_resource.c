/*
 * docker_resource.c - the Engine's networks and volumes, the two resources
 * a project declares beside its services: list a project's, create one
 * with its owner labels (and a network's IPAM), remove one (a network
 * retried while the daemon still reports endpoints), and look one up by
 * name (for external ones).
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
/* ---- networks -------------------------------------------------------- */

static void network_release(void *elem)
{
	struct docker_network *nw = elem;

	free(nw->id);
	free(nw->name);
	free(nw->key);
}

static int decode_network(void *elem, json_t *o, struct err *err)
{
	struct docker_network *nw = elem;

	if (!json_string_value(json_object_get(o, "Id")) ||
	    !json_string_value(json_object_get(o, "Name")))
		return err_set(err, ERR_UNREACHABLE, "bad JSON from '/networks': entry without Id");
	if (docker_dup_str(&nw->id, o, "Id", err) < 0 ||
	    docker_dup_str(&nw->name, o, "Name", err) < 0 ||
	    docker_dup_label(&nw->key, json_object_get(o, "Labels"), LABEL_NETWORK, err) < 0)
		return ERR_NOMEM;
	return 0;
}

static const struct docker_list_decoder network_list = {
	"/networks",    "networks",      NULL, sizeof(struct docker_network),
	decode_network, network_release,
};

void docker_network_list_free(struct docker_network *v, size_t n)
{
	docker_list_free(v, n, &network_list);
}

int docker_decode_networks(struct docker_network **out, size_t *n, const char *json,
                           struct err *err)
{
	return docker_list_decode((void **)out, n, json, &network_list, err);
}

int docker_network_list(struct docker_network **out, size_t *n, struct docker *d,
                        const char *project, struct err *err)
{
	return docker_list_fetch((void **)out, n, d, &network_list, "", project, err);
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

int docker_network_create(char **id_out, struct docker *d, const struct project *p,
                          const struct project_resource *net, const char *docker_name,
                          struct err *err)
{
	json_t *body = json_object(), *labels = NULL;
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	labels = owner_labels(&net->labels, p->name, LABEL_NETWORK, net->name);
	if (!body || !labels || json_object_set_new(body, "Name", json_string(docker_name)) < 0 ||
	    json_object_set_new(body, "CheckDuplicate", json_true()) < 0 ||
	    json_object_set_new(body, "Driver", json_string(net->driver ? net->driver : "bridge")) <
	            0 ||
	    json_object_set_new(body, "Internal", json_boolean(net->internal)) < 0 ||
	    json_object_set_new(body, "EnableIPv6", json_boolean(net->enable_ipv6)) < 0 ||
	    (net->nipam && json_object_set_new(body, "IPAM", ipam_json(net)) < 0) ||
	    json_object_set(body, "Labels", labels) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = resource_create(&resp, d, "network", docker_name, body, err);
	if (rc == 0)
		rc = docker_decode_id(id_out, resp.ptr, "/networks/create", err);
out:
	json_decref(labels);
	json_decref(body);
	buf_release(&resp);
	return rc;
}

int docker_network_remove(struct docker *d, const char *id, struct err *err)
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

int docker_network_lookup(char **id_out, struct docker *d, const char *name, struct err *err)
{
	struct docker_network *v = NULL;
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
		rc = docker_decode_networks(&v, &n, resp.ptr, err);
	if (rc < 0)
		goto out;
	/* The name filter matches substrings: keep exact matches only. */
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
	docker_network_list_free(v, n);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* ---- volumes --------------------------------------------------------- */

static void volume_release(void *elem)
{
	struct docker_volume *vol = elem;

	free(vol->name);
	free(vol->key);
}

static int decode_volume(void *elem, json_t *o, struct err *err)
{
	struct docker_volume *vol = elem;

	if (!json_string_value(json_object_get(o, "Name")))
		return err_set(err, ERR_UNREACHABLE,
		               "bad JSON from '/volumes': entry without Name");
	if (docker_dup_str(&vol->name, o, "Name", err) < 0 ||
	    docker_dup_label(&vol->key, json_object_get(o, "Labels"), LABEL_VOLUME, err) < 0)
		return ERR_NOMEM;
	return 0;
}

/* /volumes answers {"Volumes": [...] or null, "Warnings": ...}. */
static const struct docker_list_decoder volume_list = {
	"/volumes",    "volumes",      "Volumes", sizeof(struct docker_volume),
	decode_volume, volume_release,
};

void docker_volume_list_free(struct docker_volume *v, size_t n)
{
	docker_list_free(v, n, &volume_list);
}

int docker_decode_volumes(struct docker_volume **out, size_t *n, const char *json, struct err *err)
{
	return docker_list_decode((void **)out, n, json, &volume_list, err);
}

int docker_volume_list(struct docker_volume **out, size_t *n, struct docker *d, const char *project,
                       struct err *err)
{
	return docker_list_fetch((void **)out, n, d, &volume_list, "", project, err);
}

int docker_volume_create(struct docker *d, const struct project *p,
                         const struct project_resource *vol, const char *docker_name, struct err *err)
{
	json_t *body = json_object(), *labels = NULL;
	struct buf resp;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	labels = owner_labels(&vol->labels, p->name, LABEL_VOLUME, vol->name);
	if (!body || !labels || json_object_set_new(body, "Name", json_string(docker_name)) < 0 ||
	    json_object_set_new(body, "Driver", json_string(vol->driver ? vol->driver : "local")) <
	            0 ||
	    json_object_set(body, "Labels", labels) < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = resource_create(&resp, d, "volume", docker_name, body, err);
out:
	json_decref(labels);
	json_decref(body);
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

int docker_volume_remove(struct docker *d, const char *name, struct err *err)
{
	return volume_op(d, "DELETE", name, "remove", err);
}

int docker_volume_lookup(struct docker *d, const char *name, struct err *err)
{
	return volume_op(d, "GET", name, "inspect", err);
}
