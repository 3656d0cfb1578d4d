/*
 * test_check.c - check_run() without a Docker daemon (an unreachable socket):
 * the daemon's failure is reported and flagged, and the checks that need no
 * daemon still run and fail for the right reason (a port held by this test,
 * a missing bind source, an env rule, the state directory, free disk); no
 * item carries an environment value. check_report_print() in both forms.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/check.h"
#include "tls_gen.h"

static char tmp[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* A TCP socket listening on 127.0.0.1 at a free port; *port gets it. */
static int listen_any(unsigned *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* The first item named name with the given status ("ok", "warn", "fail"), or NULL. */
static const struct check_item *find(const struct check_report *r, const char *name,
                                     const char *status)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->v[i];
		const char *st = !it->ok ? "fail" : it->warn ? "warn" : "ok";

		if (!strcmp(it->name, name) && !strcmp(st, status))
			return it;
	}
	return NULL;
}

static const char *msg(const struct check_item *it)
{
	return it ? it->message : "(no such item)";
}

/* Run check on the manifest text in tmp/manifests/app.yml, Docker unreachable. */
static void run(struct check_report *rep, const char *state, uint64_t min_free)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct ctx ctx = { 0 };

	o.dir = tmp;
	ctx.state_dir = state;
	ctx.docker_host = "unix:///nonexistent/deployctl-test.sock";
	memset(rep, 0, sizeof(*rep));
	rep->min_free = min_free;
	CHECK_INT(check_run(rep, &ctx, &dp, &o, 0), 0);
	CHECK(ctx.docker == NULL);
	docker_free(ctx.docker);
	deploy_release(&dp);
	deploy_opts_release(&o);
}

static void test_check__failures_without_docker(void)
{
	struct check_report rep;
	char dir[128], yml[1024], want[256], state[128];
	unsigned port;
	int fd = listen_any(&port);
	size_t i;

	snprintf(dir, sizeof(dir), "%s/manifests", tmp);
	mkdir(dir, 0700);
	snprintf(yml, sizeof(yml),
	         "name: unitcheck\n"
	         "x-deployctl:\n"
	         "  env:\n"
	         "    API_TOKEN: {min_length: 40}\n"
	         "services:\n"
	         "  api:\n"
	         "    image: deployctl-test/app:v1\n"
	         "    ports: [\"127.0.0.1:%u:8080\"]\n"
	         "    volumes: [\"%s/no-such-dir:/data\"]\n"
	         "    environment:\n"
	         "      API_TOKEN: tok-unit-secret-value\n",
	         port, tmp);
	write_file(dir, "app.yml", yml);
	snprintf(state, sizeof(state), "%s/manifests/app.yml", tmp); /* a file, not a dir */
	run(&rep, state, (uint64_t)1 << 62);

	CHECK(rep.docker_unreachable);
	CHECK(!rep.manifests_invalid);
	CHECK(strstr(msg(find(&rep, "docker", "fail")), "/nonexistent/deployctl-test.sock") !=
	      NULL);
	CHECK(find(&rep, "manifests", "ok") != NULL);
	snprintf(want, sizeof(want),
	         "127.0.0.1:%u/tcp is held by another process or container (services.api)", port);
	CHECK_STR(msg(find(&rep, "ports", "fail")), want);
	CHECK(strstr(msg(find(&rep, "files", "fail")), "services.api.volumes[0]: bind source: ") !=
	      NULL);
	CHECK(strstr(msg(find(&rep, "files", "fail")), "no-such-dir: No such file or directory") !=
	      NULL);
	CHECK_STR(msg(find(&rep, "env", "fail")),
	          "manifests/app.yml:4:5: x-deployctl.env.API_TOKEN: services.api.environment: too "
	          "short (21 characters, at least 40)");
	snprintf(want, sizeof(want), "%s is not a directory", state);
	CHECK_STR(msg(find(&rep, "state", "fail")), want);
	CHECK(strstr(msg(find(&rep, "disk", "fail")), "wanted; --min-free") != NULL);
	CHECK(find(&rep, "images", "ok") == NULL && find(&rep, "images", "fail") == NULL);
	CHECK_INT(check_report_nfailed(&rep), 6);
	for (i = 0; i < rep.n; i++)
		CHECK(strstr(rep.v[i].message, "tok-unit-secret-value") == NULL);
	check_report_release(&rep);
	CHECK_INT(rep.n, 0);

	/* The port freed, the directory made, the state dir not there yet: only Docker fails. */
	close(fd);
	snprintf(dir, sizeof(dir), "%s/no-such-dir", tmp);
	mkdir(dir, 0700);
	snprintf(yml, sizeof(yml),
	         "name: unitcheck\n"
	         "services:\n"
	         "  api:\n"
	         "    image: deployctl-test/app:v1\n"
	         "    ports: [\"127.0.0.1:%u:8080\"]\n"
	         "    volumes: [\"%s/no-such-dir:/data\"]\n",
	         port, tmp);
	write_file(tmp, "manifests/app.yml", yml);
	snprintf(state, sizeof(state), "%s/state/sub", tmp);
	run(&rep, state, 1);
	CHECK_INT(check_report_nfailed(&rep), 1);
	CHECK(find(&rep, "docker", "fail") != NULL);
	CHECK(strstr(msg(find(&rep, "ports", "ok")), "1 published port(s) free") != NULL);
	CHECK(strstr(msg(find(&rep, "files", "ok")), "1 host file(s) present") != NULL);
	snprintf(want, sizeof(want), "%s will be created (%s is writable)", state, tmp);
	CHECK_STR(msg(find(&rep, "state", "ok")), want);
	CHECK_STR(msg(find(&rep, "env", "ok")), "no rules (x-deployctl.env)");
	CHECK(find(&rep, "disk", "ok") != NULL);
	check_report_release(&rep);
}

static void test_check__invalid_manifests(void)
{
	struct check_report rep;

	write_file(tmp, "manifests/app.yml",
	           "name: unitcheck\nservices:\n  api:\n    image: x\n    imagee: typo\n");
	run(&rep, tmp, 1);
	CHECK(rep.manifests_invalid);
	CHECK_STR(msg(find(&rep, "manifests", "fail")),
	          "manifests/app.yml:5:5: services.api: unknown key 'imagee'");
	/* Nothing that needs the manifests ran; the rest did. */
	CHECK(find(&rep, "ports", "ok") == NULL && find(&rep, "env", "ok") == NULL);
	CHECK(find(&rep, "state", "ok") != NULL);
	check_report_release(&rep);
}

static char *print(const struct check_report *r, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	check_report_print(r, json, f);
	fclose(f);
	return text;
}

static void test_check__print(void)
{
	char n1[] = "docker", n2[] = "env-file", n3[] = "ports";
	char m1[] = "reachable, API 1.41 (Engine 20.10.24)";
	char m2[] = "/x/secrets.env is readable by group or others (chmod 600)";
	char m3[] = "127.0.0.1:8080/tcp is held by \"another\"\tprocess";
	struct check_item items[] = {
		{ n1, true, false, m1 },
		{ n2, true, true, m2 },
		{ n3, false, false, m3 },
	};
	struct check_report rep = { .v = items, .n = 3 };
	char *text;

	CHECK_INT(check_report_nfailed(&rep), 1);
	text = print(&rep, false);
	CHECK_STR(text,
	          "ok    docker: reachable, API 1.41 (Engine 20.10.24)\n"
	          "warn  env-file: /x/secrets.env is readable by group or others (chmod 600)\n"
	          "FAIL  ports: 127.0.0.1:8080/tcp is held by \"another\"\\x09process\n"
	          "1 check(s) failed, 1 warning(s)\n");
	free(text);
	text = print(&rep, true);
	CHECK_STR(text,
	          "{\"ok\":false,\"failed\":1,\"warnings\":1,\"checks\":["
	          "{\"name\":\"docker\",\"status\":\"ok\",\"message\":\"reachable, API 1.41 "
	          "(Engine 20.10.24)\"},"
	          "{\"name\":\"env-file\",\"status\":\"warn\",\"message\":\"/x/secrets.env is "
	          "readable by group or others (chmod 600)\"},"
	          "{\"name\":\"ports\",\"status\":\"fail\",\"message\":\"127.0.0.1:8080/tcp is "
	          "held by \\\"another\\\"\\tprocess\"}]}\n");
	free(text);
	rep.n = 2;
	text = print(&rep, false);
	CHECK(strstr(text, "\nall checks passed, 1 warning(s)\n") != NULL);
	free(text);
}

/* The first item named name whose message contains part, or NULL. */
static const struct check_item *find_msg(const struct check_report *r, const char *name,
                                         const char *part)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name) && strstr(r->v[i].message, part))
			return &r->v[i];
	return NULL;
}

static const char *status(const struct check_item *it)
{
	return !it ? "missing" : !it->ok ? "fail" : it->warn ? "warn" : "ok";
}

/* x-deployctl.tls and a bind-mounted directory: each certificate one "tls" item. */
static void test_check__tls(void)
{
	struct check_report rep;
	char ssl[128], mnt[128], yml[2048], cmd[512];
	const struct check_item *it;
	size_t i;

	snprintf(ssl, sizeof(ssl), "%s/ssl", tmp);
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	mkdir(ssl, 0700);
	mkdir(mnt, 0700);
	tls_gen(ssl, "good", 90, "DNS:shop.example.com,DNS:*.shop.example.com");
	tls_gen(ssl, "other", 90, "DNS:other.example.com");
	tls_gen(ssl, "expired", 0, "DNS:old.example.com");
	tls_gen(mnt, "soon", 5, "DNS:soon.example.com");
	snprintf(cmd, sizeof(cmd),
	         "chmod 600 %s/*.key && chmod 640 %s/other.key && chmod 644 %s/soon.key", ssl, ssl,
	         mnt);
	if (system(cmd) != 0)
		abort();
	snprintf(
	        yml, sizeof(yml),
	        "name: unitcheck\n"
	        "x-deployctl:\n"
	        "  tls:\n"
	        "    - {cert: ../ssl/good.crt, key: ../ssl/good.key,\n"
	        "       names: [shop.example.com, www.shop.example.com]}\n"
	        "    - {cert: %s/good.crt, key: %s/other.key}\n"
	        "    - {cert: ../ssl/other.crt, key: ../ssl/other.key, names: [shop.example.com]}\n"
	        "    - {cert: ../ssl/expired.crt, key: ../ssl/expired.key}\n"
	        "    - {cert: ../ssl/missing.crt}\n"
	        "services:\n"
	        "  web:\n"
	        "    image: deployctl-test/app:v1\n"
	        "    volumes: [\"%s:/etc/nginx/ssl:ro\"]\n",
	        ssl, ssl, mnt);
	write_file(tmp, "manifests/app.yml", yml);
	run(&rep, tmp, 1);

	it = find_msg(&rep, "tls", "x-deployctl.tls[0]: ");
	CHECK_STR(status(it), "ok");
	CHECK(strstr(it ? it->message : "", "/ssl/good.crt: CN=good; expires ") != NULL);
	CHECK(strstr(it ? it->message : "", "covers 2 name(s); key ") != NULL);
	CHECK(strstr(it ? it->message : "", "/ssl/good.key matches; key mode 600") != NULL);
	it = find_msg(&rep, "tls", "x-deployctl.tls[1]: ");
	CHECK_STR(status(it), "fail");
	CHECK(strstr(it ? it->message : "", "other.key: the private key does not match the "
	                                    "certificate") != NULL);
	CHECK(strstr(it ? it->message : "", "key mode 640 lets group or others read it") != NULL);
	it = find_msg(&rep, "tls", "x-deployctl.tls[2]: ");
	CHECK_STR(status(it), "fail");
	CHECK(strstr(it ? it->message : "",
	             "does not cover shop.example.com (subjectAltName: DNS:other.example.com)") !=
	      NULL);
	it = find_msg(&rep, "tls", "x-deployctl.tls[3]: ");
	CHECK_STR(status(it), "fail");
	CHECK(strstr(it ? it->message : "", "expired ") != NULL);
	it = find_msg(&rep, "tls", "x-deployctl.tls[4] (manifests/app.yml:9:7): ");
	CHECK_STR(status(it), "fail");
	CHECK(strstr(it ? it->message : "", "missing.crt: No such file or directory") != NULL);
	/* The mounted directory: the soon-expiring certificate warns, its loose key fails. */
	it = find_msg(&rep, "tls", "services.web.volumes[0]: ");
	CHECK_STR(status(it), "warn");
	CHECK(strstr(it ? it->message : "", "/mnt/soon.crt: CN=soon; expires ") != NULL);
	CHECK(strstr(it ? it->message : "", "day(s), renew it)") != NULL);
	it = find_msg(&rep, "tls", "/mnt/soon.key: private key");
	CHECK_STR(status(it), "fail");
	CHECK(strstr(it ? it->message : "", "key mode 644 lets group or others read it") != NULL);
	for (i = 0; i < rep.n; i++)
		CHECK(strstr(rep.v[i].message, "PRIVATE KEY") == NULL);
	/* The checklist's disk lines name what they measured: Docker's data root and the state. */
	CHECK_STR(status(find_msg(&rep, "disk", ", the Docker data root (at least ")), "ok");
	CHECK_STR(status(find_msg(&rep, "disk", ", the state directory (at least 64.0 MiB)")),
	          "ok");
	check_report_release(&rep);
}

int main(void)
{
	char cmd[128];
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/test_check.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	RUN(test_check__failures_without_docker);
	RUN(test_check__invalid_manifests);
	RUN(test_check__print);
	RUN(test_check__tls);
	rc = CHECK_DONE();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
