/*
 * out.h - printing for commands: JSON string literals for --json output,
 * and strings from Docker or manifests made safe for a terminal.
 */
#ifndef DEPLOYCTL_OUT_H
#define DEPLOYCTL_OUT_H

#include <stdio.h>

/* Write s as a JSON string literal (quotes included); NULL writes null. */
void out_json_str(FILE *f, const char *s);
/* Write s with control characters shown as \xNN (tmux's stravis habit). */
void out_safe(FILE *f, const char *s);

#endif
