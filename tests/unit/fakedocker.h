/*
 * fakedocker.h - a fake Docker Engine for unit tests of the executor: an
 * HTTP/1.1 server on a Unix socket (one thread) that keeps a small table of
 * containers and answers the calls a rollout makes (ping, inspect, create,
 * start, stop, rename, remove, logs, network connect/disconnect). Faults
 * are injected per call: the n-th request matching a method and a path
 * substring is done and its reply withheld (the connection closed: a lost
 * reply), or refused with a 500 and not done. Every request is logged.
 */
#ifndef DEPLOYCTL_FAKEDOCKER_H
#define DEPLOYCTL_FAKEDOCKER_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_MAX_CONTAINERS 16
#define FAKE_MAX_LOG        256

/* * FAKE_DROP_REPLY: done, connection closed before any reply (on a reused
 * connection curl sends such a request once more, as it would to Docker);
 * FAKE_CUT_REPLY: done, the reply cut after a few bytes; with close_each
 * (every connection closed after one reply, so none is reused) curl does
 * not retry and the outcome is unknown to the client; FAKE_FAIL_500:
 * refused, not done.
 */
enum fake_fault_kind { FAKE_DROP_REPLY = 1, FAKE_CUT_REPLY, FAKE_FAIL_500 };

struct fake_container {
	int used;
	char id[65];
	char name[128];
	char state[16]; /* created, running, exited */
	int exit_code;
	int exits_on_start; /* created while start_exits was set */
	char project[64], service[64], release[16], hash[80];
};

struct fake_docker {
	char dir[64];
	char sock[96];
	char host[128]; /* "unix://..." for docker_open() */
	int lfd;
	pthread_t thread;
	pthread_mutex_t lock;
	struct fake_container c[FAKE_MAX_CONTAINERS];
	unsigned next_id;
	char *log[FAKE_MAX_LOG]; /* "METHOD /path?query" without the version prefix */
	size_t nlog;
	/* Faults: the nth request (1-based) whose method and path match. */
	struct fake_fault {
		const char *method, *path;
		unsigned nth, seen;
		enum fake_fault_kind kind;
	} fault[2];
	int start_exits; /* containers created from now on exit at once with code 1 when started */
	int close_each;  /* close every connection after one reply */
	int stop_flag;
};

static struct fake_container *fake_find(struct fake_docker *f, const char *ref)
{
	for (int i = 0; i < FAKE_MAX_CONTAINERS; i++)
		if (f->c[i].used && (!strcmp(f->c[i].id, ref) || !strcmp(f->c[i].name, ref)))
			return &f->c[i];
	return NULL;
}

/* Add a container by hand (the state a test starts from). */
static struct fake_container *fake_add(struct fake_docker *f, const char *name, const char *state,
                                       const char *service, const char *release)
{
	for (int i = 0; i < FAKE_MAX_CONTAINERS; i++) {
		struct fake_container *c = &f->c[i];

		if (c->used)
			continue;
		memset(c, 0, sizeof(*c));
		c->used = 1;
		snprintf(c->id, sizeof(c->id), "%064u", ++f->next_id);
		memset(c->id, 'a' + (int)(f->next_id % 6), 8);
		snprintf(c->name, sizeof(c->name), "%s", name);
		snprintf(c->state, sizeof(c->state), "%s", state);
		snprintf(c->project, sizeof(c->project), "shop");
		snprintf(c->service, sizeof(c->service), "%s", service);
		snprintf(c->release, sizeof(c->release), "%s", release);
		snprintf(c->hash, sizeof(c->hash), "old");
		return c;
	}
	return NULL;
}

/* The value of "key":"value" in a JSON text, into out; "" when absent. */
static void fake_json_str(char *out, size_t size, const char *json, const char *key)
{
	char pat[128];
	const char *p, *e;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = json ? strstr(json, pat) : NULL;
	if (!p)
		return;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e)
		snprintf(out, size, "%.*s", (int)(e - p), p);
}

static int fake_send(int fd, int status, const char *body)
{
	char head[256];
	size_t n = body ? strlen(body) : 0;
	int len = snprintf(head, sizeof(head),
	                   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nApi-Version: "
	                   "1.41\r\nContent-Length: %zu\r\n\r\n",
	                   status, n);

	if (write(fd, head, (size_t)len) != len)
		return -1;
	if (n && write(fd, body, n) != (ssize_t)n)
		return -1;
	return 0;
}

static void fake_inspect_json(char *out, size_t size, const struct fake_container *c)
{
	snprintf(out, size,
	         "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Status\":\"%s\",\"ExitCode\":%d,"
	         "\"Restarting\":false,\"OOMKilled\":false},\"Config\":{\"Labels\":{"
	         "\"io.deployctl.project\":\"%s\",\"io.deployctl.service\":\"%s\","
	         "\"io.deployctl.release\":\"%s\",\"io.deployctl.spec-hash\":\"%s\","
	         "\"io.deployctl.replica\":\"1\"}},\"NetworkSettings\":{\"Networks\":{"
	         "\"shop_default\":{\"NetworkID\":\"net1\",\"Aliases\":[\"%s\",\"%.12s\"]}}}}",
	         c->id, c->name, c->state, c->exit_code, c->project, c->service, c->release,
	         c->hash, c->service, c->id);
}

/*
 * Serve one request (path without "/v1.41"); returns the status to answer
 * and fills body. The state changes here whether or not a reply is sent.
 */
static int fake_handle(struct fake_docker *f, const char *method, const char *path,
                       const char *req_body, char *body, size_t size)
{
	char ref[128] = "", arg[128] = "";
	const char *q;
	struct fake_container *c;

	body[0] = '\0';
	if (!strcmp(path, "/_ping"))
		return 200;
	if (!strncmp(path, "/networks/", 10))
		return 200;
	/* No container of the fake dies unasked: an events stream that ends at once. */
	if (!strncmp(path, "/events?", 8))
		return 200;
	if (!strncmp(path, "/containers/create?name=", 24)) {
		snprintf(ref, sizeof(ref), "%s", path + 24);
		ref[strcspn(ref, "&")] = '\0';
		if (fake_find(f, ref)) {
			snprintf(body, size,
			         "{\"message\":\"Conflict. The container name is in use\"}");
			return 409;
		}
		fake_json_str(arg, sizeof(arg), req_body, "io.deployctl.service");
		c = fake_add(f, ref, "created", arg, "");
		if (!c)
			return 500;
		fake_json_str(c->release, sizeof(c->release), req_body, "io.deployctl.release");
		fake_json_str(c->hash, sizeof(c->hash), req_body, "io.deployctl.spec-hash");
		c->exits_on_start = f->start_exits;
		snprintf(body, size, "{\"Id\":\"%s\",\"Warnings\":[]}", c->id);
		return 201;
	}
	if (strncmp(path, "/containers/", 12))
		return 404;
	snprintf(ref, sizeof(ref), "%s", path + 12);
	ref[strcspn(ref, "/?")] = '\0';
	q = path + 12 + strlen(ref);
	c = fake_find(f, ref);
	if (!c) {
		snprintf(body, size, "{\"message\":\"No such container: %s\"}", ref);
		return 404;
	}
	if (!strcmp(method, "GET") && !strcmp(q, "/json")) {
		fake_inspect_json(body, size, c);
		return 200;
	}
	if (!strcmp(method, "GET") && !strncmp(q, "/logs", 5))
		return 200;
	if (!strcmp(method, "POST") && !strcmp(q, "/start")) {
		if (!strcmp(c->state, "running"))
			return 304;
		snprintf(c->state, sizeof(c->state), "%s",
		         c->exits_on_start ? "exited" : "running");
		c->exit_code = c->exits_on_start ? 1 : 0;
		return 204;
	}
	if (!strcmp(method, "POST") && !strncmp(q, "/stop", 5)) {
		if (strcmp(c->state, "running"))
			return 304;
		snprintf(c->state, sizeof(c->state), "exited");
		return 204;
	}
	if (!strcmp(method, "POST") && !strncmp(q, "/rename?name=", 13)) {
		struct fake_container *h = fake_find(f, q + 13);

		if (h == c) { /* as Docker: a rename to its own name is refused */
			snprintf(body, size,
			         "{\"message\":\"Renaming a container with the same "
			         "name as its current name\"}");
			return 400;
		}
		if (h) {
			snprintf(body, size, "{\"message\":\"Conflict. The name is in use\"}");
			return 409;
		}
		snprintf(c->name, sizeof(c->name), "%s", q + 13);
		return 204;
	}
	if (!strcmp(method, "DELETE")) {
		if (!strcmp(c->state, "running") && !strstr(q, "force=1")) {
			snprintf(body, size,
			         "{\"message\":\"You cannot remove a running container\"}");
			return 409;
		}
		c->used = 0;
		return 204;
	}
	return 404;
}

/* Read one request: 1 with it, 0 on EOF, -1 on error. */
static int fake_read(int fd, char *buf, size_t size, char **body)
{
	size_t len = 0;
	char *end = NULL, *cl;
	long want = 0;

	while (!end) {
		ssize_t r;

		if (len + 1 >= size)
			return -1;
		r = read(fd, buf + len, size - 1 - len);
		if (r <= 0)
			return r == 0 && len == 0 ? 0 : -1;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	cl = strstr(buf, "Content-Length:");
	if (cl && cl < end)
		want = strtol(cl + 15, NULL, 10);
	if (strstr(buf, "Expect: 100-continue") &&
	    write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
		return -1;
	while ((long)(len - (size_t)(end + 4 - buf)) < want) {
		ssize_t r;

		if (len + 1 >= size)
			return -1;
		r = read(fd, buf + len, size - 1 - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*body = end + 4;
	return 1;
}

static void *fake_main(void *arg)
{
	struct fake_docker *f = arg;
	static char buf[1 << 16];
	static char out[8192];

	while (!f->stop_flag) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			continue;
		for (;;) {
			char method[16] = "", path[1024] = "", *body = NULL, *p;
			int status, drop = 0;

			if (fake_read(fd, buf, sizeof(buf), &body) <= 0)
				break;
			if (sscanf(buf, "%15s %1023s", method, path) != 2)
				break;
			p = path;
			if (!strncmp(p, "/v1.", 4))
				p = strchr(p + 1, '/');
			pthread_mutex_lock(&f->lock);
			if (f->nlog < FAKE_MAX_LOG) {
				char line[1100];

				snprintf(line, sizeof(line), "%s %s", method, p);
				f->log[f->nlog++] = strdup(line);
			}
			for (int k = 0; k < 2; k++) {
				struct fake_fault *ft = &f->fault[k];

				if (!ft->method || strcmp(ft->method, method) ||
				    !strstr(p, ft->path) || ++ft->seen != ft->nth)
					continue;
				drop = ft->kind == FAKE_FAIL_500    ? 2
				       : ft->kind == FAKE_CUT_REPLY ? 3
				                                    : 1;
			}
			if (drop == 2) {
				pthread_mutex_unlock(&f->lock);
				fake_send(fd, 500, "{\"message\":\"injected failure\"}");
				continue;
			}
			status = fake_handle(f, method, p, body, out, sizeof(out));
			pthread_mutex_unlock(&f->lock);
			if (drop == 3 && write(fd, "HTTP/1.1 20", 11) != 11)
				break;
			if (drop)
				break; /* done, reply withheld: the client sees the connection drop
				        */
			if (fake_send(fd, status, out) < 0 || f->close_each)
				break;
		}
		close(fd);
	}
	return NULL;
}

static int fake_start(struct fake_docker *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/fakedocker.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
	snprintf(f->host, sizeof(f->host), "unix://%s", f->sock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 8) < 0)
		return -1;
	pthread_mutex_init(&f->lock, NULL);
	return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -1;
}

static void fake_stop(struct fake_docker *f)
{
	f->stop_flag = 1;
	shutdown(f->lfd, SHUT_RDWR);
	/* Wake accept() with one last connection. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
		if (fd >= 0) {
			connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			close(fd);
		}
	}
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->sock);
	rmdir(f->dir);
	for (size_t i = 0; i < f->nlog; i++)
		free(f->log[i]);
	pthread_mutex_destroy(&f->lock);
}

/* Set fault k: the nth request with method and a path holding path gets kind. */
static void fake_fault(struct fake_docker *f, int k, const char *method, const char *path,
                       unsigned nth, enum fake_fault_kind kind)
{
	f->fault[k].method = method;
	f->fault[k].path = path;
	f->fault[k].nth = nth;
	f->fault[k].seen = 0;
	f->fault[k].kind = kind;
}

/* How many logged requests start with prefix. */
static size_t fake_count(struct fake_docker *f, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nlog; i++)
		n += !strncmp(f->log[i], prefix, strlen(prefix));
	return n;
}

#endif
