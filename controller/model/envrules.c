/*
 * envrules.c - checks x-deployctl.env rules against the values a deploy
 * would use: the interpolation variables first, else each service's
 * environment. A message says what is wrong with "the value" and never
 * quotes it: the same text serves secret and ordinary keys.
 */
#include "deployctl/envrules.h"

#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deployctl/buf.h"
#include "deployctl/out.h"

/* Longest list of allowed values or schemes quoted in one message. */
#define LIST_MAX 200

/* Code points in a UTF-8 string (continuation bytes are not counted). */
static long utf8_length(const char *s)
{
	long n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* "a, b, c" into out, cut with "..." when it does not fit. */
static void join_list(char *out, size_t size, const struct strv *v)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < v->n && out_list_add(out, size, &len, i == 0, v->v[i]); i++)
		;
}

/*
 * Is value scheme://authority...? *scheme_ok tells whether the scheme is one
 * of schemes (compared without case); an empty list allows any.
 */
static bool url_parse(const char *value, const struct strv *schemes, bool *scheme_ok)
{
	const char *p = value, *auth;
	size_t slen, i;

	*scheme_ok = false;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	slen = (size_t)(p - value);
	auth = p + 3;
	if (!*auth || *auth == '/' || *auth == '?' || *auth == '#')
		return false;
	for (; *auth && *auth != '/' && *auth != '?' && *auth != '#'; auth++)
		if (isspace((unsigned char)*auth) || iscntrl((unsigned char)*auth))
			return false;
	if (!schemes->n)
		*scheme_ok = true;
	for (i = 0; i < schemes->n && !*scheme_ok; i++)
		*scheme_ok =
		        strlen(schemes->v[i]) == slen && !strncasecmp(schemes->v[i], value, slen);
	return true;
}

/* Does value match the whole pattern? -1 when the pattern does not compile. */
static int pattern_match(const char *pattern, const char *value, char *why, size_t whysize)
{
	struct buf anchored;
	regex_t re;
	int rc;

	buf_init(&anchored, 0);
	if (buf_printf(&anchored, "^(%s)$", pattern) < 0) {
		buf_release(&anchored);
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	rc = regcomp(&re, anchored.ptr, REG_EXTENDED | REG_NOSUB);
	buf_release(&anchored);
	if (rc != 0) {
		regerror(rc, NULL, why, whysize);
		return -1;
	}
	rc = regexec(&re, value, 0, NULL, 0);
	regfree(&re);
	return rc == 0;
}

/* Add one problem at the rule's location: "x-deployctl.env.KEY: [where: ]what". */
static void add(struct errlist *errs, const struct env_rule *r, const char *where, const char *what)
{
	errlist_add(errs, ERR_INVALID, r->loc.file ? r->loc.file : "", r->loc.line, r->loc.col,
	            "x-deployctl.env.%s: %s%s%s", r->key, where ? where : "", where ? ": " : "",
	            what);
}

/* Every check of r on one value; returns the number of problems added. */
static int check_value(struct errlist *errs, const struct env_rule *r, const char *where,
                       const char *value)
{
	char what[LIST_MAX + 128], list[LIST_MAX];
	long len = utf8_length(value);
	bool scheme_ok;
	int n = 0, m;

	if (!*value) {
		if (!r->required)
			return 0;
		add(errs, r, where, "required but empty");
		return 1;
	}
	if (r->min_length >= 0 && len < r->min_length) {
		snprintf(what, sizeof(what), "too short (%ld characters, at least %ld)", len,
		         r->min_length);
		add(errs, r, where, what);
		n++;
	}
	if (r->max_length >= 0 && len > r->max_length) {
		snprintf(what, sizeof(what), "too long (%ld characters, at most %ld)", len,
		         r->max_length);
		add(errs, r, where, what);
		n++;
	}
	if (r->pattern) {
		char why[128];

		m = pattern_match(r->pattern, value, why, sizeof(why));
		if (m < 0) {
			snprintf(what, sizeof(what), "invalid pattern: %s", why);
			add(errs, r, where, what);
			n++;
		} else if (m == 0) {
			add(errs, r, where, "the value does not match the pattern");
			n++;
		}
	}
	if (r->url && !url_parse(value, &r->url_schemes, &scheme_ok)) {
		add(errs, r, where, "the value is not a URL (scheme://host...)");
		n++;
	} else if (r->url && !scheme_ok) {
		join_list(list, sizeof(list), &r->url_schemes);
		snprintf(what, sizeof(what), "the URL's scheme is not allowed (allowed: %s)", list);
		add(errs, r, where, what);
		n++;
	}
	if (r->one_of.n) {
		size_t i;
		bool found = false;

		for (i = 0; i < r->one_of.n && !found; i++)
			found = !strcmp(r->one_of.v[i], value);
		if (!found) {
			join_list(list, sizeof(list), &r->one_of);
			snprintf(what, sizeof(what), "the value is not one of: %s", list);
			add(errs, r, where, what);
			n++;
		}
	}
	return n;
}

/* A rule whose key is not an interpolation variable: each service that sets it. */
static int check_services(struct errlist *errs, const struct project *p, const struct env_rule *r)
{
	char where[300];
	size_t i;
	bool seen = false;
	int n = 0;

	for (i = 0; i < p->nservices; i++) {
		const char *value = kvv_get(&p->services[i].env, r->key);

		if (!value)
			continue;
		seen = true;
		snprintf(where, sizeof(where), "services.%s.environment", p->services[i].name);
		n += check_value(errs, r, where, value);
	}
	if (!seen && r->required) {
		add(errs, r, NULL,
		    "required but not set (in an --env-file, the environment or a "
		    "service's environment)");
		n++;
	}
	return n;
}

int envrules_check(struct errlist *errs, const struct project *p, const struct kvv *vars)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->nenv_rules; i++) {
		const struct env_rule *r = &p->env_rules[i];
		const char *value = vars ? kvv_get(vars, r->key) : NULL;

		if (value)
			n += check_value(errs, r, NULL, value);
		else
			n += check_services(errs, p, r);
	}
	return n;
}
