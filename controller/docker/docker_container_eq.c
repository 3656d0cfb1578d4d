/*
 * docker_container_eq.c - whether two decoded container lists hold the same
 * values, field by field: the differential checks of the fast reader
 * (docker_container_scan.c) against the jansson path compare with it.
 */
#include <stdbool.h>
#include <string.h>

#include "deployctl/docker.h"
#include "docker_internal.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int docker_container_list_equal(const struct docker_container *a, const struct docker_container *b,
                                size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct docker_container *x = &a[i], *y = &b[i];

		if (!str_eq(x->id, y->id) || !str_eq(x->name, y->name) ||
		    !str_eq(x->image, y->image) || !str_eq(x->image_id, y->image_id) ||
		    !str_eq(x->state, y->state) || !str_eq(x->status, y->status) ||
		    !str_eq(x->project, y->project) || !str_eq(x->service, y->service) ||
		    !str_eq(x->release, y->release) || !str_eq(x->spec_hash, y->spec_hash) ||
		    !str_eq(x->owner, y->owner) || !str_eq(x->owner_host, y->owner_host) ||
		    !str_eq(x->owner_state, y->owner_state) || !str_eq(x->job, y->job) ||
		    x->replica != y->replica || x->created != y->created ||
		    !strv_equal(&x->networks, &y->networks) ||
		    !strv_equal(&x->volumes, &y->volumes) || !strv_equal(&x->ports, &y->ports))
			return 0;
	}
	return 1;
}
