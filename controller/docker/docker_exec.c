/*
 * docker_exec.c - what health gating and rollback need from a running
 * container beyond its state: run the healthcheck command through the exec
 * API, read the tail of its logs, read its environment.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/clock.h"
#include "deployctl/sig.h"
#include "docker_internal.h"
#include "docker_json.h"

static int exec_path(struct buf *b, const char *a, const char *id, const char *c)
{
	if (buf_puts(b, a) < 0 || docker_urlencode(b, id) < 0 || buf_puts(b, c) < 0)
		return ERR_NOMEM;
	return 0;
}

/* On success *exec_id_out is new (the caller frees it). */
int docker_exec_create(char **exec_id_out, struct docker *d, const char *id,
                       const struct docker_exec_opts *o, bool attach, struct err *err)
{
	json_t *body = json_object(), *argv = json_array(), *reply = NULL;
	struct buf resp, path;
	char *text = NULL;
	const char *exec_id;
	size_t i;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	for (i = 0; argv && i < o->cmd->n; i++)
		json_array_append_new(argv, json_string(o->cmd->v[i]));
	if (!body || !argv || json_object_set_new(body, "Cmd", argv) < 0) {
		argv = NULL;
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(body, "AttachStdin", json_boolean(attach && o->stdin_open));
	json_object_set_new(body, "AttachStdout", json_boolean(attach));
	json_object_set_new(body, "AttachStderr", json_boolean(attach));
	json_object_set_new(body, "Tty", json_boolean(o->tty));
	if (o->tty && o->term) {
		json_t *env = json_array();
		char term[128];

		snprintf(term, sizeof(term), "TERM=%s", o->term);
		if (!env || json_array_append_new(env, json_string(term)) < 0 ||
		    json_object_set_new(body, "Env", env) < 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	text = json_dumps(body, JSON_COMPACT);
	if (!text || exec_path(&path, "/containers/", id, "/exec") < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = docker_call(&resp, d, "POST", path.ptr, text, 0, "exec", err);
	if (rc < 0)
		goto out;
	reply = json_loads(resp.ptr, 0, NULL);
	exec_id = json_string_value(json_object_get(reply, "Id"));
	if (!exec_id) {
		rc = err_set(err, ERR_DOCKER, "docker: exec: no exec ID in the answer");
		goto out;
	}
	if (!(*exec_id_out = strdup(exec_id)))
		rc = err_set(err, ERR_NOMEM, "out of memory");
out:
	json_decref(reply);
	json_decref(body);
	free(text);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_exec_run(int *exit_code, struct docker *d, const char *id, const struct strv *cmd,
                    long timeout_ms, struct err *err)
{
	const struct docker_exec_opts o = { .cmd = cmd };
	struct buf resp, path;
	char *exec_id = NULL;
	long deadline = clock_mono_ms() + timeout_ms, pause = 10;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	buf_init(&path, 0);
	rc = docker_exec_create(&exec_id, d, id, &o, false, err);
	if (rc < 0)
		goto out;
	buf_reset(&path);
	if (exec_path(&path, "/exec/", exec_id, "/start") < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = docker_call(&resp, d, "POST", path.ptr, "{\"Detach\":true,\"Tty\":false}", 0,
	                 "exec start", err);
	if (rc < 0)
		goto out;
	buf_reset(&path);
	if (exec_path(&path, "/exec/", exec_id, "/json") < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Poll until it is done, with a short bounded backoff. */
	for (;;) {
		json_t *st;
		json_t *code;

		buf_reset(&resp);
		rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "exec inspect", err);
		if (rc < 0)
			goto out;
		st = json_loads(resp.ptr, 0, NULL);
		code = json_object_get(st, "ExitCode");
		if (st && !json_is_true(json_object_get(st, "Running")) && json_is_integer(code)) {
			*exit_code = (int)json_integer_value(code);
			json_decref(st);
			rc = 0;
			goto out;
		}
		json_decref(st);
		/* The gate is being abandoned: its probe's result no longer matters. */
		if (sig_pending()) {
			rc = err_set(err, ERR_STOPPED, "probe abandoned: interrupted");
			goto out;
		}
		if (clock_mono_ms() + pause > deadline) {
			rc = err_set(err, ERR_FAIL, "probe did not finish within %ld ms",
			             timeout_ms);
			goto out;
		}
		clock_sleep_ms(pause);
		pause = pause < 200 ? pause * 2 : 200;
	}
out:
	free(exec_id);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

int docker_logs_demux(struct buf *out, const struct buf *in)
{
	size_t off = 0;

	while (off + 8 <= in->len) {
		const unsigned char *h = (const unsigned char *)in->ptr + off;
		size_t len =
		        ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];

		if (h[0] > 2 || off + 8 + len > in->len)
			return buf_add(out, in->ptr + off, in->len - off);
		if (buf_add(out, in->ptr + off + 8, len) < 0)
			return ERR_NOMEM;
		off += 8 + len;
	}
	return 0;
}

int docker_container_logs_tail(char **out, struct docker *d, const char *id, unsigned lines,
                               struct err *err)
{
	struct buf resp, path, text;
	char q[64];
	int rc;

	buf_init(&resp, 1u << 20);
	buf_init(&path, 0);
	buf_init(&text, 1u << 20);
	snprintf(q, sizeof(q), "/logs?stdout=1&stderr=1&tail=%u", lines);
	if (exec_path(&path, "/containers/", id, q) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = docker_call(&resp, d, "GET", path.ptr, NULL, 0, "logs", err);
	if (rc < 0)
		goto out;
	if (docker_logs_demux(&text, &resp) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*out = buf_detach(&text);
	rc = *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
out:
	buf_release(&text);
	buf_release(&path);
	buf_release(&resp);
	return rc;
}

/* Config.Labels of an inspect reply into out. */
static int labels_from(struct kvv *out, json_t *root, struct err *err)
{
	json_t *labels = json_object_get(json_object_get(root, "Config"), "Labels"), *v;
	const char *key;

	json_object_foreach(labels, key, v)
	{
		if (json_is_string(v) && kvv_set(out, key, json_string_value(v)) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/*
 * GET /containers/{id}/json into *root (new reference; an answer that is
 * not a JSON object is an error, as for every inspect). The call's result.
 */
static int inspect_root(json_t **root, struct docker *d, const char *id, struct err *err)
{
	*root = NULL;
	return docker_get_object(root, d, "/containers/", id, "/json", "inspect",
	                         "/containers/{id}/json", err);
}

int docker_container_labels(struct kvv *out, struct docker *d, const char *id, struct err *err)
{
	json_t *root = NULL;
	int rc = inspect_root(&root, d, id, err);

	if (rc >= 0)
		rc = labels_from(out, root, err);
	json_decref(root);
	return rc;
}

int docker_container_env(struct kvv *out, struct docker *d, const char *id, struct err *err)
{
	json_t *root = NULL, *env, *v;
	size_t i;
	int rc = inspect_root(&root, d, id, err);

	if (rc < 0)
		goto out;
	env = json_object_get(json_object_get(root, "Config"), "Env");
	json_array_foreach(env, i, v)
	{
		const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
		char key[256];

		if (!eq || (size_t)(eq - kv) >= sizeof(key))
			continue;
		memcpy(key, kv, (size_t)(eq - kv));
		key[eq - kv] = '\0';
		if (kvv_set(out, key, eq + 1) < 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
