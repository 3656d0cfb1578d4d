/*
 * serve.c - the routes of "deployctl serve" over the httpd module: the
 * webhook (checked by webhook.c before anything is fetched, then handed
 * to the watcher, which coalesces bursts), liveness and metrics.
 */
#include "deployctl/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deployctl/httpd.h"
#include "deployctl/log.h"

struct serve {
	struct watch *w;
	struct webhook *wh;
	struct httpd *h;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *text(const char *s)
{
	size_t n = strlen(s) + 2;
	char *t = malloc(n);

	if (t)
		snprintf(t, n, "%s\n", s);
	return t;
}

static const char *first(const char *a, const char *b)
{
	return a ? a : b;
}

static void webhook(struct serve *s, const struct httpd_request *req, struct httpd_response *resp)
{
	struct webhook_request wr = { 0 };
	enum webhook_verdict v;
	const char *project = httpd_query(req, "project");

	if (strcmp(req->method, "POST")) {
		resp->status = 405;
		resp->body = text("POST only");
		return;
	}
	wr.github_sig = httpd_header(req, "X-Hub-Signature-256");
	wr.gitea_sig = first(httpd_header(req, "X-Gitea-Signature"),
	                     httpd_header(req, "X-Forgejo-Signature"));
	wr.gitlab_token = httpd_header(req, "X-Gitlab-Token");
	wr.event = first(
	        first(httpd_header(req, "X-GitHub-Event"), httpd_header(req, "X-Gitea-Event")),
	        first(httpd_header(req, "X-Forgejo-Event"), httpd_header(req, "X-Gitlab-Event")));
	wr.content_type = httpd_header(req, "Content-Type");
	wr.body = req->body;
	wr.body_len = req->body_len;
	v = webhook_check(s->wh, &wr, mono_now());
	if (v == WEBHOOK_PUSH && !watch_trigger(s->w, project)) {
		watch_count_webhook(s->w, "unknown_project");
		resp->status = 404;
		resp->body = text("no such project");
		return;
	}
	watch_count_webhook(s->w, webhook_result(v));
	resp->status = webhook_status(v);
	resp->body = text(webhook_text(v));
	if (v == WEBHOOK_PUSH)
		log_info("webhook: push accepted%s%s; fetching", project ? " for " : "",
		         project ? project : "");
	else if (v != WEBHOOK_PING)
		log_warnx("webhook refused (%u): %s", resp->status, webhook_text(v));
}

static void route(void *ctx, const struct httpd_request *req, struct httpd_response *resp)
{
	struct serve *s = ctx;
	struct buf b;

	if (!strcmp(req->path, "/webhook")) {
		webhook(s, req, resp);
	} else if (!strcmp(req->path, "/healthz")) {
		resp->status = 200;
		resp->body = text("ok");
	} else if (!strcmp(req->path, "/metrics") && !strcmp(req->method, "GET")) {
		buf_init(&b, 4u << 20);
		if (watch_metrics(s->w, &b) < 0) {
			buf_release(&b);
			resp->status = 500;
			resp->body = text("cannot render metrics");
			return;
		}
		resp->status = 200;
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		resp->body = buf_detach(&b);
	} else {
		resp->status = 404;
		resp->body = text("not found: POST /webhook, GET /healthz, GET /metrics");
	}
}

static void refused(void *ctx, const char *path, unsigned status)
{
	struct serve *s = ctx;

	if (!strcmp(path, "/webhook") && status == 413) {
		watch_count_webhook(s->w, "too_large");
		log_warnx("webhook refused (413): body too large");
	}
}

int serve_start(struct serve **out, struct watch *w, struct webhook *wh, const struct serve_opts *o,
                struct err *err)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct httpd_opts ho = { 0 };
	int rc;

	if (!s)
		return err_set(err, ERR_NOMEM, "out of memory");
	s->w = w;
	s->wh = wh;
	ho.listen = o->listen ? o->listen : SERVE_DEFAULT_LISTEN;
	ho.max_body = o->max_body ? o->max_body : (1u << 20);
	ho.handler = route;
	ho.refused = refused;
	ho.ctx = s;
	rc = httpd_start(&s->h, &ho, err);
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	httpd_stop(s->h);
	free(s);
}

unsigned serve_port(const struct serve *s)
{
	return httpd_port(s->h);
}
