/*
 * jobtool.c: the process of the image the job tests run (tests/jobtool/build.sh):
 * testsrv's code (its DNS resolver and upstream client) plus a few steps a
 * release job takes, run in order, separated by ";" arguments:
 *   env NAME...            print NAME=value for each (unset: NAME unset)
 *   write PATH TEXT        write TEXT and a newline to PATH; ${NAME} in both is
 *                          replaced by the environment variable's value
 *   get HOST:PORT PATH     GET http://HOST:PORT/PATH (HOST by Docker's DNS); fails
 *                          unless the answer is 200; prints the body
 *   sleep SECONDS          sleep
 *   exit CODE              exit with CODE
 * Build: gcc -static -O2 -o jobtool jobtool.c
 */
#define main testsrv_main
#include "../testsrv/testsrv.c"
#undef main

static int expand(char *out, size_t size, const char *in)
{
	size_t n = 0;

	while (*in) {
		const char *end;
		char name[128];
		const char *v;

		if (in[0] != '$' || in[1] != '{' || !(end = strchr(in, '}')) ||
		    (size_t)(end - in - 2) >= sizeof(name)) {
			if (n + 1 >= size)
				return -1;
			out[n++] = *in++;
			continue;
		}
		memcpy(name, in + 2, (size_t)(end - in - 2));
		name[end - in - 2] = '\0';
		v = getenv(name);
		v = v ? v : "";
		if (n + strlen(v) >= size)
			return -1;
		memcpy(out + n, v, strlen(v));
		n += strlen(v);
		in = end + 1;
	}
	out[n] = '\0';
	return 0;
}

static int step(int argc, char **argv)
{
	char path[1024], text[4096], buf[UP_RESP_MAX];
	long v;
	int i, fd;

	if (!strcmp(argv[0], "env")) {
		for (i = 1; i < argc; i++) {
			const char *val = getenv(argv[i]);

			if (val)
				printf("%s=%s\n", argv[i], val);
			else
				printf("%s unset\n", argv[i]);
		}
		return 0;
	}
	if (!strcmp(argv[0], "write") && argc == 3) {
		if (expand(path, sizeof(path), argv[1]) || expand(text, sizeof(text) - 1, argv[2]))
			return 2;
		strcat(text, "\n");
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write_all(fd, text, strlen(text)) != 0) {
			perror(path);
			return 1;
		}
		close(fd);
		printf("wrote %s\n", path);
		return 0;
	}
	if (!strcmp(argv[0], "get") && argc == 3) {
		const char *body;
		long len;

		if (parse_upstream(argv[1]) != 0)
			return 2;
		len = upstream_fetch(argv[2], buf, sizeof(buf) - 1);
		if (len < 0) {
			printf("get %s%s: no answer\n", argv[1], argv[2]);
			return 1;
		}
		buf[len] = '\0';
		body = strstr(buf, "\r\n\r\n");
		printf("get %s%s: %.*s\n%s", argv[1], argv[2], (int)strcspn(buf, "\r\n"), buf,
		       body ? body + 4 : "");
		return strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0 ? 0 : 1;
	}
	if (!strcmp(argv[0], "sleep") && argc == 2 && parse_long(&v, argv[1], 0, 86400) == 0) {
		sleep_seconds(v);
		return 0;
	}
	if (!strcmp(argv[0], "exit") && argc == 2 && parse_long(&v, argv[1], 0, 255) == 0) {
		printf("exiting with %ld\n", v);
		exit((int)v);
	}
	fprintf(stderr, "jobtool: bad step '%s'\n", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1, start, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	set_handler(SIGTERM, on_term, 0);
	while (i < argc) {
		start = i;
		while (i < argc && strcmp(argv[i], ";"))
			i++;
		if (i > start && (rc = step(i - start, argv + start)) != 0)
			return rc;
		i++;
	}
	return 0;
}
