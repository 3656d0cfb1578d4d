/*
 * docker_get.c - the one "GET an Engine object and load its JSON" of the
 * docker module: inspect calls (a service, a node, a container, an exec)
 * and the reads of /info, /nodes and /tasks all come through here, so an
 * HTTP error and a garbage answer read the same from every call.
 */
#include <stdio.h>

#include "deployctl/buf.h"
#include "docker_internal.h"
#include "docker_json.h"

/* On success *out is a new reference the caller json_decref()s. */
int docker_get_json(json_t **out, struct docker *d, const char *path, const char *verb,
                    const char *what, json_type want, struct err *err)
{
	struct buf resp;
	json_t *root = NULL;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_call(&resp, d, "GET", path, NULL, 0, verb, err);
	if (rc == 0 && !(root = docker_load_json(resp.ptr, what, want, err)))
		rc = err->code;
	buf_release(&resp);
	if (rc == 0)
		*out = root;
	return rc;
}

/* On success *out is a new reference the caller json_decref()s. */
int docker_get_object(json_t **out, struct docker *d, const char *prefix, const char *id,
                      const char *suffix, const char *verb, const char *what, struct err *err)
{
	struct buf path;
	int rc;

	buf_init(&path, 0);
	if (buf_puts(&path, prefix) < 0 || docker_path_encode(&path, id, "") < 0 ||
	    buf_puts(&path, suffix) < 0)
		rc = docker_nomem(err);
	else
		rc = docker_get_json(out, d, path.ptr, verb, what, JSON_OBJECT, err);
	buf_release(&path);
	return rc;
}

int docker_label_path(struct buf *path, const char *endpoint, const char *k1, const char *v1,
                      const char *k2, const char *v2)
{
	struct buf l1, l2;
	const char *labels[2];
	int rc = 0;

	buf_init(&l1, 0);
	buf_init(&l2, 0);
	if (buf_printf(path, "%s?", endpoint) < 0 || buf_printf(&l1, "%s=%s", k1, v1) < 0 ||
	    (k2 && buf_printf(&l2, "%s=%s", k2, v2) < 0))
		rc = ERR_NOMEM;
	labels[0] = l1.ptr;
	labels[1] = l2.ptr;
	if (rc == 0 && docker_filter_query(path, "label", labels, k2 ? 2 : 1) < 0)
		rc = ERR_NOMEM;
	buf_release(&l1);
	buf_release(&l2);
	return rc;
}
