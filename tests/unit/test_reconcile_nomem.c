/*
 * test_reconcile_nomem.c - the planner when an allocation fails: every
 * allocation reconcile_diff() makes is failed in turn (malloc, calloc and
 * realloc are replaced in this program, the way an allocator replaces
 * glibc's), and each run must end with 0 or ERR_NOMEM, never a double free
 * or a crash. glibc aborts on a double free of a small block, so a second
 * free of retain_name (plan_add() and its caller both freeing it) fails
 * this test. Not run under AddressSanitizer, which owns malloc itself.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/hash.h"
#include "deployctl/manifest.h"
#include "deployctl/reconcile.h"
#include "deployctl/spec.h"
#include "plan_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define NOMEM_HOOK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOMEM_HOOK 0
#endif
#endif
#ifndef NOMEM_HOOK
#define NOMEM_HOOK 1
#endif

#if NOMEM_HOOK
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long nomem_count; /* allocations seen while armed */
static long nomem_fail;  /* fail the allocation with this number (1-based); 0: none */
static int nomem_armed;

static int nomem_now(void)
{
	return nomem_armed && ++nomem_count == nomem_fail;
}

void *malloc(size_t n)
{
	return nomem_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return nomem_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return nomem_now() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

/* db writes a volume (stop-first), api has two replicas (start-first). */
static const char stack[] = "name: shop\n"
                            "services:\n"
                            "  db:\n"
                            "    image: postgres:15\n"
                            "    volumes: [\"data:/var/lib/postgresql/data\"]\n"
                            "    x-deployctl: {rollout: {order: start-first}}\n"
                            "  api:\n"
                            "    image: api:1\n"
                            "    depends_on: [db]\n"
                            "    deploy: {replicas: 2}\n"
                            "  side:\n"
                            "    image: side:1\n"
                            "    network_mode: \"service:api\"\n"
                            "volumes:\n"
                            "  data: {}\n";

static void observe(struct docker_container *c, const char *service, unsigned r)
{
	char buf[64];

	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "id-%s-%u", service, r);
	c->id = strdup(buf);
	snprintf(buf, sizeof(buf), "shop-%s-%u", service, r);
	c->name = strdup(buf);
	c->state = strdup("running");
	c->status = strdup("Up");
	c->project = strdup("shop");
	c->service = strdup(service);
	c->release = strdup("1");
	c->spec_hash = strdup("0000"); /* out of date: every replica is replaced */
	c->replica = r;
}

static void test_reconcile_nomem__every_allocation_failing(void)
{
	struct project *p = plan_load(stack);
	char hashes[3][HASH_HEX_LEN + 1];
	struct docker_container c[5];
	struct reconcile_input in = { 0 };
	size_t i, full = 0;
	long k, total;
	int bad = 0;

	if (!p)
		return;
	CHECK_INT(p->nservices, 3);
	plan_stamp(p, hashes, "sha256:11111111111111111111111111111111");
	observe(&c[0], "db", 1);
	observe(&c[1], "api", 1);
	observe(&c[2], "api", 2);
	observe(&c[3], "side", 1);
	observe(&c[4], "api", 3); /* scaled down */
	in.desired = p;
	in.key = &test_key;
	in.hashes = (const char(*)[HASH_HEX_LEN + 1]) hashes;
	in.containers = c;
	in.ncontainers = 5;
	in.have_resources = true;

#if NOMEM_HOOK
	/* Count the allocations of a run that succeeds, then fail each in turn. */
	{
		struct plan plan;
		struct err err = ERR_INIT;

		nomem_count = 0;
		nomem_fail = 0;
		nomem_armed = 1;
		CHECK_INT(reconcile_diff(&plan, &in, &err), 0);
		nomem_armed = 0;
		total = nomem_count;
		full = plan.n;
		reconcile_plan_release(&plan);
	}
	CHECK(total > 20);
	CHECK_INT(full, 7); /* 4 replaces, 1 remove, network and volume creates */
	for (k = 1; k <= total; k++) {
		struct plan plan;
		struct err err = ERR_INIT;
		int rc;

		memset(&plan, 0, sizeof(plan));
		nomem_count = 0;
		nomem_fail = k;
		nomem_armed = 1;
		rc = reconcile_diff(&plan, &in, &err);
		nomem_armed = 0;
		if (rc != ERR_NOMEM && rc != 0)
			bad++;
		if (rc == ERR_NOMEM && strcmp(err.msg, "out of memory"))
			bad++;
		if (rc == 0)
			reconcile_plan_release(&plan);
	}
	CHECK_INT(bad, 0);
#else
	(void)in;
	(void)k;
	(void)total;
	(void)bad;
	(void)full;
	printf("skipped: allocation failures are not injected under AddressSanitizer\n");

#endif
	for (i = 0; i < 5; i++)
		docker_container_release(&c[i]);
	model_project_free(p);
}

int main(void)
{
	RUN(test_reconcile_nomem__every_allocation_failing);
	return CHECK_DONE();
}
