/*
 * spec_internal.h - what the two halves of the spec module share:
 * spec.c renders, spec_parse.c parses (and checks both against the field
 * table). Dependencies point from spec_parse.c to spec.c only.
 */
#ifndef DEPLOYCTL_SPEC_INTERNAL_H
#define DEPLOYCTL_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Names of enum mount_type in the spec, by value. */
extern const char *const spec_mount_types[3];

/* Whether spec.c renders the SVC_CUSTOM field key. */
bool spec_renders(const char *key);

/* The key of the i-th renderer of spec.c, NULL past the last. */
const char *spec_renderer_key(size_t i);

#endif
