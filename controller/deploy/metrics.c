/*
 * metrics.c - deployctl's metrics as Prometheus text (exposition format
 * 0.0.4): names deployctl_* in base units (seconds), counters ending in
 * _total, one HELP and TYPE line per family, label values escaped. One
 * renderer for the watcher's live counters (serve's /metrics) and for the
 * numbers read back from the state (deployctl metrics, metrics_state.c).
 */
#include "deployctl/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "deployctl/err.h"

const double metrics_buckets[METRICS_NBUCKETS] = { 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300 };

static const char *const status_names[METRICS_NSTATUS] = {
	[METRICS_SUCCEEDED] = "succeeded",
	[METRICS_FAILED] = "failed",
	[METRICS_ROLLED_BACK] = "rolled_back",
	[METRICS_INTERRUPTED] = "interrupted",
};

void metrics_release(struct metrics_project *p, const char *status, double seconds, int64_t release,
                     double unix_time)
{
	size_t i;

	for (i = 0; i < METRICS_NSTATUS; i++)
		if (!strcmp(status, status_names[i]))
			p->releases[i]++;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			p->duration_buckets[i]++;
	p->duration_count++;
	p->duration_sum += seconds;
	p->last_release = release;
	p->last_release_time = unix_time;
	if (!strcmp(status, "succeeded"))
		p->last_success_time = unix_time;
}

/* A label value: backslash, double quote and newline escaped. */
static int label(struct buf *b, const char *v)
{
	int rc = 0;

	for (; rc == 0 && *v; v++) {
		if (*v == '\\' || *v == '"')
			rc = buf_putc(b, '\\') < 0 ? -1 : buf_putc(b, *v);
		else if (*v == '\n')
			rc = buf_puts(b, "\\n");
		else
			rc = buf_putc(b, *v);
	}
	return rc;
}

static int family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per project: name{project="..."} value. */
#define PER_PROJECT(b, family_name, fmt, expr)                                                     \
	do {                                                                                       \
		for (i = 0; rc == 0 && i < n; i++) {                                               \
			const struct metrics_project *p = projects[i];                             \
			rc = buf_printf(b, "%s{project=\"", family_name);                          \
			rc = rc ? rc : label(b, p->name);                                          \
			rc = rc ? rc : buf_printf(b, "\"} " fmt "\n", expr);                       \
		}                                                                                  \
	} while (0)

/* A family's HELP and TYPE lines, then its sample per project (the two always go together). */
#define PROJECT_FAMILY(b, family_name, type, help, fmt, expr)                                      \
	do {                                                                                       \
		rc = rc ? rc : family(b, family_name, type, help);                                 \
		PER_PROJECT(b, family_name, fmt, expr);                                            \
	} while (0)

struct simple_family {
	const char *name, *type, *help;
	size_t offset; /* of a uint64_t in struct metrics_project */
};

static const struct simple_family counters[] = {
	{ "deployctl_drift_detected_total", "counter",
	  "Times the running containers of a project were found to differ from its commit.",
	  offsetof(struct metrics_project, drift) },
	{ "deployctl_fetch_errors_total", "counter",
	  "Failed fetches or reads of a project's repository.",
	  offsetof(struct metrics_project, fetch_errors) },
	{ "deployctl_apply_errors_total", "counter",
	  "Reconciles that could not run (Docker unreachable, bad manifests, locked state).",
	  offsetof(struct metrics_project, apply_errors) },
	{ "deployctl_ticks_total", "counter", "Reconcile ticks run for a project.",
	  offsetof(struct metrics_project, ticks) },
	{ "deployctl_noop_ticks_total", "counter", "Ticks that found nothing to do.",
	  offsetof(struct metrics_project, noop_ticks) },
};

int metrics_render(struct buf *b, enum metrics_source src,
                   const struct metrics_project *const *projects, size_t n,
                   const struct metrics_webhook *webhooks, size_t nwebhooks, double started,
                   int docker_up)
{
	const bool state = src == METRICS_FROM_STATE;
	size_t i, k;
	int rc;

	rc = family(b, "deployctl_releases_total", "counter",
	            state ? "Releases recorded in the state database, by project and final status."
	                  : "Releases run by the watcher, by project and final status.");
	for (i = 0; rc == 0 && i < n; i++)
		for (k = 0; rc == 0 && k < METRICS_NSTATUS; k++) {
			rc = buf_puts(b, "deployctl_releases_total{project=\"");
			rc = rc ? rc : label(b, projects[i]->name);
			rc = rc ? rc
			        : buf_printf(b, "\",status=\"%s\"} %llu\n", status_names[k],
			                     (unsigned long long)projects[i]->releases[k]);
		}
	PROJECT_FAMILY(b, "deployctl_rollbacks_total", "counter",
	               "Releases undone by the automatic rollback after a failed health gate.",
	               "%llu", (unsigned long long)p->releases[METRICS_ROLLED_BACK]);
	rc = rc ? rc
	        : family(b, "deployctl_apply_duration_seconds", "histogram",
	                 "Time from the first action of a release to its outcome.");
	for (i = 0; rc == 0 && i < n; i++) {
		const struct metrics_project *p = projects[i];

		for (k = 0; rc == 0 && k <= METRICS_NBUCKETS; k++) {
			rc = buf_puts(b, "deployctl_apply_duration_seconds_bucket{project=\"");
			rc = rc ? rc : label(b, p->name);
			if (rc == 0 && k < METRICS_NBUCKETS)
				rc = buf_printf(b, "\",le=\"%g\"} %llu\n", metrics_buckets[k],
				                (unsigned long long)p->duration_buckets[k]);
			else if (rc == 0)
				rc = buf_printf(b, "\",le=\"+Inf\"} %llu\n",
				                (unsigned long long)p->duration_count);
		}
		rc = rc ? rc : buf_puts(b, "deployctl_apply_duration_seconds_sum{project=\"");
		rc = rc ? rc : label(b, p->name);
		rc = rc ? rc : buf_printf(b, "\"} %.3f\n", p->duration_sum);
		rc = rc ? rc : buf_puts(b, "deployctl_apply_duration_seconds_count{project=\"");
		rc = rc ? rc : label(b, p->name);
		rc = rc ? rc : buf_printf(b, "\"} %llu\n", (unsigned long long)p->duration_count);
	}
	PROJECT_FAMILY(b, "deployctl_last_release", "gauge",
	               "Number of the project's latest release (0: none yet).", "%lld",
	               (long long)p->last_release);
	PROJECT_FAMILY(b, "deployctl_last_release_timestamp_seconds", "gauge",
	               "When the project's latest release ended, unix time.", "%.0f",
	               p->last_release_time);
	PROJECT_FAMILY(b, "deployctl_last_success_timestamp_seconds", "gauge",
	               "When the latest succeeded release ended, unix time (0: none).", "%.0f",
	               p->last_success_time);
	PROJECT_FAMILY(b, "deployctl_services_desired", "gauge",
	               state ? "Containers the current release asks for (replicas summed)."
	                     : "Containers the project's commit asks for (replicas summed).",
	               "%u", p->desired);
	if (state) {
		PROJECT_FAMILY(b, "deployctl_manual_rollbacks_total", "counter",
		               "Releases of kind rollback (deployctl rollback).", "%llu",
		               (unsigned long long)p->manual_rollbacks);
		rc = rc ? rc
		        : family(b, "deployctl_docker_up", "gauge",
		                 "1 when the Docker daemon answered the container list call.");
		rc = rc ? rc : buf_printf(b, "deployctl_docker_up %d\n", docker_up ? 1 : 0);
		if (!docker_up) /* running and healthy are unknown: no samples rather than zeros */
			return rc ? ERR_NOMEM : 0;
	}
	PROJECT_FAMILY(b, "deployctl_services_running", "gauge",
	               "The project's containers that are running.", "%u", p->running);
	PROJECT_FAMILY(b, "deployctl_services_healthy", "gauge",
	               "Running containers whose health check passes (or that have none).", "%u",
	               p->healthy);
	if (state)
		return rc ? ERR_NOMEM : 0;
	PROJECT_FAMILY(b, "deployctl_up_to_date", "gauge",
	               "1 when the last tick found the project converged to its commit.", "%d",
	               p->up_to_date > 0 ? 1 : 0);
	for (k = 0; rc == 0 && k < sizeof(counters) / sizeof(counters[0]); k++) {
		rc = family(b, counters[k].name, counters[k].type, counters[k].help);
		const size_t off = counters[k].offset;

		PER_PROJECT(b, counters[k].name, "%llu",
		            (unsigned long long)*(const uint64_t *)(const void *)((const char *)p +
		                                                                  off));
	}
	rc = rc ? rc
	        : family(b, "deployctl_webhook_requests_total", "counter",
	                 "Webhook requests by outcome (accepted, or why refused).");
	for (i = 0; rc == 0 && i < nwebhooks; i++)
		rc = buf_printf(b, "deployctl_webhook_requests_total{result=\"%s\"} %llu\n",
		                webhooks[i].result, (unsigned long long)webhooks[i].n);
	rc = rc ? rc
	        : family(b, "deployctl_webhook_errors_total", "counter",
	                 "Webhook requests refused (bad or missing signature, replay, size, "
	                 "rate, malformed body).");
	if (rc == 0) {
		uint64_t errors = 0;

		for (i = 0; i < nwebhooks; i++)
			if (strcmp(webhooks[i].result, "accepted") &&
			    strcmp(webhooks[i].result, "ping"))
				errors += webhooks[i].n;
		rc = buf_printf(b, "deployctl_webhook_errors_total %llu\n",
		                (unsigned long long)errors);
	}
	rc = rc ? rc
	        : family(b, "deployctl_start_time_seconds", "gauge",
	                 "When this deployctl process started, unix time.");
	rc = rc ? rc : buf_printf(b, "deployctl_start_time_seconds %.0f\n", started);
	return rc ? ERR_NOMEM : 0;
}
