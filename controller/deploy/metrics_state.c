/*
 * metrics_state.c - the metrics of `deployctl metrics`, read back from the
 * state database (every release's status, kind and duration; the current
 * release's services) and one Docker list call over every project, so a
 * host that runs only the CLI can feed node_exporter's textfile collector
 * the same families serve's /metrics has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/clock.h"
#include "deployctl/metrics.h"
#include "deployctl/reconcile.h"

/* "2026-11-25T12:00:03Z" as unix seconds; 0 when it does not parse. */
static double iso_unix(const char *s)
{
	int y, mo, d, h, mi, sec;
	long long days;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 || mo < 1 ||
	    mo > 12)
		return 0;
	days = clock_days_from_civil(y, (unsigned)mo, (unsigned)d);
	return (double)(days * 86400 + h * 3600 + mi * 60 + sec);
}

static struct metrics_project *project_get(struct metrics_project **v, size_t *n, size_t *cap,
                                           const char *name)
{
	struct metrics_project *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, name))
			return &(*v)[i];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		nv = realloc(*v, *cap * sizeof(*nv));
		if (!nv)
			return NULL;
		*v = nv;
	}
	nv = &(*v)[(*n)++];
	memset(nv, 0, sizeof(*nv));
	snprintf(nv->name, sizeof(nv->name), "%s", name);
	nv->up_to_date = -1;
	return nv;
}

/* Count one release row (newest first) into p; *current gets the current release's id. */
static void count_row(struct metrics_project *p, const struct store_release *r, int64_t *current)
{
	double end = iso_unix(r->finished_at);

	if (!p->last_release) {
		p->last_release = r->id;
		p->last_release_time = end;
	}
	if (!strcmp(r->kind, "rollback"))
		p->manual_rollbacks++;
	if (!strcmp(r->status, "succeeded") && !p->last_success_time)
		p->last_success_time = end;
	if (!*current && (!strcmp(r->status, "succeeded") || !strcmp(r->status, "interrupted")))
		*current = r->id;
	if (!strcmp(r->status, "running"))
		return;
	if (r->duration_s >= 0) {
		double sec = r->duration_s;
		size_t k;

		for (k = 0; k < METRICS_NBUCKETS; k++)
			if (sec <= metrics_buckets[k])
				p->duration_buckets[k]++;
		p->duration_count++;
		p->duration_sum += sec;
	}
	if (!strcmp(r->status, "succeeded"))
		p->releases[METRICS_SUCCEEDED]++;
	else if (!strcmp(r->status, "failed"))
		p->releases[METRICS_FAILED]++;
	else if (!strcmp(r->status, "rolled_back"))
		p->releases[METRICS_ROLLED_BACK]++;
	else if (!strcmp(r->status, "interrupted"))
		p->releases[METRICS_INTERRUPTED]++;
}

static int desired(struct metrics_project *p, struct store *s, int64_t release, struct err *err)
{
	struct store_service_row *rows = NULL;
	size_t n = 0, i;

	if (!release)
		return 0;
	if (store_release_services(&rows, &n, s, release, err) < 0)
		return err->code;
	for (i = 0; i < n; i++)
		p->desired += rows[i].replicas;
	store_service_rows_free(rows, n);
	return 0;
}

/* Running and healthy per project from one list of every deployctl container. */
static void observe(struct metrics_project *v, size_t n, const struct docker_container *c,
                    size_t nc)
{
	size_t i, k;

	for (i = 0; i < nc; i++) {
		if (!c[i].project || !c[i].state || strcmp(c[i].state, "running") || !c[i].name ||
		    reconcile_is_retained(c[i].name))
			continue;
		for (k = 0; k < n && strcmp(v[k].name, c[i].project); k++)
			;
		if (k == n)
			continue;
		v[k].running++;
		/* Docker's status text ends in "(healthy)", "(unhealthy)" or "(health: starting)"
		 */
		v[k].healthy += !c[i].status || (!strstr(c[i].status, "(unhealthy)") &&
		                                 !strstr(c[i].status, "(health: starting)"));
	}
}

int metrics_from_state(struct metrics_project **out, size_t *n_out, int *docker_up, struct store *s,
                       struct docker *d, const char *project, struct err *err)
{
	struct metrics_project *v = NULL, *p;
	struct store_release *rows = NULL;
	struct docker_container *c = NULL;
	int64_t *current = NULL;
	size_t nrows = 0, n = 0, cap = 0, nc = 0, i, k;
	struct err derr = ERR_INIT;
	int rc;

	*docker_up = 0;
	rc = store_release_list(&rows, &nrows, s, project, 0, err);
	if (rc < 0)
		goto out;
	current = calloc(nrows + 1, sizeof(*current));
	if (!current) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nrows; i++) {
		p = project_get(&v, &n, &cap, rows[i].project);
		if (!p) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		count_row(p, &rows[i], &current[p - v]);
	}
	for (k = 0; k < n; k++) {
		rc = desired(&v[k], s, current[k], err);
		if (rc < 0)
			goto out;
	}
	if (d && docker_container_list(&c, &nc, d, project, &derr) == 0) {
		*docker_up = 1;
		observe(v, n, c, nc);
	}
	*out = v;
	*n_out = n;
	v = NULL;
	rc = 0;
out:
	docker_container_list_free(c, nc);
	store_release_list_free(rows, nrows);
	free(current);
	free(v);
	return rc;
}
