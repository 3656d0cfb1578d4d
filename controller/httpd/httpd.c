/*
 * httpd.c - the HTTP listener of "deployctl serve" on libmicrohttpd: its
 * internal polling thread, connection limits (all clients, per address),
 * an idle timeout, and request bodies collected up to a bound (413 beyond
 * it, decided from Content-Length before any of the body is read when the
 * client says it).
 */
#include "deployctl/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "deployctl/buf.h"

struct httpd {
	struct MHD_Daemon *daemon;
	struct httpd_opts o;
	unsigned port;
};

/* One request's state across the calls libmicrohttpd makes for it. */
struct httpd_conn {
	struct buf body;
	bool too_big;
};

const char *httpd_header(const struct httpd_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(const struct httpd_request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result httpd_send(struct MHD_Connection *c, unsigned status, const char *type,
                                  char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t len = body ? strlen(body) : 0;

	resp = MHD_create_response_from_buffer(len, body ? body : (char *)"",
	                                       body ? MHD_RESPMEM_MUST_FREE
	                                            : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type ? type : "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result httpd_too_big(struct httpd *h, struct MHD_Connection *c, const char *url)
{
	if (h->o.refused)
		h->o.refused(h->o.ctx, url, 413);
	return httpd_send(c, 413, NULL, strdup("request body too large\n"));
}

static enum MHD_Result httpd_access(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **state)
{
	struct httpd *h = cls;
	struct httpd_conn *hc = *state;
	struct httpd_request req = { 0 };
	struct httpd_response resp = { 0 };
	const char *clen;

	(void)version;
	if (!hc) {
		hc = calloc(1, sizeof(*hc));
		if (!hc)
			return MHD_NO;
		buf_init(&hc->body, h->o.max_body + 1);
		*state = hc;
		clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > h->o.max_body)
			hc->too_big = true;
		if (hc->too_big)
			return httpd_too_big(h, c, url);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!hc->too_big && (hc->body.len + *upload_size > h->o.max_body ||
		                     buf_add(&hc->body, upload, *upload_size) < 0))
			hc->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (hc->too_big)
		return httpd_too_big(h, c, url);
	req.method = method;
	req.path = url;
	req.body = hc->body.ptr;
	req.body_len = hc->body.len;
	req.conn = c;
	h->o.handler(h->o.ctx, &req, &resp);
	return httpd_send(c, resp.status ? resp.status : 500, resp.content_type, resp.body);
}

static void httpd_completed(void *cls, struct MHD_Connection *c, void **state,
                            enum MHD_RequestTerminationCode why)
{
	struct httpd_conn *hc = *state;

	(void)cls;
	(void)c;
	(void)why;
	if (!hc)
		return;
	buf_release(&hc->body);
	free(hc);
	*state = NULL;
}

/* "host:port" or "[v6]:port" into a socket address. */
static int httpd_parse_listen(struct sockaddr_storage *ss, const char *listen, struct err *err)
{
	char host[128];
	const char *colon;
	unsigned long port;
	char *end;
	size_t hl;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			goto bad;
		hl = (size_t)(close - listen - 1);
		colon = close + 1;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, hl);
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - listen);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, listen, hl);
	}
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535)
		goto bad;
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
		return 0;
	}
bad:
	return err_set(err, ERR_INVALID,
	               "listen address '%s' is not HOST:PORT with a numeric IPv4 or [IPv6] host",
	               listen);
}

int httpd_start(struct httpd **out, const struct httpd_opts *o, struct err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct httpd *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	int rc;

	rc = httpd_parse_listen(&ss, o->listen, err);
	if (rc < 0)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(err, ERR_NOMEM, "out of memory");
	h->o = *o;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, httpd_access, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_conns ? o->max_conns : 64),
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)(o->max_per_ip ? o->max_per_ip : 16),
	        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 10),
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u << 10),
	        MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h, MHD_OPTION_END);
	if (!h->daemon) {
		free(h);
		return err_set(err, ERR_IO, "cannot listen on '%s' (in use, or not allowed)",
		               o->listen);
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	*out = h;
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}
