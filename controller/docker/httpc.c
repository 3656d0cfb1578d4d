/*
 * httpc.c - the small HTTP client of httpc.h: one libcurl easy handle per
 * request (smoke checks and webhooks are a handful per release, so no
 * connection is worth keeping), a whole-request timeout, no redirects, no
 * protocol but http and https, the body capped and the rest dropped.
 */
#include "deployctl/httpc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"

struct httpc_sink {
	struct buf body;
	size_t max;
	bool truncated;
	const char *want; /* header name wanted, or NULL */
	char *header;
};

static size_t httpc_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct httpc_sink *k = userdata;
	size_t len = size * nmemb, room = k->max - k->body.len;

	if (len > room) {
		k->truncated = true;
		if (room && buf_add(&k->body, ptr, room) < 0)
			return 0;
		return len; /* read and dropped */
	}
	if (buf_add(&k->body, ptr, len) < 0)
		return 0;
	return len;
}

/* Keep the value of the wanted header (the last one wins, as after a 100 Continue). */
static size_t httpc_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct httpc_sink *k = userdata;
	size_t len = size * nmemb, nlen, vlen;
	const char *v;

	if (!k->want)
		return len;
	nlen = strlen(k->want);
	if (len <= nlen || ptr[nlen] != ':' || strncasecmp(ptr, k->want, nlen))
		return len;
	v = ptr + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	free(k->header);
	k->header = malloc(vlen + 1);
	if (!k->header)
		return 0;
	memcpy(k->header, v, vlen);
	k->header[vlen] = '\0';
	return len;
}

void httpc_resp_release(struct httpc_resp *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->header);
	memset(r, 0, sizeof(*r));
}

/* The setup of one request; CURLE_OK or the first refusal. */
static CURLcode httpc_setup(CURL *c, const struct httpc_req *req, struct curl_slist *hdrs,
                            struct httpc_sink *k, char *errbuf, long timeout_ms)
{
	const char *method = req->method ? req->method : "GET";
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, httpc_write_cb);
	SET(CURLOPT_WRITEDATA, k);
	SET(CURLOPT_HEADERFUNCTION, httpc_header_cb);
	SET(CURLOPT_HEADERDATA, k);
	SET(CURLOPT_USERAGENT, "deployctl/" DEPLOYCTL_VERSION);
	if (!req->use_proxy)
		SET(CURLOPT_NOPROXY, "*");
	if (hdrs)
		SET(CURLOPT_HTTPHEADER, hdrs);
	if (!strcmp(method, "HEAD"))
		SET(CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET"))
		SET(CURLOPT_CUSTOMREQUEST, method);
	if (req->body) {
		SET(CURLOPT_POSTFIELDS, req->body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
#undef SET
	return cc;
}

int httpc_request(struct httpc_resp *out, const struct httpc_req *req, struct err *err)
{
	long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 5000;
	struct httpc_sink k = { .want = req->header_want };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *h;
	double t0 = clock_mono();
	CURL *c = NULL;
	CURLcode cc;
	size_t i;
	int rc = 0;

	httpc_resp_release(out);
	k.max = req->max_body ? req->max_body : HTTPC_BODY_DEFAULT;
	k.max = k.max > HTTPC_BODY_MAX ? HTTPC_BODY_MAX : k.max;
	buf_init(&k.body, HTTPC_BODY_MAX);
	for (i = 0; req->headers && req->headers[i] && i < HTTPC_HEADERS_MAX; i++) {
		if (!(h = curl_slist_append(hdrs, req->headers[i]))) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		hdrs = h;
	}
	if (!(c = curl_easy_init())) {
		rc = err_set(err, ERR_NOMEM, "cannot start an HTTP request");
		goto out;
	}
	cc = httpc_setup(c, req, hdrs, &k, errbuf, timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_perform(c);
	out->duration_s = clock_mono() - t0;
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = err_set(err, ERR_IO, "no answer within %ld ms", timeout_ms);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = err_set(err, ERR_IO, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body_len = k.body.len;
	out->body = buf_detach(&k.body);
	out->truncated = k.truncated;
	out->header = k.header;
	k.header = NULL;
out:
	if (rc < 0)
		out->status = 0;
	buf_release(&k.body);
	free(k.header);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}
