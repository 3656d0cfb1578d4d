/*
 * docker_auth.c - image references and registry credentials: which
 * registry a reference names, and the X-Registry-Auth value for it from
 * the Docker client config's "auths" (credential helpers are not run).
 * No message made here holds a password or an auth value.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_internal.h"

#define REF_MAX 512

static int nomem(struct err *err)
{
	return err_set(err, ERR_NOMEM, "out of memory");
}

static void wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

void docker_auth_free(char *auth)
{
	if (!auth)
		return;
	wipe(auth, strlen(auth));
	free(auth);
}

/* *v into *out when the caller asked for it (out not NULL), else it stays to be freed. */
static void hand_over(char **out, char **v)
{
	if (out) {
		*out = *v;
		*v = NULL;
	}
}

/* Is the first path component of a reference a registry host? (Docker's rule.) */
static bool is_domain(const char *s, size_t len)
{
	return memchr(s, '.', len) || memchr(s, ':', len) ||
	       (len == 9 && !memcmp(s, "localhost", 9));
}

static bool is_hub(const char *host)
{
	return !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
	       !strcmp(host, "registry-1.docker.io");
}

static bool ref_chars_ok(const char *ref)
{
	const unsigned char *p;

	for (p = (const unsigned char *)ref; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

int docker_ref_parse(char **registry_out, char **repo_out, char **tag_out, const char *ref,
                     struct err *err)
{
	const char *at = strchr(ref, '@'), *slash, *colon, *path;
	size_t name_len = at ? (size_t)(at - ref) : strlen(ref), host_len = 0;
	char *host = NULL, *repo = NULL, *tag = NULL;
	int rc = ERR_NOMEM;

	if (!*ref || strlen(ref) > REF_MAX || !ref_chars_ok(ref) || name_len == 0 ||
	    (at && !strchr(at + 1, ':')))
		return err_set(err, ERR_INVALID, "bad image reference '%.*s'", REF_MAX, ref);
	slash = memchr(ref, '/', name_len);
	if (slash && is_domain(ref, (size_t)(slash - ref))) {
		host_len = (size_t)(slash - ref);
		path = slash + 1;
	} else {
		path = ref;
	}
	/* A tag is a ':' after the last '/' of the name part. */
	slash = NULL;
	colon = NULL;
	for (const char *p = path; p < ref + name_len; p++) {
		if (*p == '/')
			slash = p;
		else if (*p == ':')
			colon = p;
	}
	if (colon && slash && colon < slash)
		colon = NULL;
	if (path == ref + name_len || colon == path || (colon && colon + 1 == ref + name_len))
		return err_set(err, ERR_INVALID, "bad image reference '%s'", ref);

	host = host_len ? strndup(ref, host_len) : strdup("docker.io");
	if (!host)
		goto out;
	if (is_hub(host) && !strncmp(path, "library/", 8) && path[8] && path[8] != ':')
		path += 8;
	if (is_hub(host))
		repo = strndup(path, (size_t)((colon ? colon : ref + name_len) - path));
	else
		repo = strndup(ref, (size_t)((colon ? colon : ref + name_len) - ref));
	if (at)
		tag = strdup(at + 1);
	else if (colon)
		tag = strndup(colon + 1, (size_t)(ref + name_len - colon - 1));
	else
		tag = strdup("latest");
	if (!repo || !tag)
		goto out;
	hand_over(registry_out, &host);
	hand_over(repo_out, &repo);
	hand_over(tag_out, &tag);
	rc = 0;
out:
	free(host);
	free(repo);
	free(tag);
	return rc < 0 ? nomem(err) : 0;
}

int docker_base64url(struct buf *b, const void *data, size_t len)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		char q[4] = { tab[p[i] >> 2], tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			      tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], tab[p[i + 2] & 63] };

		if (buf_add(b, q, 4) < 0)
			return ERR_NOMEM;
	}
	if (i < len) {
		char q[4] = { tab[p[i] >> 2], 0, 0, '=' };

		if (i + 1 < len) {
			q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = tab[(p[i + 1] & 15) << 2];
		} else {
			q[1] = tab[(p[i] & 3) << 4];
			q[2] = '=';
		}
		if (buf_add(b, q, 4) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decode standard (or URL-safe) base64, padding optional, into a new string of *n bytes. */
static char *b64_decode(size_t *outlen, const char *s)
{
	size_t len = strlen(s), n = 0, i;
	unsigned acc = 0, bits = 0;
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	for (i = 0; i < len && s[i] != '='; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0) {
			wipe(out, n);
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	*outlen = n;
	if (memchr(out, '\0', n)) {
		wipe(out, n);
		free(out);
		return NULL;
	}
	return out;
}

/* Hostname part of an auths key: scheme and path dropped. */
static void key_host(char *out, size_t size, const char *key)
{
	size_t n;

	if (!strncmp(key, "https://", 8))
		key += 8;
	else if (!strncmp(key, "http://", 7))
		key += 7;
	n = strcspn(key, "/");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), key);
}

/* The auths entry for registry: an exact key first, then one with the same host. */
static json_t *find_entry(json_t *auths, const char *registry)
{
	const char *key;
	json_t *v, *found = NULL;
	char host[256];
	bool hub = is_hub(registry);

	if (hub && (v = json_object_get(auths, DOCKER_HUB_AUTH_KEY)))
		return v;
	if ((v = json_object_get(auths, registry)))
		return v;
	json_object_foreach(auths, key, v)
	{
		key_host(host, sizeof(host), key);
		if (hub ? is_hub(host) : !strcmp(host, registry)) {
			found = v;
			break;
		}
	}
	return found;
}

/* The error for an entry that holds no credentials, naming a helper when one is set. */
static int no_credentials(json_t *root, const char *path, const char *registry, struct err *err)
{
	const char *helper =
	        json_string_value(json_object_get(json_object_get(root, "credHelpers"), registry));

	if (!helper)
		helper = json_string_value(json_object_get(root, "credsStore"));
	if (helper && *helper)
		return err_set(
		        err, ERR_INVALID,
		        "registry '%s': credentials in '%s' are kept by the credential helper 'docker-credential-%s', which deployctl does not run; put an \"auth\" (base64 user:password) in the \"auths\" entry",
		        registry, path, helper);
	return err_set(
	        err, ERR_INVALID,
	        "registry '%s': the \"auths\" entry in '%s' has no \"auth\" (base64 user:password)",
	        registry, path);
}

/* user and password of an entry (borrowed from entry or from *decoded, new). */
static int entry_credentials(const char **user, const char **pass, char **decoded,
                             size_t *decoded_len, json_t *entry, const char *path,
                             const char *registry, struct err *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	char *colon;

	*user = json_string_value(json_object_get(entry, "username"));
	*pass = json_string_value(json_object_get(entry, "password"));
	if (!auth || !*auth)
		return 0;
	*decoded = b64_decode(decoded_len, auth);
	colon = *decoded ? strchr(*decoded, ':') : NULL;
	if (!colon)
		return err_set(err, ERR_INVALID,
		               "registry '%s': the \"auth\" in '%s' is not base64 of user:password",
		               registry, path);
	*colon = '\0';
	*user = *decoded;
	*pass = colon + 1;
	return 0;
}

int docker_auth_from_config(char **out, const char *config_json, const char *config_path,
                            const char *registry, struct err *err)
{
	json_t *root = NULL, *entry, *creds = NULL;
	json_error_t je;
	const char *user = NULL, *pass = NULL, *token;
	char *decoded = NULL, *text = NULL;
	size_t decoded_len = 0;
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b, 0);
	root = json_loads(config_json, 0, &je);
	if (!json_is_object(root)) {
		/* je.text may quote the file, so only the position is reported. */
		rc = err_set(err, ERR_INVALID, "bad JSON in '%s' at line %d", config_path,
		             root ? 1 : je.line);
		goto out;
	}
	entry = find_entry(json_object_get(root, "auths"), registry);
	if (!entry) {
		rc = 0;
		goto out;
	}
	rc = entry_credentials(&user, &pass, &decoded, &decoded_len, entry, config_path, registry,
	                       err);
	if (rc < 0)
		goto out;
	token = json_string_value(json_object_get(entry, "identitytoken"));
	if (!(user && pass) && !(token && *token)) {
		rc = no_credentials(root, config_path, registry, err);
		goto out;
	}
	creds = json_object();
	if (!creds || (user && json_object_set_new(creds, "username", json_string(user)) < 0) ||
	    (pass && json_object_set_new(creds, "password", json_string(pass)) < 0) ||
	    (token && *token &&
	     json_object_set_new(creds, "identitytoken", json_string(token)) < 0) ||
	    json_object_set_new(creds, "serveraddress",
	                        json_string(is_hub(registry) ? DOCKER_HUB_AUTH_KEY : registry)) <
	            0 ||
	    !(text = json_dumps(creds, JSON_COMPACT)) ||
	    docker_base64url(&b, text, strlen(text)) < 0) {
		rc = nomem(err);
		goto out;
	}
	*out = buf_detach(&b);
	rc = 0;
out:
	if (decoded) {
		wipe(decoded, decoded_len);
		free(decoded);
	}
	docker_auth_free(text);
	wipe(b.ptr, b.len);
	buf_release(&b);
	json_decref(creds);
	json_decref(root);
	return rc;
}

/* The client config's path: $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
static int config_path(struct buf *path)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dir && *dir)
		return buf_printf(path, "%s/config.json", dir);
	if (home && *home)
		return buf_printf(path, "%s/.docker/config.json", home);
	return 0;
}

/* Read path whole into b (capped); *missing when it does not exist. */
static int read_config(struct buf *b, bool *missing, const char *path, struct err *err)
{
	char chunk[4096];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	*missing = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*missing = true;
			return 0;
		}
		return err_set(err, ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = err_set(err, ERR_IO, "'%s' is not a regular file", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (buf_add(b, chunk, (size_t)n) < 0) {
			rc = b->toobig ? err_set(err, ERR_INVALID, "'%s' is larger than %u bytes",
			                         path, (unsigned)DOCKER_CONFIG_MAX)
			               : nomem(err);
			goto out;
		}
	}
out:
	wipe(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int docker_auth_for_ref(char **out, struct buf *where, const char *ref, struct err *err)
{
	struct buf path, text;
	char *registry = NULL;
	bool missing = false;
	int rc;

	*out = NULL;
	buf_init(&path, 0);
	buf_init(&text, DOCKER_CONFIG_MAX);
	rc = docker_ref_parse(&registry, NULL, NULL, ref, err);
	if (rc < 0)
		goto out;
	if (config_path(&path) < 0) {
		rc = nomem(err);
		goto out;
	}
	if (!path.len)
		goto out; /* no config anywhere: anonymous */
	if (where && buf_puts(where, path.ptr) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = read_config(&text, &missing, path.ptr, err);
	if (rc < 0 || missing)
		goto out;
	rc = docker_auth_from_config(out, text.ptr, path.ptr, registry, err);
out:
	wipe(text.ptr, text.len);
	buf_release(&text);
	buf_release(&path);
	free(registry);
	return rc;
}
