/*
 * manifest_vars.c - variables and ${VAR} interpolation, done as docker
 * compose v2 does them (defaults, required and alternative values, nested
 * up to a depth, $$ for a dollar), tracking which variables a value used.
 * Env file syntax is manifest_envfile.c; word splitting, durations and
 * sizes manifest_words.c, both above this file. Values of variables never
 * appear in error messages: they may be secrets.
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

/* Nesting of ${A:-${B:-...}} defaults; deeper is surely a mistake. */
#define INTERP_MAX_DEPTH 16

void manifest_vars_init(struct manifest_vars *v)
{
	v->vars.v = NULL;
	v->vars.n = 0;
}

void manifest_vars_release(struct manifest_vars *v)
{
	kvv_free(&v->vars);
}

static bool name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool manifest_var_name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Length of the variable name at s (0 if none). */
size_t manifest_var_name_len(const char *s, size_t max)
{
	size_t i = 0;

	if (!max || !name_start(s[0]))
		return 0;
	while (i < max && manifest_var_name_char(s[i]))
		i++;
	return i;
}

int manifest_msg_set(char *errmsg, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (errmsg && errsize) {
		va_start(ap, fmt);
		vsnprintf(errmsg, errsize, fmt, ap);
		va_end(ap);
	}
	return ERR_INVALID;
}

/* Interpolation state: one output buffer and the first error message. */
struct interp {
	const struct kvv *vars;
	struct strv *unset; /* names expanded without a value or default; may be NULL */
	struct buf out;
	char *errmsg;
	size_t errsize;
	struct strv *used; /* names of the variables whose values went in; may be NULL */
};

/*
 * Put the value of variable name into the output: refused unless valid
 * UTF-8, and noted in ip->used (a value that used a secret is secret).
 */
static int interp_value(struct interp *ip, const char *name, const char *val)
{
	size_t i, len = strlen(val), bad = buf_utf8_invalid(val, len);

	if (bad < len)
		return manifest_msg_set(ip->errmsg, ip->errsize,
		                        "variable %s is not valid UTF-8 (byte %zu of its value)",
		                        name, bad);
	if (ip->used && val[0]) {
		for (i = 0; i < ip->used->n && strcmp(ip->used->v[i], name); i++)
			;
		if (i == ip->used->n && strv_push(ip->used, name) < 0)
			return ERR_NOMEM;
	}
	return buf_puts(&ip->out, val);
}

static int interp_run(struct interp *ip, const char *s, size_t len, unsigned depth);

/*
 * Index just past the "}" closing the "${" at s[0..1], or 0 if unclosed.
 * Every "{" opens (so a default may hold JSON: ${J:-{"a":1}}), any "}"
 * closes, "$$" is skipped.
 */
static size_t brace_end(const char *s, size_t len)
{
	size_t i, open = 1;

	for (i = 2; i < len; i++) {
		if (s[i] == '$' && i + 1 < len && s[i + 1] == '$') {
			i++;
		} else if (s[i] == '{') {
			open++;
		} else if (s[i] == '}' && --open == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* "${X:?message}": the message is interpolated too, as Compose does (it is the writer's text). */
static int required_msg(struct interp *ip, const char *name, const char *arg, size_t alen,
                        unsigned depth)
{
	struct interp sub = { .vars = ip->vars, .errmsg = ip->errmsg, .errsize = ip->errsize };
	int rc;

	buf_init(&sub.out, 4096);
	rc = interp_run(&sub, arg, alen, depth + 1);
	if (rc == 0)
		rc = manifest_msg_set(ip->errmsg, ip->errsize,
		                      "required variable %s is missing a value: %.*s", name,
		                      (int)(sub.out.len > 200 ? 200 : sub.out.len), sub.out.ptr);
	buf_release(&sub.out);
	return rc == ERR_NOMEM ? rc : ERR_INVALID;
}

/* Expand the body of ${...} (between the braces). */
static int interp_braced(struct interp *ip, const char *body, size_t blen, unsigned depth)
{
	size_t n = manifest_var_name_len(body, blen);
	const char *val, *op, *arg;
	size_t alen;
	bool colon = false, set, nonempty;
	char name[256];

	if (!n || n >= sizeof(name))
		return manifest_msg_set(ip->errmsg, ip->errsize,
		                        "invalid interpolation format: \"${%.*s}\"",
		                        (int)(blen > 64 ? 64 : blen), body);
	memcpy(name, body, n);
	name[n] = '\0';
	val = kvv_get(ip->vars, name);
	set = val != NULL;
	nonempty = set && val[0];
	if (n == blen) {
		if (!set)
			return ip->unset && strv_push(ip->unset, name) ? ERR_NOMEM : 0;
		return interp_value(ip, name, val);
	}
	op = body + n;
	if (*op == ':') {
		colon = true;
		op++;
	}
	if (op >= body + blen || (*op != '-' && *op != '?' && *op != '+'))
		return manifest_msg_set(ip->errmsg, ip->errsize,
		                        "invalid interpolation format: \"${%.*s}\"",
		                        (int)(blen > 64 ? 64 : blen), body);
	arg = op + 1;
	alen = (size_t)(body + blen - arg);
	switch (*op) {
	case '-':
		if (colon ? nonempty : set)
			return interp_value(ip, name, val);
		return interp_run(ip, arg, alen, depth + 1);
	case '+':
		if (colon ? nonempty : set)
			return interp_run(ip, arg, alen, depth + 1);
		return 0;
	default: /* '?' */
		if (colon ? nonempty : set)
			return interp_value(ip, name, val);
		if (!alen)
			return manifest_msg_set(ip->errmsg, ip->errsize,
			                        "required variable %s is missing a value", name);
		return required_msg(ip, name, arg, alen, depth);
	}
}

static int interp_run(struct interp *ip, const char *s, size_t len, unsigned depth)
{
	size_t i = 0, start, end, n;
	int rc;

	if (depth > INTERP_MAX_DEPTH)
		return manifest_msg_set(
		        ip->errmsg, ip->errsize,
		        "invalid interpolation format: defaults nested deeper than %d",
		        INTERP_MAX_DEPTH);
	while (i < len) {
		start = i;
		while (i < len && s[i] != '$')
			i++;
		rc = buf_add(&ip->out, s + start, i - start);
		if (rc)
			return rc;
		if (i >= len)
			break;
		/* s[i] == '$' */
		if (i + 1 < len && s[i + 1] == '$') {
			rc = buf_putc(&ip->out, '$');
			i += 2;
		} else if (i + 1 < len && s[i + 1] == '{') {
			end = brace_end(s + i, len - i);
			if (!end)
				return manifest_msg_set(
				        ip->errmsg, ip->errsize,
				        "invalid interpolation format: unclosed \"${\"");
			rc = interp_braced(ip, s + i + 2, end - 3, depth);
			i += end;
		} else if ((n = manifest_var_name_len(s + i + 1, len - i - 1)) > 0) {
			char name[256];
			const char *val;

			if (n >= sizeof(name))
				return manifest_msg_set(
				        ip->errmsg, ip->errsize,
				        "invalid interpolation format: variable name too long");
			memcpy(name, s + i + 1, n);
			name[n] = '\0';
			val = kvv_get(ip->vars, name);
			rc = val ? interp_value(ip, name, val) : 0;
			if (!val && ip->unset && strv_push(ip->unset, name))
				rc = ERR_NOMEM;
			i += 1 + n;
		} else {
			/* "$" before anything else stays, as in compose-go */
			rc = buf_putc(&ip->out, '$');
			i++;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int manifest_interpolate(char **out, const char *in, const struct kvv *vars, char *errmsg,
                         size_t errsize)
{
	return manifest_interpolate_track(out, NULL, NULL, in, vars, errmsg, errsize);
}

int manifest_interpolate_track(char **out, struct strv *used, struct strv *unset, const char *in,
                               const struct kvv *vars, char *errmsg, size_t errsize)
{
	struct interp ip = {
		.vars = vars, .unset = unset, .errmsg = errmsg, .errsize = errsize, .used = used
	};
	int rc;

	buf_init(&ip.out, SOURCE_MAX_FILE);
	rc = interp_run(&ip, in, strlen(in), 0);
	if (rc == ERR_NOMEM && ip.out.toobig)
		rc = manifest_msg_set(errmsg, errsize, "interpolated value is longer than %u bytes",
		                      SOURCE_MAX_FILE);
	else if (rc == ERR_NOMEM)
		manifest_msg_set(errmsg, errsize, "out of memory");
	if (!rc) {
		*out = buf_detach(&ip.out);
		if (!*out) {
			manifest_msg_set(errmsg, errsize, "out of memory");
			rc = ERR_NOMEM;
		}
	}
	buf_release(&ip.out);
	return rc;
}
