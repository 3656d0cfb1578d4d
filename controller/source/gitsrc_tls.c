/*
 * gitsrc_tls.c - libgit2's process-wide set-up, without its CA bundle until
 * a fetch needs one. Debian's libgit2 is built with mbedTLS, and its
 * git_libgit2_init() parses the whole system bundle (about 140 certificates
 * of base64: a fifth of the CPU of a no-op apply), though reading a local
 * repository needs no TLS at all.
 *
 * How: deployctl defines mbedtls_x509_crt_parse_file() itself. The dynamic
 * linker binds a shared library's calls to the executable's definition
 * first, so the one call that git_libgit2_init() makes lands here, and is
 * only remembered while gitsrc_global_init() runs; every other call goes on
 * to mbedTLS's own function. Before a fetch, gitsrc_tls_load() hands the
 * remembered bundle to libgit2 (GIT_OPT_SET_SSL_CERT_LOCATIONS), which
 * parses it then, exactly as its init would have. With a libgit2 built on
 * OpenSSL the function is never called and nothing changes.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <git2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "deployctl/gitsrc.h"

int mbedtls_x509_crt_parse_file(void *chain, const char *path);

/* Watchers of several projects may open repositories from their own threads. */
static pthread_mutex_t gitsrc_init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool gitsrc_initialised;
static bool tls_deferring;      /* inside git_libgit2_init() */
static char tls_deferred[4096]; /* the bundle it asked for, not parsed yet */

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	int (*real)(void *, const char *);

	if (tls_deferring && path && strlen(path) < sizeof(tls_deferred)) {
		snprintf(tls_deferred, sizeof(tls_deferred), "%s", path);
		return 0; /* an empty chain, filled by gitsrc_tls_load() before any use */
	}
	*(void **)&real = dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
	if (!real)
		return -0x2900; /* MBEDTLS_ERR_X509_FILE_IO_ERROR */
	return real(chain, path);
}

void gitsrc_global_init(void)
{
	int rc;

	pthread_mutex_lock(&gitsrc_init_lock);
	if (!gitsrc_initialised) {
		tls_deferring = true;
		rc = git_libgit2_init();
		tls_deferring = false;
		if (rc > 0)
			gitsrc_initialised = true;
	}
	pthread_mutex_unlock(&gitsrc_init_lock);
}

int gitsrc_tls_load(void)
{
	int rc;

	gitsrc_global_init();
	pthread_mutex_lock(&gitsrc_init_lock);
	rc = *tls_deferred ? git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, tls_deferred, NULL)
	                   : 0;
	if (rc == 0)
		tls_deferred[0] = '\0';
	pthread_mutex_unlock(&gitsrc_init_lock);
	return rc;
}

bool gitsrc_tls_pending(void)
{
	bool pending;

	pthread_mutex_lock(&gitsrc_init_lock);
	pending = *tls_deferred != '\0';
	pthread_mutex_unlock(&gitsrc_init_lock);
	return pending;
}

void gitsrc_global_cleanup(void)
{
	pthread_mutex_lock(&gitsrc_init_lock);
	if (gitsrc_initialised)
		git_libgit2_shutdown();
	gitsrc_initialised = false;
	tls_deferred[0] = '\0';
	pthread_mutex_unlock(&gitsrc_init_lock);
}
