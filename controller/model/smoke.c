/*
 * smoke.c - the smoke checks and notification targets of a project
 * (smoke.h): freeing them, and the names their enums are recorded by.
 */
#include "deployctl/smoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_smoke_release(struct project *p)
{
	size_t i;

	for (i = 0; i < p->nsmoke; i++) {
		struct smoke_check *c = &p->smoke[i];

		free(c->name);
		free(c->url);
		free(c->method);
		free(c->body_contains);
		free(c->header);
		free(c->service);
		free(c->network);
		free(c->image);
		free(c->path);
	}
	free(p->smoke);
	p->smoke = NULL;
	p->nsmoke = 0;
	free(p->smoke_image);
	p->smoke_image = NULL;
	for (i = 0; i < p->nnotify; i++) {
		free(p->notify[i].url_env);
		free(p->notify[i].url_file);
		strv_free(&p->notify[i].command);
	}
	free(p->notify);
	p->notify = NULL;
	p->nnotify = 0;
}

static const char *const format_names[] = {
	[NOTIFY_SLACK] = "slack",
	[NOTIFY_JSON] = "json",
	[NOTIFY_COMMAND] = "command",
};

const char *notify_format_name(enum notify_format f)
{
	return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f]
	                                                                    : "slack";
}

int notify_format_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (!strcmp(s, format_names[i]))
			return (int)i;
	return -1;
}

static const char *const on_names[] = { "succeeded", "failed", "rolled_back", "interrupted" };

unsigned notify_on_bit(const char *status)
{
	size_t i;

	for (i = 0; status && i < sizeof(on_names) / sizeof(on_names[0]); i++)
		if (!strcmp(status, on_names[i]))
			return 1u << i;
	return 0;
}

const char *notify_on_format(char *out, size_t size, unsigned bits)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(on_names) / sizeof(on_names[0]); i++)
		if ((bits & (1u << i)) && len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "",
			                        on_names[i]);
	return out;
}

unsigned notify_on_parse(const char *s)
{
	unsigned bits = 0;
	char word[32];
	size_t n;

	while (s && *s) {
		n = strcspn(s, ",");
		if (n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = '\0';
			bits |= notify_on_bit(word);
		}
		s += n + (s[n] == ',');
	}
	return bits;
}
