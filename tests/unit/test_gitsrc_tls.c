/*
 * test_gitsrc_tls.c - libgit2's start-up leaves the system CA bundle
 * unparsed (Debian's libgit2 parses it in git_libgit2_init() with mbedTLS),
 * and gitsrc_tls_load() parses it, through mbedTLS's own function, when a
 * fetch needs it.
 */
#include <stdio.h>

#include "check.h"
#include "deployctl/gitsrc.h"

static void test_gitsrc_tls__deferred_then_loaded(void)
{
	gitsrc_global_init();
	if (!gitsrc_tls_pending()) {
		/* A libgit2 on OpenSSL (or without a bundle): nothing was deferred. */
		CHECK_INT(gitsrc_tls_load(), 0);
		return;
	}
	CHECK_INT(gitsrc_tls_load(), 0);
	CHECK(!gitsrc_tls_pending());
	/* Idempotent. */
	CHECK_INT(gitsrc_tls_load(), 0);
	gitsrc_global_cleanup();
	/* Again after a shutdown: deferred again, loaded again. */
	gitsrc_global_init();
	CHECK(gitsrc_tls_pending());
	CHECK_INT(gitsrc_tls_load(), 0);
	gitsrc_global_cleanup();
}

int main(void)
{
	RUN(test_gitsrc_tls__deferred_then_loaded);
	return CHECK_DONE();
}
