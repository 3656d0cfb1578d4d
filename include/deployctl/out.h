/*
 * out.h - printing for commands: JSON string literals for --json output,
 * and strings from Docker or manifests made safe for a terminal.
 */
#ifndef DEPLOYCTL_OUT_H
#define DEPLOYCTL_OUT_H

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

#endif
