/*
 * out.h - printing for commands: JSON string literals for --json output,
 * strings from Docker or manifests made safe for a terminal, and the short
 * "a, b, c" lists that messages carry.
 */
#ifndef DEPLOYCTL_OUT_H
#define DEPLOYCTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write s as a JSON string literal (quotes included); NULL writes null. */
void out_json_str(FILE *f, const char *s);
/*
 * Write one member of an object being printed, after another: ,"key":
 * then s as out_json_str() writes it. key is a literal, written as is.
 */
void out_json_field(FILE *f, const char *key, const char *s);
/* Write s with control characters shown as \xNN (tmux's stravis habit). */
void out_safe(FILE *f, const char *s);
/* pre, then s as out_safe() writes it, then post: a labelled or bracketed value. */
void out_safe_between(FILE *f, const char *pre, const char *s, const char *post);
/*
 * Append item to the list in the caller's buffer out (size bytes, *used of
 * them taken; start with out[0] = '\0' and *used = 0), after ", " unless
 * first. When it does not fit, out ends in "..." (if size > 4) and *used
 * becomes size, so later calls add nothing. false once the list is full.
 */
bool out_list_add(char *out, size_t size, size_t *used, bool first, const char *item);

#endif
