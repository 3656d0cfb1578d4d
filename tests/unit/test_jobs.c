/*
 * test_jobs.c - x-deployctl.jobs: the parser fills the job model (phase,
 * needs, timeout, artifact, irreversible, and the keys it shares with a
 * service, read by the same readers), the artifact's $DEPLOYCTL_* are
 * expanded, and a job run and definition round-trip through the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/jobs.h"
#include "deployctl/manifest.h"
#include "deployctl/store.h"
#include "store_fixture.h"

static int no_read(void *ctx, char **out, size_t *len, const char *path, struct err *err)
{
	(void)ctx;
	(void)out;
	(void)len;
	return err_set(err, ERR_NOTFOUND, "'%s' not found", path);
}

static const struct source mem_src = { NULL, "mem", no_read, NULL, NULL, NULL, NULL };

static struct project *load(const char *text, struct errlist *errs)
{
	const char *names[] = { "manifests/a.yml" };
	const char *texts[] = { text };
	struct manifest_vars vars;
	struct manifest_opts opts = { .dir = "manifests", .vars = &vars };
	struct project *p = NULL;

	manifest_vars_init(&vars);
	kvv_set(&vars.vars, "TAG", "16");
	errlist_init(errs);
	manifest_load_texts(&p, names, texts, 1, &mem_src, &opts, errs, NULL);
	manifest_vars_release(&vars);
	return p;
}

static const char stack[] =
        "name: shop\n"
        "services:\n"
        "  postgres: {image: pg, networks: [back]}\n"
        "  api: {image: api}\n"
        "networks: {back: {}}\n"
        "volumes: {backups: {}}\n"
        "x-deployctl:\n"
        "  jobs:\n"
        "    migrate:\n"
        "      phase: after_dependencies\n"
        "      needs: [postgres, api]\n"
        "      image: registry.example/api:1.4\n"
        "      command: [\"./migrate\", \"up\"]\n"
        "      irreversible: true\n"
        "    backup:\n"
        "      phase: before\n"
        "      image: postgres:${TAG}\n"
        "      command: [\"sh\", \"-c\", \"pg_dump > /backups/release-$$DEPLOYCTL_RELEASE.sql\"]\n"
        "      environment: {PGPASSWORD: x, MODE: full}\n"
        "      volumes: [\"backups:/backups\"]\n"
        "      networks: [back]\n"
        "      timeout: 120s\n"
        "      artifact: /backups/release-$$DEPLOYCTL_RELEASE.sql\n";

static void test_jobs__parse(void)
{
	struct errlist errs;
	struct project *p = load(stack, &errs);
	const struct project_job *b, *m;

	CHECK(p != NULL);
	CHECK_INT(errs.n, 0);
	if (!p)
		return;
	CHECK_INT(p->njobs, 2);
	b = model_job_find(p, "backup");
	m = model_job_find(p, "migrate");
	CHECK(b && m);
	if (!b || !m)
		goto out;
	CHECK_STR(p->jobs[0].svc.name, "backup"); /* sorted by name */
	CHECK_INT(b->phase, JOB_BEFORE);
	CHECK_STR(b->svc.image, "postgres:16");
	CHECK_INT(b->timeout_ns, 120LL * 1000000000LL);
	CHECK_STR(b->artifact, "/backups/release-$DEPLOYCTL_RELEASE.sql");
	CHECK_INT(b->svc.command.n, 3);
	CHECK_STR(b->svc.command.v[2], "pg_dump > /backups/release-$DEPLOYCTL_RELEASE.sql");
	CHECK_STR(kvv_get(&b->svc.env, "MODE"), "full");
	CHECK_INT(b->svc.nmounts, 1);
	CHECK_STR(b->svc.mounts[0].source, "backups");
	CHECK_INT(b->svc.nnetworks, 1);
	CHECK_STR(b->svc.networks[0].name, "back");
	CHECK(!b->irreversible);
	CHECK_INT(m->phase, JOB_AFTER_DEPENDENCIES);
	CHECK_INT(m->timeout_ns, 0); /* JOB_TIMEOUT_DEFAULT_NS when run */
	CHECK(m->irreversible);
	CHECK_INT(m->needs.n, 2);
	CHECK_STR(m->needs.v[0], "api");
	CHECK_STR(m->needs.v[1], "postgres");
	/* No networks: the implicit default, which the project then has. */
	CHECK_STR(m->svc.networks[0].name, "default");
	CHECK(model_res_find(p, RES_NETWORK, "default") != NULL);
	/* Jobs are no services. */
	CHECK_INT(p->nservices, 2);
out:
	model_project_free(p);
}

static void test_jobs__errors(void)
{
	struct errlist errs;
	struct project *p = load("name: shop\n"
	                         "services: {api: {image: api}}\n"
	                         "x-deployctl:\n"
	                         "  jobs:\n"
	                         "    m: {phase: after_dependencies, needs: [db], image: x}\n"
	                         "    n: {phase: before, image: x, restart: always}\n",
	                         &errs);
	char buf[512];

	CHECK(p == NULL);
	CHECK_INT(errs.n, 2);
	if (errs.n == 2) {
		CHECK_STR(
		        err_format(buf, sizeof(buf), &errs.items[0]),
		        "manifests/a.yml:5:44: x-deployctl.jobs.m.needs[0]: unknown service 'db'");
		CHECK(strstr(err_format(buf, sizeof(buf), &errs.items[1]),
		             "manifests/a.yml:6:34: x-deployctl.jobs.n: unknown key 'restart'") !=
		      NULL);
	}
	model_project_free(p);
}

static void test_jobs__expand(void)
{
	char *out = NULL;

	CHECK_INT(jobs_expand(&out, "/b/release-$DEPLOYCTL_RELEASE.sql", "41", "abc", "shop"), 0);
	CHECK_STR(out, "/b/release-41.sql");
	free(out);
	CHECK_INT(jobs_expand(&out,
	                      "${DEPLOYCTL_PROJECT}-${DEPLOYCTL_COMMIT}/$DEPLOYCTL_RELEASEX $HOME",
	                      "41", "abc", "shop"),
	          0);
	CHECK_STR(out, "shop-abc/$DEPLOYCTL_RELEASEX $HOME");
	free(out);
}

static void test_jobs__store(void)
{
	struct store *s = open_memory();
	struct err err = ERR_INIT;
	struct store_job_run run = { .name = "backup",
		                     .phase = "before",
		                     .status = "succeeded",
		                     .exit_code = 0,
		                     .duration_s = 1.5,
		                     .log_tail = "done\n",
		                     .artifact = "/b/release-1.sql",
		                     .artifact_volume = "backups",
		                     .image = "pg:16" };
	struct store_job_spec spec = { .name = "migrate",
		                       .phase = "after_dependencies",
		                       .spec_json = "{}",
		                       .timeout_ns = 5,
		                       .irreversible = true };
	struct store_job_row *rows = NULL;
	struct store_job_spec_row *specs = NULL;
	size_t n = 0, ns = 0;
	int64_t id;

	if (!s)
		return;
	id = begin(s, "shop", "h", 0);
	CHECK_INT(store_release_job_add(s, id, &run, &err), 0);
	run.name = "migrate";
	run.status = "timed_out";
	run.exit_code = -1;
	run.artifact = run.artifact_volume = NULL;
	run.irreversible = true;
	CHECK_INT(store_release_job_add(s, id, &run, &err), 0);
	CHECK_INT(store_release_job_spec_add(s, id, &spec, &err), 0);
	CHECK_INT(store_release_jobs(&rows, &n, s, id, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(rows[0].artifact, "/b/release-1.sql");
		CHECK_STR(rows[0].artifact_volume, "backups");
		CHECK_INT(rows[0].exit_code, 0);
		CHECK_INT(rows[1].exit_code, -1);
		CHECK_STR(rows[1].status, "timed_out");
		CHECK(rows[1].irreversible && !rows[0].irreversible);
		CHECK(rows[1].artifact == NULL);
	}
	CHECK_INT(store_release_job_specs(&specs, &ns, s, id, &err), 0);
	CHECK_INT(ns, 1);
	if (ns == 1) {
		CHECK_STR(specs[0].name, "migrate");
		CHECK_INT(specs[0].timeout_ns, 5);
		CHECK(specs[0].irreversible);
	}
	store_job_rows_free(rows, n);
	store_job_spec_rows_free(specs, ns);
	store_free(s);
}

int main(void)
{
	RUN(test_jobs__parse);
	RUN(test_jobs__errors);
	RUN(test_jobs__expand);
	RUN(test_jobs__store);
	return CHECK_DONE();
}
