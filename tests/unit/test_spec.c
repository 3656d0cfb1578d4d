/*
 * test_spec.c - canonical spec rendering: hash stability, what changes the
 * hash and what does not, redaction of secrets, and the parse round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/spec.h"
#include "fixture_project.h"

/* A fixed key, so fingerprints and hashes are the same on every run. */
static const struct hash_key test_key = { { 0 } };

static void hash_of(char out[HASH_HEX_LEN + 1], const struct project *p)
{
	struct err err = ERR_INIT;

	CHECK_INT(spec_hash(out, &test_key, p, &p->services[0], &err), 0);
}

static char *render(const struct project *p, const struct service *s, bool redact)
{
	struct err err = ERR_INIT;
	char *out = NULL;

	CHECK_INT(spec_render(&out, &test_key, p, s, redact, &err), 0);
	return out;
}

static void test_spec__hash_stable(void)
{
	struct project *a = fixture_project(), *b = fixture_project();
	char ha[HASH_HEX_LEN + 1], ha2[HASH_HEX_LEN + 1], hb[HASH_HEX_LEN + 1];
	char *text = render(a, &a->services[0], false);

	hash_of(ha, a);
	hash_of(ha2, a);
	hash_of(hb, b);
	CHECK_STR(ha, ha2);
	CHECK_STR(ha, hb);
	CHECK_INT(strlen(ha), HASH_HEX_LEN);
	/* The hash is the HMAC-SHA256, under the state key, of the unredacted rendering. */
	hash_hmac_hex(hb, &test_key, text, strlen(text));
	CHECK_STR(ha, hb);
	/* Canonical: compact, keys sorted, version first alphabetically among its peers. */
	CHECK(text && !strchr(text, '\n') && !strstr(text, ": "));
	CHECK(text && strstr(text, "\"version\":1"));
	CHECK(text && strstr(text, "\"cap_add\":") < strstr(text, "\"command\":"));
	free(text);
	model_project_free(a);
	model_project_free(b);
}

/* The same spec written with keys in another order and spacing parses to the same hash. */
static void test_spec__hash_ignores_json_order(void)
{
	static const char one[] =
	        "{\"version\":1,\"name\":\"db\",\"image\":\"postgres:15\",\"image_id\":null,"
	        "\"env\":{\"A\":\"1\",\"B\":\"2\"},\"read_only\":false,\"init\":true}";
	static const char two[] = "{ \"init\": true, \"env\": { \"B\": \"2\", \"A\": \"1\" },\n"
	                          "  \"read_only\": false, \"image\": \"postgres:15\",\n"
	                          "  \"name\": \"db\", \"version\": 1 }";
	struct service s1, s2;
	struct err err = ERR_INIT;
	char h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];

	CHECK_INT(spec_parse(&s1, one, &err), 0);
	CHECK_INT(spec_parse(&s2, two, &err), 0);
	CHECK_INT(spec_hash(h1, &test_key, NULL, &s1, &err), 0);
	CHECK_INT(spec_hash(h2, &test_key, NULL, &s2, &err), 0);
	CHECK_STR(h1, h2);
	CHECK_INT(s2.init, 1);
	CHECK_STR(kvv_get(&s2.env, "B"), "2");
	model_service_release(&s1);
	model_service_release(&s2);
}

/* Each mutation must change the hash. */
static void test_spec__hash_changes(void)
{
	char base[HASH_HEX_LEN + 1], h[HASH_HEX_LEN + 1];
	struct project *p;
	struct service *s;
	int i;

	p = fixture_project();
	hash_of(base, p);
	model_project_free(p);
	for (i = 0; i < 12; i++) {
		p = fixture_project();
		s = &p->services[0];
		switch (i) {
		case 0:
			kvv_set(&s->env, "MODE", "dev");
			break;
		case 1:
			s->ports[0].host_port = 8081;
			break;
		case 2:
			s->image_id[10] = '2';
			break;
		case 3:
			s->health.interval_ns = 6000000000;
			break;
		case 4:
			kvv_set(&s->labels, "team", "ops");
			break;
		case 5:
			s->mounts[0].read_only = false;
			break;
		case 6:
			strv_push(&s->networks[1].aliases, "www");
			break;
		case 7:
			s->stop_grace_ns = -1;
			break;
		case 8:
			s->has_command = false;
			break;
		case 9:
			kvv_set(&s->env, "DB_PASSWORD", "other");
			break;
		case 10:
			/* Same keys, other Docker-side names. */
			free(p->name);
			p->name = strdup("shop2");
			break;
		case 11:
			s->read_only = false;
			break;
		}
		hash_of(h, p);
		if (!strcmp(h, base))
			fprintf(stderr, "mutation %d did not change the hash\n", i);
		CHECK(strcmp(h, base) != 0);
		model_project_free(p);
	}
}

static void test_spec__hash_ignores_replicas_and_deps(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	char base[HASH_HEX_LEN + 1], h[HASH_HEX_LEN + 1];

	hash_of(base, p);
	s->replicas = 7;
	hash_of(h, p);
	CHECK_STR(h, base);
	s->deps[0].condition = DEP_STARTED;
	free(s->deps[0].service);
	s->deps[0].service = strdup("cache");
	s->loc.line = 42;
	hash_of(h, p);
	CHECK_STR(h, base);
	model_project_free(p);
}

static void test_spec__redaction(void)
{
	struct project *p = fixture_project();
	char fp[HASH_FINGERPRINT_SIZE];
	char *red = render(p, &p->services[0], true);
	char *plain = render(p, &p->services[0], false);

	hash_fingerprint(fp, &test_key, "hunter2-very-secret");
	CHECK(red && !strstr(red, "hunter2"));
	CHECK(red && strstr(red, fp));
	CHECK(red && strstr(red, "\"MODE\":\"prod\""));
	CHECK(plain && strstr(plain, "\"DB_PASSWORD\":\"hunter2-very-secret\""));
	CHECK(plain && !strstr(plain, fp));
	free(red);
	free(plain);
	/* A key listed in x-deployctl.secrets is secret even without a telling name. */
	kvv_set(&p->services[0].env, "MODE", "top");
	strv_push(&p->secret_keys, "MODE");
	red = render(p, &p->services[0], true);
	CHECK(red && !strstr(red, "\"top\""));
	free(red);
	model_project_free(p);
}

static void test_spec__docker_names_and_defaults(void)
{
	struct project *p = fixture_project();
	struct service min;
	char *text = render(p, &p->services[0], false), *mtext;

	CHECK(text && strstr(text, "\"docker_name\":\"shop_data\""));
	CHECK(text && strstr(text, "\"docker_name\":\"corp-back\""));
	CHECK(text && strstr(text, "\"docker_name\":\"shop_default\""));
	CHECK(text && strstr(text, "\"interval_ns\":5000000000"));
	CHECK(text && strstr(text, "\"stop_grace_ns\":1500000000"));
	CHECK(text && !strstr(text, "replicas") && !strstr(text, "\"db\""));
	memset(&min, 0, sizeof(min));
	model_service_release(&min);
	min.name = strdup("x");
	min.image = strdup("busybox");
	mtext = render(p, &min, false);
	CHECK(mtext && strstr(mtext, "\"read_only\":false"));
	CHECK(mtext && strstr(mtext, "\"restart\":\"no\""));
	CHECK(mtext && strstr(mtext, "\"command\":null"));
	CHECK(mtext && strstr(mtext, "\"stop_grace_ns\":-1"));
	CHECK(mtext && strstr(mtext, "\"ports\":[]"));
	free(mtext);
	model_service_release(&min);
	free(text);
	model_project_free(p);
}

static void test_spec__round_trip(void)
{
	struct project *p = fixture_project();
	struct err err = ERR_INIT;
	struct service back;
	char *first = render(p, &p->services[0], false), *second = NULL;
	int redact;

	for (redact = 0; redact < 2; redact++) {
		free(first);
		first = render(p, &p->services[0], redact);
		CHECK_INT(spec_parse(&back, first, &err), 0);
		if (err.code)
			fprintf(stderr, "%s\n", err.msg);
		second = render(p, &back, redact);
		CHECK_STR(second, first);
		CHECK_STR(back.name, "web");
		CHECK_INT(back.has_command, 1);
		CHECK_INT(back.has_entrypoint, 0);
		CHECK_INT(back.nports, 2);
		CHECK_INT(back.ports[0].host_port, 8080);
		CHECK_STR(back.ports[1].protocol, "udp");
		CHECK_INT(back.nmounts, 3);
		CHECK_STR(back.mounts[0].source, "data");
		CHECK(back.mounts[2].source == NULL);
		CHECK_INT(back.mounts[1].type, MOUNT_BIND);
		CHECK_STR(back.networks[0].name, "back");
		CHECK_STR(back.networks[0].aliases.v[0], "api");
		CHECK_INT(back.health.retries, 3);
		CHECK_INT(back.health.start_period_ns, 1000000000);
		CHECK_INT(back.stop_grace_ns, 1500000000);
		CHECK_STR(kvv_get(&back.logging.options, "max-size"), "10m");
		CHECK_STR(back.tmpfs.v[0], "/run:size=64m");
		CHECK_INT(back.memory_bytes, 268435456);
		if (redact)
			CHECK(!strncmp(kvv_get(&back.env, "DB_PASSWORD"), "hmac:", 5));
		else
			CHECK_STR(kvv_get(&back.env, "DB_PASSWORD"), "hunter2-very-secret");
		model_service_release(&back);
		free(second);
	}
	free(first);
	model_project_free(p);
}

#define EXTRA_KEYS 30

/* Set the i-th key of issue 5 on s (each to a non-default value). */
static void set_extra(struct service *s, int i)
{
	switch (i) {
	case 0:
		s->container_name = strdup("fixed");
		break;
	case 1:
		s->platform = strdup("linux/arm64");
		break;
	case 2:
		s->network_mode = strdup("host");
		break;
	case 3:
		strv_push(&s->expose, "3000/tcp");
		break;
	case 4:
		kvv_set(&s->sysctls, "net.core.somaxconn", "1024");
		break;
	case 5:
		s->stdin_open = true;
		break;
	case 6:
		s->tty = true;
		break;
	case 7:
		s->privileged = true;
		break;
	case 8:
		s->ulimits = calloc(1, sizeof(*s->ulimits));
		s->ulimits[0].name = strdup("nofile");
		s->ulimits[0].soft = 1024;
		s->ulimits[0].hard = 2048;
		s->nulimits = 1;
		break;
	case 9:
		strv_push(&s->security_opt, "no-new-privileges:true");
		break;
	case 10:
		s->pid = strdup("host");
		break;
	case 11:
		s->ipc = strdup("shareable");
		break;
	case 12:
		strv_push(&s->devices, "/dev/null:/dev/xnull:r");
		break;
	case 13:
		strv_push(&s->dns, "10.0.0.2");
		break;
	case 14:
		strv_push(&s->dns_search, "example.test");
		break;
	case 15:
		strv_push(&s->dns_opt, "ndots:2");
		break;
	case 16:
		s->shm_size = 1 << 26;
		break;
	case 17:
		s->mem_reservation = 1 << 27;
		break;
	case 18:
		s->cpu_shares = 512;
		break;
	case 19:
		strv_push(&s->group_add, "mail");
		break;
	case 20:
		s->domainname = strdup("example.test");
		break;
	case 21:
		s->mac_address = strdup("02:42:ac:11:00:02");
		break;
	case 22:
		s->oom_score_adj = -500;
		break;
	case 23:
		s->pids_limit = 100;
		break;
	case 24:
		kvv_set(&s->storage_opt, "size", "1G");
		break;
	case 25:
		strv_push(&s->volumes_from, "service:db:ro");
		break;
	case 26:
		strv_push(&s->external_links, "legacy:db");
		break;
	case 27:
		fixture_file_ref(&s->configs, &s->nconfigs, "nginx", "/etc/nginx.conf", 'a', NULL);
		break;
	case 28:
		fixture_file_ref(&s->secrets, &s->nsecrets, "api_key", "/run/secrets/api_key", 'b',
		                 NULL);
		break;
	case 29:
		fixture_file_ref(&s->secrets, &s->nsecrets, "tls", "/run/secrets/tls", 'c',
		                 "/etc/deployctl/tls.pem");
		break;
	}
}

/* Top-level key of the canonical JSON that names the i-th key (the plan's reason). */
static const char *const extra_names[EXTRA_KEYS] = {
	"container_name",
	"platform",
	"network_mode",
	"expose",
	"sysctls",
	"stdin_open",
	"tty",
	"privileged",
	"ulimits",
	"security_opt",
	"pid",
	"ipc",
	"devices",
	"dns",
	"dns_search",
	"dns_opt",
	"shm_size",
	"mem_reservation",
	"cpu_shares",
	"group_add",
	"domainname",
	"mac_address",
	"oom_score_adj",
	"pids_limit",
	"storage_opt",
	"volumes_from",
	"external_links",
	"configs",
	"secrets",
	"secrets",
};

static void test_spec__new_keys_change_hash(void)
{
	char base[HASH_HEX_LEN + 1], h[HASH_HEX_LEN + 1], key[64];
	struct project *p;
	char *json;
	int i;

	p = fixture_project();
	hash_of(base, p);
	json = render(p, &p->services[0], false);
	/* Unset, none of them is rendered: containers made before keep their hash. */
	for (i = 0; i < EXTRA_KEYS; i++) {
		snprintf(key, sizeof(key), "\"%s\":", extra_names[i]);
		CHECK(strstr(json, key) == NULL);
	}
	free(json);
	model_project_free(p);
	for (i = 0; i < EXTRA_KEYS; i++) {
		p = fixture_project();
		set_extra(&p->services[0], i);
		hash_of(h, p);
		if (!strcmp(h, base))
			fprintf(stderr, "key %d (%s) did not change the hash\n", i, extra_names[i]);
		CHECK(strcmp(h, base) != 0);
		json = render(p, &p->services[0], true);
		snprintf(key, sizeof(key), "\"%s\":", extra_names[i]);
		CHECK(strstr(json, key) != NULL);
		free(json);
		model_project_free(p);
	}
	/* A secret's content hash is a fingerprint in the redacted form; configs' stay whole. */
	p = fixture_project();
	set_extra(&p->services[0], 27);
	set_extra(&p->services[0], 28);
	json = render(p, &p->services[0], true);
	CHECK(strstr(json, "bbbbbbbbbbbb") == NULL);
	CHECK(strstr(json, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") !=
	      NULL);
	free(json);
	/* Changing a config's content changes the hash. */
	hash_of(base, p);
	p->services[0].configs[0].content_hash[0] = 'f';
	hash_of(h, p);
	CHECK(strcmp(h, base) != 0);
	model_project_free(p);
}

static void test_spec__new_keys_round_trip(void)
{
	struct project *p = fixture_project();
	struct err err = ERR_INIT;
	struct service back;
	char *first, *second;
	int i, redact;

	for (i = 0; i < EXTRA_KEYS; i++)
		if (i != 2) /* network_mode host with networks: not a valid model, but renderable */
			set_extra(&p->services[0], i);
	for (redact = 0; redact < 2; redact++) {
		first = render(p, &p->services[0], redact);
		CHECK_INT(spec_parse(&back, first, &err), 0);
		if (err.code)
			fprintf(stderr, "%s\n", err.msg);
		second = render(p, &back, redact);
		CHECK_STR(second, first);
		CHECK_STR(back.container_name, "fixed");
		CHECK_INT(back.nulimits, 1);
		CHECK_INT(back.ulimits[0].hard, 2048);
		CHECK_INT(back.oom_score_adj, -500);
		CHECK_INT(back.tty, 1);
		CHECK_INT(back.nconfigs, 1);
		CHECK_INT(back.nsecrets, 2);
		CHECK_STR(back.secrets[1].host_file, "/etc/deployctl/tls.pem");
		CHECK_STR(back.configs[0].target, "/etc/nginx.conf");
		model_service_release(&back);
		free(first);
		free(second);
	}
	model_project_free(p);
}

static void expect_invalid(const char *json, const char *needle)
{
	struct service s;
	struct err err = ERR_INIT;

	CHECK_INT(spec_parse(&s, json, &err), ERR_INVALID);
	CHECK_INT(err.code, ERR_INVALID);
	if (!strstr(err.msg, needle))
		fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, needle);
	CHECK(strstr(err.msg, needle) != NULL);
}

static void test_spec__parse_errors(void)
{
	expect_invalid("{\"version\":1,", "bad JSON");
	expect_invalid("[1]", "not a JSON object");
	expect_invalid("{\"version\":2,\"name\":\"a\",\"image\":\"b\"}", "version 2");
	expect_invalid("{\"version\":1,\"image\":\"b\"}", "'name'");
	expect_invalid("{\"version\":1,\"name\":\"a\",\"image\":\"b\",\"read_only\":\"yes\"}",
	               "'read_only'");
	expect_invalid("{\"version\":1,\"name\":\"a\",\"image\":\"b\",\"ports\":[{\"host_ip\":\"\","
	               "\"container_port\":70000,\"protocol\":\"tcp\"}]}",
	               "'ports[0]'");
	expect_invalid(
	        "{\"version\":1,\"name\":\"a\",\"image\":\"b\",\"mounts\":[{\"type\":\"nfs\","
	        "\"target\":\"/x\"}]}",
	        "'mounts[0]'");
	expect_invalid("{\"version\":1,\"name\":\"a\",\"image\":\"b\",\"env\":{\"A\":1}}", "'env'");
}

/*
 * The field table: every SVC_CUSTOM row has its renderer and parser, and
 * every simple row, set to a non-default value, renders under its key and
 * parses back (so a row cannot be rendered and forgotten by the parser);
 * sparse rows are absent while unset, the others always present.
 */
static void test_spec__field_table(void)
{
	const char *missing = NULL;
	struct service s, back;
	struct err err;
	char *text = NULL, *text2 = NULL, *empty = NULL;
	size_t i;

	CHECK_INT(spec_check_fields(&missing), 0);
	if (missing)
		fprintf(stderr, "field table: %s\n", missing);
	memset(&s, 0, sizeof(s));
	s.stop_grace_ns = -1;
	s.replicas = 1;
	s.name = strdup("a");
	s.image = strdup("b");
	CHECK_INT(spec_render(&empty, NULL, NULL, &s, false, &err), 0);
	for (i = 0; i < model_svc_nfields; i++) {
		const struct svc_field *f = &model_svc_fields[i];
		void *m = (char *)&s + f->offset;
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", f->key);
		if (f->kind != SVC_CUSTOM)
			CHECK((strstr(empty, key) == NULL) == !!(f->flags & SVC_SPARSE));
		switch (f->kind) {
		case SVC_STR:
			if (!(f->flags & SVC_REQUIRED)) {
				free(*(char **)m);
				*(char **)m = strdup(f->key);
			}
			break;
		case SVC_STRV:
			CHECK_INT(strv_push(m, f->key), 0);
			break;
		case SVC_KVV:
			CHECK_INT(kvv_set(m, f->key, "v"), 0);
			break;
		case SVC_BOOL:
			*(bool *)m = true;
			break;
		case SVC_INT:
			*(int64_t *)m = f->max < 7 ? f->max : 7;
			break;
		case SVC_CUSTOM:
			break;
		}
	}
	CHECK_INT(spec_render(&text, NULL, NULL, &s, false, &err), 0);
	for (i = 0; text && i < model_svc_nfields; i++) {
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", model_svc_fields[i].key);
		if (model_svc_fields[i].kind != SVC_CUSTOM && !strstr(text, key))
			fprintf(stderr, "field %s not rendered\n", model_svc_fields[i].key);
		CHECK(model_svc_fields[i].kind == SVC_CUSTOM || strstr(text, key) != NULL);
	}
	CHECK_INT(spec_parse(&back, text, &err), 0);
	CHECK_INT(spec_render(&text2, NULL, NULL, &back, false, &err), 0);
	CHECK_STR(text2, text);
	model_service_release(&back);
	model_service_release(&s);
	free(text);
	free(text2);
	free(empty);
}

/* diff's value-by-value changes: env values shown, secrets only as changed, fields added. */
static void test_spec__changes_value_by_value(void)
{
	struct spec_change *c = NULL;
	struct err err = ERR_INIT;
	size_t n = 0;
	char *r = NULL;
	const char *old = "{\"env\":{\"API_TOKEN\":\"sha256:0123456789ab\",\"GONE\":\"x\","
	                  "\"LOG_LEVEL\":\"info\"},\"image\":\"app:1\",\"image_id\":\"sha256:aa\","
	                  "\"ports\":[1]}";
	const char *new_ = "{\"env\":{\"API_TOKEN\":\"sha256:ba9876543210\",\"LOG_LEVEL\":"
	                   "\"debug\",\"NEW\":\"1\"},\"image\":\"app:2\",\"ports\":[1,2],"
	                   "\"user\":\"app\"}";

	CHECK_INT(spec_changes(&c, &n, old, new_, true, &err), 0);
	CHECK_INT(n, 7);
	if (n == 7) {
		CHECK_STR(c[0].field, "env");
		CHECK_STR(c[0].key, "API_TOKEN");
		CHECK(c[0].secret && !c[0].old && !c[0].new_);
		CHECK_STR(c[1].key, "LOG_LEVEL");
		CHECK_STR(c[1].old, "info");
		CHECK_STR(c[1].new_, "debug");
		CHECK_STR(c[2].key, "NEW");
		CHECK(c[2].added && !c[2].old);
		CHECK_STR(c[3].key, "GONE");
		CHECK(c[3].removed && !c[3].new_);
		CHECK_STR(c[4].field, "image");
		CHECK_STR(c[4].new_, "app:2");
		CHECK_STR(c[5].field, "ports");
		CHECK_STR(c[5].old, "[1]");
		CHECK_STR(c[5].new_, "[1,2]");
		CHECK_STR(c[6].field, "user");
		CHECK(c[6].added);
	}
	spec_changes_free(c, n);
	/* Without ignore_image_id the unresolved side's missing image_id counts. */
	CHECK_INT(spec_changes(&c, &n, old, new_, false, &err), 0);
	CHECK_INT(n, 8);
	spec_changes_free(c, n);
	CHECK_INT(spec_changes(&c, &n, old, old, false, &err), 0);
	CHECK_INT(n, 0);
	spec_changes_free(c, n);
	/* A secret-looking name is hidden even when its values are not fingerprints. */
	CHECK_INT(spec_reasons(&r, "{\"env\":{\"DB_PASSWORD\":\"a\",\"MODE\":\"x\"}}",
	                       "{\"env\":{\"DB_PASSWORD\":\"b\",\"MODE\":\"y\"}}", &err),
	          0);
	CHECK_STR(r, "env DB_PASSWORD changed; env MODE: x -> y");
	free(r);
}

int main(void)
{
	RUN(test_spec__field_table);
	RUN(test_spec__hash_stable);
	RUN(test_spec__changes_value_by_value);
	RUN(test_spec__hash_ignores_json_order);
	RUN(test_spec__hash_changes);
	RUN(test_spec__hash_ignores_replicas_and_deps);
	RUN(test_spec__redaction);
	RUN(test_spec__docker_names_and_defaults);
	RUN(test_spec__round_trip);
	RUN(test_spec__parse_errors);
	RUN(test_spec__new_keys_change_hash);
	RUN(test_spec__new_keys_round_trip);
	return CHECK_DONE();
}
