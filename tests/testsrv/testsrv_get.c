/*
 * testsrv_get.c: testsrv (tests/testsrv/testsrv.c, included: its DNS
 * resolver and upstream connect) plus a curl-compatible HTTP client, the
 * HTTP client of in-network smoke checks in the test image
 * (tests/images/build.sh curl), where no registry supplies curl itself.
 * The client runs when argv[0]'s basename is "curl" (/usr/bin/curl is a
 * symlink to /testsrv) or argv[1] is "get"; every other call is testsrv.
 *
 *   curl [-s] [-S] [-i] [-I] [-X METHOD] [-H "Name: value"]... [--max-time SECONDS] [--] URL
 *       http://HOST[:PORT][/PATH] only (HOST by Docker's DNS, /etc/hosts, or an address);
 *       HTTP/1.0. -i prints the response head before the body, -I sends HEAD and prints
 *       the head. Errors as curl words them, on stderr, with curl's exit codes:
 *       2 bad option, 1 unsupported protocol, 3 bad URL, 6 unresolvable host,
 *       7 connection failed, 28 --max-time reached (default 30 s).
 * Build: gcc -static -O2 -Wall -Wextra -Wpedantic -o testsrv testsrv_get.c
 */
#define _GNU_SOURCE /* memmem */
#define main        testsrv_main
#include "testsrv.c"
#undef main

#define GET_REQ_MAX   (16 * 1024)
#define GET_HEADERS   16
#define GET_PATH_MAX  4096
#define GET_DEFAULT_S 30.0

static long get_timeout_ms;

static void get_fail(int code, const char *fmt, const char *a, const char *b)
{
	fputs("curl: (", stderr);
	fprintf(stderr, "%d) ", code);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(code);
}

static void on_get_timeout(int sig)
{
	char msg[96];
	int n;
	ssize_t r;

	(void)sig;
	n = snprintf(msg, sizeof(msg), "curl: (28) Operation timed out after %ld milliseconds\n",
	             get_timeout_ms);
	r = write(STDERR_FILENO, msg, n > 0 ? (size_t)n : 0);
	(void)r;
	_exit(28);
}

/* "http://HOST[:PORT]/PATH" into up_host, up_port and path. */
static void get_url(const char *url, char *path, size_t psize)
{
	const char *p, *slash, *colon;
	long port = 80;
	size_t hl;

	if (strncmp(url, "http://", 7) != 0) {
		char scheme[16];
		const char *sep = strstr(url, "://");

		if (sep && (size_t)(sep - url) < sizeof(scheme)) {
			memcpy(scheme, url, (size_t)(sep - url));
			scheme[sep - url] = '\0';
			get_fail(1, "Protocol \"%s\" not supported%s", scheme, "");
		}
		get_fail(3, "URL rejected: %s%s", url, "");
	}
	p = url + 7;
	slash = p + strcspn(p, "/?#");
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon ? colon : slash) - p);
	if (hl == 0 || hl > HOST_MAX)
		get_fail(3, "URL rejected: Bad hostname%s%s", "", "");
	memcpy(up_host, p, hl);
	up_host[hl] = '\0';
	if (colon) {
		char num[8];
		size_t nl = (size_t)(slash - colon - 1);

		if (nl == 0 || nl >= sizeof(num))
			get_fail(3, "URL rejected: Port number was not a decimal number%s%s", "",
			         "");
		memcpy(num, colon + 1, nl);
		num[nl] = '\0';
		if (parse_long(&port, num, 1, 65535) != 0)
			get_fail(3, "URL rejected: Port number was not a decimal number%s%s", "",
			         "");
	}
	up_port = (unsigned short)port;
	snprintf(path, psize, "%s%s", *slash == '/' ? "" : "/", slash);
}

/* Send the request, copy the response to stdout (the head only with -i/-I). */
static int get_exchange(int fd, const char *req, size_t len, int head, int body)
{
	char buf[8192];
	size_t held = 0;
	int in_head = 1;
	ssize_t r;

	if (write_all(fd, req, len) != 0)
		get_fail(55, "Failed sending data to the peer%s%s", "", "");
	while ((r = read(fd, buf + held, sizeof(buf) - held)) > 0) {
		size_t n = held + (size_t)r;
		char *end;

		if (!in_head) {
			if (body && fwrite(buf, 1, n, stdout) != n)
				return 23;
			held = 0;
			continue;
		}
		end = memmem(buf, n, "\r\n\r\n", 4);
		if (!end && n < sizeof(buf)) {
			held = n;
			continue;
		}
		end = end ? end + 4 : buf + n;
		if (head)
			fwrite(buf, 1, (size_t)(end - buf), stdout);
		if (body)
			fwrite(end, 1, (size_t)(buf + n - end), stdout);
		in_head = 0;
		held = 0;
	}
	if (in_head && held == 0)
		get_fail(52, "Empty reply from server%s%s", "", "");
	return fflush(stdout) == 0 ? 0 : 23;
}

static int cmd_get(int argc, char **argv)
{
	const char *method = "GET", *url = NULL, *hdrs[GET_HEADERS];
	char path[GET_PATH_MAX], req[GET_REQ_MAX];
	double max_s = GET_DEFAULT_S;
	int i, nh = 0, head = 0, only_head = 0, n, fd;
	struct in_addr addr;
	struct timeval tv = { 0, 0 };

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--") && i + 1 < argc) {
			url = argv[++i];
		} else if (!strcmp(a, "-i") || !strcmp(a, "--include")) {
			head = 1;
		} else if (!strcmp(a, "-I") || !strcmp(a, "--head")) {
			head = only_head = 1;
			method = "HEAD";
		} else if (!strcmp(a, "-s") || !strcmp(a, "-S") || !strcmp(a, "-sS") ||
		           !strcmp(a, "--silent") || !strcmp(a, "--show-error")) {
			continue;
		} else if ((!strcmp(a, "-X") || !strcmp(a, "--request")) && i + 1 < argc) {
			method = argv[++i];
		} else if ((!strcmp(a, "-H") || !strcmp(a, "--header")) && i + 1 < argc) {
			if (nh < GET_HEADERS)
				hdrs[nh++] = argv[i + 1];
			i++;
		} else if ((!strcmp(a, "--max-time") || !strcmp(a, "-m")) && i + 1 < argc) {
			char *e;

			max_s = strtod(argv[++i], &e);
			if (*e || max_s <= 0 || max_s > 86400)
				get_fail(
				        2,
				        "option --max-time: expected a proper numerical parameter%s%s",
				        "", "");
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "curl: option %s: is unknown\n", a);
			return 2;
		} else {
			url = a;
		}
	}
	if (!url) {
		fputs("curl: no URL specified\n", stderr);
		return 2;
	}
	get_timeout_ms = (long)(max_s * 1000.0);
	set_handler(SIGALRM, on_get_timeout, 0);
	{
		struct itimerval it = { { 0, 0 },
			                { get_timeout_ms / 1000, (get_timeout_ms % 1000) * 1000 } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	get_url(url, path, sizeof(path));
	if (upstream_resolve(&addr) != 0)
		get_fail(6, "Could not resolve host: %s%s", up_host, "");
	fd = upstream_connect(&addr);
	if (fd < 0) {
		char port[8];

		snprintf(port, sizeof(port), "%u", up_port);
		fprintf(stderr,
		        "curl: (7) Failed to connect to %s port %s: Couldn't connect to server\n",
		        up_host, port);
		return 7;
	}
	/* --max-time bounds the exchange, not each read */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = snprintf(req, sizeof(req),
	             "%s %s HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: curl/testsrv\r\n"
	             "Accept: */*\r\n",
	             method, path, up_host, up_port);
	for (i = 0; i < nh && n > 0 && (size_t)n < sizeof(req); i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n", hdrs[i]);
	if (n <= 0 || (size_t)n + 2 >= sizeof(req))
		get_fail(3, "request too long%s%s", "", "");
	memcpy(req + n, "\r\n", 3);
	n = get_exchange(fd, req, (size_t)n + 2, head, !only_head);
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (strcmp(base, "curl") == 0)
		return cmd_get(argc, argv);
	if (argc > 1 && strcmp(argv[1], "get") == 0)
		return cmd_get(argc - 1, argv + 1);
	return testsrv_main(argc, argv);
}
