/*
 * test_docker_auth.c - image reference parsing, registry credential
 * selection from Docker client configs (tests/fixtures/docker/auth*),
 * base64url, the pull progress stream as a real Engine 20.10 sends it
 * (split anywhere, errors under HTTP 200) and the /info, image inspect and
 * /distribution decoders.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_fixture.h"
#include "docker_internal.h"

/* Directory holding fixtures/docker (DEPLOYCTL_TEST_DATA, ".", "tests"). */
/* Decode base64url (padded) into a new string, for checking what was sent. */
static char *unb64url(const char *s)
{
	static const char tab[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t len = strlen(s), n = 0, i;
	unsigned acc = 0, bits = 0;
	char *out = calloc(1, len + 1);

	for (i = 0; out && i < len && s[i] != '='; i++) {
		const char *p = strchr(tab, s[i]);

		if (!p) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	return out;
}

static void test_docker_auth__ref_parse(void)
{
	static const char *const cases[][4] = {
		/* ref, registry, repo (RepoDigests form), tag or digest */
		{ "nginx", "docker.io", "nginx", "latest" },
		{ "nginx:1.25", "docker.io", "nginx", "1.25" },
		{ "library/nginx:1.25", "docker.io", "nginx", "1.25" },
		{ "docker.io/library/nginx", "docker.io", "nginx", "latest" },
		{ "index.docker.io/grafana/grafana:10", "index.docker.io", "grafana/grafana",
		  "10" },
		{ "grafana/grafana", "docker.io", "grafana/grafana", "latest" },
		{ "127.0.0.1:5000/app", "127.0.0.1:5000", "127.0.0.1:5000/app", "latest" },
		{ "127.0.0.1:5000/team/app:v2", "127.0.0.1:5000", "127.0.0.1:5000/team/app", "v2" },
		{ "localhost/app:v1", "localhost", "localhost/app", "v1" },
		{ "registry.example.com/app@sha256:abcd", "registry.example.com",
		  "registry.example.com/app", "sha256:abcd" },
		{ "app:v1@sha256:abcd", "docker.io", "app", "sha256:abcd" },
	};
	static const char *const bad[] = { "",    "app:",         ":v1",
		                           "a b", "app@nodigest", "127.0.0.1:5000/" };
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *reg = NULL, *repo = NULL, *tag = NULL;

		CHECK_INT(docker_ref_parse(&reg, &repo, &tag, cases[i][0], &err), 0);
		CHECK_STR(reg, cases[i][1]);
		CHECK_STR(repo, cases[i][2]);
		CHECK_STR(tag, cases[i][3]);
		free(reg);
		free(repo);
		free(tag);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *reg = NULL;

		err_clear(&err);
		CHECK_INT(docker_ref_parse(&reg, NULL, NULL, bad[i], &err), ERR_INVALID);
		CHECK(strstr(err.msg, "bad image reference") != NULL);
		CHECK(reg == NULL);
	}
}

static void test_docker_auth__base64url(void)
{
	static const char *const cases[][2] = {
		{ "", "" },        { "f", "Zg==" },        { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" }, { "\xfb\xff\xfe", "-__-" },
	};
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		CHECK_INT(docker_base64url(&b, cases[i][0], strlen(cases[i][0])), 0);
		CHECK_STR(b.ptr, cases[i][1]);
	}
	buf_release(&b);
}

/* The JSON an auth value carries for registry in the fixture config (new), or NULL. */
static char *auth_json(const char *config, const char *registry, int want_rc, struct err *err)
{
	char *text = fixture(config), *auth = NULL, *json = NULL;

	if (!text)
		return NULL;
	CHECK_INT(docker_auth_from_config(&auth, text, "/cfg/config.json", registry, err), want_rc);
	if (auth) {
		json = unb64url(auth);
		CHECK(strchr(auth, '+') == NULL && strchr(auth, '/') == NULL);
	}
	docker_auth_free(auth);
	free(text);
	return json;
}

static void test_docker_auth__select(void)
{
	struct err err = ERR_INIT;
	char *j;

	j = auth_json("auth/config.json", "127.0.0.1:5000", 0, &err);
	CHECK_STR(j, "{\"username\":\"alice\",\"password\":\"s3cret-A\","
	             "\"serveraddress\":\"127.0.0.1:5000\"}");
	free(j);
	/* A key with scheme and path matches its host; a ':' in the password stays. */
	j = auth_json("auth/config.json", "registry.example.com", 0, &err);
	CHECK_STR(j, "{\"username\":\"carol\",\"password\":\"pa:ss\","
	             "\"serveraddress\":\"registry.example.com\"}");
	free(j);
	/* Docker Hub under its historical key, whichever name the ref used. */
	j = auth_json("auth/config.json", "docker.io", 0, &err);
	CHECK_STR(j, "{\"username\":\"bob\",\"password\":\"hub-pw\","
	             "\"serveraddress\":\"https://index.docker.io/v1/\"}");
	free(j);
	j = auth_json("auth/config.json", "index.docker.io", 0, &err);
	CHECK(j && strstr(j, "\"bob\""));
	free(j);
	/* username/password fields instead of auth. */
	j = auth_json("auth/config.json", "plain.example.com", 0, &err);
	CHECK(j && strstr(j, "\"username\":\"dave\",\"password\":\"pw-dave\""));
	free(j);
	/* No entry: anonymous, no header; a port is part of the host. */
	CHECK(auth_json("auth/config.json", "other.example.com", 0, &err) == NULL);
	CHECK(auth_json("auth/config.json", "127.0.0.1:5001", 0, &err) == NULL);
	CHECK_INT(err.code, 0);
}

static void test_docker_auth__errors_hold_no_secret(void)
{
	struct err err = ERR_INIT;
	char *auth = NULL;

	/* The entry's credentials live in a helper deployctl does not run. */
	CHECK(auth_json("auth/config.json", "helper.example.com", ERR_INVALID, &err) == NULL);
	CHECK(strstr(err.msg, "credential helper 'docker-credential-pass'") != NULL);
	CHECK(strstr(err.msg, "does not run") != NULL);
	CHECK(strstr(err.msg, "/cfg/config.json") != NULL);
	err_clear(&err);
	CHECK(auth_json("auth-helper/config.json", "127.0.0.1:5000", ERR_INVALID, &err) == NULL);
	CHECK(strstr(err.msg, "'docker-credential-desktop'") != NULL);
	err_clear(&err);
	/* The same config still serves registries whose entry has an auth. */
	auth = auth_json("auth-helper/config.json", "docker.io", 0, &err);
	CHECK(auth && strstr(auth, "erin-pw"));
	free(auth);
	CHECK(auth_json("auth/config.json", "bad.example.com", ERR_INVALID, &err) == NULL);
	CHECK(strstr(err.msg, "not base64") != NULL);
	CHECK(strstr(err.msg, "notbase64") == NULL);
	err_clear(&err);
	/* Bad JSON: jansson's text would quote the file, so only the line is said. */
	CHECK_INT(docker_auth_from_config(&auth, "{\"auths\":{\"r\":{\"auth\":\"c2VjcmV0\" x",
	                                  "/cfg/config.json", "r", &err),
	          ERR_INVALID);
	CHECK(auth == NULL);
	CHECK(strstr(err.msg, "bad JSON in '/cfg/config.json'") != NULL);
	CHECK(strstr(err.msg, "c2VjcmV0") == NULL);
	err_clear(&err);
}

static void test_docker_auth__docker_config_env(void)
{
	char dir[600], *auth = NULL, *j;
	const char *old = getenv("DOCKER_CONFIG");
	char *saved = old ? strdup(old) : NULL;
	struct err err = ERR_INIT;
	struct buf where;

	buf_init(&where, 0);
	snprintf(dir, sizeof(dir), "%s/auth", fixture_dir());
	setenv("DOCKER_CONFIG", dir, 1);
	CHECK_INT(docker_auth_for_ref(&auth, &where, "127.0.0.1:5000/team/app:v1", &err), 0);
	j = auth ? unb64url(auth) : NULL;
	CHECK(j && strstr(j, "\"alice\""));
	free(j);
	CHECK(strstr(where.ptr, "/auth/config.json") != NULL);
	buf_release(&where);
	docker_auth_free(auth);
	auth = NULL;
	CHECK_INT(docker_auth_for_ref(&auth, NULL, "nginx", &err), 0);
	j = auth ? unb64url(auth) : NULL;
	CHECK(j && strstr(j, "\"bob\""));
	free(j);
	docker_auth_free(auth);
	auth = NULL;
	/* No config file there: anonymous. */
	setenv("DOCKER_CONFIG", "/nonexistent/deployctl-test", 1);
	CHECK_INT(docker_auth_for_ref(&auth, NULL, "nginx", &err), 0);
	CHECK(auth == NULL);
	CHECK_INT(docker_auth_for_ref(&auth, NULL, "bad ref", &err), ERR_INVALID);
	if (saved)
		setenv("DOCKER_CONFIG", saved, 1);
	else
		unsetenv("DOCKER_CONFIG");
	free(saved);
}

struct seen {
	struct buf log; /* "status|detail\n" per call */
	unsigned calls;
	char percents[128]; /* "1 100 " : each percent reported */
};

static void on_percent(void *ctx, const char *ref, unsigned percent)
{
	struct seen *s = ctx;
	size_t n = strlen(s->percents);

	(void)ref;
	snprintf(s->percents + n, sizeof(s->percents) - n, "%u ", percent);
}

static void on_line(void *ctx, const char *ref, const char *status, const char *detail)
{
	struct seen *s = ctx;

	s->calls++;
	buf_printf(&s->log, "%s|%s|%s\n", ref, status, detail ? detail : "-");
}

/* Feed text in pieces of step bytes (0: whole), return the stream's result. */
static int feed(struct docker_pull_stream *st, const char *text, size_t step, struct err *err)
{
	size_t len = strlen(text), off = 0, n;
	int rc;

	if (!step)
		step = len;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = docker_pull_stream_feed(st, text + off, n, err);
		if (rc < 0)
			return rc;
		off += n;
	}
	return docker_pull_stream_finish(st, err);
}

static void test_docker_auth__pull_stream(void)
{
	char *text = fixture("pull_progress.jsonl");
	struct seen seen = { .calls = 0 };
	struct docker_pull_progress prog = { on_line, &seen, on_percent };
	struct docker_pull_stream st;
	struct err err = ERR_INIT;
	char *whole = NULL;
	size_t step;

	CHECK(text != NULL);
	if (!text)
		return;
	buf_init(&seen.log, 0);
	/* Every split, down to one byte per chunk, gives the same calls. */
	for (step = 0; step <= 97; step += step < 8 ? 1 : 89) {
		buf_reset(&seen.log);
		seen.calls = 0;
		seen.percents[0] = '\0';
		docker_pull_stream_init(&st, "r/app:t", &prog);
		CHECK_INT(feed(&st, text, step, &err), 0);
		/* the layer's bytes: 3678 of 300352, then all; extracting adds nothing */
		CHECK_STR(seen.percents, "1 100 ");
		CHECK(st.error == NULL);
		CHECK_STR(
		        st.digest,
		        "sha256:c07bcf31c8f812d4cc53762831378cecf3442a71dbeb0438f6e644c6eadc46aa");
		CHECK_INT(st.lines, 12);
		CHECK_INT(seen.calls, 12);
		if (!whole)
			whole = strdup(seen.log.ptr);
		else
			CHECK_STR(seen.log.ptr, whole);
		docker_pull_stream_release(&st);
	}
	CHECK(whole && strstr(whole, "r/app:t|Pulling from h8/big|t\n"));
	CHECK(whole && strstr(whole, "r/app:t|Downloading|72d0fde069fc [>"));
	CHECK(whole && strstr(whole, "|Pull complete|72d0fde069fc\n"));
	CHECK(whole && strstr(whole, "|Digest: sha256:c07bcf31"));
	free(whole);
	/* No progress callback, no final newline, blank lines, CRLF. */
	docker_pull_stream_init(&st, "x", NULL);
	CHECK_INT(
	        feed(&st, "\r\n{\"status\":\"a\"}\r\n\n{\"status\":\"Digest: sha256:1\"}", 5, &err),
	        0);
	CHECK_INT(st.lines, 2);
	CHECK_STR(st.digest, "sha256:1");
	docker_pull_stream_release(&st);
	buf_release(&seen.log);
	free(text);
}

static void test_docker_auth__pull_stream_error(void)
{
	char *text = fixture("pull_error.jsonl");
	struct docker_pull_stream st;
	struct err err = ERR_INIT;

	CHECK(text != NULL);
	if (!text)
		return;
	docker_pull_stream_init(&st, "x", NULL);
	CHECK_INT(feed(&st, text, 7, &err), 0);
	CHECK_STR(st.error,
	          "filesystem layer verification failed for digest "
	          "sha256:72d0fde069fc6fecf4c1d83832560b3aba694cefd7a75860e30c520fa9ceebe5");
	CHECK(st.digest == NULL);
	docker_pull_stream_release(&st);
	/* errorDetail alone is enough; the first error wins; newlines flattened. */
	docker_pull_stream_init(&st, "x", NULL);
	CHECK_INT(feed(&st,
	               "{\"errorDetail\":{\"message\":\"denied:\\nno\"}}\n"
	               "{\"error\":\"second\"}\n",
	               0, &err),
	          0);
	CHECK_STR(st.error, "denied: no");
	docker_pull_stream_release(&st);
	/* Not JSON: an error, not silence. */
	docker_pull_stream_init(&st, "x", NULL);
	CHECK_INT(feed(&st, "{\"status\":\"a\"}\nnot json\n", 0, &err), ERR_DOCKER);
	CHECK(strstr(err.msg, "bad JSON from '/images/create'") != NULL);
	docker_pull_stream_release(&st);
	free(text);
}

static void test_docker_auth__pull_stream_line_cap(void)
{
	struct docker_pull_stream st;
	struct err err = ERR_INIT;
	size_t chunk = 64 * 1024, i;
	char *junk = malloc(chunk);
	int rc = 0;

	CHECK(junk != NULL);
	if (!junk)
		return;
	memset(junk, ' ', chunk);
	docker_pull_stream_init(&st, "x", NULL);
	for (i = 0; i * chunk <= DOCKER_PULL_LINE_MAX + chunk && rc == 0; i++)
		rc = docker_pull_stream_feed(&st, junk, chunk, &err);
	CHECK_INT(rc, ERR_DOCKER);
	CHECK(strstr(err.msg, "longer than") != NULL);
	docker_pull_stream_release(&st);
	free(junk);
}

static void test_docker_auth__decode_info(void)
{
	char *json = fixture("info.json");
	struct docker_info info = { 0 };
	struct err err = ERR_INIT;

	CHECK(json != NULL);
	if (!json)
		return;
	CHECK_INT(docker_decode_info(&info, json, &err), 0);
	CHECK_STR(info.server_version, "20.10.24+dfsg1");
	CHECK_STR(info.root_dir, "/var/lib/docker");
	CHECK_STR(info.os, "Debian GNU/Linux 12 (bookworm)");
	CHECK_INT(info.swarm_active, 0);
	docker_info_release(&info);
	CHECK_INT(docker_decode_info(&info,
	                             "{\"ServerVersion\":\"1\",\"Swarm\":{\"LocalNodeState\":"
	                             "\"active\"}}",
	                             &err),
	          0);
	CHECK_INT(info.swarm_active, 1);
	CHECK(info.root_dir == NULL);
	docker_info_release(&info);
	CHECK_INT(docker_decode_info(&info, "[]", &err), ERR_DOCKER);
	free(json);
}

static void test_docker_auth__decode_digests(void)
{
	char *json = fixture("image_pulled.json"), *dist = fixture("distribution.json");
	char *id = NULL, *digest = NULL;
	struct err err = ERR_INIT;

	CHECK(json && dist);
	if (!json || !dist)
		goto out;
	CHECK_INT(docker_decode_image_digest(&id, &digest, json, "127.0.0.1:15099/h8/app", &err),
	          0);
	CHECK_STR(id, "sha256:e659c98ba20f65a8727d90f82bcbd87d07ee19fa565fc1de880efef37e6bb23f");
	CHECK_STR(
	        digest,
	        "127.0.0.1:15099/h8/app@sha256:520e3a0909666c7771b2035808f12d7639090599a833718505e6cdf506a08e15");
	free(id);
	free(digest);
	digest = NULL;
	/* Tagged locally but never pulled from that repository: no digest. */
	CHECK_INT(docker_decode_image_digest(NULL, &digest, json, "deployctl-test/app", &err), 0);
	CHECK(digest == NULL);
	/* A repository whose name is a prefix of another's does not match it. */
	CHECK_INT(docker_decode_image_digest(NULL, &digest, json, "127.0.0.1:15099/h8", &err), 0);
	CHECK(digest == NULL);
	CHECK_INT(docker_decode_distribution(&digest, dist, &err), 0);
	CHECK_STR(digest,
	          "sha256:520e3a0909666c7771b2035808f12d7639090599a833718505e6cdf506a08e15");
	free(digest);
	digest = NULL;
	CHECK_INT(docker_decode_distribution(&digest, "{\"Descriptor\":{}}", &err), ERR_DOCKER);
	CHECK(digest == NULL);
out:
	free(json);
	free(dist);
}

int main(void)
{
	RUN(test_docker_auth__ref_parse);
	RUN(test_docker_auth__base64url);
	RUN(test_docker_auth__select);
	RUN(test_docker_auth__errors_hold_no_secret);
	RUN(test_docker_auth__docker_config_env);
	RUN(test_docker_auth__pull_stream);
	RUN(test_docker_auth__pull_stream_error);
	RUN(test_docker_auth__pull_stream_line_cap);
	RUN(test_docker_auth__decode_info);
	RUN(test_docker_auth__decode_digests);
	return CHECK_DONE();
}
