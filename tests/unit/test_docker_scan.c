/*
 * test_docker_scan.c - the fast reader of a container list
 * (docker_container_scan.c) against the jansson path it stands in for: on
 * every recorded answer (tests/fixtures/docker/containers*.json), on
 * mutations and prefixes of them, and on hand-written edge cases, both must
 * fail or both give the same structs; and docker_decode_containers still
 * reports jansson's message for what the fast reader rejects.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_fixture.h"
#include "docker_internal.h"

/*
 * Both paths on json. 1: both decoded and *fast_out (new, count *n_out) is
 * the fast path's; 0: both failed; -1: they differ (reported).
 */
static int both(const char *json, struct docker_container **fast_out, size_t *n_out)
{
	struct docker_container *a = NULL, *b = NULL;
	struct err err = ERR_INIT;
	size_t na = 0, nb = 0;
	int ra = docker_scan_containers(&a, &na, json);
	int rb = docker_decode_containers_jansson(&b, &nb, json, &err);
	int rc;

	if (ra != 0 && ra != ERR_FAIL)
		rc = -1;
	else if ((ra == 0) != (rb == 0))
		rc = -1;
	else if (ra != 0)
		rc = 0;
	else
		rc = na == nb && docker_container_list_equal(a, b, na) ? 1 : -1;
	if (rc < 0)
		fprintf(stderr, "paths differ (fast %d, jansson %d: %s) on: %.300s\n", ra, rb,
		        err.msg, json);
	if (rc == 1 && fast_out) {
		*fast_out = a;
		*n_out = na;
		a = NULL;
	}
	if (ra == 0)
		docker_container_list_free(a, na);
	if (rb == 0)
		docker_container_list_free(b, nb);
	return rc;
}

/* Every prefix of json (every stride-th), and each byte replaced by each of a few. */
static void mutate(const char *json, size_t stride)
{
	static const char subst[] = "\"\\{}[],:0-.ex \x80\xc3\xff\x01";
	size_t len = strlen(json), i, k, differ = 0;
	char *m = malloc(len + 1);

	CHECK(m != NULL);
	if (!m)
		return;
	for (i = 0; i < len; i += stride) {
		memcpy(m, json, i);
		m[i] = '\0';
		differ += both(m, NULL, NULL) < 0;
	}
	for (i = 0; i < len; i += stride) {
		memcpy(m, json, len + 1);
		for (k = 0; k < sizeof(subst) - 1; k++) {
			m[i] = subst[k];
			differ += both(m, NULL, NULL) < 0;
		}
	}
	CHECK_INT(differ, 0);
	free(m);
}

static void test_docker_scan__fixtures(void)
{
	const char *dir = getenv("DEPLOYCTL_TEST_DATA");
	char path[512];
	struct dirent *de;
	DIR *d;
	int seen = 0;

	snprintf(path, sizeof(path), "%s/fixtures/docker", dir ? dir : "tests");
	d = opendir(path);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct docker_container *v = NULL;
		size_t n = 0;
		char *json;

		if (strncmp(de->d_name, "containers", 10) || !strstr(de->d_name, ".json"))
			continue;
		json = fixture(de->d_name);
		CHECK(json != NULL);
		if (!json)
			continue;
		seen++;
		CHECK_INT(both(json, &v, &n), 1);
		CHECK(n > 0);
		docker_container_list_free(v, n);
		mutate(json, strlen(json) / 200 + 1); /* about 200 places in each */
		free(json);
	}
	closedir(d);
	CHECK(seen >= 3);
}

/* Hand-written answers and whether they decode. */
static const struct {
	const char *json;
	int ok;
} cases[] = {
	{ "[]", 1 },
	{ " \t\r\n[ ] \n", 1 },
	{ "", 0 },
	{ "[", 0 },
	{ "[]]", 0 },
	{ "[] x", 0 },
	{ "{}", 0 },
	{ "{\"message\":\"x\"}", 0 },
	{ "\"x\"", 0 },
	{ "[1]", 0 },
	{ "[null]", 0 },
	{ "[{}]", 0 },
	{ "[{\"Image\":\"x\"}]", 0 },
	{ "[{\"Id\":1}]", 0 },
	{ "[{\"Id\":\"a\",\"Id\":null}]", 0 },
	{ "[{\"Id\":null,\"Id\":\"a\"}]", 1 },
	{ "[{\"Id\":\"a\"},]", 0 },
	{ "[{\"Id\":\"a\",}]", 0 },
	{ "[{\"Id\":\"a\"}{\"Id\":\"b\"}]", 0 },
	{ "[{\"Id\" \"a\"}]", 0 },
	{ "[{\"Id\":\"a\"},{\"Id\":\"b\"}]", 1 },
	/* escaped quotes and braces in strings, kept and skipped */
	{ "[{\"Id\":\"a\",\"Command\":\"sh -c \\\"echo }{ ][ \\\\\\\"\",\"Names\":[\"/x\\\"}y\"]}]",
	  1 },
	/* unicode escapes: in a value, a surrogate pair, in a key */
	{ "[{\"Id\":\"a\",\"Names\":[\"/caf\\u00e9\\ud83d\\ude00\"],\"Labe\\u006cs\":"
	  "{\"io.deployctl.project\":\"p\\/q\\n\"}}]",
	  1 },
	{ "[{\"Id\":\"\\u0000\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\u0000\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\ud800\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\udc00\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\ud800\\u0041\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\ud800\\ud800\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\u12\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\u12g4\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\x\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\\\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"tab\there\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"del\x7f\"}]", 1 },
	/* UTF-8: valid 2-, 3-, 4-byte; overlong, encoded surrogate, past U+10FFFF, cut short */
	{ "[{\"Id\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}]", 1 },
	{ "[{\"Id\":\"a\",\"X\":\"\xc0\xaf\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\xe0\x80\xaf\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\xed\xa0\x80\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\xf4\x90\x80\x80\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\xe2\x82\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":\"\x80\"}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1}\xc3\xa9]", 0 },
	/* nested objects and arrays in skipped members, kept keys inside them */
	{ "[{\"Id\":\"a\",\"HostConfig\":{\"Id\":\"zzz\",\"Labels\":{\"io.deployctl.project\":"
	  "\"evil\"},\"n\":[[],{},[{\"Names\":[\"/evil\"]}]]},\"Names\":[\"/good\"]}]",
	  1 },
	{ "[{\"Id\":\"a\",\"NetworkSettings\":{\"Ports\":[{\"PublicPort\":80}],\"Networks\":"
	  "{\"n1\":{\"Networks\":{\"evil\":{}}},\"n0\":null}}}]",
	  1 },
	/* duplicate keys: the last one wins, also for whole members */
	{ "[{\"Id\":\"a\",\"Labels\":{\"io.deployctl.project\":\"p1\",\"io.deployctl.service\":"
	  "\"s\"},\"Labels\":{\"io.deployctl.project\":\"p2\",\"io.deployctl.project\":\"p3\","
	  "\"io.deployctl.replica\":\"4\",\"io.deployctl.replica\":\"5\"}}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Labels\":{\"io.deployctl.project\":\"p1\",\"io.deployctl.project\":7}}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Names\":[\"/one\"],\"Names\":[7,\"/two\"],\"Image\":\"i\",\"Image\":[]}]",
	  1 },
	{ "[{\"Id\":\"a\",\"NetworkSettings\":{\"Networks\":{\"b\":{},\"a\":{},\"b\":1}},"
	  "\"NetworkSettings\":{\"Networks\":{\"c\":{},\"c\":{}}}}]",
	  1 },
	{ "[{\"Id\":\"a\",\"NetworkSettings\":{\"Networks\":{\"x\":{}},\"Networks\":[\"y\"]}}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v2\"},{\"Type\":\"bind\","
	  "\"Name\":\"b\"},{\"Type\":\"bind\",\"Type\":\"volume\",\"Name\":\"v1\"},7,{\"Name\":"
	  "\"v3\"},{\"Type\":\"volume\",\"Name\":\"v1\"}]}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v\"}],\"Mounts\":{}}]", 1 },
	{ "[{\"Id\":\"a\",\"Ports\":[{\"PublicPort\":8080,\"IP\":\"0.0.0.0\",\"Type\":\"tcp\"},"
	  "{\"PublicPort\":8080,\"IP\":\"0.0.0.0\",\"Type\":\"tcp\"},{\"PrivatePort\":80},"
	  "{\"PublicPort\":81.0},{\"PublicPort\":70000},{\"PublicPort\":-1},{\"PublicPort\":"
	  "\"82\"},{\"PublicPort\":83,\"PublicPort\":84},{\"PublicPort\":85,\"IP\":1,\"Type\":"
	  "null},[]]}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Labels\":[],\"NetworkSettings\":7,\"Ports\":{},\"Names\":\"x\","
	  "\"Created\":\"1\"}]",
	  1 },
	{ "[{\"Id\":\"a\",\"Labels\":{\"io.deployctl.replica\":\"0012\",\"io.deployctl.job\":\"j\","
	  "\"io.deployctl.owner\":\"o\",\"io.deployctl.owner-host\":\"h\","
	  "\"io.deployctl.owner-state\":\"s\",\"io.deployctl.release\":\"3\","
	  "\"io.deployctl.spec-hash\":\"ab\"},\"Names\":[\"\"],\"State\":\"exited\",\"Status\":"
	  "\"Exited (0)\",\"ImageID\":\"sha256:1\"}]",
	  1 },
	/* numbers */
	{ "[{\"Id\":\"a\",\"Created\":1700000000}]", 1 },
	{ "[{\"Id\":\"a\",\"Created\":-0}]", 1 },
	{ "[{\"Id\":\"a\",\"Created\":1.5e3}]", 1 },
	{ "[{\"Id\":\"a\",\"Created\":9223372036854775807}]", 1 },
	{ "[{\"Id\":\"a\",\"Created\":9223372036854775808}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":-9223372036854775808}]", 1 },
	{ "[{\"Id\":\"a\",\"X\":-9223372036854775809}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":123456789012345678901234567890}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1e400}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":-1E+400}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1e-400}]", 1 },
	{ "[{\"Id\":\"a\",\"X\":0.5E-3}]", 1 },
	{ "[{\"Id\":\"a\",\"Created\":01}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1.}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":.5}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1e}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1e+}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":-}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":+1}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":1.5.3}]", 0 },
	/* words */
	{ "[{\"Id\":\"a\",\"X\":[true,false,null]}]", 1 },
	{ "[{\"Id\":\"a\",\"X\":truex}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":True}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":nul}]", 0 },
	{ "[{\"Id\":\"a\",\"X\":null1}]", 0 },
	/* a key must be a string */
	{ "[{\"Id\":\"a\",X:1}]", 0 },
	{ "[{\"Id\":\"a\",1:1}]", 0 },
};

static void test_docker_scan__cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = both(cases[i].json, NULL, NULL);

		if (rc != cases[i].ok)
			fprintf(stderr, "case %zu: %d, expected %d\n", i, rc, cases[i].ok);
		CHECK_INT(rc, cases[i].ok);
		mutate(cases[i].json, 1);
	}
}

/* The case holding needle. */
static const char *find_case(const char *needle)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strstr(cases[i].json, needle))
			return cases[i].json;
	CHECK(0);
	return "[]";
}

/* What the fast path keeps of the edge cases, spelled out. */
static void test_docker_scan__values(void)
{
	struct docker_container *v = NULL;
	size_t n = 0;

	CHECK_INT(both(find_case("caf\\u00e9"), &v, &n), 1);
	if (n == 1) {
		CHECK_STR(v[0].name, "caf\xc3\xa9\xf0\x9f\x98\x80");
		CHECK_STR(v[0].project, "p/q\n");
	}
	docker_container_list_free(v, n);
	CHECK_INT(both(find_case("\"/good\""), &v, &n), 1);
	if (n == 1) {
		CHECK_STR(v[0].id, "a");
		CHECK_STR(v[0].name, "good");
		CHECK(v[0].project == NULL);
	}
	docker_container_list_free(v, n);
	CHECK_INT(both(find_case("\"p3\""), &v, &n), 1);
	if (n == 1) {
		CHECK_STR(v[0].project, "p3");
		CHECK(v[0].service == NULL);
		CHECK_INT(v[0].replica, 5);
	}
	docker_container_list_free(v, n);
	CHECK_INT(both(find_case("\"c\":{},\"c\""), &v, &n), 1);
	if (n == 1 && v[0].networks.n == 1)
		CHECK_STR(v[0].networks.v[0], "c");
	else
		CHECK(0);
	docker_container_list_free(v, n);
	CHECK_INT(both(find_case("\"PublicPort\":83"), &v, &n), 1);
	if (n == 1) {
		CHECK_INT(v[0].ports.n, 3);
		if (v[0].ports.n == 3) {
			CHECK_STR(v[0].ports.v[0], "0.0.0.0:8080/tcp");
			CHECK_STR(v[0].ports.v[1], ":84/tcp");
			CHECK_STR(v[0].ports.v[2], ":85/tcp");
		}
	}
	docker_container_list_free(v, n);
}

/* Nesting: jansson counts every value (the root is 1) up to 2048. */
static void test_docker_scan__depth(void)
{
	static const char *const inner[] = { "", "1", "{}", "{\"k\":1}", "\"s\"" };
	struct buf b;
	int depth;
	size_t i, k;

	for (depth = 2040; depth <= 2050; depth++) {
		for (k = 0; k < sizeof(inner) / sizeof(inner[0]); k++) {
			buf_init(&b, 0);
			buf_puts(&b, "[{\"Id\":\"a\",\"X\":");
			for (i = 3; i <= (size_t)depth; i++)
				buf_putc(&b, '[');
			buf_puts(&b, inner[k]);
			for (i = 3; i <= (size_t)depth; i++)
				buf_putc(&b, ']');
			buf_puts(&b, "}]");
			CHECK(both(b.ptr, NULL, NULL) >= 0);
			/* the innermost array is at depth `depth`: fine up to the limit */
			if (k == 0)
				CHECK_INT(both(b.ptr, NULL, NULL), depth <= 2048);
			buf_release(&b);
		}
	}
	/* a bracket run far past the limit, unclosed: rejected, no deep recursion */
	buf_init(&b, 0);
	buf_puts(&b, "[{\"Id\":\"a\",\"X\":");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, i % 2 ? '[' : '{');
	CHECK_INT(both(b.ptr, NULL, NULL), 0);
	buf_release(&b);
}

/* What the fast path rejects is decoded by jansson: its message, its code. */
static void test_docker_scan__errors(void)
{
	struct docker_container *v = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;

	CHECK_INT(docker_decode_containers(&v, &n, "[{\"Id\":\"a\",\"X\":1e400}]", &err),
	          ERR_UNREACHABLE);
	CHECK(strstr(err.msg, "bad JSON from '/containers/json': real number overflow") != NULL);
	err_clear(&err);
	CHECK_INT(docker_decode_containers(&v, &n, "[{\"Image\":\"x\"}]", &err), ERR_UNREACHABLE);
	CHECK(strstr(err.msg, "entry without Id") != NULL);
	err_clear(&err);
	CHECK_INT(docker_decode_containers(&v, &n, "{}", &err), ERR_UNREACHABLE);
	CHECK(strstr(err.msg, "unexpected non-array") != NULL);
	err_clear(&err);
}

int main(void)
{
	RUN(test_docker_scan__fixtures);
	RUN(test_docker_scan__cases);
	RUN(test_docker_scan__values);
	RUN(test_docker_scan__depth);
	RUN(test_docker_scan__errors);
	return CHECK_DONE();
}
