/*
 * spec_internal.h - what the two halves of the spec module share:
 * spec.c renders, spec_parse.c parses (and checks both against the field
 * table); spec_resource.c renders networks and volumes with spec.c's
 * helpers; spec_dump.c writes the text. Dependencies point from
 * spec_parse.c and spec_resource.c to spec.c only, and from spec.c to
 * spec_dump.c.
 */
#ifndef DEPLOYCTL_SPEC_INTERNAL_H
#define DEPLOYCTL_SPEC_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "deployctl/model.h"

/* New JSON array of v's strings, or NULL (out of memory): the caller's reference. */
json_t *spec_strv_json(const struct strv *v);
/* New JSON object of k's pairs, or NULL (out of memory): the caller's reference. */
json_t *spec_kvv_json(const struct kvv *k);

/*
 * json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT), byte for byte, faster
 * (spec_dump.c): new string, free(); NULL when out of memory or o is
 * neither an object nor an array.
 */
char *spec_json_dumps(const json_t *o);

/* Names of enum mount_type in the spec, by value. */
extern const char *const spec_mount_types[3];

/* Whether spec.c renders the SVC_CUSTOM field key. */
bool spec_renders(const char *key);

/* The key of the i-th renderer of spec.c, NULL past the last. */
const char *spec_renderer_key(size_t i);

#endif
