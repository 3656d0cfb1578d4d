/*
 * test_ownership.c - which state database owns a container: the identity
 * a database gets when it is created, the owner labels every new container
 * carries, the legacy rule (a release of this database made it), and the
 * planner's take-over of adopted containers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "deployctl/docker.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "deployctl/store.h"
#include "docker_internal.h"
#include "fixture_project.h"
#include "plan_fixture.h"
#include "store_fixture.h"
#include "store_internal.h"

static void test_ownership__identity_is_random_and_kept(void)
{
	struct store *a = NULL, *b = NULL;
	struct store_identity ia = { 0 }, ib = { 0 }, again = { 0 };
	struct err err = ERR_INIT;
	size_t i;

	CHECK_INT(store_open_file(&a, ":memory:", &err), 0);
	CHECK_INT(store_open_file(&b, ":memory:", &err), 0);
	CHECK_INT(store_identity_get(&ia, a, &err), 0);
	CHECK_INT(store_identity_get(&ib, b, &err), 0);
	CHECK_INT(strlen(ia.id), 32);
	for (i = 0; ia.id[i]; i++)
		CHECK(strchr("0123456789abcdef", ia.id[i]) != NULL);
	CHECK(strcmp(ia.id, ib.id) != 0);
	CHECK_STR(ia.host, "");
	/* The first open names it; later ones do not rename it. */
	CHECK_INT(store_identity_place(a, "h1", "/srv/state", &err), 0);
	CHECK_INT(store_identity_place(a, "h2", "/elsewhere", &err), 0);
	CHECK_INT(store_identity_get(&again, a, &err), 0);
	CHECK_STR(again.id, ia.id);
	CHECK_STR(again.host, "h1");
	CHECK_STR(again.path, "/srv/state");
	store_identity_release(&ia);
	store_identity_release(&ib);
	store_identity_release(&again);
	store_free(a);
	store_free(b);
}

static void test_ownership__legacy_container_made_by_a_release(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	int64_t id = begin(s, "shop", "h", 1), now = (int64_t)time(NULL);
	char sql[256];
	bool made = true;

	snprintf(sql, sizeof(sql),
	         "INSERT INTO release_services (release_id, service, image, spec_hash, replicas,"
	         " spec_json) VALUES (%lld, 'web', 'nginx', 'h', 1, '{}')",
	         (long long)id);
	CHECK_INT(store_exec(s, sql, &err), 0);
	CHECK_INT(store_release_made(&made, s, "shop", id, "web", now, &err), 0);
	CHECK(made);
	/* Another project's, another service, another release, another time: not ours. */
	CHECK_INT(store_release_made(&made, s, "other", id, "web", now, &err), 0);
	CHECK(!made);
	CHECK_INT(store_release_made(&made, s, "shop", id, "db", now, &err), 0);
	CHECK(!made);
	CHECK_INT(store_release_made(&made, s, "shop", id + 1, "web", now, &err), 0);
	CHECK(!made);
	CHECK_INT(store_release_made(&made, s, "shop", id, "web", now - 3600, &err), 0);
	CHECK(!made);
	CHECK_INT(store_release_finish(s, id, RELEASE_SUCCEEDED, NULL, &err), 0);
	CHECK_INT(store_release_made(&made, s, "shop", id, "web", now + 3600, &err), 0);
	CHECK(!made);
	CHECK_INT(store_release_made(&made, s, "shop", 0, "web", now, &err), 0);
	CHECK(!made);
	store_free(s);
}

static void test_ownership__create_body_carries_the_owner(void)
{
	struct project *p = fixture_project();
	struct docker_create c = { .project = p,
		                   .service = &p->services[0],
		                   .name = "shop-web-1",
		                   .release = "3",
		                   .spec_hash = "feedface",
		                   .replica = 1,
		                   .owner = "0123456789abcdef0123456789abcdef",
		                   .owner_host = "build-1",
		                   .owner_state = "/var/lib/deployctl" };
	struct kvv ids = { 0 };
	struct err err = ERR_INIT;
	char *body = NULL, *plain = NULL;

	kvv_set(&ids, "back", "b0");
	kvv_set(&ids, "default", "d0");
	c.network_ids = &ids;
	CHECK_INT(docker_create_body(&body, &c, &err), 0);
	CHECK(body && strstr(body, "\"io.deployctl.owner\":\"0123456789abcdef0123456789abcdef\""));
	CHECK(body && strstr(body, "\"io.deployctl.owner-host\":\"build-1\""));
	CHECK(body && strstr(body, "\"io.deployctl.owner-state\":\"/var/lib/deployctl\""));
	c.owner = c.owner_host = c.owner_state = NULL;
	CHECK_INT(docker_create_body(&plain, &c, &err), 0);
	CHECK(plain && !strstr(plain, "io.deployctl.owner"));
	free(body);
	free(plain);
	kvv_free(&ids);
	model_project_free(p);
}

/* A matching live container and a retained one of web; adopt[] as given. */
static void adopt_plan(struct plan *plan, const bool *adopt, const char *owner)
{
	struct project *p = plan_load("name: shop\nservices:\n  web:\n    image: nginx:1\n");
	char hashes[1][HASH_HEX_LEN + 1];
	struct docker_container c[2];
	struct strv prev = { 0 };
	struct err err = ERR_INIT;
	size_t i;

	if (!p)
		abort();
	plan_stamp(p, hashes, "sha256:1111111111111111111111111111111111111111111111111111");
	memset(c, 0, sizeof(c));
	for (i = 0; i < 2; i++) {
		c[i].id = strdup(i ? "old" : "live");
		c[i].name = strdup(i ? "shop-web-1--r1" : "shop-web-1");
		c[i].state = strdup(i ? "exited" : "running");
		c[i].status = strdup("");
		c[i].project = strdup("shop");
		c[i].service = strdup("web");
		c[i].release = strdup("1");
		c[i].spec_hash = strdup(hashes[0]);
		c[i].owner = owner ? strdup(owner) : NULL;
		c[i].owner_host = owner ? strdup("h") : NULL;
		c[i].owner_state = owner ? strdup("/s") : NULL;
		c[i].replica = 1;
		strv_push(&c[i].networks, "shop_default");
	}
	strv_push(&prev, "web");
	{
		struct reconcile_input in = { .desired = p,
			                      .key = &test_key,
			                      .hashes = (const char(*)[HASH_HEX_LEN + 1]) hashes,
			                      .containers = c,
			                      .ncontainers = 2,
			                      .prev_services = &prev,
			                      .adopt = adopt };

		CHECK_INT(reconcile_diff(plan, &in, &err), 0);
	}
	for (i = 0; i < 2; i++)
		docker_container_release(&c[i]);
	strv_free(&prev);
	model_project_free(p);
}

static void test_ownership__adopted_containers_are_replaced_not_reused(void)
{
	struct plan plan;
	const bool none[2] = { false, false }, both[2] = { true, true };
	size_t i, replaces = 0;

	/* Owned: a matching container is left alone. */
	adopt_plan(&plan, none, NULL);
	for (i = 0; i < plan.n; i++)
		CHECK(plan.v[i].kind != ACTION_REPLACE && plan.v[i].kind != ACTION_CREATE);
	reconcile_plan_release(&plan);
	/* Adopted: replaced whatever its spec, with the owner in the reason; the retained one is
	 * not reused. */
	adopt_plan(&plan, both, "0123456789abcdef0123456789abcdef");
	for (i = 0; i < plan.n; i++) {
		if (plan.v[i].kind != ACTION_REPLACE)
			continue;
		replaces++;
		CHECK_STR(plan.v[i].container_id, "live");
		CHECK_STR(plan.v[i].reason, "adopted from state 0123456789ab (h:/s)");
		CHECK(plan.v[i].reuse_id == NULL);
	}
	CHECK_INT(replaces, 1);
	reconcile_plan_release(&plan);
	adopt_plan(&plan, both, NULL);
	CHECK(plan.n >= 1);
	for (i = 0; i < plan.n; i++)
		if (plan.v[i].kind == ACTION_REPLACE)
			CHECK_STR(plan.v[i].reason, "adopted (no owner label)");
	reconcile_plan_release(&plan);
}

int main(void)
{
	RUN(test_ownership__identity_is_random_and_kept);
	RUN(test_ownership__legacy_container_made_by_a_release);
	RUN(test_ownership__create_body_carries_the_owner);
	RUN(test_ownership__adopted_containers_are_replaced_not_reused);
	return CHECK_DONE();
}
