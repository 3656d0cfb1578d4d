/*
 * test_reconcile.c - the planner on fixtures: a project loaded from YAML,
 * observed containers written by hand, and the plan (actions, order,
 * reasons) checked; plus spec_reasons on canonical JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "plan_fixture.h"

static const char stack[] = "name: shop\n"
                            "services:\n"
                            "  db:\n"
                            "    image: postgres:15\n"
                            "    networks: [back]\n"
                            "    volumes: [\"data:/var/lib/postgresql/data\"]\n"
                            "  api:\n"
                            "    image: api:1\n"
                            "    environment: {LOG_LEVEL: info, API_TOKEN: t0ps3cret}\n"
                            "    networks: [back]\n"
                            "    depends_on: [db]\n"
                            "    deploy: {replicas: 2}\n"
                            "networks:\n"
                            "  back: {}\n"
                            "volumes:\n"
                            "  data: {}\n";

struct fixture {
	struct project *p;
	char hashes[8][HASH_HEX_LEN + 1];
	struct docker_container c[8];
	size_t nc;
	struct strv prev_services, prev_networks, prev_volumes;
	const char *old_json; /* what the old-spec callback answers */
	struct plan plan;
};

static void fixture_load(struct fixture *f, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	if (!(f->p = plan_load(yaml)))
		abort();
	plan_stamp(f->p, f->hashes,
	           "sha256:1111111111111111111111111111111111111111111111111111111111111111");
}

static size_t svc_index(struct fixture *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->p->nservices; i++)
		if (!strcmp(f->p->services[i].name, name))
			return i;
	return (size_t)-1;
}

/* Observe a running, matching container of service name, replica r. */
static struct docker_container *observe(struct fixture *f, const char *name, unsigned r)
{
	struct docker_container *c = &f->c[f->nc++];
	char buf[64];

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "id-%s-%u", name, r);
	c->id = strdup(buf);
	c->name = model_container_name(f->p, name, r);
	c->state = strdup("running");
	c->status = strdup("Up 1 minute");
	c->project = strdup("shop");
	c->service = strdup(name);
	c->release = strdup("1");
	c->spec_hash =
	        strdup(svc_index(f, name) == (size_t)-1 ? "none" : f->hashes[svc_index(f, name)]);
	c->replica = r;
	strv_push(&c->networks, "shop_back");
	if (!strcmp(name, "db"))
		strv_push(&c->volumes, "shop_data");
	return c;
}

static int old_spec(void *ctx, char **out, const char *release, const char *service)
{
	struct fixture *f = ctx;

	(void)release;
	(void)service;
	if (!f->old_json)
		return ERR_NOTFOUND;
	*out = strdup(f->old_json);
	return 0;
}

static int diff(struct fixture *f, bool have_resources, const struct docker_resource *nets,
                size_t nnets, const struct docker_resource *vols, size_t nvols)
{
	struct reconcile_input in = {
		.desired = f->p,
		.key = &test_key,
		.hashes = (const char(*)[HASH_HEX_LEN + 1]) f->hashes,
		.containers = f->c,
		.ncontainers = f->nc,
		.have_resources = have_resources,
		.networks = nets,
		.nnetworks = nnets,
		.volumes = vols,
		.nvolumes = nvols,
		.prev_networks = f->prev_networks.n ? &f->prev_networks : NULL,
		.prev_volumes = f->prev_volumes.n ? &f->prev_volumes : NULL,
		.prev_services = &f->prev_services,
		.old_spec = old_spec,
		.old_spec_ctx = f,
	};
	struct err err = ERR_INIT;

	return reconcile_diff(&f->plan, &in, &err);
}

static void fixture_done(struct fixture *f)
{
	reconcile_plan_release(&f->plan);
	docker_container_list_free(NULL, 0);
	for (size_t i = 0; i < f->nc; i++) {
		struct docker_container *c = &f->c[i];

		docker_container_release(c);
	}
	strv_free(&f->prev_services);
	strv_free(&f->prev_networks);
	strv_free(&f->prev_volumes);
	model_project_free(f->p);
}

/* Find an action by kind and target#replica; NULL if absent. */
static const struct action *find(const struct plan *p, enum action_kind k, const char *target,
                                 unsigned replica)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].kind == k && !strcmp(p->v[i].target, target) &&
		    p->v[i].replica == replica)
			return &p->v[i];
	return NULL;
}

static void test_reconcile__empty_host_creates_in_dependency_order(void)
{
	struct fixture f;
	const struct action *db, *api1, *net, *vol;

	fixture_load(&f, stack);
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK(f.plan.need_resources);
	CHECK_INT(f.plan.n, 3);
	reconcile_plan_release(&f.plan);
	CHECK_INT(diff(&f, true, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 5);
	db = find(&f.plan, ACTION_CREATE, "db", 1);
	api1 = find(&f.plan, ACTION_CREATE, "api", 1);
	net = find(&f.plan, ACTION_NETWORK_CREATE, "back", 0);
	vol = find(&f.plan, ACTION_VOLUME_CREATE, "data", 0);
	CHECK(db && api1 && net && vol && find(&f.plan, ACTION_CREATE, "api", 2));
	if (db && api1 && net && vol) {
		CHECK_STR(db->reason, "new service");
		CHECK_STR(net->reason, "new network");
		CHECK_STR(net->docker_name, "shop_back");
		CHECK(net->level < db->level);
		CHECK(vol->level < db->level);
		CHECK(db->level < api1->level); /* api depends_on db */
		CHECK_STR(api1->container_name, "shop-api-1");
		CHECK_STR(api1->spec_hash, f.hashes[svc_index(&f, "api")]);
	}
	/* Sorted by stage. */
	for (size_t i = 1; i < f.plan.n; i++)
		CHECK(f.plan.v[i - 1].level <= f.plan.v[i].level);
	fixture_done(&f);
}

static void test_reconcile__matching_host_is_a_noop_without_resource_listing(void)
{
	struct fixture f;

	fixture_load(&f, stack);
	observe(&f, "db", 1);
	observe(&f, "api", 1);
	observe(&f, "api", 2);
	strv_push(&f.prev_services, "api");
	strv_push(&f.prev_services, "db");
	strv_push(&f.prev_networks, "back");
	strv_push(&f.prev_volumes, "data");
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 0);
	CHECK(!f.plan.need_resources);
	reconcile_plan_release(&f.plan);

	/* A network dropped since the last release must be looked for. */
	strv_push(&f.prev_networks, "old");
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 0);
	CHECK(f.plan.need_resources);
	fixture_done(&f);
}

static void test_reconcile__drift_and_scaling(void)
{
	struct fixture f;
	struct docker_container *c;
	const struct action *a;

	fixture_load(&f, stack);
	strv_push(&f.prev_services, "api");
	strv_push(&f.prev_services, "db");
	c = observe(&f, "db", 1);
	free(c->state);
	c->state = strdup("exited");
	free(c->status);
	c->status = strdup("Exited (137) 5 seconds ago");
	observe(&f, "api", 1);
	observe(&f, "api", 3);     /* replicas is 2: scaled down */
	c = observe(&f, "api", 1); /* a second replica 1: duplicate */
	free(c->id);
	c->id = strdup("dup");
	observe(&f, "gone", 1); /* not in the manifests */
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	a = find(&f.plan, ACTION_START, "db", 1);
	CHECK(a && !strcmp(a->reason, "stopped (Exited (137) 5 seconds ago)"));
	a = find(&f.plan, ACTION_CREATE, "api", 2);
	CHECK(a && !strcmp(a->reason, "missing"));
	a = find(&f.plan, ACTION_REMOVE, "api", 3);
	CHECK(a && !strcmp(a->reason, "scaled down (replicas 2)"));
	a = find(&f.plan, ACTION_REMOVE, "api", 1);
	CHECK(a && !strcmp(a->reason, "duplicate of replica 1") && !strcmp(a->container_id, "dup"));
	a = find(&f.plan, ACTION_REMOVE, "gone", 1);
	CHECK(a && !strcmp(a->reason, "service removed from manifests"));
	/* Removals come first: they free names and ports. */
	CHECK_INT(f.plan.v[0].kind, ACTION_REMOVE);
	CHECK_INT(f.plan.n, 5);
	fixture_done(&f);
}

static void test_reconcile__replace_reason_from_old_spec(void)
{
	struct fixture f;
	struct docker_container *c;
	const struct action *a;
	struct err err = ERR_INIT;
	char *old = NULL;
	size_t api = 0;

	fixture_load(&f, stack);
	api = svc_index(&f, "api");
	/* The old spec: the same service with another LOG_LEVEL and token. */
	kvv_set(&f.p->services[api].env, "LOG_LEVEL", "debug");
	kvv_set(&f.p->services[api].env, "API_TOKEN", "old-token");
	CHECK_INT(spec_render(&old, &test_key, f.p, &f.p->services[api], true, &err), 0);
	kvv_set(&f.p->services[api].env, "LOG_LEVEL", "info");
	kvv_set(&f.p->services[api].env, "API_TOKEN", "t0ps3cret");
	f.old_json = old;
	c = observe(&f, "api", 1);
	free(c->spec_hash);
	c->spec_hash = strdup("0000000000000000000000000000000000000000000000000000000000000000");
	observe(&f, "api", 2);
	observe(&f, "db", 1);
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 1);
	a = find(&f.plan, ACTION_REPLACE, "api", 1);
	CHECK(a != NULL);
	if (a) {
		CHECK_STR(a->reason, "env API_TOKEN changed; env LOG_LEVEL: debug -> info");
		CHECK_STR(a->container_id, "id-api-1");
		CHECK(!strstr(a->reason, "t0ps3cret") && !strstr(a->reason, "old-token"));
	}
	reconcile_plan_release(&f.plan);
	/* Without a snapshot the reason still says what is known. */
	f.old_json = NULL;
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	a = find(&f.plan, ACTION_REPLACE, "api", 1);
	CHECK(a && !strncmp(a->reason, "spec changed (hash 000000000000 -> ", 35));
	free(old);
	fixture_done(&f);
}

static void test_reconcile__resources_dropped_and_kept(void)
{
	struct fixture f;
	char n1[] = "n1", n2[] = "n2", back[] = "back", old[] = "old", data[] = "data",
	     cache[] = "cache", sback[] = "shop_back", sold[] = "shop_old", sdata[] = "shop_data",
	     scache[] = "shop_cache";
	struct docker_resource nets[2] = {
		{ .id = n1, .name = sback, .key = back },
		{ .id = n2, .name = sold, .key = old },
	};
	struct docker_resource vols[2] = {
		{ .name = sdata, .key = data },
		{ .name = scache, .key = cache },
	};
	const struct action *a;

	fixture_load(&f, stack);
	observe(&f, "db", 1);
	observe(&f, "api", 1);
	observe(&f, "api", 2);
	CHECK_INT(diff(&f, true, nets, 2, vols, 2), 0);
	CHECK_INT(f.plan.n, 1);
	a = find(&f.plan, ACTION_NETWORK_REMOVE, "old", 0);
	CHECK(a && !strcmp(a->reason, "network removed from manifests") &&
	      !strcmp(a->container_id, "n2"));
	CHECK_INT(f.plan.notes.n, 1);
	if (f.plan.notes.n)
		CHECK_STR(f.plan.notes.v[0], "shop_cache");
	fixture_done(&f);
}

static void test_reconcile__spec_reasons(void)
{
	char *r = NULL;
	struct err err = ERR_INIT;

	CHECK_INT(spec_reasons(&r,
	                       "{\"image\":\"nginx:1.24\",\"image_id\":\"sha256:"
	                       "ab12ab12ab12ab12ab12\",\"env\":{\"A\":\"1\",\"B\":\"2\"},"
	                       "\"ports\":[1]}",
	                       "{\"image\":\"nginx:1.25\",\"image_id\":\"sha256:"
	                       "cd34cd34cd34cd34cd34\",\"env\":{\"A\":\"1\",\"C\":\"3\"},"
	                       "\"ports\":[2]}",
	                       &err),
	          0);
	CHECK_STR(r, "image changed (nginx:1.24 sha256:ab12ab12ab12 -> nginx:1.25 "
	             "sha256:cd34cd34cd34); env C added; env B removed; ports changed");
	free(r);
	r = NULL;
	CHECK_INT(spec_reasons(&r, "{\"a\":1}", "{\"a\":1}", &err), ERR_NOTFOUND);
	CHECK(r == NULL);
	/* a secret fingerprinted before keys existed is not said to have changed */
	CHECK_INT(spec_reasons(&r, "{\"env\":{\"PW\":\"sha256:0123456789ab\"},\"ports\":[1]}",
	                       "{\"env\":{\"PW\":\"hmac:ba9876543210\"},\"ports\":[2]}", &err),
	          0);
	CHECK_STR(r, "env PW unknown (recorded before fingerprints were keyed); ports changed");
	free(r);
}

/*
 * Containers made before spec hashes were keyed carry the plain sha256 of
 * the unredacted spec: they still match, so an upgrade replaces nothing;
 * a label that is neither hash is a change.
 */
static void test_reconcile__legacy_hash_label_is_noop(void)
{
	struct fixture f;
	struct docker_container *c;
	char legacy[HASH_HEX_LEN + 1], *text = NULL;
	struct err err = ERR_INIT;
	size_t api;

	fixture_load(&f, stack);
	api = svc_index(&f, "api");
	CHECK_INT(spec_render(&text, NULL, f.p, &f.p->services[api], false, &err), 0);
	hash_sha256_hex(legacy, text, strlen(text));
	free(text);
	CHECK(strcmp(legacy, f.hashes[api]) != 0);
	c = observe(&f, "api", 1);
	free(c->spec_hash);
	c->spec_hash = strdup(legacy);
	observe(&f, "api", 2);
	observe(&f, "db", 1);
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 0);
	reconcile_plan_release(&f.plan);
	/* one digit off: replaced */
	c->spec_hash[0] = c->spec_hash[0] == '0' ? '1' : '0';
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	CHECK_INT(f.plan.n, 1);
	CHECK(find(&f.plan, ACTION_REPLACE, "api", 1) != NULL);
	fixture_done(&f);
}

/*
 * A generated project of n services s0000.. where service i depends on
 * s(i-1) only (chain) or on every earlier one (dense); planned on an empty
 * host. The old depth walk recursed once per path, so the dense graph took
 * 2^n steps: at this scale the test would not finish.
 */
static struct project *scale_load(unsigned n, bool dense, char (**hashes)[HASH_HEX_LEN + 1])
{
	struct project *p;
	struct buf b;
	unsigned i, j;

	buf_init(&b, 0);
	buf_puts(&b, "name: big\nservices:\n");
	for (i = 0; i < n; i++) {
		buf_printf(&b, "  s%04u:\n    image: app:1\n", i);
		if (!i)
			continue;
		buf_puts(&b, "    depends_on: [");
		for (j = dense ? 0 : i - 1; j < i; j++)
			buf_printf(&b, "%ss%04u", j > (dense ? 0 : i - 1) ? ", " : "", j);
		buf_puts(&b, "]\n");
	}
	p = plan_load(b.ptr);
	buf_release(&b);
	if (!p)
		abort();
	CHECK_INT(p->nservices, n);
	*hashes = calloc(n, sizeof(**hashes));
	plan_stamp(p, *hashes,
	           "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	return p;
}

static void scale_check(unsigned n, bool dense)
{
	char(*hashes)[HASH_HEX_LEN + 1] = NULL;
	struct project *p = scale_load(n, dense, &hashes);
	struct strv prev = { 0 };
	struct reconcile_input in = { .desired = p,
		                      .key = &test_key,
		                      .hashes = (const char(*)[HASH_HEX_LEN + 1]) hashes,
		                      .have_resources = true,
		                      .prev_services = &prev };
	struct plan plan = { 0 };
	struct err err = ERR_INIT;
	unsigned *level = calloc(n, sizeof(*level)), stages = 0, i, j;

	CHECK_INT(reconcile_diff(&plan, &in, &err), 0);
	CHECK_INT(plan.n, n + 1); /* every service, and the default network */
	for (i = 0; i < plan.n; i++) {
		const struct action *a = &plan.v[i];

		if (i && a->level != plan.v[i - 1].level)
			stages++;
		if (a->kind != ACTION_CREATE)
			continue;
		CHECK(a->target[0] == 's');
		level[strtoul(a->target + 1, NULL, 10)] = a->level;
	}
	/* One stage per depth: n depths, plus the network's stage. */
	CHECK_INT(stages, n);
	for (i = 1; i < n; i++) {
		/* after every dependency; in a dense graph, all earlier services are ones */
		CHECK(level[i] > level[i - 1]);
		for (j = 0; dense && j < i; j++)
			if (level[j] >= level[i]) {
				CHECK(level[j] < level[i]);
				break;
			}
	}
	/* the depth of s(i) is i, so consecutive services are one dependency level apart */
	for (i = 2; i < n; i++)
		if (level[i] - level[i - 1] != level[1] - level[0]) {
			CHECK_INT(level[i] - level[i - 1], level[1] - level[0]);
			break;
		}
	reconcile_plan_release(&plan);
	free(level);
	free(hashes);
	model_project_free(p);
}

static void test_reconcile__chain_of_1000_services(void)
{
	scale_check(1000, false);
}

static void test_reconcile__dense_graph_of_200_services(void)
{
	scale_check(200, true);
}

/* Make every observed container of service name look out of date. */
static void outdate(struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->nc; i++)
		if (!strcmp(f->c[i].service, name)) {
			free(f->c[i].spec_hash);
			f->c[i].spec_hash = strdup(
			        "0000000000000000000000000000000000000000000000000000000000000000");
		}
}

static void test_reconcile__replace_order_and_why(void)
{
	struct fixture f;
	const struct action *a;

	/* db writes to the named volume "data": two of it must never run at once. */
	fixture_load(&f, stack);
	observe(&f, "db", 1);
	observe(&f, "api", 1);
	observe(&f, "api", 2);
	outdate(&f, "db");
	outdate(&f, "api");
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	a = find(&f.plan, ACTION_REPLACE, "db", 1);
	CHECK(a && !a->start_first);
	CHECK_STR(a ? a->order_why : NULL, "stop-first: mounts volume data");
	a = find(&f.plan, ACTION_REPLACE, "api", 2);
	CHECK(a && a->start_first);
	CHECK_STR(a ? a->order_why : NULL, "start-first: default");
	CHECK_INT(f.plan.warnings.n, 0);
	fixture_done(&f);

	/* Read-only volume, fixed host port, writable bind mount. */
	fixture_load(&f, "name: shop\n"
	                 "services:\n"
	                 "  ro: {image: a:1, volumes: [\"data:/d:ro\"]}\n"
	                 "  port: {image: a:1, ports: [\"8080:80\"]}\n"
	                 "  bind: {image: a:1, volumes: [\"/srv/x:/x\"]}\n"
	                 "volumes:\n"
	                 "  data: {}\n");
	observe(&f, "ro", 1);
	observe(&f, "port", 1);
	observe(&f, "bind", 1);
	outdate(&f, "ro");
	outdate(&f, "port");
	outdate(&f, "bind");
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	a = find(&f.plan, ACTION_REPLACE, "ro", 1);
	CHECK_STR(a ? a->order_why : NULL, "start-first: default");
	a = find(&f.plan, ACTION_REPLACE, "port", 1);
	CHECK_STR(a ? a->order_why : NULL, "stop-first: publishes host port 8080");
	a = find(&f.plan, ACTION_REPLACE, "bind", 1);
	CHECK(a && !a->start_first);
	CHECK_STR(a ? a->order_why : NULL, "stop-first: mounts /srv/x read-write");
	fixture_done(&f);

	/* An explicit start-first stays allowed, with a warning. */
	fixture_load(&f, "name: shop\n"
	                 "services:\n"
	                 "  db:\n"
	                 "    image: postgres:15\n"
	                 "    volumes: [\"pgdata:/var/lib/postgresql/data\"]\n"
	                 "    x-deployctl: {rollout: {order: start-first}}\n"
	                 "volumes:\n"
	                 "  pgdata: {}\n");
	observe(&f, "db", 1);
	outdate(&f, "db");
	CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
	a = find(&f.plan, ACTION_REPLACE, "db", 1);
	CHECK(a && a->start_first);
	CHECK_STR(a ? a->order_why : NULL, "start-first: set in x-deployctl.rollout.order; the "
	                                   "old and the new container share volume pgdata");
	CHECK_INT(f.plan.warnings.n, 1);
	CHECK_STR(f.plan.warnings.n ? f.plan.warnings.v[0] : NULL,
	          "db: start-first: the old and the new container will both run on volume "
	          "pgdata during the replace");
	fixture_done(&f);
}

/*
 * A run killed during a start-first leaves a container under the temporary
 * name: running or not, the next plan brings it back when its spec is the
 * one wanted (it may be the last container of an earlier release: t1501)
 * rather than stopping it, making another and pruning it.
 */
static void test_reconcile__next_name_reused(void)
{
	static const char *const states[] = { "running", "exited" };
	struct fixture f;
	struct docker_container *c;
	const struct action *a;
	size_t k, i;

	for (k = 0; k < 2; k++) {
		fixture_load(&f, stack);
		strv_push(&f.prev_services, "api");
		strv_push(&f.prev_services, "db");
		observe(&f, "db", 1);
		observe(&f, "api", 2);
		c = observe(&f, "api", 1); /* live, another spec */
		free(c->spec_hash);
		c->spec_hash = strdup("old");
		c = observe(&f, "api", 1); /* left by the killed run, the spec wanted */
		free(c->id);
		c->id = strdup("next");
		free(c->name);
		c->name = strdup("shop-api-1--next-r3");
		free(c->state);
		c->state = strdup(states[k]);
		CHECK_INT(diff(&f, false, NULL, 0, NULL, 0), 0);
		a = find(&f.plan, ACTION_REPLACE, "api", 1);
		CHECK(a && a->reuse_id && !strcmp(a->reuse_id, "next"));
		CHECK(a && a->container_id && !strcmp(a->container_id, "id-api-1"));
		for (i = 0; i < f.plan.n; i++)
			CHECK(f.plan.v[i].kind != ACTION_REMOVE);
		CHECK_INT(f.plan.n, 1);
		fixture_done(&f);
	}
}

int main(void)
{
	RUN(test_reconcile__empty_host_creates_in_dependency_order);
	RUN(test_reconcile__matching_host_is_a_noop_without_resource_listing);
	RUN(test_reconcile__drift_and_scaling);
	RUN(test_reconcile__replace_reason_from_old_spec);
	RUN(test_reconcile__resources_dropped_and_kept);
	RUN(test_reconcile__spec_reasons);
	RUN(test_reconcile__chain_of_1000_services);
	RUN(test_reconcile__dense_graph_of_200_services);
	RUN(test_reconcile__legacy_hash_label_is_noop);
	RUN(test_reconcile__replace_order_and_why);
	RUN(test_reconcile__next_name_reused);
	return CHECK_DONE();
}
