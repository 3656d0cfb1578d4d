/*
 * httpd.h - a small HTTP/1.1 server on libmicrohttpd (a well-kept
 * embeddable server, not a hand-written one): the only module that
 * includes <microhttpd.h>. Requests are served on libmicrohttpd's own
 * thread; the handler gets the whole (bounded) body at once.
 */
#ifndef DEPLOYCTL_HTTPD_H
#define DEPLOYCTL_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

struct httpd;

struct httpd_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* without the query */
	const char *body;   /* NUL-terminated; "" if none */
	size_t body_len;
	void *conn; /* for httpd_header(), httpd_query() */
};

/* A request header's value (case-insensitive name), or NULL. Borrowed for the request. */
const char *httpd_header(const struct httpd_request *r, const char *name);
/* A query argument's decoded value, or NULL. Borrowed for the request. */
const char *httpd_query(const struct httpd_request *r, const char *key);

struct httpd_response {
	unsigned status;
	const char *content_type; /* NULL: text/plain; charset=utf-8 */
	char *body;               /* new (malloc), taken by httpd; NULL: empty */
};

typedef void (*httpd_handler)(void *ctx, const struct httpd_request *req,
                              struct httpd_response *resp);

struct httpd_opts {
	const char *listen;    /* "127.0.0.1:9419", "[::1]:9419" */
	size_t max_body;       /* larger bodies get 413 without reaching the handler */
	unsigned max_conns;    /* at once, all clients (default 64) */
	unsigned max_per_ip;   /* at once, per client address (default 16) */
	unsigned timeout_s;    /* idle connection timeout (default 10) */
	httpd_handler handler; /* called on the server's thread */
	/* told of a request refused before the handler (413), with its path; may be NULL */
	void (*refused)(void *ctx, const char *path, unsigned status);
	void *ctx;
};

/*
 * Listen and serve on a thread of the server's own. *out new
 * (httpd_stop()). ERR_INVALID for a bad listen address, ERR_IO when the
 * address cannot be bound.
 */
int httpd_start(struct httpd **out, const struct httpd_opts *o, struct err *err);
/* Stop listening, finish the request in progress, free h. NULL is fine. */
void httpd_stop(struct httpd *h);
/* The port listened on (useful with port 0). */
unsigned httpd_port(const struct httpd *h);

#endif
