/*
 * smoke.c - the smoke checks of a release: HTTP requests against the
 * ports the stack publishes on this host, or from a one-off container on
 * a project network (smoke_net.c), once the rollout succeeded.
 * Each check is tried up to its retries, its interval apart; the first
 * check that still fails stops the run, and the release is undone by the
 * same path as a failed health gate (engine/reconcile_apply.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/clock.h"
#include "deployctl/httpc.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/release_checks.h"
#include "deployctl/sig.h"
#include "deployctl/smoke_net.h"

/* Bytes of a response searched for body_contains. */
#define SMOKE_BODY_MAX (256u << 10)

/* Does the response pass k? 1 yes, 0 no with why in reason. */
static int verdict(const struct smoke_check *k, const struct httpc_resp *r, const char *want_value,
                   char *reason, size_t size)
{
	if (r->status != k->expect_status) {
		snprintf(reason, size, "status %ld, expected %lld", r->status,
		         (long long)k->expect_status);
		return 0;
	}
	if (k->body_contains && !strstr(r->body ? r->body : "", k->body_contains)) {
		snprintf(reason, size,
		         "status %ld, but the body (%zu bytes%s) does not contain \"%s\"",
		         r->status, r->body_len, r->truncated ? ", cut" : "", k->body_contains);
		return 0;
	}
	if (k->header && !r->header) {
		snprintf(reason, size, "status %ld, but no header '%.*s' came", r->status,
		         (int)strcspn(k->header, ":"), k->header);
		return 0;
	}
	if (k->header && !strstr(r->header, want_value)) {
		snprintf(reason, size,
		         "status %ld, but header '%.*s' is \"%.200s\", expected \"%s\"", r->status,
		         (int)strcspn(k->header, ":"), k->header, r->header, want_value);
		return 0;
	}
	return 1;
}

/* Wait ms, waking for a stop request. */
static void pause_ms(long ms)
{
	long until = clock_mono_ms() + ms;

	while (!sig_pending() && clock_mono_ms() < until)
		clock_sleep_ms(until - clock_mono_ms() < 100 ? until - clock_mono_ms() : 100);
}

/* One request of k: on this host, or from inside its network (smoke_net.c). */
static int request(struct httpc_resp *resp, const struct httpc_req *req,
                   const struct smoke_check *k, struct smoke_net *net, struct err *err)
{
	if (k->network)
		return smoke_net_request(resp, net, k, req->header_want, req->max_body, err);
	return httpc_request(resp, req, err);
}

static void check_one(struct smoke_result *res, const struct smoke_check *k, struct smoke_net *net)
{
	char name[128] = "", *value = NULL;
	struct httpc_resp resp = { 0 };
	struct httpc_req req = {
		.method = k->method,
		.url = k->url,
		.timeout_ms = (long)(k->timeout_ns / 1000000),
		.max_body = SMOKE_BODY_MAX,
	};
	double t0 = clock_mono();
	unsigned n;

	if (k->header) {
		size_t nl = strcspn(k->header, ":");

		snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) ? nl : 0), k->header);
		value = k->header[nl] ? k->header + nl + 1 : (char *)"";
		value += strspn(value, " \t");
		req.header_want = name;
	}
	res->ran = true;
	for (n = 1; n <= (unsigned)k->retries && !sig_pending(); n++) {
		struct err e = ERR_INIT;

		if (n > 1)
			pause_ms((long)(k->interval_ns / 1000000));
		if (sig_pending())
			break;
		res->attempts = n;
		if (request(&resp, &req, k, net, &e) < 0) {
			res->status = 0;
			snprintf(res->reason, sizeof(res->reason), "%s", e.msg);
			continue;
		}
		res->status = resp.status;
		if (verdict(k, &resp, value, res->reason, sizeof(res->reason))) {
			res->passed = true;
			res->reason[0] = '\0';
			break;
		}
	}
	if (!res->passed && sig_pending() && !res->reason[0])
		snprintf(res->reason, sizeof(res->reason), "interrupted by %s",
		         sig_name(sig_pending()));
	res->duration_s = clock_mono() - t0;
	httpc_resp_release(&resp);
}

int smoke_run(struct smoke_result *results, const struct project *p, const struct strv *secrets,
              struct smoke_net *net, bool keep_going, struct err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nsmoke; i++) {
		struct smoke_result *r = &results[i];

		if (r->not_run)
			r->ran = true;
		else
			check_one(r, &p->smoke[i], net);
		model_scrub(r->reason, secrets);
		if (r->passed)
			continue;
		if (sig_pending())
			return err_set(err, ERR_STOPPED, "smoke check '%s' interrupted by %s",
			               p->smoke[i].name, sig_name(sig_pending()));
		if (!rc)
			rc = err_set(err, ERR_FAIL,
			             "smoke check '%s' failed after %u attempt(s): %s",
			             p->smoke[i].name, r->attempts, r->reason);
		if (!keep_going)
			break;
	}
	return rc;
}

void smoke_print(FILE *f, const struct project *p, const struct smoke_result *results)
{
	size_t i;

	for (i = 0; i < p->nsmoke; i++) {
		const struct smoke_result *r = &results[i];

		if (!r->ran)
			continue;
		fputs("smoke ", f);
		out_safe(f, p->smoke[i].name);
		fprintf(f, ": %s (", r->passed ? "passed" : "FAILED");
		if (r->status)
			fprintf(f, "%ld, ", r->status);
		fprintf(f, "%u attempt%s, %.2fs)", r->attempts, r->attempts == 1 ? "" : "s",
		        r->duration_s);
		if (!r->passed) {
			fputs(": ", f); /* the reason may quote what a server sent */
			out_safe(f, r->reason);
		}
		fputc('\n', f);
	}
}
