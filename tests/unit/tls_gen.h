/*
 * tls_gen.h - certificates and keys for the TLS tests, made by the openssl
 * command in a directory of the test's (dir/NAME.crt and dir/NAME.key).
 */
#ifndef DEPLOYCTL_TEST_TLS_GEN_H
#define DEPLOYCTL_TEST_TLS_GEN_H

#include <stdio.h>
#include <stdlib.h>

/*
 * A self-signed P-256 certificate valid for days (0 or less: it expired a
 * day ago), with subjectAltName san ("DNS:a,IP:127.0.0.1"; NULL: none).
 * Aborts when openssl fails: the test cannot run without it.
 */
static void tls_gen(const char *dir, const char *name, int days, const char *san)
{
	char cmd[2048];
	int n;

	if (days > 0)
		n = snprintf(
		        cmd, sizeof(cmd),
		        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '%s/%s.key' "
		        "-out '%s/%s.crt' -days %d -subj '/CN=%s' %s%s%s 2>/dev/null",
		        dir, name, dir, name, days, name, san ? "-addext 'subjectAltName=" : "",
		        san ? san : "", san ? "'" : "");
	else /* req -x509 refuses a past end date; re-sign with a negative -days */
		n = snprintf(
		        cmd, sizeof(cmd),
		        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '%s/%s.key' "
		        "-out '%s/%s.tmp' -days 1 -subj '/CN=%s' %s%s%s 2>/dev/null && "
		        "openssl x509 -in '%s/%s.tmp' -signkey '%s/%s.key' -days -1 "
		        "-out '%s/%s.crt' 2>/dev/null",
		        dir, name, dir, name, name, san ? "-addext 'subjectAltName=" : "",
		        san ? san : "", san ? "'" : "", dir, name, dir, name, dir, name);
	if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0) {
		fprintf(stderr, "tls_gen: openssl failed for %s\n", name);
		abort();
	}
}

#endif
