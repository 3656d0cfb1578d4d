/*
 * test_manifest.c - manifest_load_texts() on in-memory documents: the model
 * fields it fills (ports, env precedence, deploy and plain keys, mounts,
 * networks, depends_on), two files, reading through a source, copies and
 * port clashes at scale, and the key paths, positions and wording of its
 * errors. The project-level keys are test_manifest_project.c.
 */
#include "manifest_fixture.h"

static void test_manifest__ports(void)
{
	struct run r;
	const struct service *s;

	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  web:\n"
	         "    image: nginx:1.25\n"
	         "    ports:\n"
	         "      - 80\n"
	         "      - \"8000-8001:9000-9001\"\n"
	         "      - \"127.0.0.1::53/udp\"\n"
	         "      - \"[::1]:8443:443\"\n"
	         "      - target: 7000\n"
	         "        published: \"7001\"\n"
	         "        host_ip: 10.0.0.1\n"
	         "        protocol: sctp\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	CHECK(r.p != NULL);
	if (!r.p)
		goto out;
	s = model_service_find(r.p, "web");
	CHECK(s != NULL);
	CHECK_INT(s->nports, 6);
	if (s->nports != 6)
		goto out;
	CHECK_INT(s->ports[0].container_port, 80);
	CHECK_INT(s->ports[0].host_port, 0);
	CHECK_STR(s->ports[0].host_ip, "");
	CHECK_STR(s->ports[0].protocol, "tcp");
	CHECK_INT(s->ports[1].host_port, 8000);
	CHECK_INT(s->ports[1].container_port, 9000);
	CHECK_INT(s->ports[2].host_port, 8001);
	CHECK_INT(s->ports[2].container_port, 9001);
	CHECK_STR(s->ports[3].host_ip, "127.0.0.1");
	CHECK_INT(s->ports[3].host_port, 0);
	CHECK_STR(s->ports[3].protocol, "udp");
	CHECK_STR(s->ports[4].host_ip, "::1");
	CHECK_INT(s->ports[4].host_port, 8443);
	CHECK_INT(s->ports[5].host_port, 7001);
	CHECK_INT(s->ports[5].container_port, 7000);
	CHECK_STR(s->ports[5].host_ip, "10.0.0.1");
	CHECK_STR(s->ports[5].protocol, "sctp");
	/* the implicit default network */
	CHECK_INT(s->nnetworks, 1);
	CHECK_STR(s->networks[0].name, "default");
	CHECK(model_res_find(r.p, RES_NETWORK, "default") != NULL);
	CHECK_INT(s->replicas, 1);
	CHECK_INT(s->stop_grace_ns, -1);
	CHECK_STR(r.p->files.v[0], "manifests/a.yml");
	CHECK(s->loc.file == r.p->files.v[0]);
	CHECK_INT(s->loc.line, 3);
	CHECK_INT(s->loc.col, 3);
out:
	run_done(&r);
}

static void test_manifest__env_precedence(void)
{
	struct run r;
	const struct service *s;

	run_init(&r);
	kvv_set(&r.vars.vars, "FROM_VARS", "v1");
	kvv_set(&r.vars.vars, "TAG", "1.2");
	load(&r, "name: shop\n"
	         "services:\n"
	         "  api:\n"
	         "    image: \"api:${TAG}\"\n"
	         "    environment:\n"
	         "      B: from-environment\n"
	         "      FROM_VARS:\n"
	         "      UNSET_VAR:\n"
	         "      NUM: 3\n"
	         "      BOOL: true\n"
	         "      DEF: ${NOPE:-fallback}\n"
	         "    env_file: [app.env, ../shared/common.env]\n"
	         "  worker:\n"
	         "    image: worker\n"
	         "    env_file:\n"
	         "      - app.env\n"
	         "      - path: more.env\n"
	         "      - path: missing.env\n"
	         "        required: false\n"
	         "    environment: [\"X=1\", FROM_VARS, ALSO_UNSET, \"Y=a=b\"]\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	s = model_service_find(r.p, "api");
	CHECK_STR(s->image, "api:1.2");
	CHECK_STR(kvv_get(&s->env, "A"), "from-file");
	CHECK_STR(kvv_get(&s->env, "B"), "from-environment");
	CHECK_STR(kvv_get(&s->env, "C"), "file-only");
	CHECK_STR(kvv_get(&s->env, "COMMON"), "1");
	CHECK_STR(kvv_get(&s->env, "FROM_VARS"), "v1");
	CHECK(kvv_get(&s->env, "UNSET_VAR") == NULL);
	CHECK_STR(kvv_get(&s->env, "NUM"), "3");
	CHECK_STR(kvv_get(&s->env, "BOOL"), "true");
	CHECK_STR(kvv_get(&s->env, "DEF"), "fallback");
	CHECK_INT(s->env.n, 8);
	s = model_service_find(r.p, "worker");
	CHECK_STR(kvv_get(&s->env, "B"), "from-more"); /* later env_file wins */
	CHECK_STR(kvv_get(&s->env, "X"), "1");
	CHECK_STR(kvv_get(&s->env, "Y"), "a=b");
	CHECK_STR(kvv_get(&s->env, "FROM_VARS"), "v1");
	CHECK(kvv_get(&s->env, "ALSO_UNSET") == NULL);
out:
	run_done(&r);
}

static void test_manifest__deploy_and_plain_keys(void)
{
	struct run r;
	const struct service *s;

	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl:\n"
	         "  secrets: [STRIPE_KEY, DB_URL]\n"
	         "  rollout: {}\n"
	         "services:\n"
	         "  api:\n"
	         "    image: api\n"
	         "    command: echo \"hello world\" 'x y'\n"
	         "    entrypoint: [\"/bin/sh\", \"-c\"]\n"
	         "    cap_add: [NET_ADMIN, CHOWN]\n"
	         "    cap_drop: [ALL]\n"
	         "    restart: on-failure:3\n"
	         "    read_only: true\n"
	         "    init: TRUE\n"
	         "    stop_grace_period: 1m30s\n"
	         "    extra_hosts: [\"db=10.0.0.2\", \"cache:10.0.0.3\"]\n"
	         "    labels: [\"a=1\", b]\n"
	         "    tmpfs: /run\n"
	         "    healthcheck:\n"
	         "      test: curl -f http://localhost/\n"
	         "      interval: 10s\n"
	         "      retries: 3\n"
	         "    logging:\n"
	         "      driver: json-file\n"
	         "      options: {max-size: 10m}\n"
	         "    deploy:\n"
	         "      mode: replicated\n"
	         "      replicas: 3\n"
	         "      resources:\n"
	         "        limits:\n"
	         "          cpus: \"0.5\"\n"
	         "          memory: 512m\n"
	         "    x-deployctl: {rollout: {order: stop-first}}\n"
	         "    x-other: whatever\n"
	         "  idle:\n"
	         "    image: idle\n"
	         "    command: null\n"
	         "    deploy: {replicas: 0, resources: {limits: {cpus: 2}}}\n"
	         "    healthcheck: {test: [\"NONE\"]}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	CHECK_INT(r.p->secret_keys.n, 2);
	CHECK_STR(r.p->secret_keys.v[0], "DB_URL");
	CHECK_STR(r.p->secret_keys.v[1], "STRIPE_KEY");
	CHECK(model_env_is_secret(r.p, "DB_URL"));
	s = model_service_find(r.p, "api");
	CHECK(s->has_command);
	CHECK_INT(s->command.n, 3);
	CHECK_STR(s->command.v[1], "hello world");
	CHECK_STR(s->command.v[2], "x y");
	CHECK(s->has_entrypoint);
	CHECK_INT(s->entrypoint.n, 2);
	CHECK_STR(s->cap_add.v[0], "CHOWN");
	CHECK_STR(s->cap_add.v[1], "NET_ADMIN");
	CHECK_STR(s->restart, "on-failure:3");
	CHECK(s->read_only);
	CHECK(s->init);
	CHECK_INT(s->stop_grace_ns, 90000000000LL);
	CHECK_STR(s->extra_hosts.v[0], "db:10.0.0.2");
	CHECK_STR(s->extra_hosts.v[1], "cache:10.0.0.3");
	CHECK_STR(kvv_get(&s->labels, "a"), "1");
	CHECK_STR(kvv_get(&s->labels, "b"), "");
	CHECK_STR(s->tmpfs.v[0], "/run");
	CHECK(s->health.set);
	CHECK(!s->health.disable);
	CHECK_INT(s->health.test.n, 2);
	CHECK_STR(s->health.test.v[0], "CMD-SHELL");
	CHECK_STR(s->health.test.v[1], "curl -f http://localhost/");
	CHECK_INT(s->health.interval_ns, 10000000000LL);
	CHECK_INT(s->health.retries, 3);
	CHECK_STR(s->logging.driver, "json-file");
	CHECK_STR(kvv_get(&s->logging.options, "max-size"), "10m");
	CHECK_INT(s->replicas, 3);
	CHECK_INT(s->nano_cpus, 500000000);
	CHECK_INT(s->memory_bytes, 512LL * 1024 * 1024);
	s = model_service_find(r.p, "idle");
	CHECK(!s->has_command);
	CHECK_INT(s->replicas, 0);
	CHECK_INT(s->nano_cpus, 2000000000LL);
	CHECK(s->health.disable);
out:
	run_done(&r);
}

static void test_manifest__mounts_networks_deps(void)
{
	struct run r;
	const struct service *s;

	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  web:\n"
	         "    image: web\n"
	         "    volumes:\n"
	         "      - data:/var/lib/data:ro\n"
	         "      - /srv/static:/static\n"
	         "      - /scratch\n"
	         "      - {type: tmpfs, target: /tmp}\n"
	         "      - {type: volume, source: data, target: /b, read_only: true}\n"
	         "    networks:\n"
	         "      front:\n"
	         "        aliases: [www, site]\n"
	         "      back:\n"
	         "    depends_on:\n"
	         "      db: {condition: service_healthy}\n"
	         "      cache: {condition: service_started, required: false}\n"
	         "  db: {image: db, networks: [back]}\n"
	         "  cache: {image: cache, depends_on: [db]}\n"
	         "networks: {front: {}, back: {internal: true, labels: {tier: back}}}\n"
	         "volumes: {data: {driver: local}}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	CHECK_INT(r.p->nservices, 3);
	CHECK_STR(r.p->services[0].name, "cache");
	CHECK_STR(r.p->services[2].name, "web");
	s = model_service_find(r.p, "web");
	CHECK_INT(s->nmounts, 5);
	CHECK_INT(s->mounts[0].type, MOUNT_VOLUME);
	CHECK_STR(s->mounts[0].source, "data");
	CHECK(s->mounts[0].read_only);
	CHECK_INT(s->mounts[1].type, MOUNT_BIND);
	CHECK_STR(s->mounts[1].source, "/srv/static");
	CHECK(!s->mounts[1].read_only);
	CHECK(s->mounts[2].source == NULL);
	CHECK_STR(s->mounts[2].target, "/scratch");
	CHECK_INT(s->mounts[3].type, MOUNT_TMPFS);
	CHECK(s->mounts[4].read_only);
	CHECK_INT(s->nnetworks, 2);
	CHECK_STR(s->networks[0].name, "back");
	CHECK_STR(s->networks[1].name, "front");
	CHECK_STR(s->networks[1].aliases.v[0], "site");
	CHECK_STR(s->networks[1].aliases.v[1], "www");
	CHECK_INT(s->ndeps, 2);
	CHECK_STR(s->deps[0].service, "cache");
	CHECK(!s->deps[0].required);
	CHECK_INT(s->deps[1].condition, DEP_HEALTHY);
	CHECK(s->deps[1].required);
	CHECK_INT(r.p->nnetworks, 3); /* cache joins default */
	CHECK(model_res_find(r.p, RES_NETWORK, "back")->internal);
	CHECK_STR(kvv_get(&model_res_find(r.p, RES_NETWORK, "back")->labels, "tier"), "back");
	CHECK_INT(r.p->nvolumes, 1);
out:
	run_done(&r);
}

static void test_manifest__error_paths(void)
{
	struct run r;

	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  api:\n"
	         "    imagee: x\n"
	         "    ports: [\"80800\", \"8080:80\"]\n"
	         "    environment:\n"
	         "      PASSWORD: [hunter2]\n"
	         "    cgroup: host\n"
	         "    build: .\n"
	         "    depends_on: [nope]\n"
	         "  web:\n"
	         "    image: web\n"
	         "    ports: [\"8080:81\"]\n"
	         "    stop_grace_period: soon\n"
	         "    networks: [back]\n");
	CHECK(r.p == NULL);
	EXPECT_ERRS(
	        &r, "manifests/a.yml:4:5: services.api: unknown key 'imagee'",
	        "manifests/a.yml:5:13: services.api.ports[0]: invalid port \"80800\"",
	        "manifests/a.yml:7:17: services.api.environment.PASSWORD: expected a string, "
	        "number or boolean, got a sequence",
	        "manifests/a.yml:8:5: services.api.cgroup: not supported yet: cgroup namespace "
	        "mode",
	        "manifests/a.yml:9:12: services.api.build: build: needs a git commit (--repo): "
	        "the image is built from its tree",
	        "manifests/a.yml:10:18: services.api.depends_on[0]: unknown service 'nope'",
	        "manifests/a.yml:13:13: services.web.ports[0]: host port 8080/tcp is already "
	        "published by services.api.ports[1]",
	        "manifests/a.yml:14:24: services.web.stop_grace_period: invalid duration "
	        "\"soon\"",
	        "manifests/a.yml:15:16: services.web.networks[0]: network 'back' is not declared "
	        "under top-level networks");
	run_done(&r);
}

static void test_manifest__values_never_in_messages(void)
{
	struct run r;
	char buf[1024];
	size_t i;

	run_init(&r);
	kvv_set(&r.vars.vars, "SECRET_TAG", "topsecret value");
	load(&r, "name: shop\n"
	         "services:\n"
	         "  api:\n"
	         "    image: \"${SECRET_TAG}\"\n"
	         "    ports: [\"${SECRET_TAG}\"]\n"
	         "    environment:\n"
	         "      TOKEN: \"hunter2${\"\n"
	         "      REQ: ${MISSING:?must be set}\n");
	CHECK_INT(r.rc, ERR_INVALID);
	CHECK_INT(r.errs.n, 4);
	for (i = 0; i < r.errs.n; i++) {
		errline(&r, i, buf, sizeof(buf));
		CHECK(!strstr(buf, "topsecret"));
		CHECK(!strstr(buf, "hunter2"));
	}
	CHECK(strstr(errline(&r, 3, buf, sizeof(buf)), "services.api.environment.REQ: ") != NULL);
	CHECK(strstr(buf, "must be set") != NULL);
	run_done(&r);
}

static void test_manifest__two_files(void)
{
	struct run r;
	char buf[1024];

	run_init(&r);
	load2(&r, "name: shop\nservices:\n  api:\n    image: a\n",
	      "version: \"3.8\"\nservices:\n  web:\n    image: w\n  api:\n    image: b\n", NULL);
	EXPECT_ERRS(&r, "manifests/b.yml:5:3: services.api: defined twice (first at "
	                "manifests/a.yml:3:3)");
	run_done(&r);

	/* Split across files, project name from the options. */
	run_init(&r);
	load2(&r, "services:\n  api:\n    image: a\n    depends_on: [web]\n",
	      "services:\n  web:\n    image: w\n", "override");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (r.p) {
		CHECK_STR(r.p->name, "override");
		CHECK_INT(r.p->files.n, 2);
		CHECK_INT(r.p->nservices, 2);
		CHECK(r.p->services[1].loc.file == r.p->files.v[1]);
	}
	run_done(&r);

	run_init(&r);
	load(&r, "services:\n  api:\n    image: a\n");
	CHECK_INT(r.rc, ERR_INVALID);
	CHECK_STR(errline(&r, 0, buf, sizeof(buf)),
	          "manifests/a.yml: no project name: set top-level name:, $COMPOSE_PROJECT_NAME "
	          "or --project");
	run_done(&r);
}

static void test_manifest__cycle_and_replicas(void)
{
	struct run r;

	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  b:\n"
	         "    image: b\n"
	         "    depends_on: [c]\n"
	         "  c:\n"
	         "    image: c\n"
	         "    depends_on: [b]\n"
	         "    ports: [\"80:80\"]\n"
	         "    deploy: {replicas: 2}\n"
	         "  d:\n"
	         "    image: d\n"
	         "    depends_on: [d]\n"
	         "    volumes: [\"nodata:/x\", \"./rel:/y\"]\n");
	/* ./rel is a host path under the project's host directory */
	EXPECT_ERRS(
	        &r, "manifests/a.yml:5:17: services.b.depends_on: dependency cycle b -> c -> b",
	        "manifests/a.yml:9:13: services.c.ports[0]: host port 80 is fixed but "
	        "deploy.replicas is 2: replicas cannot share a host port",
	        "manifests/a.yml:13:18: services.d.depends_on[0]: service 'd' depends on itself",
	        "manifests/a.yml:14:15: services.d.volumes[0]: volume 'nodata' is not declared "
	        "under top-level volumes");

	run_done(&r);
}

static void test_manifest__load_from_source(void)
{
	struct manifest_vars vars;
	struct manifest_opts opts = { .dir = "manifests", .vars = &vars };
	struct errlist errs, warns;
	struct project *p = NULL;

	manifest_vars_init(&vars);
	errlist_init(&errs);
	errlist_init(&warns);
	CHECK_INT(manifest_load(&p, &mem_src, &opts, &errs, &warns), 0);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->name, "listed");
		CHECK_INT(p->files.n, 1);
		CHECK_STR(p->files.v[0], "manifests/listed.yml");
		CHECK_STR(kvv_get(&p->services[0].env, "C"), "file-only");
	}
	model_project_free(p);

	/* A missing directory is the source's error, passed up. */
	p = NULL;
	opts.dir = "elsewhere";
	CHECK_INT(manifest_load(&p, &mem_src, &opts, &errs, &warns), ERR_NOTFOUND);
	CHECK(p == NULL);
	CHECK_INT(errs.n, 1);
	manifest_vars_release(&vars);
}

/*
 * A few lines must not become gigabytes of model: 1,000 services extending
 * one base with a 3 MiB value (or reading one 3 MiB env_file) were 3 GB.
 * What extends and env_file copy, all services together, is bounded.
 */
static void test_manifest__copies_bounded(void)
{
	struct run r;
	struct buf y, env;
	char line[512];
	size_t i;

	buf_init(&env, 0);
	buf_puts(&env, "BIG=");
	for (i = 0; i < (1u << 20); i++)
		buf_putc(&env, 'e');
	buf_putc(&env, '\n');
	buf_init(&y, 0);
	buf_puts(&y,
	         "name: big\nservices:\n  base:\n    image: app\n    environment:\n      BIG: ");
	buf_add(&y, env.ptr + 4, env.len - 5);
	buf_putc(&y, '\n');
	for (i = 0; i < 70; i++)
		buf_printf(&y, "  s%03zu:\n    extends: base\n", i);
	run_init(&r);
	load(&r, y.ptr);
	CHECK_INT(r.rc, ERR_INVALID);
	CHECK_INT(r.errs.n, 1); /* said once, not for every service after */
	/* base is 1 MiB + 24 bytes of scalars: the 64th copy crosses 64 MiB */
	CHECK_STR(errline(&r, 0, line, sizeof(line)),
	          "manifests/a.yml:134:14: services.s063.extends: extends copies the project's "
	          "services beyond 64 MiB (extends and env_file, every service together)");
	run_done(&r);

	/* The same env_file read by every service. */
	mem_big_env = env.ptr;
	buf_reset(&y);
	buf_puts(&y, "name: big\nservices:\n");
	for (i = 0; i < 70; i++)
		buf_printf(&y, "  s%03zu:\n    image: app\n    env_file: big.env\n", i);
	run_init(&r);
	load(&r, y.ptr);
	EXPECT_ERRS(&r,
	            "manifests/a.yml:194:15: services.s063.env_file: env_file copies the project's "
	            "services beyond 64 MiB (extends and env_file, every service together)");
	run_done(&r);

	/* Well within: 60 of them load, each with the whole value. */
	buf_reset(&y);
	buf_puts(&y, "name: big\nservices:\n");
	for (i = 0; i < 60; i++)
		buf_printf(&y, "  s%03zu:\n    image: app\n    env_file: big.env\n", i);
	run_init(&r);
	load(&r, y.ptr);
	CHECK_INT(r.rc, 0);
	if (r.p) {
		CHECK_INT(r.p->nservices, 60);
		CHECK_INT(strlen(kvv_get(&r.p->services[59].env, "BIG")), 1u << 20);
	}
	run_done(&r);
	mem_big_env = NULL;
	buf_release(&y);
	buf_release(&env);
}

/*
 * Host port clashes, checked against the pairwise definition on random
 * projects: a port of one number and protocol clashes with an earlier one
 * when either binds every address or both bind the same; the message names
 * the earliest reference and the lowest clashing port.
 */
struct gen_port {
	unsigned svc, idx, lo, hi, ip, proto; /* ip 0: none given, 3: 0.0.0.0 */
	bool host;                            /* host-bound ("H:C"), else container only */
};

static bool gen_any(const struct gen_port *g)
{
	return g->ip == 0 || g->ip == 3;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_manifest__port_clashes_random(void)
{
	static const char *const ips[] = { "", "127.0.0.1:", "127.0.0.2:", "0.0.0.0:" };
	static const char *const protos[] = { "tcp", "udp" };
	unsigned long seed = 12345;
	struct gen_port g[64];
	unsigned round, i, j, n, rounds_checked = 0;

#define RND(m) ((seed = seed * 6364136223846793005UL + 1442695040888963407UL), (seed >> 33) % (m))
	for (round = 0; round < 300; round++) {
		struct strv want = { 0 }, got = { 0 };
		struct buf y;
		struct run r;
		unsigned nsvc = 2 + (unsigned)RND(8), s;

		n = 0;
		buf_init(&y, 0);
		buf_puts(&y, "name: ports\nservices:\n");
		for (s = 0; s < nsvc; s++) {
			unsigned np = (unsigned)RND(4), k;

			buf_printf(&y, "  s%02u:\n    image: app\n", s);
			if (np)
				buf_puts(&y, "    ports:\n");
			for (k = 0; k < np; k++) {
				struct gen_port *p = &g[n++];

				p->svc = s;
				p->idx = k;
				p->lo = 80 + (unsigned)RND(4);
				p->hi = p->lo + (RND(3) == 0 ? (unsigned)RND(3) : 0);
				p->ip = (unsigned)RND(4);
				p->proto = (unsigned)RND(2);
				p->host = RND(5) != 0;
				if (!p->host)
					buf_printf(&y, "      - \"%u/%s\"\n", p->lo,
					           protos[p->proto]);
				else if (p->hi == p->lo)
					buf_printf(&y, "      - \"%s%u:%u/%s\"\n", ips[p->ip],
					           p->lo, p->lo, protos[p->proto]);
				else
					buf_printf(&y, "      - \"%s%u-%u:%u-%u/%s\"\n", ips[p->ip],
					           p->lo, p->hi, p->lo, p->hi, protos[p->proto]);
			}
		}
		/* the definition, pair by pair */
		for (i = 0; i < n; i++) {
			for (j = 0; j < i && g[i].host; j++) {
				char line[256];

				if (!g[j].host || g[j].proto != g[i].proto ||
				    !(gen_any(&g[i]) || gen_any(&g[j]) || g[i].ip == g[j].ip) ||
				    g[j].hi < g[i].lo || g[i].hi < g[j].lo)
					continue;
				snprintf(
				        line, sizeof(line),
				        "services.s%02u.ports[%u]: host port %u/%s is already published "
				        "by services.s%02u.ports[%u]",
				        g[i].svc, g[i].idx, g[i].lo > g[j].lo ? g[i].lo : g[j].lo,
				        protos[g[i].proto], g[j].svc, g[j].idx);
				strv_push(&want, line);
				break;
			}
		}
		run_init(&r);
		load(&r, y.ptr);
		for (i = 0; i < r.errs.n; i++)
			strv_push(&got, r.errs.items[i].msg);
		if (want.n < ERRLIST_MAX) {
			rounds_checked++;
			CHECK_INT(r.rc, want.n ? ERR_INVALID : 0);
			CHECK_INT(got.n, want.n);
			if (want.n)
				qsort(want.v, want.n, sizeof(*want.v), str_cmp);
			if (got.n)
				qsort(got.v, got.n, sizeof(*got.v), str_cmp);
			for (i = 0; i < want.n && i < got.n; i++)
				CHECK_STR(got.v[i], want.v[i]);
		}
		run_done(&r);
		strv_free(&want);
		strv_free(&got);
		buf_release(&y);
	}
#undef RND
	CHECK(rounds_checked > 250);
}

/* 10,000 port entries: the pairwise check took 100 s; sorted, it is immediate. */
static void test_manifest__ports_at_scale(void)
{
	struct run r;
	struct buf y;
	unsigned i, k;

	buf_init(&y, 0);
	buf_puts(&y, "name: ports\nservices:\n");
	for (i = 0; i < 1000; i++) {
		buf_printf(&y, "  s%04u:\n    image: app\n    ports:\n", i);
		for (k = 0; k < 10; k++)
			buf_printf(&y, "      - \"%u:80\"\n", 10000 + i * 10 + k);
	}
	buf_puts(&y, "      - \"127.0.0.1:10005:81\"\n"); /* s0999 again on s0000's 6th */
	run_init(&r);
	load(&r, y.ptr);
	EXPECT_ERRS(&r, "manifests/a.yml:13003:9: services.s0999.ports[10]: host port 10005/tcp is "
	                "already published by services.s0000.ports[5]");
	run_done(&r);
	buf_release(&y);
}

int main(void)
{
	RUN(test_manifest__ports);
	RUN(test_manifest__env_precedence);
	RUN(test_manifest__deploy_and_plain_keys);
	RUN(test_manifest__mounts_networks_deps);
	RUN(test_manifest__error_paths);
	RUN(test_manifest__values_never_in_messages);
	RUN(test_manifest__two_files);
	RUN(test_manifest__cycle_and_replicas);
	RUN(test_manifest__load_from_source);
	RUN(test_manifest__copies_bounded);
	RUN(test_manifest__port_clashes_random);
	RUN(test_manifest__ports_at_scale);
	return CHECK_DONE();
}
