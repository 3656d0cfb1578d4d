/*
 * httpc.h - a small HTTP client for what deployctl itself asks of other
 * servers (smoke checks of a release, notification webhooks), apart from
 * the Engine transport: one request per call, its own handle, a bounded
 * time and a bounded body, no redirects followed, http and https only.
 * Implemented in controller/docker/httpc.c (libcurl stays in docker/).
 */
#ifndef DEPLOYCTL_HTTPC_H
#define DEPLOYCTL_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

/* Response body bytes kept when a request sets no max_body. */
#define HTTPC_BODY_DEFAULT (64u << 10)
/* The most a request may keep, and the most headers it may send. */
#define HTTPC_BODY_MAX    (1u << 20)
#define HTTPC_HEADERS_MAX 32

struct httpc_req {
	const char *method; /* "GET" when NULL */
	const char *url;    /* http:// or https:// */
	/* "Name: value" request headers, NULL-terminated; may be NULL */
	const char *const *headers;
	const char *body; /* sent as is; NULL: none */
	size_t body_len;
	long timeout_ms; /* the whole request, connect included; <= 0: 5000 */
	size_t max_body; /* response bytes kept (the rest is read and dropped); 0: default */
	bool use_proxy;  /* honour http_proxy/https_proxy (webhooks); else never a proxy */
	const char *
	        header_want; /* a response header whose value to keep (case-insensitive); or NULL */
};

struct httpc_resp {
	long status;       /* HTTP status; 0 when no response came */
	char *body;        /* NUL-terminated; new, freed by httpc_resp_release() */
	size_t body_len;   /* bytes kept */
	bool truncated;    /* more came than max_body */
	char *header;      /* value of req->header_want, trimmed; NULL when absent */
	double duration_s; /* the request, from start to the last byte or the failure */
};

/*
 * Make one request. 0 with *out filled when a response came, whatever its
 * status; ERR_IO with err saying why when none did (refused, timed out
 * after N ms, bad URL), and ERR_NOMEM. *out is released and re-filled by
 * the call: initialise it to zero once.
 */
int httpc_request(struct httpc_resp *out, const struct httpc_req *req, struct err *err);
void httpc_resp_release(struct httpc_resp *r);

#endif
