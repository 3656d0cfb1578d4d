/*
 * serve.h - "deployctl serve": the watcher plus an HTTP listener
 * (daemon/serve.c): POST /webhook (verified pushes trigger a fetch and a
 * reconcile, bursts coalesced by the watcher), GET /healthz, GET /metrics
 * (Prometheus text). TLS belongs to a reverse proxy in front.
 */
#ifndef DEPLOYCTL_SERVE_H
#define DEPLOYCTL_SERVE_H

#include <stddef.h>

#include "deployctl/err.h"
#include "deployctl/watch.h"
#include "deployctl/webhook.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9419"

struct serve;

struct serve_opts {
	const char *listen; /* NULL: SERVE_DEFAULT_LISTEN */
	size_t max_body;    /* webhook body bound */
};

/*
 * Listen for w (borrowed) with hooks checked by wh (borrowed); both must
 * outlive the server. *out new (serve_stop()).
 */
int serve_start(struct serve **out, struct watch *w, struct webhook *wh, const struct serve_opts *o,
                struct err *err);
void serve_stop(struct serve *s);
/* The port listened on. */
unsigned serve_port(const struct serve *s);

#endif
