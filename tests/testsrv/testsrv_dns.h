/*
 * testsrv_dns.h: the resolver of testsrv's --upstream proxy (testsrv_dns.c).
 * The binary is static and the image has no NSS, so names are resolved by a
 * DNS A query over UDP to the first nameserver of /etc/resolv.conf (Docker's
 * 127.0.0.11), else from /etc/hosts.
 */
#ifndef TESTSRV_DNS_H
#define TESTSRV_DNS_H

#include <netinet/in.h>

#define TESTSRV_HOST_MAX 253 /* bytes of a host name */

/* A records of host from the nameserver, at most max into out; the count, or -1. */
int testsrv_dns_query(const char *host, struct in_addr *out, int max);
/* Addresses of host in /etc/hosts, at most max into out; the count, or -1. */
int testsrv_hosts_lookup(const char *host, struct in_addr *out, int max);

#endif
