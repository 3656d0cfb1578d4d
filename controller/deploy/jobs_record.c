/*
 * jobs_record.c - what is kept of a release's jobs and what is read back:
 * the definitions recorded with the snapshot (so rollback runs a
 * release's rollback jobs from the state database alone), the refusal to
 * roll back past an irreversible release without --force (naming the
 * backup artifact its before job left), the jobs shown by `show N`, and
 * the jobs `plan` says apply would run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/jobs.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"
#include "deployctl/store.h"

int jobs_record_specs(struct ctx *ctx, const struct deploy *dp, int64_t release,
                      int64_t from_release, struct err *err)
{
	const struct project *p = dp->project;
	struct store_job_spec_row *rows = NULL;
	struct err ignored = ERR_INIT;
	const struct hash_key *k;
	size_t i, n = 0;
	int rc = 0;

	if (dp->from_snapshot) {
		/* A rollback release runs its target's state: its target's definitions. */
		/* None readable (a database without schema 12's tables): nothing to copy. */
		if (from_release &&
		    store_release_job_specs(&rows, &n, ctx->store, from_release, &ignored) < 0)
			n = 0;
		for (i = 0; rc == 0 && i < n; i++) {
			struct store_job_spec spec = { rows[i].name,       rows[i].phase,
				                       rows[i].spec_json,  rows[i].artifact,
				                       rows[i].timeout_ns, rows[i].irreversible };

			rc = store_release_job_spec_add(ctx->store, release, &spec, err);
		}
		store_job_spec_rows_free(rows, n);
		return rc;
	}
	if (!p->njobs)
		return 0;
	if (!(k = store_key(ctx->store, err)))
		return err->code;
	for (i = 0; rc == 0 && i < p->njobs; i++) {
		const struct project_job *j = &p->jobs[i];
		char *json = NULL;
		struct store_job_spec spec = {
			.name = j->svc.name,
			.phase = model_job_phase_name(j->phase),
			.artifact = j->artifact,
			.timeout_ns = j->timeout_ns > 0 ? j->timeout_ns : JOB_TIMEOUT_DEFAULT_NS,
			.irreversible = j->irreversible,
		};

		rc = spec_render(&json, k, p, &j->svc, true, err);
		spec.spec_json = json;
		if (rc == 0)
			rc = store_release_job_spec_add(ctx->store, release, &spec, err);
		free(json);
	}
	return rc;
}

/* Was release r (irreversible) already rolled past: a later rollback, by current, to before it? */
static bool rolled_past(const struct store_release *v, size_t n, int64_t r, int64_t current)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id > r && v[i].id <= current && !strcmp(v[i].kind, "rollback") &&
		    !strcmp(v[i].status, "succeeded") && v[i].rollback_of < r)
			return true;
	return false;
}

/* The irreversible job release r ran successfully, and the artifact of its before job. */
static int irreversible_of(char **job, char **artifact, char **volume, struct store *s, int64_t r,
                           struct err *err)
{
	struct store_job_row *rows = NULL;
	struct err ignored = ERR_INIT;
	size_t i, n = 0;
	int rc = 0;

	(void)err;
	/* No jobs readable (a database without schema 12's tables): none ran. */
	if (store_release_jobs(&rows, &n, s, r, &ignored) < 0)
		n = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (!*job && rows[i].irreversible && !strcmp(rows[i].status, "succeeded") &&
		    !(*job = strdup(rows[i].name)))
			rc = err_set(err, ERR_NOMEM, "out of memory");
		if (!*artifact && rows[i].artifact && !strcmp(rows[i].phase, "before")) {
			*artifact = strdup(rows[i].artifact);
			*volume = rows[i].artifact_volume ? strdup(rows[i].artifact_volume) : NULL;
		}
	}
	store_job_rows_free(rows, n);
	return rc;
}

int jobs_rollback_check(struct ctx *ctx, const char *project, int64_t target, int64_t current,
                        bool force)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	size_t i, n = 0;
	int ex = EXIT_OK;

	if (store_release_list(&v, &n, ctx->store, project, 0, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	for (i = 0; i < n && ex == EXIT_OK; i++) {
		char *job = NULL, *artifact = NULL, *volume = NULL;

		if (v[i].id <= target || v[i].id > current || strcmp(v[i].kind, "apply") ||
		    (strcmp(v[i].status, "succeeded") && strcmp(v[i].status, "interrupted")) ||
		    rolled_past(v, n, v[i].id, current))
			continue;
		if (irreversible_of(&job, &artifact, &volume, ctx->store, v[i].id, &err) < 0) {
			cmd_report(&err);
			ex = cmd_exit_for(err.code);
		} else if (job && force) {
			/* stderr: stdout may be the --json document */
			fprintf(stderr,
			        "deployctl: release %lld ran irreversible job '%s': rolling back past "
			        "it (--force)%s%s%s%s\n",
			        (long long)v[i].id, job, artifact ? "; its backup is " : "",
			        artifact ? artifact : "", volume ? " in volume " : "",
			        volume ? volume : "");
		} else if (job) {
			fprintf(stderr, "deployctl: release %lld ran irreversible job '%s': ",
			        (long long)v[i].id, job);
			if (artifact)
				fprintf(stderr, "restore %s%s%s first, or --force\n", artifact,
				        volume ? " from volume " : "", volume ? volume : "");
			else
				fprintf(stderr,
				        "no backup artifact was recorded by a before job; restore the "
				        "data by hand first, or --force\n");
			ex = EXIT_USAGE;
		}
		free(job);
		free(artifact);
		free(volume);
	}
	store_release_list_free(v, n);
	return ex;
}

/* Secret env values of a job parsed back from its redacted spec: by key, from vars. */
static void job_secret_env(struct service *s, const struct kvv *vars)
{
	size_t i;

	for (i = 0; i < s->env.n; i++) {
		const char *now = kvv_get(vars, s->env.v[i].key);
		char *copy;

		if (!model_secret_is_shown(s->env.v[i].value) || !now || !(copy = strdup(now)))
			continue;
		free(s->env.v[i].value);
		s->env.v[i].value = copy;
	}
}

int jobs_load_rollback(struct deploy *dp, struct ctx *ctx, int64_t current, const struct kvv *vars)
{
	struct store_job_spec_row *rows = NULL;
	struct project *p = dp->project;
	struct err err = ERR_INIT;
	size_t i, n = 0;
	int rc = 0;

	/* None readable (a database without schema 12's tables): no rollback jobs. */
	if (current && store_release_job_specs(&rows, &n, ctx->store, current, &err) < 0) {
		err_clear(&err);
		n = 0;
	}

	for (i = 0; rc == 0 && i < n; i++) {
		struct project_job *nj, *j;

		if (strcmp(rows[i].phase, "rollback"))
			continue;
		nj = realloc(p->jobs, (p->njobs + 1) * sizeof(*nj));
		if (!nj) {
			rc = err_set(&err, ERR_NOMEM, "out of memory");
			break;
		}
		p->jobs = nj;
		j = &nj[p->njobs];
		memset(j, 0, sizeof(*j));
		rc = spec_parse(&j->svc, rows[i].spec_json, &err);
		if (rc < 0) {
			model_job_release(j);
			break;
		}
		p->njobs++;
		if (j->svc.redacted.n) {
			rc = err_set(
			        &err, ERR_INVALID,
			        "x-deployctl.jobs.%s: release %lld holds its %s with a secret "
			        "variable's value scrubbed out, so the rollback job cannot run "
			        "from the snapshot",
			        j->svc.name, (long long)current, j->svc.redacted.v[0]);
			break;
		}
		j->phase = JOB_ROLLBACK;
		j->timeout_ns = rows[i].timeout_ns;
		j->irreversible = rows[i].irreversible;
		job_secret_env(&j->svc, vars);
	}
	store_job_spec_rows_free(rows, n);
	if (rc < 0) {
		cmd_report(&err);
		return rc == ERR_INVALID ? EXIT_USAGE : cmd_exit_for(rc);
	}
	return EXIT_OK;
}

/* The last lines of a job's output (the record keeps up to JOBS_LOG_TAIL bytes). */
static void show_tail(FILE *f, const char *line)
{
	const char *end = line + strlen(line), *nl;
	unsigned lines = 0;
	char buf[512];
	size_t len;

	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (nl = line; nl < end; nl++)
		lines += *nl == '\n';
	for (; lines > 9 && (nl = strchr(line, '\n')); lines--)
		line = nl + 1;
	fputs("    output:\n", f);
	while (line < end) {
		len = strcspn(line, "\n");
		if (line + len > end)
			len = (size_t)(end - line);
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < 500 ? len : 500), line);
		out_safe_between(f, "      ", buf, "\n");
		line += len + (line[len] == '\n');
	}
}

int jobs_show(struct ctx *ctx, int64_t release, bool json, FILE *f)
{
	struct store_job_row *rows = NULL;
	struct err err = ERR_INIT;
	size_t i, n = 0;

	if (store_release_jobs(&rows, &n, ctx->store, release, &err) < 0) {
		/* A database from before schema 12 has no jobs to show. */
		if (json)
			fputs(",\"jobs\":[]", f);
		return 0;
	}
	if (json)
		fputs(",\"jobs\":[", f);
	else if (n)
		fputs("jobs:\n", f);
	for (i = 0; i < n; i++) {
		const struct store_job_row *r = &rows[i];

		if (json) {
			fprintf(f, "%s{\"name\":", i ? "," : "");
			out_json_str(f, r->name);
			out_json_field(f, "phase", r->phase);
			out_json_field(f, "status", r->status);
			if (r->exit_code >= 0)
				fprintf(f, ",\"exit_code\":%d", r->exit_code);
			else
				fputs(",\"exit_code\":null", f);
			fprintf(f, ",\"duration_s\":%.3f,\"irreversible\":%s", r->duration_s,
			        r->irreversible ? "true" : "false");
			out_json_field(f, "image", r->image);
			out_json_field(f, "artifact", r->artifact);
			out_json_field(f, "artifact_volume", r->artifact_volume);
			out_json_field(f, "error", r->error);
			out_json_field(f, "log_tail", r->log_tail);
			fputc('}', f);
			continue;
		}
		fprintf(f, "  %-16s %-18s %-9s", r->name, r->phase, r->status);
		if (r->exit_code >= 0)
			fprintf(f, " exit %d", r->exit_code);
		fprintf(f, " in %.1fs%s\n", r->duration_s,
		        r->irreversible ? " (irreversible)" : "");
		if (r->artifact) {
			fputs("    artifact:  ", f);
			out_safe(f, r->artifact);
			if (r->artifact_volume)
				out_safe_between(f, " (volume ", r->artifact_volume, ")");
			fputc('\n', f);
		}
		if (r->error)
			out_safe_between(f, "    error:     ", r->error, "\n");
		if (r->log_tail && *r->log_tail)
			show_tail(f, r->log_tail);
	}
	if (json)
		fputc(']', f);
	store_job_rows_free(rows, n);
	return 0;
}

static bool job_image_present(struct ctx *ctx, const char *image)
{
	const char *refs[1] = { image };
	char *ids[1] = { NULL };
	struct err ignored = ERR_INIT;
	bool present;

	if (docker_image_resolve(ids, ctx->docker, refs, 1, &ignored) < 0)
		return true; /* unknown: say nothing */
	present = ids[0] != NULL;
	free(ids[0]);
	return present;
}

/* ,"jobs":[...]: what apply would run with this plan (nothing for an empty plan). */
static void print_planned_json(const struct deploy *dp, FILE *f)
{
	const struct project *p = dp->project;
	size_t i, k, n = 0;

	fputs(",\"jobs\":[", f);
	for (i = 0; dp->plan.n && i < p->njobs; i++) {
		const struct project_job *j = &p->jobs[i];

		if (j->phase == JOB_ROLLBACK)
			continue;
		fprintf(f, "%s{\"name\":", n++ ? "," : "");
		out_json_str(f, j->svc.name);
		fprintf(f, ",\"phase\":\"%s\",\"image\":", model_job_phase_name(j->phase));
		out_json_str(f, j->svc.image);
		fputs(",\"needs\":[", f);
		for (k = 0; k < j->needs.n; k++) {
			fputs(k ? "," : "", f);
			out_json_str(f, j->needs.v[k]);
		}
		fprintf(f, "],\"irreversible\":%s}", j->irreversible ? "true" : "false");
	}
	fputc(']', f);
}

void jobs_print_planned(const struct deploy *dp, struct ctx *ctx, bool json, FILE *f)
{
	const struct project *p = dp->project;
	size_t i;

	if (json) {
		print_planned_json(dp, f);
		return;
	}
	if (!dp->plan.n || !p->njobs)
		return;
	for (i = 0; i < p->njobs; i++) {
		const struct project_job *j = &p->jobs[i];

		if (j->phase == JOB_ROLLBACK) {
			fprintf(f,
			        "job %s (rollback): recorded; runs on a rollback from this release\n",
			        j->svc.name);
			continue;
		}
		fprintf(f, "job %s (%s) would run %s", j->svc.name, model_job_phase_name(j->phase),
		        j->svc.image);
		if (j->needs.n) {
			size_t k;

			fputs(" once up:", f);
			for (k = 0; k < j->needs.n; k++)
				fprintf(f, " %s", j->needs.v[k]);
		}
		fprintf(f, "%s\n", j->irreversible ? " (irreversible)" : "");
		/* plan never pulls: it says that apply will. */
		if (ctx && ctx->docker && !job_image_present(ctx, j->svc.image) &&
		    !deploy_pull_noted(dp, i, j->svc.image))
			fprintf(f, "note: image %s: not present, apply will pull it\n",
			        j->svc.image);
	}
}
