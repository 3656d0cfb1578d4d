/*
 * testsrv.c: a tiny static HTTP/1.0 server and helper used as the process of the test images
 * (tests/images/build.sh) and of the example stack's stand-ins.
 *
 * Usage (argv[1] picks the mode; no mode, or a first argument starting with "--", means serve):
 *   testsrv [serve] [--unhealthy] [--crash-after SECONDS] [--slow-start SECONDS]
 *               [--upstream HOST:PORT]
 *       Listens on 0.0.0.0:$PORT (default 8080), one forked child per connection.
 *       GET /          200, "$MESSAGE from $HOSTNAME\n" (+ "version $VERSION\n" if set)
 *       --upstream: every GET except /health is proxied to http://HOST:PORT<path>
 *       (HTTP/1.0, 2 s timeouts). HOST is resolved on every request with a DNS A query
 *       over UDP to the first nameserver of /etc/resolv.conf (Docker's 127.0.0.11; no
 *       getaddrinfo: the binary is static and the image has no NSS), else /etc/hosts;
 *       one of several addresses is picked at random. A failed connect or a missing
 *       response is retried once with a fresh resolution (as nginx's
 *       proxy_next_upstream); 502 when both fail.
 *       GET /health    200 "ok\n", or 503 "unhealthy\n" with --unhealthy
 *       GET /env/NAME  200 with the exact value of env var NAME, 404 if unset
 *       --crash-after N: exit 3 after N seconds; --slow-start N: listen only after N seconds.
 *   testsrv probe [PORT]
 *       Healthcheck client: GET /health on 127.0.0.1:PORT (default $PORT or 8080);
 *       exit 0 on status 200, 1 otherwise or after 2 s.
 *   testsrv job --exit CODE [--sleep SECONDS]
 *       One-shot job: optionally sleep, then exit with CODE.
 *   testsrv sleep
 *       Do nothing until a signal.
 * SIGTERM and SIGINT end every mode at once with status 0, so stops are fast without an init.
 * Build: gcc -static -O2 -Wall -Wextra -Wpedantic -o testsrv testsrv.c testsrv_dns.c
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testsrv_dns.h"

#define REQ_MAX         8192  /* bytes of request head accepted */
#define BODY_MAX        8192  /* bytes of response body */
#define CHILDREN_MAX    64    /* connections served at once */
#define IO_TIMEOUT_S    5     /* per-connection read/write timeout */
#define PROBE_TIMEOUT_S 2     /* whole probe */
#define UP_TIMEOUT_MS   2000  /* upstream connect, and each upstream read or write */
#define DNS_MAX_ADDRS   16    /* A records considered */
#define UP_RESP_MAX     65536 /* bytes of upstream response relayed */
#define HOST_MAX        TESTSRV_HOST_MAX

static int unhealthy;
static char up_host[HOST_MAX + 1]; /* --upstream host; "" when not proxying */
static unsigned short up_port;

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void on_crash(int sig)
{
	static const char msg[] = "testsrv: crashing as asked (--crash-after)\n";
	ssize_t r;

	(void)sig;
	r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(3);
}

static void on_probe_timeout(int sig)
{
	(void)sig;
	_exit(1);
}

static void on_child(int sig)
{
	(void)sig; /* only interrupts accept() so the loop reaps */
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int usage(void)
{
	fputs("usage: testsrv [serve] [--unhealthy] [--crash-after S] [--slow-start S]"
	      " [--upstream HOST:PORT]\n"
	      "       testsrv probe [PORT]\n"
	      "       testsrv job --exit CODE [--sleep S]\n"
	      "       testsrv sleep\n",
	      stderr);
	return 2;
}

/* Parse a decimal in [min, max]; 0 on success, -1 otherwise. */
static int parse_long(long *out, const char *s, long min, long max)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void sleep_seconds(long s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int env_port(long *port)
{
	const char *p = getenv("PORT");

	*port = 8080;
	if (p != NULL && *p != '\0' && parse_long(port, p, 1, 65535) != 0) {
		fprintf(stderr, "testsrv: bad PORT %s\n", p);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void respond(int fd, int status, const char *body, size_t len)
{
	char head[256];
	const char *reason;
	int n;

	switch (status) {
	case 200:
		reason = "OK";
		break;
	case 400:
		reason = "Bad Request";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		break;
	case 502:
		reason = "Bad Gateway";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "Error";
		break;
	}
	n = snprintf(head, sizeof(head),
	             "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n",
	             status, reason, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	if (write_all(fd, head, (size_t)n) == 0)
		write_all(fd, body, len);
}

static void respond_str(int fd, int status, const char *body)
{
	respond(fd, status, body, strlen(body));
}

static int valid_env_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		char c = *s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

/* ---- --upstream: a one-retry proxy (its resolver: testsrv_dns.c) ---- */

/* Resolve up_host afresh: one address, picked at random among several; 0 or -1. */
static int upstream_resolve(struct in_addr *addr)
{
	struct in_addr all[DNS_MAX_ADDRS];
	int n;

	if (inet_pton(AF_INET, up_host, addr) == 1)
		return 0;
	n = testsrv_dns_query(up_host, all, DNS_MAX_ADDRS);
	if (n <= 0)
		n = testsrv_hosts_lookup(up_host, all, DNS_MAX_ADDRS);
	if (n <= 0)
		return -1;
	*addr = all[random() % n];
	return 0;
}

/* Connect to addr:up_port within UP_TIMEOUT_MS; the socket, or -1. */
static int upstream_connect(const struct in_addr *addr)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	struct timeval tv;
	socklen_t len = sizeof(int);
	int fd, err = 0, fl;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(up_port);
	sin.sin_addr = *addr;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, UP_TIMEOUT_MS) <= 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
			goto fail;
	}
	fcntl(fd, F_SETFL, fl);
	tv.tv_sec = UP_TIMEOUT_MS / 1000;
	tv.tv_usec = (UP_TIMEOUT_MS % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Send GET path upstream and read its response into buf; the length, or -1
 * when the connection failed or gave no status line (worth a retry).
 */
static long upstream_fetch(const char *path, char *buf, size_t size)
{
	char req[REQ_MAX + HOST_MAX + 96];
	struct in_addr addr;
	size_t got = 0;
	int fd, n;

	if (upstream_resolve(&addr) != 0)
		return -1;
	fd = upstream_connect(&addr);
	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req),
	             "GET %s HTTP/1.0\r\nHost: %s:%u\r\nConnection: close\r\n\r\n", path, up_host,
	             (unsigned)up_port);
	if (n < 0 || (size_t)n >= sizeof(req) || write_all(fd, req, (size_t)n) != 0) {
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	return (long)got;
}

static void proxy(int fd, const char *path)
{
	static char resp[UP_RESP_MAX];
	long n;

	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	n = upstream_fetch(path, resp, sizeof(resp));
	if (n < 0)
		n = upstream_fetch(path, resp, sizeof(resp)); /* a fresh resolution */
	if (n < 0)
		respond_str(fd, 502, "upstream unavailable\n");
	else
		write_all(fd, resp, (size_t)n);
}

/* "HOST:PORT" into up_host, up_port; 0 or -1. */
static int parse_upstream(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t len;
	long port;

	if (colon == NULL || colon == s || (len = (size_t)(colon - s)) > HOST_MAX ||
	    parse_long(&port, colon + 1, 1, 65535) != 0)
		return -1;
	memcpy(up_host, s, len);
	up_host[len] = '\0';
	if (strspn(up_host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
	    len)
		return -1;
	up_port = (unsigned short)port;
	return 0;
}

/* Serve one connection in a child process. */
static void serve_conn(int fd)
{
	char req[REQ_MAX + 1];
	char body[BODY_MAX];
	size_t got = 0;
	char *sp1, *sp2;
	const char *path;
	struct timeval tv;

	tv.tv_sec = IO_TIMEOUT_S;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	for (;;) {
		ssize_t r;

		if (got == REQ_MAX) {
			respond_str(fd, 400, "request too large\n");
			return;
		}
		r = read(fd, req + got, REQ_MAX - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[got] = '\0';
	/* Only the request line matters: METHOD SP PATH SP VERSION */
	req[strcspn(req, "\r\n")] = '\0';
	sp1 = strchr(req, ' ');
	if (sp1 == NULL) {
		respond_str(fd, 400, "bad request\n");
		return;
	}
	*sp1 = '\0';
	path = sp1 + 1;
	sp2 = strchr(path, ' ');
	if (sp2 != NULL)
		*sp2 = '\0';
	if (strcmp(req, "GET") != 0) {
		respond_str(fd, 405, "only GET\n");
		return;
	}
	if (up_host[0] != '\0' && strcmp(path, "/health") != 0) {
		proxy(fd, path);
	} else if (strcmp(path, "/") == 0) {
		const char *msg = getenv("MESSAGE");
		const char *host = getenv("HOSTNAME");
		const char *ver = getenv("VERSION");
		char hn[256];
		int n;

		if (msg == NULL)
			msg = "hello";
		if (host == NULL) {
			if (gethostname(hn, sizeof(hn) - 1) != 0)
				hn[0] = '\0';
			hn[sizeof(hn) - 1] = '\0';
			host = hn;
		}
		if (ver != NULL)
			n = snprintf(body, sizeof(body), "%s from %s\nversion %s\n", msg, host,
			             ver);
		else
			n = snprintf(body, sizeof(body), "%s from %s\n", msg, host);
		if (n < 0)
			n = 0;
		if ((size_t)n >= sizeof(body))
			n = sizeof(body) - 1;
		respond(fd, 200, body, (size_t)n);
	} else if (strcmp(path, "/health") == 0) {
		if (unhealthy)
			respond_str(fd, 503, "unhealthy\n");
		else
			respond_str(fd, 200, "ok\n");
	} else if (strncmp(path, "/env/", 5) == 0 && valid_env_name(path + 5)) {
		const char *v = getenv(path + 5);

		if (v == NULL)
			respond_str(fd, 404, "unset\n");
		else
			respond_str(fd, 200, v);
	} else {
		respond_str(fd, 404, "not found\n");
	}
}

static int cmd_serve(int argc, char **argv)
{
	long crash_after = 0, slow_start = 0, port;
	long children = 0;
	struct sockaddr_in sin;
	int i, fd, one = 1;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--unhealthy") == 0) {
			unhealthy = 1;
		} else if (strcmp(argv[i], "--crash-after") == 0 && i + 1 < argc) {
			if (parse_long(&crash_after, argv[++i], 1, 86400) != 0)
				return usage();
		} else if (strcmp(argv[i], "--slow-start") == 0 && i + 1 < argc) {
			if (parse_long(&slow_start, argv[++i], 0, 86400) != 0)
				return usage();
		} else if (strcmp(argv[i], "--upstream") == 0 && i + 1 < argc) {
			if (parse_upstream(argv[++i]) != 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (env_port(&port) != 0)
		return 2;
	if (crash_after > 0) {
		set_handler(SIGALRM, on_crash, 0);
		alarm((unsigned)crash_after);
	}
	if (slow_start > 0) {
		printf("testsrv: slow start, listening in %ld s\n", slow_start);
		sleep_seconds(slow_start);
	}

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("testsrv: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 64) != 0) {
		perror("testsrv: bind/listen");
		return 1;
	}
	set_handler(SIGCHLD, on_child, 0); /* no SA_RESTART: accept() returns EINTR */
	printf("testsrv: listening on 0.0.0.0:%ld%s%s%s\n", port, unhealthy ? " (unhealthy)" : "",
	       up_host[0] != '\0' ? ", proxying to " : "", up_host[0] != '\0' ? up_host : "");

	for (;;) {
		pid_t pid;
		int c;

		while (children > 0 && waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (children >= CHILDREN_MAX) {
			if (waitpid(-1, NULL, 0) > 0)
				children--;
			continue;
		}
		c = accept(fd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			perror("testsrv: accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			close(fd);
			set_handler(SIGALRM, SIG_DFL, 0);
			alarm(0);
			serve_conn(c);
			shutdown(c, SHUT_WR);
			close(c);
			_exit(0);
		}
		if (pid > 0)
			children++;
		else
			respond_str(c, 503, "busy\n");
		close(c);
	}
}

static int cmd_probe(int argc, char **argv)
{
	static const char req[] = "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char buf[64];
	struct sockaddr_in sin;
	size_t got = 0;
	long port;
	int fd;

	set_handler(SIGALRM, on_probe_timeout, 0);
	alarm(PROBE_TIMEOUT_S);
	if (argc > 1)
		return usage();
	if (argc == 1) {
		if (parse_long(&port, argv[0], 1, 65535) != 0)
			return usage();
	} else if (env_port(&port) != 0) {
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return 1;
	if (write_all(fd, req, sizeof(req) - 1) != 0)
		return 1;
	while (got < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	/* "HTTP/1.0 200 ..." */
	if (strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0)
		return 0;
	return 1;
}

static int cmd_job(int argc, char **argv)
{
	long code = -1, sleep_s = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
			if (parse_long(&code, argv[++i], 0, 255) != 0)
				return usage();
		} else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc) {
			if (parse_long(&sleep_s, argv[++i], 0, 86400) != 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (code < 0)
		return usage();
	if (sleep_s > 0)
		sleep_seconds(sleep_s);
	printf("testsrv: job exiting with %ld\n", code);
	return (int)code;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "serve";

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	set_handler(SIGTERM, on_term, 0);
	set_handler(SIGINT, on_term, 0);

	if (strncmp(mode, "--", 2) == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(mode, "serve") == 0)
		return cmd_serve(argc > 1 ? argc - 2 : 0, argv + 2);
	if (strcmp(mode, "probe") == 0)
		return cmd_probe(argc - 2, argv + 2);
	if (strcmp(mode, "job") == 0)
		return cmd_job(argc - 2, argv + 2);
	if (strcmp(mode, "sleep") == 0) {
		for (;;)
			pause();
	}
	return usage();
}
