/*
 * docker_http.c - the transport to the Docker Engine: one libcurl easy
 * handle per struct docker over the Unix socket (keep-alive reused), API
 * version negotiation from GET /_ping, call counting, and turning HTTP
 * errors into struct err with the daemon's own message.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "deployctl/fault.h"
#include "deployctl/fdio.h"
#include "docker_internal.h"

#define DOCKER_CONNECT_TIMEOUT_S 3L

struct docker {
	CURL *curl;
	char *socket;
	char version[16];        /* negotiated, e.g. "1.41" */
	char daemon_version[16]; /* Api-Version header of the last /_ping */
	unsigned calls;
	unsigned mutating;
	bool uncertain; /* the last request failed after it may have reached the daemon */
	char errbuf[CURL_ERROR_SIZE];
};

/* What the write callback needs: where a body goes, and the stream's running total. */
struct docker_sinkctx {
	CURL *curl;
	struct buf *resp;
	const struct docker_req *req;
	size_t total;
	int aborted; /* the sink refused data: its error is already set */
	int toobig;
};

static size_t docker_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct docker_sinkctx *w = userdata;
	size_t len = size * nmemb;
	long status = 0;

	if (w->req && w->req->sink) {
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status < 400) {
			/* Streamed bodies are not kept, but their total stays capped. */
			if (len > DOCKER_RESPONSE_CAP - w->total) {
				w->toobig = 1;
				return 0;
			}
			w->total += len;
			if (w->req->sink(w->req->sink_ctx, ptr, len) < 0) {
				w->aborted = 1;
				return 0;
			}
			return len;
		}
	}
	if (buf_add(w->resp, ptr, len) < 0)
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	return len;
}

/* Long-lived requests: libcurl calls this about once a second, even when idle. */
static int docker_xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                              curl_off_t ultotal, curl_off_t ulnow)
{
	const struct docker_req *req = userdata;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return req->cancelled(req->sink_ctx) ? 1 : 0;
}

static size_t docker_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct docker *d = userdata;
	size_t len = size * nmemb, i = 0, j = 0;
	static const char name[] = "api-version:";

	if (len > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		i = sizeof(name) - 1;
		while (i < len && (ptr[i] == ' ' || ptr[i] == '\t'))
			i++;
		while (i < len && j < sizeof(d->daemon_version) - 1 &&
		       (isdigit((unsigned char)ptr[i]) || ptr[i] == '.'))
			d->daemon_version[j++] = ptr[i++];
		d->daemon_version[j] = '\0';
	}
	return len;
}

/* Compare "1.41"-style versions numerically. */
static int docker_version_cmp(const char *a, const char *b)
{
	unsigned long amaj, amin, bmaj, bmin;
	char *end;

	amaj = strtoul(a, &end, 10);
	amin = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	bmaj = strtoul(b, &end, 10);
	bmin = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

/* Copy the one-line, printable form of s into out (control characters become spaces). */
static void docker_oneline(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < size - 1; i++)
		out[i] = iscntrl((unsigned char)s[i]) ? ' ' : s[i];
	out[i] = '\0';
	while (i > 0 && out[i - 1] == ' ')
		out[--i] = '\0';
}

/* Progress callback of a cancellable stream: nonzero stops the transfer. */
static int docker_cancel_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                            curl_off_t ulnow)
{
	const volatile sig_atomic_t *cancel = clientp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return *cancel != 0;
}

/* Overwrite s in place: header lines may carry registry credentials. */
static void docker_wipe(char *s)
{
	volatile char *p = s;

	while (*p)
		*p++ = '\0';
}

static void docker_headers_free(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h; h = h->next)
		docker_wipe(h->data);
	curl_slist_free_all(headers);
}

/* Content-Type for a body plus the request's extra lines; NULL list is fine. */
static int docker_headers(struct curl_slist **out, const struct docker_req *req)
{
	struct curl_slist *headers = NULL, *next;
	const char *const *h;

	if (req->body && !req->body_len) {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		if (!headers)
			return ERR_NOMEM;
	}
	for (h = req->headers; h && *h; h++) {
		next = curl_slist_append(headers, *h);
		if (!next) {
			docker_headers_free(headers);
			return ERR_NOMEM;
		}
		headers = next;
	}
	*out = headers;
	return 0;
}

int docker_request_ex(long *status, struct buf *resp, struct docker *d,
                      const struct docker_req *req, struct err *err)
{
	struct curl_slist *headers = NULL;
	struct docker_sinkctx w = { .curl = d->curl, .resp = resp, .req = req };
	const char *method = req->method, *path = req->path, *body = req->body;
	struct buf url;
	bool is_get = !strcmp(method, "GET"), is_post = !strcmp(method, "POST");
	CURLcode cc;
	int rc;

	buf_init(&url, 0);
	if (buf_puts(&url, "http://localhost") < 0 ||
	    (strcmp(path, "/_ping") && buf_printf(&url, "/v%s", d->version) < 0) ||
	    buf_puts(&url, path) < 0 || docker_headers(&headers, req) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	buf_reset(resp);
	d->errbuf[0] = '\0';
	d->uncertain = false;
	d->calls++;
	if (!is_get)
		d->mutating++;

	curl_easy_setopt(d->curl, CURLOPT_URL, url.ptr);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT,
	                 req->timeout_s > 0   ? req->timeout_s
	                 : req->timeout_s < 0 ? 0L
	                                      : DOCKER_TIMEOUT_S);
	if (req->cancel) {
		curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, docker_cancel_cb);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, (void *)req->cancel);
		curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
	}
	if (is_get) {
		curl_easy_setopt(d->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(d->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDSIZE,
		                 (long)(req->body_len ? req->body_len
		                        : body        ? strlen(body)
		                                      : 0));
		curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, is_post ? NULL : method);
	}
	if (req->cancelled) {
		curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, docker_xferinfo_cb);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, (void *)req);
	}
	cc = curl_easy_perform(d->curl);
	if (req->cancelled) {
		curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 1L);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, NULL);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, NULL);
	}
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 1L);
	if (cc == CURLE_ABORTED_BY_CALLBACK && req->cancel && *req->cancel) {
		/* Asked to stop (a signal): the stream ends here, which is no error. */
		*status = 200;
		rc = 0;
		goto out;
	}
	if (w.aborted) {
		/* The sink set err; the connection is mid-body, so curl drops it. */
		rc = err->code ? err->code
		               : err_set(err, ERR_DOCKER, "docker: %s %s: aborted", method, path);
		goto out;
	}
	if (cc != CURLE_OK) {
		const char *why = d->errbuf[0] ? d->errbuf : curl_easy_strerror(cc);

		/* Only a refused connect proves the daemon never saw the request. */
		d->uncertain = cc != CURLE_COULDNT_CONNECT;

		/*
		 * Whatever answers there is not (or no longer) an Engine that
		 * works: too big, not HTTP, timed out. ERR_UNREACHABLE (exit 3),
		 * as README's exit codes say, not a deploy that failed.
		 */
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			rc = err_set(err, ERR_FAIL, "docker: %s %s: cancelled", method, path);
		else if (resp->toobig || w.toobig)
			rc = err_set(err, ERR_UNREACHABLE,
			             "docker at '%s': %s %s: response larger than %u bytes",
			             d->socket, method, path, (unsigned)DOCKER_RESPONSE_CAP);
		else if (cc == CURLE_OPERATION_TIMEDOUT)
			rc = err_set(err, ERR_UNREACHABLE,
			             "docker at '%s' did not answer %s %s in time: %s", d->socket,
			             method, path, why);
		else if (cc == CURLE_WEIRD_SERVER_REPLY || cc == CURLE_UNSUPPORTED_PROTOCOL ||
		         cc == CURLE_BAD_CONTENT_ENCODING || cc == CURLE_HTTP2 ||
		         cc == CURLE_RANGE_ERROR)
			rc = err_set(
			        err, ERR_UNREACHABLE,
			        "docker at '%s' answered %s %s with something that is not HTTP: %s",
			        d->socket, method, path, why);
		else if (cc == CURLE_COULDNT_CONNECT)
			rc = err_set(err, ERR_UNREACHABLE, "cannot reach docker at '%s': %s",
			             d->socket, why);
		else if (cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
		         cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE)
			rc = err_set(err, ERR_UNREACHABLE,
			             "docker at '%s' stopped answering during %s %s: %s", d->socket,
			             method, path, why);
		else
			rc = err_set(err, ERR_DOCKER, "docker at '%s': %s %s: %s", d->socket,
			             method, path, why);
		goto out;
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
out:
	docker_headers_free(headers);
	buf_release(&url);
	/* Crash-safety tests die right after the Nth mutating call returned (t1500). */
	if (!is_get && FAULT_POINT("KILL_AFTER_MUTATION"))
		raise(SIGKILL);
	return rc;
}

int docker_request(long *status, struct buf *resp, struct docker *d, const char *method,
                   const char *path, const char *body, long timeout_s, struct err *err)
{
	const struct docker_req req = {
		.method = method, .path = path, .body = body, .timeout_s = timeout_s
	};

	return docker_request_ex(status, resp, d, &req, err);
}

int docker_http_check(long status, const struct buf *resp, const char *what, struct err *err)
{
	json_t *root;
	const char *msg = NULL;
	char line[400];
	int rc;

	if (status < 400)
		return 0;
	root = json_loadb(resp->ptr, resp->len, 0, NULL);
	if (root)
		msg = json_string_value(json_object_get(root, "message"));
	if (!msg)
		msg = resp->len ? resp->ptr : "no message";
	docker_oneline(line, sizeof(line), msg);
	if (status == 404)
		rc = err_set(err, ERR_NOTFOUND, "docker: %s: %s", what, line);
	else
		rc = err_set(err, ERR_DOCKER, "docker: %s: %s", what, line);
	json_decref(root);
	return rc;
}

int docker_call(struct buf *resp, struct docker *d, const char *method, const char *path,
                const char *body, long timeout_s, const char *what, struct err *err)
{
	long status = 0;
	int rc = docker_request(&status, resp, d, method, path, body, timeout_s, err);

	if (rc < 0)
		return rc;
	return docker_http_check(status, resp, what, err);
}

int docker_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			rc = buf_putc(b, (char)c);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = buf_add(b, enc, 3);
		}
		if (rc < 0)
			return ERR_NOMEM;
	}
	return 0;
}

int docker_filter_query(struct buf *b, const char *key, const char *const *values, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	char *text = NULL;
	size_t i;
	int rc = ERR_NOMEM;

	if (!root || !arr)
		goto out;
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(values[i])) < 0)
			goto out;
	if (json_object_set(root, key, arr) < 0)
		goto out;
	text = json_dumps(root, JSON_COMPACT);
	if (!text || buf_puts(b, "filters=") < 0 || docker_urlencode(b, text) < 0)
		goto out;
	rc = 0;
out:
	free(text);
	json_decref(arr);
	json_decref(root);
	return rc;
}

/* Pick the socket path from host, $DOCKER_HOST or the default; new string. */
static int docker_socket_path(char **out, const char *host, struct err *err)
{
	static const char unix_prefix[] = "unix://";
	char *path;

	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = "unix://" DOCKER_DEFAULT_SOCKET;
	if (strncmp(host, unix_prefix, sizeof(unix_prefix) - 1) || !host[sizeof(unix_prefix) - 1])
		return err_set(err, ERR_INVALID,
		               "docker host '%s': only unix sockets are supported (unix:///path)",
		               host);
	path = strdup(host + sizeof(unix_prefix) - 1);
	if (!path)
		return err_set(err, ERR_NOMEM, "out of memory");
	*out = path;
	return 0;
}

int docker_open(struct docker **out, const char *host, struct err *err)
{
	struct docker *d = NULL;
	struct buf resp;
	long status = 0;
	int rc;

	buf_init(&resp, DOCKER_RESPONSE_CAP);
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = docker_socket_path(&d->socket, host, err);
	if (rc < 0)
		goto out;
	d->curl = curl_easy_init();
	if (!d->curl) {
		rc = err_set(err, ERR_NOMEM, "cannot create a curl handle");
		goto out;
	}
	snprintf(d->version, sizeof(d->version), "%s", DOCKER_API_MAX);
	curl_easy_setopt(d->curl, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(d->curl, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT, DOCKER_CONNECT_TIMEOUT_S);
	curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, docker_write_cb);
	curl_easy_setopt(d->curl, CURLOPT_HEADERFUNCTION, docker_header_cb);
	curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, d);

	rc = docker_request(&status, &resp, d, "GET", "/_ping", NULL, DOCKER_CONNECT_TIMEOUT_S,
	                    err);
	if (rc < 0) {
		/* Any transport failure on the first call means nothing answers there. */
		if (rc == ERR_DOCKER) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			err_clear(err);
			rc = err_set(err, ERR_UNREACHABLE, "cannot reach docker at '%s': %s",
			             d->socket, why);
		}
		goto out;
	}
	if (status != 200) {
		rc = err_set(err, ERR_UNREACHABLE, "docker at '%s' answered /_ping with HTTP %ld",
		             d->socket, status);
		goto out;
	}
	if (d->daemon_version[0] && docker_version_cmp(d->daemon_version, DOCKER_API_MAX) < 0)
		snprintf(d->version, sizeof(d->version), "%s", d->daemon_version);
	*out = d;
	d = NULL;
	rc = 0;
out:
	buf_release(&resp);
	docker_free(d);
	return rc;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	free(d->socket);
	free(d);
}

bool docker_last_uncertain(const struct docker *d)
{
	return d->uncertain;
}

const char *docker_api_version(const struct docker *d)
{
	return d->version;
}

const char *docker_socket(const struct docker *d)
{
	return d->socket;
}

void docker_get_stats(struct docker_stats *out, const struct docker *d)
{
	out->calls = d->calls;
	out->mutating = d->mutating;
}

void docker_reset_stats(struct docker *d)
{
	d->calls = 0;
	d->mutating = 0;
}

int docker_global_init(struct err *err)
{
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		return err_set(err, ERR_FAIL, "cannot initialise libcurl");
	return 0;
}

void docker_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Largest header block of a hijacked answer. */
#define DOCKER_HIJACK_HEADERS_MAX (64u << 10)

/* Read until the end of the headers; the rest read goes to pending. */
static int docker_read_headers(struct buf *head, struct buf *pending, int fd, struct err *err)
{
	char chunk[4096];
	const char *end;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(err, ERR_UNREACHABLE,
			               "docker closed the connection before "
			               "answering");
		if (buf_add(head, chunk, (size_t)n) < 0)
			return err_set(err, ERR_DOCKER, "docker: answer headers too large");
		end = strstr(head->ptr, "\r\n\r\n");
		if (end) {
			size_t hl = (size_t)(end - head->ptr) + 4;

			if (buf_add(pending, head->ptr + hl, head->len - hl) < 0)
				return err_set(err, ERR_NOMEM, "out of memory");
			head->len = hl;
			head->ptr[hl] = '\0';
			return 0;
		}
	}
}

int docker_hijack(int *fd_out, struct buf *pending, struct docker *d, const char *path,
                  const char *body, const char *what, struct err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct buf req, head;
	long status = 0;
	int fd = -1, rc;

	buf_init(&req, 0);
	buf_init(&head, DOCKER_HIJACK_HEADERS_MAX);
	if (strlen(d->socket) >= sizeof(sa.sun_path)) {
		rc = err_set(err, ERR_INVALID, "docker socket path '%s' is too long", d->socket);
		goto out;
	}
	memcpy(sa.sun_path, d->socket, strlen(d->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = err_set(err, ERR_UNREACHABLE, "cannot reach docker at '%s': %s", d->socket,
		             strerror(errno));
		goto out;
	}
	if (buf_printf(&req,
	               "POST /v%s%s HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
	               "application/json\r\nContent-Length: %zu\r\nConnection: Upgrade\r\n"
	               "Upgrade: tcp\r\n\r\n%s",
	               d->version, path, body ? strlen(body) : 0, body ? body : "") < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	d->calls++;
	d->mutating++;
	if (fd_write_all(fd, req.ptr, req.len) < 0) {
		rc = err_set(err, ERR_UNREACHABLE, "docker at '%s' stopped answering during %s",
		             d->socket, what);
		goto out;
	}
	rc = docker_read_headers(&head, pending, fd, err);
	if (FAULT_POINT("KILL_AFTER_MUTATION"))
		raise(SIGKILL);
	if (rc < 0)
		goto out;
	if (sscanf(head.ptr, "HTTP/%*d.%*d %ld", &status) != 1) {
		rc = err_set(err, ERR_DOCKER, "docker: %s: not an HTTP answer", what);
		goto out;
	}
	if (status >= 400) {
		/* The error body: what came with the headers is enough for the message. */
		rc = docker_http_check(status, pending, what, err);
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&head);
	buf_release(&req);
	return rc;
}
