/*
 * out.c - output helpers shared by the commands: JSON string escaping,
 * terminal-safe strings (nothing from Docker or a manifest reaches the
 * terminal raw) and the bounded "a, b, ..." lists of messages.
 */
#include "deployctl/out.h"

#include <stdio.h>
#include <string.h>

void out_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void out_json_field(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	out_json_str(f, s);
}

bool out_list_add(char *out, size_t size, size_t *used, bool first, const char *item)
{
	int w;

	if (*used >= size)
		return false;
	w = snprintf(out + *used, size - *used, "%s%s", first ? "" : ", ", item);
	if (w < 0 || (size_t)w >= size - *used) {
		if (size > 4)
			memcpy(out + size - 4, "...", 4);
		*used = size;
		return false;
	}
	*used += (size_t)w;
	return true;
}

void out_safe(FILE *f, const char *s)
{
	const unsigned char *p;

	if (!s)
		return;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

void out_safe_between(FILE *f, const char *pre, const char *s, const char *post)
{
	fputs(pre, f);
	out_safe(f, s);
	fputs(post, f);
}
