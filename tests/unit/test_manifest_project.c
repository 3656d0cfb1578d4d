/*
 * test_manifest_project.c - manifest_load_texts() on the project-level
 * keys and what spans services: x-deployctl and the top level, profiles,
 * secrets and configs, env rules and pull_policy, network modes, links and
 * extends, rollout defaults and their merge and errors, and values
 * interpolated from secret variables.
 */
#include "manifest_fixture.h"

static void test_manifest__x_deployctl_and_top_level(void)
{
	struct run r;

	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl:\n"
	         "  secrets: [GOOD_NAME, \"bad-name\"]\n"
	         "  env: {}\n"
	         "  surprise: 1\n"
	         "models: {}\n"
	         "x-anything: {ignored: true}\n"
	         "services: {}\n");
	EXPECT_ERRS(&r,
	            "manifests/a.yml:3:24: x-deployctl.secrets[1]: invalid environment variable "
	            "name \"bad-name\"",
	            "manifests/a.yml:5:3: x-deployctl: unknown key 'surprise'",
	            "manifests/a.yml:6:1: models: not supported: AI model runner models");
	run_done(&r);

	/* An empty document and an empty project are fine. */
	run_init(&r);
	load2(&r, "", "name: shop\n", NULL);
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (r.p) {
		CHECK_INT(r.p->nservices, 0);
		CHECK_INT(r.p->nnetworks, 0);
	}
	run_done(&r);
}

static void test_manifest__profiles(void)
{
	static const char *const doc = "name: shop\n"
	                               "services:\n"
	                               "  api:\n"
	                               "    image: api\n"
	                               "  debug:\n"
	                               "    image: debug\n"
	                               "    profiles: [debug, tools]\n";
	struct run r;
	char buf[1024];

	/* No active profile: the service with profiles: is left out. */
	run_init(&r);
	load(&r, doc);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.p ? r.p->nservices : 0, 1);
	run_done(&r);
	/* One of its profiles active: it is loaded, profiles kept. */
	run_init(&r);
	strv_push(&r.profiles, "tools");
	load(&r, doc);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.p ? r.p->nservices : 0, 2);
	if (r.p && r.p->nservices == 2)
		CHECK_STR(r.p->services[1].profiles.v[0], "debug");
	run_done(&r);
	/* depends_on a disabled service names the profile to enable. */
	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  api: {image: api, depends_on: [debug]}\n"
	         "  debug: {image: debug, profiles: [debug]}\n");
	CHECK_INT(r.rc, ERR_INVALID);
	CHECK_STR(errline(&r, 0, buf, sizeof(buf)),
	          "manifests/a.yml:3:34: services.api.depends_on[0]: service 'debug' is not "
	          "enabled: it needs profile 'debug' (apply --profile NAME)");
	run_done(&r);
}

static void test_manifest__secrets_and_configs(void)
{
	char path[] = "/tmp/test_manifest_secret.XXXXXX", doc[1024], want[65];
	const struct project_file *f;
	const struct service *s;
	struct run r;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_INT((int)write(fd, "top-secret\n", 11), 11);
	close(fd);
	snprintf(doc, sizeof(doc),
	         "name: shop\n"
	         "configs:\n"
	         "  envfile: {file: app.env}\n"
	         "  inline: {content: \"x=${MODE}\"}\n"
	         "secrets:\n"
	         "  tls: {file: %s}\n"
	         "  token: {environment: TOKEN}\n"
	         "services:\n"
	         "  api:\n"
	         "    image: api\n"
	         "    configs: [envfile, {source: inline, target: /etc/inline}]\n"
	         "    secrets: [tls, {source: token, target: tok}]\n",
	         path);
	run_init(&r);
	kvv_set(&r.vars.vars, "MODE", "prod");
	kvv_set(&r.vars.vars, "TOKEN", "t0k3n");
	load(&r, doc);
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	CHECK_INT(r.p->nconfigs, 2);
	CHECK_INT(r.p->nsecrets, 2);
	f = &r.p->configs[0];
	CHECK_STR(f->name, "envfile");
	CHECK_STR(f->file, "manifests/app.env");
	CHECK(f->content && !strncmp(f->content, "A=from-file", 11));
	CHECK_STR(r.p->configs[1].content, "x=prod");
	/* A file secret is hashed, never kept. */
	f = &r.p->secrets[0];
	hash_sha256_hex(want, "top-secret\n", 11);
	CHECK_STR(f->content_hash, want);
	CHECK(f->content == NULL);
	CHECK_STR(f->file, path);
	/* An environment secret keeps its value for files_materialize. */
	f = &r.p->secrets[1];
	CHECK_STR(f->content, "t0k3n");
	hash_sha256_hex(want, "t0k3n", 5);
	CHECK_STR(f->content_hash, want);
	s = &r.p->services[0];
	CHECK_INT(s->nconfigs, 2);
	CHECK_STR(s->configs[0].target, "/envfile");
	CHECK_STR(s->configs[0].content_hash, r.p->configs[0].content_hash);
	CHECK_STR(s->configs[1].target, "/etc/inline");
	CHECK_INT(s->nsecrets, 2);
	CHECK_STR(s->secrets[0].target, "/run/secrets/tls");
	CHECK_STR(s->secrets[0].host_file, path);
	CHECK_STR(s->secrets[1].target, "/run/secrets/tok");
	CHECK(s->secrets[1].host_file == NULL);
	CHECK_STR(s->secrets[1].content_hash, want);
out:
	run_done(&r);
	unlink(path);
}

static void test_manifest__env_rules_and_pull_policy(void)
{
	const struct env_rule *e;
	struct run r;

	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl:\n"
	         "  env:\n"
	         "    URL: {required: true, url: {schemes: [https, http]}}\n"
	         "    MODE: {one_of: [a, b], min_length: 1, max_length: 8, pattern: '^[a-z]+$'}\n"
	         "    PLAIN:\n"
	         "services:\n"
	         "  api: {image: api, pull_policy: if_not_present}\n"
	         "  web: {image: web, pull_policy: never}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	CHECK_INT(r.p->nenv_rules, 3);
	e = &r.p->env_rules[0];
	CHECK_STR(e->key, "MODE");
	CHECK_STR(e->pattern, "^[a-z]+$");
	CHECK_INT(e->min_length, 1);
	CHECK_INT(e->max_length, 8);
	CHECK_INT((int)e->one_of.n, 2);
	CHECK_INT(e->required, 0);
	e = &r.p->env_rules[1];
	CHECK_STR(e->key, "PLAIN");
	CHECK_INT(e->min_length, -1);
	e = &r.p->env_rules[2];
	CHECK_INT(e->required, 1);
	CHECK_INT(e->url, 1);
	CHECK_STR(e->url_schemes.v[1], "http");
	CHECK_STR(r.p->services[0].pull_policy, "missing");
	CHECK_STR(r.p->services[1].pull_policy, "never");
out:
	run_done(&r);
}

static void test_manifest__modes_links_extends(void)
{
	const struct service *s;
	struct run r;

	run_init(&r);
	load2(&r,
	      "name: shop\n"
	      "services:\n"
	      "  db: {image: db}\n"
	      "  side: {image: side, network_mode: 'service:db', depends_on: [db]}\n"
	      "  web: {extends: {file: b.yml, service: base}, links: ['db:database']}\n",
	      "services:\n"
	      "  base: {image: web, environment: [A=1], volumes_from: [db]}\n",
	      NULL);
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	/* b.yml is only extends' base file: not a part of the project (issue 10) */
	CHECK_INT(r.p->nservices, 3);
	CHECK(model_service_find(r.p, "base") == NULL);
	s = model_service_find(r.p, "side");
	CHECK_INT(s->nnetworks, 0);
	CHECK_INT(s->ndeps, 1); /* network_mode's dependency merges with depends_on */
	s = model_service_find(r.p, "web");
	CHECK_STR(s->image, "web");
	CHECK_STR(kvv_get(&s->env, "A"), "1");
	CHECK_INT(s->ndeps, 1);
	CHECK_STR(s->deps[0].service, "db");
	CHECK_STR(s->volumes_from.v[0], "service:db");
	/* The link's alias is on db's side of the shared network. */
	s = model_service_find(r.p, "db");
	CHECK_STR(s->networks[0].aliases.v[0], "database");
out:
	run_done(&r);
}

static const struct service *svc(const struct project *p, const char *name)
{
	size_t i;

	for (i = 0; p && i < p->nservices; i++)
		if (!strcmp(p->services[i].name, name))
			return &p->services[i];
	return NULL;
}

static void test_manifest__rollout_defaults_and_merge(void)
{
	const struct service *s;
	struct run r;

	/* Unset everywhere: the model's "unset" values. */
	run_init(&r);
	load(&r, "name: shop\nservices:\n  api: {image: api}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	s = svc(r.p, "api");
	CHECK(s != NULL);
	if (s) {
		CHECK(s->rollout.timeout_ns == 0);
		CHECK_INT(s->rollout.order, ROLLOUT_AUTO);
		CHECK_INT(s->rollout.parallelism, 0);
		CHECK(s->rollout.settle_ns == -1);
		CHECK(s->rollout.drain_ns == -1);
	}
	run_done(&r);

	/* The example, as written. */
	run_init(&r);
	load(&r, "name: shop\n"
	         "services:\n"
	         "  web:\n"
	         "    image: web\n"
	         "    x-deployctl: {rollout: {timeout: 60s, order: start-first}}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if ((s = svc(r.p, "web"))) {
		CHECK(s->rollout.timeout_ns == 60000000000LL);
		CHECK_INT(s->rollout.order, ROLLOUT_START_FIRST);
		CHECK_INT(s->rollout.parallelism, 0);
		CHECK(s->rollout.settle_ns == -1);
	} else {
		CHECK(!"no service web");
	}
	run_done(&r);

	/*
	 * Top level is the default; the service wins field by field, also when
	 * the default comes from a later file. settle: 0s is a value, not unset.
	 */
	run_init(&r);
	load2(&r,
	      "name: shop\n"
	      "services:\n"
	      "  api:\n"
	      "    image: api\n"
	      "    x-deployctl:\n"
	      "      rollout: {order: stop-first, settle: 0s, parallelism: 3, drain: 0s}\n"
	      "  worker: {image: worker}\n",
	      "x-deployctl:\n"
	      "  rollout: {timeout: 2m, order: start-first, parallelism: 2, settle: 1500ms,\n"
	      "            drain: 5s}\n",
	      NULL);
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if ((s = svc(r.p, "api"))) {
		CHECK(s->rollout.timeout_ns == 120000000000LL);
		CHECK_INT(s->rollout.order, ROLLOUT_STOP_FIRST);
		CHECK_INT(s->rollout.parallelism, 3);
		CHECK(s->rollout.settle_ns == 0);
		CHECK(s->rollout.drain_ns == 0);
	} else {
		CHECK(!"no service api");
	}
	if ((s = svc(r.p, "worker"))) {
		CHECK(s->rollout.timeout_ns == 120000000000LL);
		CHECK_INT(s->rollout.order, ROLLOUT_START_FIRST);
		CHECK_INT(s->rollout.parallelism, 2);
		CHECK(s->rollout.settle_ns == 1500000000LL);
		CHECK(s->rollout.drain_ns == 5000000000LL);
	} else {
		CHECK(!"no service worker");
	}
	run_done(&r);
}

static void test_manifest__rollout_not_in_spec_hash(void)
{
	char h1[HASH_HEX_LEN + 1] = "", h2[HASH_HEX_LEN + 1] = "";
	struct err e = ERR_INIT;
	struct run r;

	run_init(&r);
	load(&r, "name: shop\nservices:\n  api: {image: api, ports: [\"8080\"]}\n");
	CHECK_INT(r.rc, 0);
	if (r.p)
		CHECK_INT(spec_hash(h1, &test_key, r.p, &r.p->services[0], &e), 0);
	run_done(&r);
	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl: {rollout: {settle: 3s}}\n"
	         "services:\n"
	         "  api:\n"
	         "    image: api\n"
	         "    ports: [\"8080\"]\n"
	         "    x-deployctl:\n"
	         "      rollout: {timeout: 5s, order: start-first, parallelism: 4}\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (r.p) {
		CHECK_INT(r.p->services[0].rollout.order, ROLLOUT_START_FIRST);
		CHECK_INT(spec_hash(h2, &test_key, r.p, &r.p->services[0], &e), 0);
	}
	CHECK(h1[0] != '\0');
	CHECK_STR(h1, h2);
	run_done(&r);
}

static void test_manifest__rollout_errors(void)
{
	struct run r;

	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl:\n"
	         "  rollout: {order: sideways, pace: 1}\n"
	         "services:\n"
	         "  api:\n"
	         "    image: api\n"
	         "    x-deployctl:\n"
	         "      rollout: {timeout: 0s, parallelism: 0, settle: soon, batch: 2}\n"
	         "      canary: true\n");
	EXPECT_ERRS(&r,
	            "manifests/a.yml:3:20: x-deployctl.rollout.order: expected start-first or "
	            "stop-first, got \"sideways\"",
	            "manifests/a.yml:3:30: x-deployctl.rollout: unknown key 'pace'",
	            "manifests/a.yml:8:26: services.api.x-deployctl.rollout.timeout: expected a "
	            "duration from 1ms to 24h",
	            "manifests/a.yml:8:43: services.api.x-deployctl.rollout.parallelism: expected "
	            "an integer from 1 to 1000, got \"0\"",
	            "manifests/a.yml:8:54: services.api.x-deployctl.rollout.settle: invalid "
	            "duration \"soon\"",
	            "manifests/a.yml:8:60: services.api.x-deployctl.rollout: unknown key 'batch'",
	            "manifests/a.yml:9:7: services.api.x-deployctl: unknown key 'canary'");
	run_done(&r);

	/* start-first with a fixed host port: own setting, and inherited. */
	run_init(&r);
	load(&r, "name: shop\n"
	         "x-deployctl: {rollout: {order: start-first}}\n"
	         "services:\n"
	         "  web:\n"
	         "    image: web\n"
	         "    ports: [\"8080:80\"]\n"
	         "    x-deployctl: {rollout: {order: start-first}}\n"
	         "  edge:\n"
	         "    image: edge\n"
	         "    ports: [\"127.0.0.1:9090:90\"]\n"
	         "  ok:\n"
	         "    image: ok\n"
	         "    ports: [\"80\"]\n"
	         "  also-ok:\n"
	         "    image: ok\n"
	         "    ports: [\"8081:80\"]\n"
	         "    x-deployctl: {rollout: {order: stop-first}}\n");
	EXPECT_ERRS(&r,
	            "manifests/a.yml:2:32: x-deployctl.rollout.order (services.edge): start-first "
	            "needs no fixed host port: the new container cannot bind 9090 while the old "
	            "one runs; use stop-first",
	            "manifests/a.yml:7:36: services.web.x-deployctl.rollout.order: start-first "
	            "needs no fixed host port: the new container cannot bind 8080 while the old "
	            "one runs; use stop-first");
	run_done(&r);

	/* Set in two files. */
	run_init(&r);
	load2(&r, "name: shop\nx-deployctl: {rollout: {timeout: 5s}}\n",
	      "x-deployctl: {rollout: {timeout: 6s}}\n", NULL);
	EXPECT_ERRS(&r, "manifests/b.yml:1:24: x-deployctl.rollout: set twice: first at "
	                "manifests/a.yml:2:24");
	run_done(&r);
}

/*
 * A value interpolated from a secret variable is secret: env and labels,
 * whether the variable is secret by name or listed in x-deployctl.secrets
 * of another file; the redacted spec shows neither the variable's value
 * nor an unkeyed hash of it. A value that took no secret stays plain.
 */
static void test_manifest__interpolated_secrets(void)
{
	struct run r;
	const struct service *s;
	char *json = NULL;
	struct err e = ERR_INIT;

	run_init(&r);
	kvv_set(&r.vars.vars, "POSTGRES_PASSWORD", "Pg-pass-9q7");
	kvv_set(&r.vars.vars, "DB_HOST", "db");
	kvv_set(&r.vars.vars, "UPSTREAM", "edge-upstream-77");
	load2(&r,
	      "name: shop\n"
	      "services:\n"
	      "  api:\n"
	      "    image: api\n"
	      "    environment:\n"
	      "      DATABASE_URL: \"postgres://app:${POSTGRES_PASSWORD}@${DB_HOST}/app\"\n"
	      "      HOST: ${DB_HOST}\n"
	      "      EDGE: \"via-$UPSTREAM\"\n"
	      "    labels:\n"
	      "      - pw=${POSTGRES_PASSWORD}\n"
	      "      - host=${DB_HOST}\n",
	      "x-deployctl: {secrets: [UPSTREAM]}\n", NULL);
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	s = model_service_find(r.p, "api");
	CHECK_INT(s->secret_env.n, 2);
	if (s->secret_env.n == 2) {
		CHECK_STR(s->secret_env.v[0], "DATABASE_URL");
		CHECK_STR(s->secret_env.v[1], "EDGE");
	}
	CHECK_INT(s->secret_labels.n, 1);
	if (s->secret_labels.n == 1)
		CHECK_STR(s->secret_labels.v[0], "pw");
	CHECK_INT(model_env_secret(r.p, s, "HOST", "db"), MODEL_SECRET_NONE);
	CHECK_INT(model_label_secret(s, "host", "db"), MODEL_SECRET_NONE);
	/* the value sent to Docker is the real one */
	CHECK_STR(kvv_get(&s->env, "DATABASE_URL"), "postgres://app:Pg-pass-9q7@db/app");
	CHECK_INT(spec_render(&json, &test_key, r.p, s, true, &e), 0);
	CHECK(json && !strstr(json, "Pg-pass-9q7"));
	CHECK(json && !strstr(json, "edge-upstream-77"));
	CHECK(json && strstr(json, "\"DATABASE_URL\":\"postgres://app:***@db/app (hmac:"));
	CHECK(json && strstr(json, "\"EDGE\":\"via-*** (hmac:"));
	CHECK(json && strstr(json, "\"pw\":\"*** (hmac:"));
	CHECK(json && strstr(json, "\"host\":\"db\""));
	CHECK(json && !strstr(json, "\"redacted\""));
	free(json);
out:
	run_done(&r);
}

/*
 * A secret variable interpolated into another key (a command, a
 * healthcheck) is scrubbed from the stored spec, which says which fields
 * were; the spec sent to Docker and hashed keeps the value.
 */
static void test_manifest__secret_in_command(void)
{
	struct run r;
	const struct service *s;
	struct service back;
	char *json = NULL, *again = NULL, *plain = NULL;
	struct err e = ERR_INIT;

	run_init(&r);
	kvv_set(&r.vars.vars, "DB_PASSWORD", "Pg-pass-9q7");
	kvv_set(&r.vars.vars, "DB_USER", "Pg-pass-9q7-user");
	load(&r, "name: shop\n"
	         "services:\n"
	         "  db:\n"
	         "    image: db\n"
	         "    command: [\"serve\", \"--password\", \"${DB_PASSWORD}\"]\n"
	         "    healthcheck: {test: [\"CMD-SHELL\", \"ping -p${DB_PASSWORD}\"]}\n"
	         "    user: ${DB_USER}\n"
	         "  web:\n"
	         "    image: web\n"
	         "    command: [\"serve\", \"Pg-pass-9q7\"]\n");
	dump_errs(&r);
	CHECK_INT(r.rc, 0);
	if (!r.p)
		goto out;
	s = model_service_find(r.p, "db");
	CHECK(s->secret_elsewhere);
	CHECK_STR(s->command.v[2], "Pg-pass-9q7");
	CHECK_INT(spec_render(&plain, &test_key, r.p, s, false, &e), 0);
	CHECK(plain && strstr(plain, "Pg-pass-9q7") && !strstr(plain, "redacted"));
	CHECK_INT(spec_render(&json, &test_key, r.p, s, true, &e), 0);
	CHECK(json && !strstr(json, "Pg-pass-9q7"));
	CHECK(json && strstr(json, "\"--password\",\"***\""));
	CHECK(json && strstr(json, "ping -p***"));
	/* a value that merely holds the secret (DB_USER) is scrubbed as well */
	CHECK(json && strstr(json, "\"user\":\"***-user\""));
	CHECK(json && strstr(json, "\"redacted\":[\"command\",\"healthcheck\",\"user\"]"));
	/* parsed back and rendered again: the same, the list kept */
	CHECK_INT(spec_parse(&back, json, &e), 0);
	CHECK_INT(back.redacted.n, 3);
	CHECK_INT(spec_render(&again, &test_key, r.p, &back, true, &e), 0);
	CHECK_STR(again, json);
	model_service_release(&back);
	/* web took no secret variable: nothing scrubbed, however its values look */
	free(json);
	json = NULL;
	CHECK_INT(spec_render(&json, &test_key, r.p, model_service_find(r.p, "web"), true, &e), 0);
	CHECK(json && strstr(json, "Pg-pass-9q7") && !strstr(json, "redacted"));
out:
	free(json);
	free(again);
	free(plain);
	run_done(&r);
}

int main(void)
{
	RUN(test_manifest__rollout_defaults_and_merge);
	RUN(test_manifest__rollout_not_in_spec_hash);
	RUN(test_manifest__interpolated_secrets);
	RUN(test_manifest__secret_in_command);
	RUN(test_manifest__rollout_errors);
	RUN(test_manifest__profiles);
	RUN(test_manifest__secrets_and_configs);
	RUN(test_manifest__env_rules_and_pull_policy);
	RUN(test_manifest__modes_links_extends);
	RUN(test_manifest__x_deployctl_and_top_level);
	return CHECK_DONE();
}
