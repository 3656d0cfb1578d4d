/*
 * manifest_words.c - the small value syntaxes of the Compose format, done
 * as docker compose v2 does them: shell-style word splitting (a command
 * given as one string), Go durations ("1m30s") and byte sizes ("512m").
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/manifest.h"
#include "deployctl/source.h"
#include "manifest_internal.h"

static int word_push(struct strv *words, struct buf *w)
{
	int rc = strv_push(words, w->ptr);

	buf_reset(w);
	return rc;
}

/* Split per POSIX quoting, as mattn/go-shellwords does for compose (no expansion). */
static int shell_words(struct strv *words, const char *in, char *errmsg, size_t errsize)
{
	struct buf w;
	const char *p = in;
	bool inword = false;
	int rc = 0;

	buf_init(&w, SOURCE_MAX_FILE);
	for (; *p && !rc; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (inword)
				rc = word_push(words, &w);
			inword = false;
			continue;
		}
		if (*p == '\\' && p[1] == '\n') {
			p++; /* line continuation */
			continue;
		}
		inword = true;
		if (*p == '\\') {
			if (!p[1]) {
				rc = manifest_msg_set(errmsg, errsize,
				                      "trailing backslash in command");
				break;
			}
			rc = buf_putc(&w, *++p);
		} else if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end) {
				rc = manifest_msg_set(errmsg, errsize,
				                      "unterminated single quote in command");
				break;
			}
			rc = buf_add(&w, p + 1, (size_t)(end - p - 1));
			p = end;
		} else if (*p == '"') {
			for (p++; *p && *p != '"' && !rc; p++) {
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					p++;
					if (*p == '\n')
						continue;
				}
				rc = buf_putc(&w, *p);
			}
			if (!rc && !*p) {
				rc = manifest_msg_set(errmsg, errsize,
				                      "unterminated double quote in command");
				break;
			}
		} else {
			rc = buf_putc(&w, *p);
		}
	}
	if (!rc && inword)
		rc = word_push(words, &w);
	if (rc == ERR_NOMEM)
		manifest_msg_set(errmsg, errsize, "out of memory");
	buf_release(&w);
	return rc;
}

int manifest_shell_split(struct strv *out, const char *in, char *errmsg, size_t errsize)
{
	struct strv words = { NULL, 0 };
	char **v;
	int rc = shell_words(&words, in, errmsg, errsize);

	if (rc)
		goto out;
	if (!words.n)
		return 0;
	v = realloc(out->v, (out->n + words.n) * sizeof(*v));
	if (!v) {
		manifest_msg_set(errmsg, errsize, "out of memory");
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(v + out->n, words.v, words.n * sizeof(*v));
	out->v = v;
	out->n += words.n;
	free(words.v);
	return 0;
out:
	strv_free(&words);
	return rc;
}

/* Digits, then an optional fraction; *v and frac/scale. 0, or ERR_INVALID. */
static int parse_decimal(const char **pp, uint64_t *v, uint64_t *frac, uint64_t *scale)
{
	const char *p = *pp;
	bool digits = false;

	*v = 0;
	*frac = 0;
	*scale = 1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return ERR_INVALID;
		*v = *v * 10 + (uint64_t)(*p - '0');
		digits = true;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			/* digits beyond 1e-18 cannot change the result */
			if (*scale < 1000000000000000000ull) {
				*frac = *frac * 10 + (uint64_t)(*p - '0');
				*scale *= 10;
			}
			digits = true;
		}
	}
	*pp = p;
	return digits ? 0 : ERR_INVALID;
}

/* v * unit + frac / scale * unit, within int64; ERR_INVALID on overflow. */
static int scale_add(uint64_t *total, uint64_t v, uint64_t frac, uint64_t scale, uint64_t unit)
{
	uint64_t part;

	if (v > (uint64_t)INT64_MAX / unit)
		return ERR_INVALID;
	part = v * unit;
	/* as Go's time.ParseDuration, the fraction goes through a double */
	part += (uint64_t)((double)frac * ((double)unit / (double)scale));
	if (part > (uint64_t)INT64_MAX || *total > (uint64_t)INT64_MAX - part)
		return ERR_INVALID;
	*total += part;
	return 0;
}

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000ull },
	{ "m", 60ull * 1000000000ull },
	{ "h", 3600ull * 1000000000ull },
};

int manifest_parse_duration(int64_t *out, const char *s)
{
	uint64_t total = 0, v, frac, scale, unit;
	const char *p = s;
	size_t ulen, i;

	if (!p)
		return ERR_INVALID;
	if (*p == '+')
		p++;
	/* Go's one unitless form; negative durations make no sense here */
	if (!strcmp(p, "0")) {
		*out = 0;
		return 0;
	}
	if (!*p)
		return ERR_INVALID;
	while (*p) {
		if (parse_decimal(&p, &v, &frac, &scale))
			return ERR_INVALID;
		ulen = 0;
		while (p[ulen] && p[ulen] != '.' && !(p[ulen] >= '0' && p[ulen] <= '9'))
			ulen++;
		unit = 0;
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
			if (strlen(duration_units[i].name) == ulen &&
			    !memcmp(p, duration_units[i].name, ulen))
				unit = duration_units[i].ns;
		if (!unit || scale_add(&total, v, frac, scale, unit))
			return ERR_INVALID; /* no unit (a bare number), unknown unit, overflow */
		p += ulen;
	}
	*out = (int64_t)total;
	return 0;
}

int manifest_parse_bytes(int64_t *out, const char *s)
{
	static const char units[] = "bkmgtp";
	uint64_t total = 0, v, frac, scale, mult = 1;
	const char *p = s, *u;

	if (!p || !(*p >= '0' && *p <= '9'))
		return ERR_INVALID;
	if (parse_decimal(&p, &v, &frac, &scale) || p[-1] == '.')
		return ERR_INVALID; /* go-units wants digits after a '.' */
	if (*p == ' ' && p[1])      /* "100 m"; a trailing space is junk */
		p++;
	if (*p && (u = strchr(units, tolower((unsigned char)*p))) != NULL) {
		mult = (uint64_t)1 << (10 * (u - units));
		p++;
		if (u != units && (*p == 'i' || *p == 'I'))
			p++;
		if (u != units && (*p == 'b' || *p == 'B'))
			p++;
	}
	if (*p || scale_add(&total, v, frac, scale, mult))
		return ERR_INVALID;
	*out = (int64_t)total;
	return 0;
}
