/*
 * testsrv_dns.c: a minimal resolver for testsrv's --upstream proxy (see
 * testsrv_dns.h); linked into the static testsrv binary by tests/images/build.sh.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "testsrv_dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNS_TIMEOUT_MS 1000 /* one DNS query */
#define HOST_MAX       TESTSRV_HOST_MAX

/* The first IPv4 "nameserver" of /etc/resolv.conf into *ns; 0 or -1. */
static int resolv_nameserver(struct in_addr *ns)
{
	char line[512];
	FILE *f = fopen("/etc/resolv.conf", "re");
	int rc = -1;

	if (f == NULL)
		return -1;
	while (rc != 0 && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;

		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10;
		p += strspn(p, " \t");
		e = p + strcspn(p, " \t\r\n");
		*e = '\0';
		if (inet_pton(AF_INET, p, ns) == 1)
			rc = 0;
	}
	fclose(f);
	return rc;
}

/* Skip a (possibly compressed) DNS name at off; the offset after it, or -1. */
static long dns_skip_name(const unsigned char *m, size_t n, size_t off)
{
	unsigned hops = 0;

	while (off < n && hops++ < 128) {
		unsigned len = m[off];

		if (len == 0)
			return (long)off + 1;
		if ((len & 0xc0) == 0xc0)
			return off + 2 <= n ? (long)off + 2 : -1;
		if (len & 0xc0)
			return -1;
		off += 1 + len;
	}
	return -1;
}

/* A records of host from the nameserver, into out; the count, or -1. */
int testsrv_dns_query(const char *host, struct in_addr *out, int max)
{
	unsigned char q[HOST_MAX + 32], r[1500];
	struct sockaddr_in ns;
	struct pollfd pfd;
	unsigned short id = (unsigned short)(random() & 0xffff);
	size_t qn = 12, off;
	const char *label = host;
	unsigned an, qd, i;
	int fd, count = 0;
	ssize_t got;

	memset(&ns, 0, sizeof(ns));
	ns.sin_family = AF_INET;
	ns.sin_port = htons(53);
	if (resolv_nameserver(&ns.sin_addr) != 0)
		return -1;
	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)(id & 0xff);
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (*label != '\0') {
		size_t len = strcspn(label, ".");

		if (len == 0 || len > 63 || qn + len + 6 > sizeof(q))
			return -1;
		q[qn++] = (unsigned char)len;
		memcpy(q + qn, label, len);
		qn += len;
		label += len;
		if (*label == '.')
			label++;
	}
	q[qn++] = 0;
	q[qn++] = 0;
	q[qn++] = 1; /* QTYPE A */
	q[qn++] = 0;
	q[qn++] = 1; /* QCLASS IN */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ns, sizeof(ns)) != 0 || send(fd, q, qn, 0) < 0) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, DNS_TIMEOUT_MS) <= 0) {
			close(fd);
			return -1;
		}
		got = recv(fd, r, sizeof(r), 0);
		if (got >= 12 && r[0] == q[0] && r[1] == q[1])
			break; /* else a stray datagram: wait for ours */
		if (got < 0 && errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (!(r[2] & 0x80) || (r[3] & 0x0f) != 0)
		return 0; /* not a response, or NXDOMAIN / SERVFAIL: no records */
	qd = (unsigned)r[4] << 8 | r[5];
	an = (unsigned)r[6] << 8 | r[7];
	off = 12;
	for (i = 0; i < qd; i++) {
		long next = dns_skip_name(r, (size_t)got, off);

		if (next < 0 || (size_t)next + 4 > (size_t)got)
			return 0;
		off = (size_t)next + 4;
	}
	for (i = 0; i < an && count < max; i++) {
		long next = dns_skip_name(r, (size_t)got, off);
		unsigned type, rdlen;

		if (next < 0 || (size_t)next + 10 > (size_t)got)
			break;
		off = (size_t)next;
		type = (unsigned)r[off] << 8 | r[off + 1];
		rdlen = (unsigned)r[off + 8] << 8 | r[off + 9];
		off += 10;
		if (off + rdlen > (size_t)got)
			break;
		if (type == 1 && rdlen == 4)
			memcpy(&out[count++], r + off, 4);
		off += rdlen;
	}
	return count;
}

/* host's IPv4 addresses from /etc/hosts, into out; the count. */
int testsrv_hosts_lookup(const char *host, struct in_addr *out, int max)
{
	char line[1024];
	FILE *f = fopen("/etc/hosts", "re");
	int count = 0;

	if (f == NULL)
		return 0;
	while (count < max && fgets(line, sizeof(line), f) != NULL) {
		static const char ws[] = " \t\r\n";
		char *p = line, *e;
		struct in_addr a;

		line[strcspn(line, "#")] = '\0';
		p += strspn(p, ws);
		e = p + strcspn(p, ws);
		if (*e == '\0')
			continue; /* no names */
		*e++ = '\0';
		if (inet_pton(AF_INET, p, &a) != 1)
			continue;
		for (p = e + strspn(e, ws); *p != '\0'; p = e + strspn(e, ws)) {
			e = p + strcspn(p, ws);
			if ((size_t)(e - p) == strlen(host) &&
			    strncasecmp(p, host, strlen(host)) == 0) {
				out[count++] = a;
				break;
			}
		}
	}
	fclose(f);
	return count;
}
