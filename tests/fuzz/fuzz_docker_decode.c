/*
 * fuzz_docker_decode.c - the decoders of the Engine's JSON (what a daemon,
 * or anything that answers on its socket, sends back): the first byte picks
 * the decoder, the rest is the body.
 */
#include <stdio.h>
#include <stdlib.h>

#include "docker_internal.h"
#include "fuzz.h"

/* The fast reader of a container list against the jansson path. */
static void containers_both(const char *json)
{
	struct docker_container *a = NULL, *b = NULL;
	struct err err = ERR_INIT;
	size_t na = 0, nb = 0;
	int ra = docker_scan_containers(&a, &na, json);
	int rb = docker_decode_containers_jansson(&b, &nb, json, &err);

	if ((ra == 0) != (rb == 0) || (ra != 0 && ra != ERR_FAIL) ||
	    (ra == 0 && (na != nb || !docker_container_list_equal(a, b, na)))) {
		fprintf(stderr, "container list: fast reader %d (%zu), jansson %d (%zu): %s\n", ra,
		        na, rb, nb, err.msg);
		abort();
	}
	if (ra == 0)
		docker_container_list_free(a, na);
	if (rb == 0)
		docker_container_list_free(b, nb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *refs[2] = { "nginx:1.25", "registry.example/app@sha256:00" };
	struct docker_container *c = NULL;
	struct docker_resource *nw = NULL;
	struct docker_resource *vol = NULL;
	struct docker_container_state st;
	struct docker_info info;
	struct err err = ERR_INIT;
	char *ids[2] = { NULL, NULL }, *id = NULL, *digest = NULL, *json;
	size_t n = 0;

	if (!size)
		return 0;
	json = fuzz_string(data + 1, size - 1);
	if (!json)
		return 0;
	memset(&st, 0, sizeof(st));
	memset(&info, 0, sizeof(info));
	switch (data[0] % 8) {
	case 0:
		containers_both(json);
		if (docker_decode_containers(&c, &n, json, &err) == 0)
			docker_container_list_free(c, n);
		break;
	case 1:
		if (docker_decode_resources(&nw, &n, RES_NETWORK, json, &err) == 0)
			docker_resource_list_free(nw, n);
		break;
	case 2:
		if (docker_decode_resources(&vol, &n, RES_VOLUME, json, &err) == 0)
			docker_resource_list_free(vol, n);
		break;
	case 3:
		if (docker_decode_state(&st, json, &err) == 0)
			docker_container_state_release(&st);
		break;
	case 4:
		docker_decode_images(ids, json, refs, 2, &err);
		free(ids[0]);
		free(ids[1]);
		break;
	case 5:
		if (docker_decode_info(&info, json, &err) == 0)
			docker_info_release(&info);
		break;
	case 6:
		docker_decode_image_digest(&id, &digest, json, "nginx", &err);
		free(id);
		free(digest);
		break;
	default:
		docker_decode_distribution(&digest, json, &err);
		free(digest);
		break;
	}
	free(json);
	return 0;
}
