/*
 * manifest_tls.c - x-deployctl.tls: the certificates a project serves, as a
 * list of {cert, key, names} read by a key table (manifest_list.c). Only the
 * paths and names are read here; the files themselves are host files that
 * "deployctl check" opens (a private key never comes from the repository,
 * so nothing is read through the source).
 */
#include <stddef.h>

#include "manifest_internal.h"

/* Entries of x-deployctl.tls. */
#define TLS_MAX 256

/* A cert or key path: absolute, or relative to the manifest ("./ssl/x.pem"); not empty. */
static bool path_ok(const char *s)
{
	return s[0] != '\0';
}

#define TLS(field) offsetof(struct project_tls, field)

/* clang-format off */
static const struct manifest_key tls_keys[] = {
	{ .key = "cert", .kind = MK_STRING, .offset = TLS(cert), .valid = path_ok,
	  .what = "invalid path", .hint = "must not be empty" },
	{ .key = "key", .kind = MK_STRING, .offset = TLS(key), .valid = path_ok,
	  .what = "invalid path", .hint = "must not be empty" },
	{ .key = "names", .kind = MK_STRINGS, .offset = TLS(names), .flags = MKF_SINGLE },
	{ .key = NULL },
};
/* clang-format on */

static int tls_finish(struct manifest_ctx *c, void *e, const struct mnode *v, const char *path,
                      int rc)
{
	const struct project_tls *t = e;

	if (!rc && !t->cert)
		manifest_error(c, v, path, "a tls entry needs cert: (the certificate's path)");
	return 0;
}

int manifest_load_tls(struct manifest_ctx *c, const struct mnode *n, const char *path)
{
	const struct manifest_list l = {
		.items = (void **)&c->p->tls,
		.n = &c->p->ntls,
		.size = sizeof(struct project_tls),
		.max = TLS_MAX,
		.loc_offset = offsetof(struct project_tls, loc),
		.what = "tls entries",
		.keys = tls_keys,
		.finish = tls_finish,
	};

	return manifest_read_list(c, &l, n, path);
}
