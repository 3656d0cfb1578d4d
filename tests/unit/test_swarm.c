/*
 * test_swarm.c - the Swarm backend's pure parts: swarm_diff() on a project
 * loaded from YAML and services written by hand (create, no-op, update with
 * reasons, remove, waves, networks asked for only when something changes),
 * the object names, and the service spec JSON (docker_service_spec()), a
 * release job's too (docker_swarm_job_check()).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/docker_swarm.h"
#include "deployctl/docker_swarm_job.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/spec.h"
#include "deployctl/swarm.h"
#include "plan_fixture.h"

static const char stack[] = "name: shop\n"
                            "x-deployctl: {target: swarm}\n"
                            "services:\n"
                            "  db:\n"
                            "    image: postgres:15\n"
                            "    networks: [back]\n"
                            "  api:\n"
                            "    image: api:1\n"
                            "    environment: {LOG_LEVEL: info}\n"
                            "    networks: [back]\n"
                            "    depends_on: [db]\n"
                            "    deploy:\n"
                            "      replicas: 2\n"
                            "      placement: {constraints: [node.role == worker]}\n"
                            "      update_config: {parallelism: 2, delay: 5s}\n"
                            "networks:\n"
                            "  back: {}\n";

struct fixture {
	struct project *p;
	char hashes[4][HASH_HEX_LEN + 1];
	const char *images[4];
	struct docker_service s[4];
	size_t ns;
	struct plan plan;
};

static void fixture_load(struct fixture *f, const char *yaml)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	if (!(f->p = plan_load(yaml)))
		abort();
	plan_stamp(f->p, f->hashes,
	           "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	for (i = 0; i < f->p->nservices; i++)
		f->images[i] = f->p->services[i].image_id;
}

static size_t svc_index(struct fixture *f, const char *name)
{
	return (size_t)(model_service_find(f->p, name) - f->p->services);
}

static void observe(struct fixture *f, const char *service, const char *hash, unsigned replicas)
{
	struct docker_service *s = &f->s[f->ns++];
	char name[64];

	snprintf(name, sizeof(name), "shop_%s", service);
	s->id = strdup(service);
	s->name = strdup(name);
	s->service = strdup(service);
	s->spec_hash = strdup(hash);
	s->release = strdup("1");
	s->spec_json = strdup("{}");
	s->replicas = replicas;
	s->version = 7;
}

static int diff(struct fixture *f, bool have_networks)
{
	static char id[] = "n1", name[] = "shop_back", key[] = "back";
	static const struct docker_resource nets[] = { { id, name, key } };
	struct swarm_input in = { .desired = f->p,
		                  .key = &test_key,
		                  .hashes = (const char(*)[HASH_HEX_LEN + 1]) f->hashes,
		                  .images = f->images,
		                  .services = f->s,
		                  .nservices = f->ns,
		                  .have_networks = have_networks,
		                  .networks = have_networks ? nets : NULL,
		                  .nnetworks = have_networks ? 1 : 0 };
	struct err err = ERR_INIT;

	reconcile_plan_release(&f->plan);
	return swarm_diff(&f->plan, &in, &err);
}

static void fixture_done(struct fixture *f)
{
	size_t i;

	reconcile_plan_release(&f->plan);
	for (i = 0; i < f->ns; i++) {
		free(f->s[i].id);
		free(f->s[i].name);
		free(f->s[i].service);
		free(f->s[i].spec_hash);
		free(f->s[i].release);
		free(f->s[i].spec_json);
	}
	model_project_free(f->p);
}

static void test_swarm__create_in_waves(void)
{
	struct fixture f;

	fixture_load(&f, stack);
	CHECK_STR(f.p->target, "swarm");
	CHECK_INT(diff(&f, false), 0);
	CHECK(f.plan.need_resources);
	CHECK_INT(diff(&f, true), 0);
	CHECK(!f.plan.need_resources);
	/* the network exists: db (wave 1), then api (wave 2) */
	CHECK_INT(f.plan.n, 2);
	CHECK_INT(f.plan.v[0].kind, ACTION_CREATE);
	CHECK_STR(f.plan.v[0].target, "db");
	CHECK_INT(f.plan.v[0].level, 1);
	CHECK_STR(f.plan.v[1].target, "api");
	CHECK_INT(f.plan.v[1].level, 2);
	CHECK_STR(f.plan.v[1].container_name, "shop_api");
	CHECK_STR(f.plan.v[1].reason, "new service");
	CHECK(f.plan.notes.n == 2); /* both images pinned by ID */
	fixture_done(&f);
}

static void test_swarm__noop_and_update(void)
{
	struct fixture f;

	fixture_load(&f, stack);
	observe(&f, "db", f.hashes[svc_index(&f, "db")], 1);
	observe(&f, "api", f.hashes[svc_index(&f, "api")], 2);
	CHECK_INT(diff(&f, false), 0);
	CHECK_INT(f.plan.n, 0);
	CHECK(!f.plan.need_resources); /* a no-op lists nothing more */
	free(f.s[1].spec_hash);
	f.s[1].spec_hash = strdup("0000");
	f.s[1].replicas = 1;
	CHECK_INT(diff(&f, true), 0);
	CHECK_INT(f.plan.n, 1);
	CHECK_INT(f.plan.v[0].kind, ACTION_REPLACE);
	CHECK_STR(f.plan.v[0].container_id, "api");
	CHECK(strstr(f.plan.v[0].reason, "replicas 1 -> 2") != NULL);
	fixture_done(&f);
}

/* Scaled by hand: the label still matches, the replica count does not. */
static void test_swarm__scaled_by_hand(void)
{
	struct fixture f;

	fixture_load(&f, stack);
	observe(&f, "db", f.hashes[svc_index(&f, "db")], 1);
	observe(&f, "api", f.hashes[svc_index(&f, "api")], 5);
	CHECK_INT(diff(&f, true), 0);
	CHECK_INT(f.plan.n, 1);
	CHECK_INT(f.plan.v[0].kind, ACTION_REPLACE);
	CHECK_STR(f.plan.v[0].target, "api");
	CHECK_STR(f.plan.v[0].reason, "replicas 5 -> 2 (changed outside deployctl)");
	fixture_done(&f);
}

static void test_swarm__remove_and_network(void)
{
	struct fixture f;

	fixture_load(&f, stack);
	observe(&f, "db", f.hashes[svc_index(&f, "db")], 1);
	observe(&f, "old", "x", 1);
	CHECK_INT(diff(&f, false), 0);
	CHECK(f.plan.need_resources);
	f.plan.need_resources = false;
	{
		struct swarm_input in = { .desired = f.p,
			                  .key = &test_key,
			                  .hashes = (const char(*)[HASH_HEX_LEN + 1]) f.hashes,
			                  .images = f.images,
			                  .services = f.s,
			                  .nservices = f.ns,
			                  .have_networks = true };
		struct err err = ERR_INIT;

		reconcile_plan_release(&f.plan);
		CHECK_INT(swarm_diff(&f.plan, &in, &err), 0);
	}
	/* no network listed: it is created first; old is removed; api created */
	CHECK_INT(f.plan.n, 3);
	CHECK_INT(f.plan.v[0].kind, ACTION_NETWORK_CREATE);
	CHECK_STR(f.plan.v[0].docker_name, "shop_back");
	CHECK_INT(f.plan.v[1].kind, ACTION_REMOVE);
	CHECK_STR(f.plan.v[1].target, "old");
	CHECK_INT(f.plan.v[2].kind, ACTION_CREATE);
	CHECK_STR(f.plan.v[2].target, "api");
	fixture_done(&f);
}

static void test_swarm__spec(void)
{
	struct fixture f;
	struct kvv nets = { 0 };
	struct docker_service_want w = { 0 };
	struct err err = ERR_INIT;
	char *json = NULL, *name;

	fixture_load(&f, stack);
	kvv_set(&nets, "back", "n1");
	w.project = f.p;
	w.service = model_service_find(f.p, "api");
	w.name = "shop_api";
	w.image = "api@sha256:2222";
	w.release = "3";
	w.spec_hash = "abc";
	w.task_hash = "def";
	w.network_ids = &nets;
	CHECK_INT(docker_service_spec(&json, &w, &err), 0);
	CHECK(json && strstr(json, "\"Image\":\"api@sha256:2222\""));
	CHECK(json && strstr(json, "\"com.docker.stack.namespace\":\"shop\""));
	CHECK(json && strstr(json, "\"Replicas\":2"));
	CHECK(json && strstr(json, "\"Constraints\":[\"node.role == worker\"]"));
	CHECK(json && strstr(json, "\"Delay\":5000000000"));
	CHECK(json && strstr(json, "\"Parallelism\":2"));
	CHECK(json && strstr(json, "\"Target\":\"n1\""));
	CHECK(json && strstr(json, "\"LOG_LEVEL=info\""));
	CHECK(json && strstr(json, "\"io.deployctl.spec-hash\":\"abc\""));
	CHECK(json && strstr(json, "\"io.deployctl.spec-hash\":\"def\""));
	free(json);
	name = swarm_object_name("shop", "cfg", "0123456789abcdef0123");
	CHECK_STR(name, "shop_cfg-0123456789ab");
	free(name);
	kvv_free(&nets);
	fixture_done(&f);
}

static const char job_stack[] = "name: shop\n"
                                "x-deployctl:\n"
                                "  target: swarm\n"
                                "  jobs:\n"
                                "    migrate:\n"
                                "      phase: before\n"
                                "      image: api:1\n"
                                "      command: [\"./migrate\"]\n"
                                "      networks: [back]\n"
                                "    bad:\n"
                                "      phase: after\n"
                                "      image: api:1\n"
                                "      volumes: [\"/srv/data:/data\"]\n"
                                "services:\n"
                                "  db:\n"
                                "    image: postgres:15\n"
                                "    networks: [back]\n"
                                "networks:\n"
                                "  back: {}\n";

/* A job's spec: one task to completion, never restarted, labelled as a job, not a service. */
static void test_swarm__job_spec(void)
{
	struct fixture f;
	struct kvv nets = { 0 };
	struct docker_service_want w = { 0 };
	struct err err = ERR_INIT;
	char *json = NULL;
	struct service *mig, *bad;

	fixture_load(&f, job_stack);
	mig = &f.p->jobs[0].svc;
	bad = &f.p->jobs[1].svc;
	CHECK_INT((int)f.p->njobs, 2);
	if (strcmp(f.p->jobs[0].svc.name, "migrate")) { /* jobs are kept in name order */
		mig = &f.p->jobs[1].svc;
		bad = &f.p->jobs[0].svc;
	}
	kvv_set(&nets, "back", "n1");
	w.project = f.p;
	w.service = mig;
	w.name = "shop_job-migrate-4";
	w.image = "sha256:1111";
	w.release = "4";
	w.network_ids = &nets;
	w.job = "migrate";
	w.owner = "0123456789abcdef0123456789abcdef";
	CHECK_INT(docker_service_spec(&json, &w, &err), 0);
	CHECK(json &&
	      strstr(json, "\"ReplicatedJob\":{\"MaxConcurrent\":1,\"TotalCompletions\":1}"));
	CHECK(json && strstr(json, "\"RestartPolicy\":{\"Condition\":\"none\"}"));
	CHECK(json && strstr(json, "\"io.deployctl.job\":\"migrate\""));
	CHECK(json && strstr(json, "\"io.deployctl.owner\":\"0123456789abcdef0123456789abcdef\""));
	CHECK(json && strstr(json, "\"Target\":\"n1\""));
	CHECK(json && !strstr(json, "io.deployctl.service"));
	CHECK(json && !strstr(json, "io.deployctl.spec-hash"));
	CHECK(json && !strstr(json, "UpdateConfig"));
	free(json);
	/* what a task cannot have is refused at the job's place */
	CHECK_INT(docker_swarm_job_check(mig, &err), 0);
	CHECK_INT(docker_swarm_job_check(bad, &err), 0);
	/* the same bind tracked in git (as a relative one becomes) cannot reach a node */
	CHECK_INT((int)bad->nmounts, 1);
	if (bad->nmounts)
		bad->mounts[0].content_hash[0] = 'a';
	CHECK_INT(docker_swarm_job_check(bad, &err), ERR_INVALID);
	CHECK(strstr(err.msg, "x-deployctl.jobs.bad.volumes: a bind") != NULL);
	CHECK(err.line > 0);
	kvv_free(&nets);
	fixture_done(&f);
}

int main(void)
{
	RUN(test_swarm__create_in_waves);
	RUN(test_swarm__noop_and_update);
	RUN(test_swarm__scaled_by_hand);
	RUN(test_swarm__remove_and_network);
	RUN(test_swarm__spec);
	RUN(test_swarm__job_spec);
	return CHECK_DONE();
}
