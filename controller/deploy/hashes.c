/*
 * hashes.c - the spec hash of every desired service, worked out on a helper
 * thread while the caller asks Docker for the project's containers: on a
 * no-op apply of 50 services the hashes (rendering each spec and keying it)
 * and the list (waiting for the Engine, then decoding its JSON) are each
 * about a fifth of the instructions, and neither needs the other until the
 * diff. Without a thread (pthread_create failed) they are done inline.
 */
#include <string.h>

#include "deployctl/spec.h"
#include "load_internal.h"

static int hashes_all(struct deploy_hashes *h)
{
	size_t i;

	for (i = 0; i < h->p->nservices; i++)
		if (spec_hash(h->out[i], h->key, h->p, &h->p->services[i], &h->err) < 0)
			return h->err.code;
	return 0;
}

static void *hashes_main(void *arg)
{
	struct deploy_hashes *h = arg;

	h->rc = hashes_all(h);
	return NULL;
}

void deploy_hashes_start(struct deploy_hashes *h, char (*out)[HASH_HEX_LEN + 1],
                         const struct project *p, const struct hash_key *key)
{
	memset(h, 0, sizeof(*h));
	h->out = out;
	h->p = p;
	h->key = key;
	err_clear(&h->err);
	h->started = pthread_create(&h->thread, NULL, hashes_main, h) == 0;
	if (!h->started)
		h->rc = hashes_all(h);
}

int deploy_hashes_join(struct deploy_hashes *h, struct err *err)
{
	if (h->started) {
		pthread_join(h->thread, NULL);
		h->started = false;
	}
	if (h->rc < 0 && !err->code)
		*err = h->err;
	return h->rc;
}
