/*
 * docker_inspect.c - who a container is now (GET /containers/{ref}/json),
 * which a rollout asks before it acts on a name after a reply that never
 * came; and taking a container off its networks for a drain, then putting
 * it back once it is stopped (POST /networks/{id}/disconnect, /connect).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "docker_internal.h"
#include "docker_json.h"

static int inspect_nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

static int inspect_dup(char **out, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	*out = s ? strdup(s) : NULL;
	return s && !*out ? ERR_NOMEM : 0;
}

/* GET /containers/{ref}/json into root (new). */
static int inspect_raw(json_t **root, struct docker *d, const char *ref, struct err *err)
{
	char what[300];

	*root = NULL;
	snprintf(what, sizeof(what), "inspect \"%.200s\"", ref);
	return docker_get_object(root, d, "/containers/", ref, "/json", what,
	                         "/containers/{id}/json", err);
}

int docker_container_inspect(struct docker_container *out, struct docker *d, const char *ref,
                             struct err *err)
{
	struct docker_container c = { 0 };
	json_t *root = NULL, *labels, *nets, *v;
	const char *name, *key;
	int rc;

	rc = inspect_raw(&root, d, ref, err);
	if (rc < 0)
		return rc;
	labels = json_object_get(json_object_get(root, "Config"), "Labels");
	nets = json_object_get(json_object_get(root, "NetworkSettings"), "Networks");
	name = json_string_value(json_object_get(root, "Name"));
	if (inspect_dup(&c.id, root, "Id") < 0 ||
	    inspect_dup(&c.state, json_object_get(root, "State"), "Status") < 0 ||
	    inspect_dup(&c.project, labels, LABEL_PROJECT) < 0 ||
	    inspect_dup(&c.service, labels, LABEL_SERVICE) < 0 ||
	    inspect_dup(&c.release, labels, LABEL_RELEASE) < 0 ||
	    inspect_dup(&c.spec_hash, labels, LABEL_SPEC_HASH) < 0 ||
	    (name && !(c.name = strdup(name[0] == '/' ? name + 1 : name)))) {
		rc = inspect_nomem(err);
		goto out;
	}
	json_object_foreach(nets, key, v)
	{
		if (strv_push(&c.networks, key) < 0) {
			rc = inspect_nomem(err);
			goto out;
		}
	}
	strv_sort(&c.networks);
	if (!c.id || !c.name || !c.state) {
		rc = err_set(err, ERR_DOCKER,
		             "bad JSON from '/containers/{id}/json': no Id, Name "
		             "or State");
		goto out;
	}
	/* Docker also answers for an ID prefix: only an exact ID or name is this one. */
	if (strcmp(c.id, ref) && strcmp(c.name, ref)) {
		rc = err_set(err, ERR_NOTFOUND, "docker: no container is named '%.200s'", ref);
		goto out;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	docker_container_release(&c);
	json_decref(root);
	return rc;
}

void docker_netsave_release(struct docker_netsave *s)
{
	strv_free(&s->networks);
	strv_free(&s->bodies);
}

/*
 * The connect body that gives container id its endpoint ep back: the
 * aliases it had (without the short ID Docker adds by itself), its links
 * and its requested addresses. New text.
 */
static char *reconnect_body(const char *id, json_t *ep)
{
	json_t *body = json_object(), *cfg = json_object(), *aliases = json_array(), *a;
	char *text = NULL;
	size_t i;

	if (!body || !cfg || !aliases)
		goto out;
	json_array_foreach(json_object_get(ep, "Aliases"), i, a)
	{
		const char *s = json_string_value(a);

		if (s && !(strlen(s) == 12 && !strncmp(s, id, 12)) &&
		    json_array_append(aliases, a) < 0)
			goto out;
	}
	if (json_object_set(cfg, "Aliases", aliases) < 0 ||
	    (json_object_get(ep, "Links") &&
	     json_object_set(cfg, "Links", json_object_get(ep, "Links")) < 0) ||
	    (json_object_get(ep, "IPAMConfig") &&
	     json_object_set(cfg, "IPAMConfig", json_object_get(ep, "IPAMConfig")) < 0) ||
	    json_object_set_new(body, "Container", json_string(id)) < 0 ||
	    json_object_set(body, "EndpointConfig", cfg) < 0)
		goto out;
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(aliases);
	json_decref(cfg);
	json_decref(body);
	return text;
}

static int network_op(struct docker *d, const char *net, const char *verb, const char *body,
                      const char *id, struct err *err)
{
	struct buf resp, path;
	char what[300];
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	if (buf_puts(&path, "/networks/") < 0 || docker_urlencode(&path, net) < 0 ||
	    buf_putc(&path, '/') < 0 || buf_puts(&path, verb) < 0) {
		rc = inspect_nomem(err);
		goto out;
	}
	snprintf(what, sizeof(what), "%s \"%.12s\" %s network \"%.12s\"", verb, id,
	         strcmp(verb, "connect") ? "from" : "to", net);
	rc = docker_call(&resp, d, "POST", path.ptr, body, 0, what, err);
out:
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_container_disconnect_all(struct docker_netsave *saved, struct docker *d, const char *id,
                                    struct err *err)
{
	json_t *root = NULL, *nets, *ep, *dbody = NULL;
	const char *key;
	char *text = NULL;
	int rc;

	rc = inspect_raw(&root, d, id, err);
	if (rc < 0)
		return rc;
	nets = json_object_get(json_object_get(root, "NetworkSettings"), "Networks");
	json_object_foreach(nets, key, ep)
	{
		const char *net = json_string_value(json_object_get(ep, "NetworkID"));
		char *body = reconnect_body(id, ep);

		if (!body || strv_push(&saved->networks, net && *net ? net : key) < 0 ||
		    strv_push(&saved->bodies, body) < 0) {
			free(body);
			rc = inspect_nomem(err);
			goto out;
		}
		free(body);
	}
	dbody = json_pack("{s:s, s:b}", "Container", id, "Force", 0);
	text = dbody ? json_dumps(dbody, JSON_COMPACT) : NULL;
	if (!text) {
		rc = inspect_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < saved->networks.n && rc == 0; i++)
		rc = network_op(d, saved->networks.v[i], "disconnect", text, id, err);
out:
	free(text);
	json_decref(dbody);
	json_decref(root);
	return rc;
}

int docker_container_reconnect(struct docker *d, const char *id, const struct docker_netsave *saved,
                               struct err *err)
{
	int rc = 0;

	for (size_t i = 0; i < saved->networks.n; i++) {
		struct err one = ERR_INIT;

		/* Every network is tried; the first error is what counts. */
		if (network_op(d, saved->networks.v[i], "connect", saved->bodies.v[i], id, &one) <
		            0 &&
		    rc == 0)
			rc = err_set(err, one.code, "%s", one.msg);
	}
	return rc;
}
