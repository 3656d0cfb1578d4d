/*
 * docker_image.c - the Engine's images: a reference normalised as the
 * daemon names it, and which local image each wanted reference is (one list
 * call, then an inspect for what the list cannot answer, such as a digest).
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

/* ---- images ---------------------------------------------------------- */

char *docker_ref_normalise(const char *ref)
{
	const char *r = ref, *slash, *colon;
	size_t len;
	char *s;

	if (!strncmp(r, "docker.io/", 10))
		r += 10;
	else if (!strncmp(r, "index.docker.io/", 16))
		r += 16;
	if (!strncmp(r, "library/", 8))
		r += 8;
	if (strchr(r, '@'))
		return strdup(r);
	slash = strrchr(r, '/');
	colon = strrchr(r, ':');
	if (colon && (!slash || colon > slash))
		return strdup(r);
	len = strlen(r) + sizeof(":latest");
	s = malloc(len);
	if (s)
		snprintf(s, len, "%s:latest", r);
	return s;
}

static bool ref_by_digest(const char *ref)
{
	return strchr(ref, '@') || !strncmp(ref, "sha256:", 7);
}

/* Does any of the image's RepoTags normalise to want? -1 on no memory. */
static int image_has_tag(json_t *img, const char *want)
{
	json_t *tags = json_object_get(img, "RepoTags"), *t;
	size_t i;

	json_array_foreach(tags, i, t)
	{
		const char *tag = json_string_value(t);
		char *norm;
		int same;

		if (!tag)
			continue;
		norm = docker_ref_normalise(tag);
		if (!norm)
			return -1;
		same = !strcmp(norm, want);
		free(norm);
		if (same)
			return 1;
	}
	return 0;
}

int docker_decode_images(char **ids, const char *json, const char *const *refs, size_t n,
                         struct err *err)
{
	json_t *root = docker_load_json(json, "/images/json", JSON_ARRAY, err), *img;
	char *want = NULL;
	size_t i, j;
	int rc = 0, has;

	if (!root)
		return err->code;
	for (i = 0; i < n && rc == 0; i++) {
		if (ids[i] || ref_by_digest(refs[i]))
			continue;
		want = docker_ref_normalise(refs[i]);
		if (!want) {
			rc = docker_nomem(err);
			break;
		}
		json_array_foreach(root, j, img)
		{
			has = image_has_tag(img, want);
			if (has < 0) {
				rc = docker_nomem(err);
				break;
			}
			if (has) {
				rc = docker_dup_str(&ids[i], img, "Id", err);
				break;
			}
		}
		free(want);
		want = NULL;
	}
	json_decref(root);
	return rc;
}

int docker_image_inspect_raw(struct buf *resp, struct docker *d, const char *ref, bool missing_ok,
                             struct err *err)
{
	struct buf path;
	long status = 0;
	char what[600];
	int rc;

	buf_init(&path, 0);
	if (buf_puts(&path, "/images/") < 0 || docker_path_encode(&path, ref, "/:@") < 0 ||
	    buf_puts(&path, "/json") < 0) {
		rc = docker_nomem(err);
		goto out;
	}
	rc = docker_request(&status, resp, d, "GET", path.ptr, NULL, 0, err);
	if (rc < 0)
		goto out;
	if (missing_ok && status == 404) {
		rc = ERR_NOTFOUND;
		goto out;
	}
	snprintf(what, sizeof(what), "inspect image '%s'", ref);
	rc = docker_http_check(status, resp, what, err);
out:
	buf_release(&path);
	return rc;
}

/* GET /images/{ref}/json: the ID, or NULL when the daemon does not have it. */
static int image_inspect(char **id_out, struct docker *d, const char *ref, struct err *err)
{
	struct buf resp;
	int rc;

	*id_out = NULL;
	buf_init(&resp, DOCKER_RESPONSE_CAP);
	rc = docker_image_inspect_raw(&resp, d, ref, true, err);
	if (rc == 0)
		rc = docker_decode_id(id_out, resp.ptr, "/images/{name}/json", err);
	else if (rc == ERR_NOTFOUND)
		rc = 0;
	buf_release(&resp);
	return rc;
}

void docker_image_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

int docker_image_resolve(char **ids, struct docker *d, const char *const *refs, size_t n,
                         struct err *err)
{
	const char **values = NULL;
	struct buf resp, path;
	size_t i, nv = 0;
	int rc = 0;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	for (i = 0; i < n; i++)
		ids[i] = NULL;
	values = calloc(n + 1, sizeof(*values));
	if (!values) {
		rc = docker_nomem(err);
		goto out;
	}
	/*
	 * One list call for every tagged reference: the daemon ORs the values
	 * of the reference filter (checked on Engine 20.10). Values are the
	 * normalised familiar forms the filter matches against.
	 */
	for (i = 0; i < n; i++) {
		size_t k;

		if (ref_by_digest(refs[i]))
			continue;
		values[nv] = docker_ref_normalise(refs[i]);
		if (!values[nv++]) {
			rc = docker_nomem(err);
			goto out;
		}
		/* Once each: 50 services of one image asked the daemon to match it 50 times. */
		for (k = 0; k + 1 < nv && strcmp(values[k], values[nv - 1]); k++)
			;
		if (k + 1 < nv)
			free((char *)values[--nv]);
	}
	if (nv) {
		if (buf_puts(&path, "/images/json?") < 0 ||
		    docker_filter_query(&path, "reference", values, nv) < 0) {
			rc = docker_nomem(err);
			goto out;
		}
		rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "list images", err);
		if (rc == 0)
			rc = docker_decode_images(ids, resp.ptr, refs, n, err);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < n && rc == 0; i++)
		if (ref_by_digest(refs[i]))
			rc = image_inspect(&ids[i], d, refs[i], err);
out:
	if (rc < 0)
		for (i = 0; i < n; i++) {
			free(ids[i]);
			ids[i] = NULL;
		}
	for (i = 0; values && i < nv; i++)
		free((char *)values[i]);
	free(values);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}
