/*
 * preflight_ports.c - the published ports check: each fixed host port is
 * free (a test bind), published by this project's own containers, or named
 * as held by someone else; and no two services publish the same one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/check.h"
#include "deployctl/deploy_swarm.h"
#include "deployctl/envrules.h"
#include "deployctl/out.h"
#include "preflight_internal.h"

/* Does "ip:port/proto" (docker_container.ports) publish port/proto? */
static bool binding_is(const char *b, unsigned port, const char *proto)
{
	const char *slash = strrchr(b, '/'), *colon;
	char *end;
	unsigned long n;

	if (!slash || strcmp(slash + 1, proto))
		return false;
	for (colon = slash; colon > b && colon[-1] != ':'; colon--)
		;
	if (colon == b)
		return false;
	n = strtoul(colon, &end, 10);
	return end == slash && n == port;
}

static bool published_by_project(const struct docker_container *c, size_t nc, unsigned port,
                                 const char *proto)
{
	size_t i, k;

	for (i = 0; i < nc; i++)
		for (k = 0; k < c[i].ports.n; k++)
			if (binding_is(c[i].ports.v[k], port, proto))
				return true;
	return false;
}

/* "127.0.0.1:8080/tcp", "[::1]:8080/tcp", "0.0.0.0:8080/tcp" */
static void port_name(char *out, size_t size, const struct svc_port *sp)
{
	const char *ip = *sp->host_ip ? sp->host_ip : "0.0.0.0";

	snprintf(out, size, strchr(ip, ':') ? "[%s]:%u/%s" : "%s:%u/%s", ip, sp->host_port,
	         sp->protocol);
}

/* Try to bind the port (then close it): 0, or the errno. */
static int try_bind(const struct svc_port *sp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, e = 0;
	int type = strcmp(sp->protocol, "udp") ? SOCK_STREAM : SOCK_DGRAM;

	memset(&ss, 0, sizeof(ss));
	if (strchr(sp->host_ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)sp->host_port);
		if (inet_pton(AF_INET6, sp->host_ip, &a->sin6_addr) != 1)
			return EINVAL;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)sp->host_port);
		if (!*sp->host_ip)
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, sp->host_ip, &a->sin_addr) != 1)
			return EINVAL;
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0)
		e = errno;
	close(fd);
	return e;
}

/* Same host port and protocol published earlier in the project? Its service, or NULL. */
static const char *published_earlier(const struct project *p, size_t si, size_t pi)
{
	const struct svc_port *me = &p->services[si].ports[pi];
	size_t i, k;

	for (i = 0; i <= si; i++) {
		const struct service *s = &p->services[i];

		if (!s->replicas || (s->network_mode && !strcmp(s->network_mode, "host")))
			continue;
		for (k = 0; k < s->nports && (i < si || k < pi); k++)
			if (s->ports[k].host_port == me->host_port &&
			    !strcmp(s->ports[k].protocol, me->protocol) &&
			    (!*s->ports[k].host_ip || !*me->host_ip ||
			     !strcmp(s->ports[k].host_ip, me->host_ip)))
				return s->name;
	}
	return NULL;
}

/* One published port; returns true when it is fine. */
static bool check_port(struct run *run, const struct docker_container *own, size_t nown, size_t si,
                       size_t pi, size_t *ours)
{
	const struct project *p = run->dp->project;
	const struct service *s = &p->services[si];
	const struct svc_port *sp = &s->ports[pi];
	const char *other = published_earlier(p, si, pi);
	char name[128];
	int e;

	port_name(name, sizeof(name), sp);
	if (other) {
		preflight_item_add(run, "ports", ST_FAIL,
		                   "%s is published by both services.%s and services.%s", name,
		                   other, s->name);
		return false;
	}
	/* Swarm's ingress mesh publishes a port once for every replica */
	if (s->replicas > 1 && !(run->dp->swarm && !sp->host_mode && !*sp->host_ip)) {
		preflight_item_add(
		        run, "ports", ST_FAIL,
		        "%s is published by services.%s, which has %u replicas: only one can bind "
		        "it",
		        name, s->name, s->replicas);
		return false;
	}
	if (published_by_project(own, nown, sp->host_port, sp->protocol) ||
	    deploy_swarm_publishes(run->dp, sp->host_port, sp->protocol)) {
		(*ours)++;
		return true;
	}
	if (!strcmp(sp->protocol, "sctp"))
		return true; /* not testable without SCTP support; Docker will say */
	e = try_bind(sp);
	if (e == 0)
		return true;
	if (e == EADDRINUSE)
		preflight_item_add(run, "ports", ST_FAIL,
		                   "%s is held by another process or container (services.%s)", name,
		                   s->name);
	else if (e == EACCES || e == EPERM)
		preflight_item_add(run, "ports", ST_WARN, "%s cannot be tested (services.%s): %s",
		                   name, s->name, strerror(e));
	else
		preflight_item_add(run, "ports", ST_FAIL, "%s cannot be bound (services.%s): %s",
		                   name, s->name, strerror(e));
	return e == EACCES || e == EPERM;
}

/* Append sp's name to out ("a, b", cut with "..."). */
static void join_port(char *out, size_t size, size_t *used, const struct svc_port *sp)
{
	char name[128];

	if (*used >= size)
		return;
	port_name(name, sizeof(name), sp);
	out_list_add(out, size, used, *used == 0, name);
}

void preflight_ports(struct run *run)
{
	const struct project *p = run->dp->project;
	struct docker_container *list = NULL;
	const struct docker_container *own = NULL;
	size_t nlist = 0, nown = 0, i, k, total = 0, ours = 0, bad = 0, used = 0;
	struct err err = ERR_INIT;
	char names[512] = "";

	if (run->flags & CHECK_PREFLIGHT) {
		own = run->dp->containers;
		nown = run->dp->ncontainers;
	} else if (run->docker_ok) {
		if (docker_container_list(&list, &nlist, run->ctx->docker, p->name, &err) < 0) {
			preflight_item_add(run, "ports", ST_FAIL,
			                   "cannot list the project's containers: %s", err.msg);
			return;
		}
		own = list;
		nown = nlist;
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		if (!s->replicas || (s->network_mode && !strcmp(s->network_mode, "host")))
			continue; /* nothing is published */
		for (k = 0; k < s->nports; k++) {
			if (!s->ports[k].host_port)
				continue;
			total++;
			if (!check_port(run, own, nown, i, k, &ours))
				bad++;
			join_port(names, sizeof(names), &used, &s->ports[k]);
		}
	}
	if (!bad && !total)
		preflight_item_add(run, "ports", ST_OK, "no published host ports");
	else if (!bad)
		preflight_item_add(
		        run, "ports", ST_OK,
		        "%zu published port(s) free or already this project's (%zu): %s%s", total,
		        ours, names,
		        run->docker_ok ? "" : "; Docker unreachable: own containers unknown");
	docker_container_list_free(list, nlist);
}
