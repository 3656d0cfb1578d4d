/*
 * test_reconcile_apply.c - the executor against a fake Docker
 * (fakedocker.h) with injected faults: a rename whose reply never comes,
 * a final stop that fails, a name held by another container, a new
 * container that fails its gate. Each checks what is really left in
 * "Docker" (the fake's table), what the result says, and that nothing
 * was removed that should not have been, nor with its volumes.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "fakedocker.h"
#include "plan_fixture.h"

struct env {
	struct fake_docker fd;
	struct project *p;
	char hash[HASH_HEX_LEN + 1];
	struct docker *d;
	struct docker_container obs;
	struct plan plan;
	struct kvv netids;
	struct reconcile_result res[4];
	struct strv events; /* "event name" per container event */
	struct fake_container *old;
	char old_id[65];
	int rc;
	struct err err;
};

static void on_container(void *ctx, const struct action *a, const char *event, const char *id,
                         const char *name, const char *detail)
{
	struct env *e = ctx;
	char line[300];

	(void)a;
	if (detail)
		snprintf(line, sizeof(line), "%s %s (%s) %.8s", event, name, detail, id);
	else
		snprintf(line, sizeof(line), "%s %s %.8s", event, name, id);
	strv_push(&e->events, line);
}

static bool has_event(const struct env *e, const char *prefix)
{
	for (size_t i = 0; i < e->events.n; i++)
		if (!strncmp(e->events.v[i], prefix, strlen(prefix)))
			return true;
	return false;
}

/* A project "shop" with service api (order given), its old container running in the fake. */
static int env_init(struct env *e, const char *order)
{
	char yaml[512];
	struct err err = ERR_INIT;
	char net_id[] = "net1", net_name[] = "shop_default", net_key[] = "default";
	struct docker_resource net = { .id = net_id, .name = net_name, .key = net_key };
	struct reconcile_input in = { 0 };

	memset(e, 0, sizeof(*e));
	snprintf(yaml, sizeof(yaml),
	         "name: shop\n"
	         "services:\n"
	         "  api:\n"
	         "    image: api:1\n"
	         "    x-deployctl: {rollout: {settle: 0s, drain: 10ms, order: %s}}\n",
	         order);
	if (!(e->p = plan_load(yaml)))
		return -1;
	plan_stamp(e->p, &e->hash, "sha256:2222222222222222222222222222222222222222");
	CHECK_INT(fake_start(&e->fd), 0);
	e->old = fake_add(&e->fd, "shop-api-1", "running", "api", "1");
	snprintf(e->old_id, sizeof(e->old_id), "%s", e->old->id);
	e->obs.id = e->old->id;
	e->obs.name = e->old->name;
	e->obs.state = (char *)"running";
	e->obs.service = (char *)"api";
	e->obs.project = (char *)"shop";
	e->obs.release = (char *)"1";
	e->obs.spec_hash = (char *)"old";
	e->obs.replica = 1;
	strv_push(&e->obs.networks, "shop_default");
	in.desired = e->p;
	in.key = &test_key;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) e->hash;
	in.containers = &e->obs;
	in.ncontainers = 1;
	in.have_resources = true;
	in.networks = &net;
	in.nnetworks = 1;
	CHECK_INT(reconcile_diff(&e->plan, &in, &err), 0);
	strv_free(&e->obs.networks);
	CHECK_INT(e->plan.n, 1);
	CHECK_INT(kvv_set(&e->netids, "default", "net1"), 0);
	CHECK_INT(docker_open(&e->d, e->fd.host, &err), 0);
	return e->plan.n == 1 && e->d ? 0 : -1;
}

static void env_apply(struct env *e)
{
	struct reconcile_progress progress = { .container = on_container, .ctx = e };
	struct reconcile_opts o = {
		.release = "2", .files_dir = "/tmp", .parallel = 1, .progress = &progress
	};
	struct docker_connect conn = { .host = e->fd.host };

	e->rc = reconcile_apply(e->d, &conn, e->p, &e->plan, &o, &e->netids, e->res, NULL, &e->err);
}

static void env_done(struct env *e)
{
	reconcile_results_release(e->res, e->plan.n);
	reconcile_plan_release(&e->plan);
	docker_free(e->d);
	fake_stop(&e->fd);
	kvv_free(&e->netids);
	strv_free(&e->events);
	model_project_free(e->p);
}

/* Nothing a previous release ran was removed, and nothing with its volumes. */
static void check_no_volume_removal(struct env *e)
{
	char del[128];

	snprintf(del, sizeof(del), "DELETE /containers/%s", e->old_id);
	CHECK_INT(fake_count(&e->fd, del), 0);
	for (size_t i = 0; i < e->fd.nlog; i++)
		if (!strncmp(e->fd.log[i], "DELETE", 6) && strstr(e->fd.log[i], "--r"))
			CHECK(!strstr(e->fd.log[i], "v=1"));
}

static void test_reconcile_apply__lost_rename_reply_keeps_the_live_container(void)
{
	static const enum fake_fault_kind kinds[] = { FAKE_DROP_REPLY, FAKE_CUT_REPLY };

	for (size_t k = 0; k < 2; k++) {
		struct env e;
		struct fake_container *c;

		if (env_init(&e, "start-first") < 0)
			return;
		/* The rename of the old container to its retained name is done; its 204 never
		 * comes. */
		fake_fault(&e.fd, 0, "POST", "/rename?name=shop-api-1--r1", 1, kinds[k]);
		e.fd.close_each = kinds[k] == FAKE_CUT_REPLY;
		env_apply(&e);
		CHECK_INT(e.rc, 0);
		c = fake_find(&e.fd, e.old_id);
		CHECK(c != NULL); /* the old container survives */
		CHECK_STR(c ? c->name : NULL, "shop-api-1--r1");
		CHECK_STR(c ? c->state : NULL, "exited");
		c = fake_find(&e.fd, "shop-api-1");
		CHECK(c && strcmp(c->id, e.old_id) && !strcmp(c->state, "running"));
		CHECK(has_event(&e, "checked shop-api-1--r1"));
		/* Cut: the reply is unknown and the truth re-read at once. */
		if (kinds[k] == FAKE_CUT_REPLY)
			CHECK(has_event(
			        &e,
			        "checked shop-api-1--r1 (reply to rename lost; re-read: renamed)"));
		CHECK(e.res[0].container_id != NULL);
		CHECK(!e.res[0].undo_failed);
		check_no_volume_removal(&e);
		for (size_t i = 0; getenv("FAKE_DEBUG") && i < e.events.n; i++)
			fprintf(stderr, "event %s\n", e.events.v[i]);
		for (size_t i = 0; getenv("FAKE_DEBUG") && i < e.fd.nlog; i++)
			fprintf(stderr, "log %s\n", e.fd.log[i]);
		env_done(&e);
	}
}

static void test_reconcile_apply__final_stop_failure_is_undone_and_recorded(void)
{
	struct env e;
	struct fake_container *c;
	char created[32];

	if (env_init(&e, "start-first") < 0)
		return;
	fake_fault(&e.fd, 0, "POST", "/stop", 1, FAKE_FAIL_500);
	env_apply(&e);
	CHECK(e.rc < 0);
	CHECK(strstr(e.err.msg, "injected failure") != NULL);
	/* Put back as a failed gate would: the old one under its name, running, alone. */
	c = fake_find(&e.fd, "shop-api-1");
	CHECK(c && !strcmp(c->id, e.old_id) && !strcmp(c->state, "running"));
	CHECK(e.res[0].undone);
	CHECK(!e.res[0].undo_failed);
	/* The new container was recorded when it was made, and when it was removed. */
	snprintf(created, sizeof(created), "created shop-api-1");
	CHECK(has_event(&e, created));
	CHECK(has_event(&e, "removed shop-api-1"));
	check_no_volume_removal(&e);
	env_done(&e);

	/* The new container cannot be taken down either: it stays in the result. */
	if (env_init(&e, "start-first") < 0)
		return;
	fake_fault(&e.fd, 0, "POST", "/stop", 1, FAKE_FAIL_500);
	fake_fault(&e.fd, 1, "DELETE", "/containers/", 1, FAKE_FAIL_500);
	env_apply(&e);
	CHECK(e.rc < 0);
	CHECK(e.res[0].undo_failed);
	CHECK(!e.res[0].undone);
	c = fake_find(&e.fd, "shop-api-1");
	CHECK(c && strcmp(c->id, e.old_id) && !strcmp(c->state, "running"));
	CHECK(e.res[0].container_id && c && !strcmp(e.res[0].container_id, c->id));
	c = fake_find(&e.fd, e.old_id);
	CHECK(c && !strcmp(c->name, "shop-api-1--r1") && !strcmp(c->state, "running"));
	check_no_volume_removal(&e);
	env_done(&e);
}

static void test_reconcile_apply__name_held_by_another_container(void)
{
	struct env e;
	struct fake_container *h, *c;
	char holder[65], del[128];

	/* Running, under the retained name: never removed. */
	if (env_init(&e, "start-first") < 0)
		return;
	h = fake_add(&e.fd, "shop-api-1--r1", "running", "api", "1");
	snprintf(holder, sizeof(holder), "%s", h->id);
	env_apply(&e);
	CHECK(e.rc < 0);
	CHECK(strstr(e.err.msg, "is held by container") != NULL);
	CHECK(fake_find(&e.fd, holder) != NULL);
	c = fake_find(&e.fd, "shop-api-1");
	CHECK(c && !strcmp(c->id, e.old_id) && !strcmp(c->state, "running"));
	CHECK(!e.res[0].undo_failed);
	check_no_volume_removal(&e);
	env_done(&e);

	/* Stopped and ours: a stale kept container, removed, without its volumes. */
	if (env_init(&e, "start-first") < 0)
		return;
	h = fake_add(&e.fd, "shop-api-1--r1", "exited", "api", "1");
	snprintf(holder, sizeof(holder), "%s", h->id);
	env_apply(&e);
	CHECK_INT(e.rc, 0);
	CHECK(fake_find(&e.fd, holder) == NULL);
	snprintf(del, sizeof(del), "DELETE /containers/%s", holder);
	CHECK_INT(fake_count(&e.fd, del), 1);
	for (size_t i = 0; i < e.fd.nlog; i++)
		if (!strncmp(e.fd.log[i], del, strlen(del)))
			CHECK(!strstr(e.fd.log[i], "v=1"));
	check_no_volume_removal(&e);
	env_done(&e);
}

static void test_reconcile_apply__failed_gate_keeps_the_container(void)
{
	static const char *const orders[] = { "start-first", "stop-first" };

	for (size_t k = 0; k < 2; k++) {
		struct env e;
		struct fake_container *c;

		if (env_init(&e, orders[k]) < 0)
			return;
		e.fd.start_exits = 1; /* the new container exits 1 at once */
		env_apply(&e);
		e.fd.start_exits = 0;
		CHECK(e.rc < 0);
		CHECK(strstr(e.err.msg, "api#1: exited: exit code 1") != NULL);
		CHECK_STR(e.res[0].kept_name, "shop-api-1--failed-r2");
		c = fake_find(&e.fd, "shop-api-1--failed-r2");
		CHECK(c && strcmp(c->id, e.old_id) && !strcmp(c->state, "exited"));
		c = fake_find(&e.fd, "shop-api-1");
		CHECK(c && !strcmp(c->id, e.old_id) && !strcmp(c->state, "running"));
		CHECK(e.res[0].undone);
		CHECK(has_event(&e, "kept shop-api-1--failed-r2"));
		if (check_failures)
			for (size_t i = 0; i < e.events.n; i++)
				fprintf(stderr, "event %s\n", e.events.v[i]);
		check_no_volume_removal(&e);
		env_done(&e);
	}
}

int main(void)
{
	struct err err = ERR_INIT;

	if (docker_global_init(&err) < 0)
		return 1;
	RUN(test_reconcile_apply__lost_rename_reply_keeps_the_live_container);
	RUN(test_reconcile_apply__final_stop_failure_is_undone_and_recorded);
	RUN(test_reconcile_apply__name_held_by_another_container);
	RUN(test_reconcile_apply__failed_gate_keeps_the_container);
	docker_global_cleanup();
	return CHECK_DONE();
}
