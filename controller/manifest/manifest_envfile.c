/*
 * manifest_envfile.c - env file syntax as docker compose v2 reads it
 * (KEY=VALUE lines, export, quotes with escapes, comments, ${VAR} in
 * unquoted and double-quoted values, every bad line reported), and the
 * variables of --env-file and the process environment. Values of
 * variables never appear in error messages: they may be secrets.
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

/* Env file parsing: one pass over the text, every bad line reported. */
struct envp {
	const char *name;
	const char *s;
	size_t len;
	size_t i;
	unsigned line;
	struct kvv vars;
	struct errlist *errs;
	size_t nerr;
	struct kvv *lookup;      /* with interpolation: the variables, then this file's keys */
	const struct kvv *given; /* the variables: they win over this file's keys, as in Compose */
};

static int envp_fail(struct envp *p, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int envp_fail(struct envp *p, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->nerr++;
	return errlist_add(p->errs, ERR_INVALID, p->name, line, 1, "%s", msg);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void envp_skip_blanks(struct envp *p)
{
	while (p->i < p->len && is_blank(p->s[p->i]))
		p->i++;
}

/* Move past the end of the current line. */
static void envp_next_line(struct envp *p)
{
	while (p->i < p->len && p->s[p->i] != '\n')
		p->i++;
	if (p->i < p->len) {
		p->i++;
		p->line++;
	}
}

static bool envp_at_eol(const struct envp *p)
{
	return p->i >= p->len || p->s[p->i] == '\n' ||
	       (p->s[p->i] == '\r' && (p->i + 1 >= p->len || p->s[p->i + 1] == '\n'));
}

/* A quoted value starting at the quote; 1 if unterminated (stop parsing). */
static int envp_quoted(struct envp *p, struct buf *val, const char *key)
{
	char q = p->s[p->i++], c;
	unsigned start = p->line;

	while (p->i < p->len && p->s[p->i] != q) {
		c = p->s[p->i++];
		if (c == '\n')
			p->line++;
		if (q == '"' && c == '\\' && p->i < p->len) {
			char e = p->s[p->i];

			if (e == 'n' || e == 'r' || e == 't' || e == '"' || e == '\\' || e == '$') {
				c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
				p->i++;
			}
		}
		if (buf_putc(val, c))
			return ERR_NOMEM;
	}
	if (p->i >= p->len) {
		envp_fail(p, start, "unterminated %s-quoted value for '%s'",
		          q == '"' ? "double" : "single", key);
		return 1;
	}
	p->i++;
	envp_skip_blanks(p);
	if (p->i < p->len && p->s[p->i] == '#')
		return 0; /* comment: the caller skips the rest of the line */
	if (!envp_at_eol(p))
		envp_fail(p, p->line, "unexpected text after the quoted value of '%s'", key);
	return 0;
}

/* An unquoted value: to the end of the line or a " #" comment, trimmed. */
static int envp_plain(struct envp *p, struct buf *val)
{
	size_t start = p->i, end;

	while (!envp_at_eol(p) && !(p->s[p->i] == '#' && p->i > start && is_blank(p->s[p->i - 1])))
		p->i++;
	end = p->i;
	while (end > start && is_blank(p->s[end - 1]))
		end--;
	return buf_add(val, p->s + start, end - start);
}

/* Report a line whose key is missing or malformed, without echoing any value. */
static void envp_bad_key(struct envp *p, size_t kstart)
{
	const char *eq = memchr(p->s + kstart, '=', p->len - kstart);
	const char *nl = memchr(p->s + kstart, '\n', p->len - kstart);
	size_t klen;

	if (eq && (!nl || eq < nl)) {
		klen = (size_t)(eq - (p->s + kstart));
		while (klen && is_blank(p->s[kstart + klen - 1]))
			klen--;
		if (!klen) {
			envp_fail(p, p->line, "missing variable name before '='");
			return;
		}
		envp_fail(p, p->line, "invalid variable name '%.*s'", (int)(klen > 64 ? 64 : klen),
		          p->s + kstart);
	} else {
		envp_fail(p, p->line, "expected KEY=VALUE");
	}
}

/* A key in an env file: a variable name, and '.' and '-' after its start (Compose's dotenv). */
static size_t envkey_len(const char *s, size_t max)
{
	size_t i = manifest_var_name_len(s, max);

	while (i && i < max && (manifest_var_name_char(s[i]) || s[i] == '.' || s[i] == '-'))
		i++;
	return i;
}

/* A key of this file for the next values' interpolation, unless a variable given wins. */
static int envp_remember(struct envp *p, const char *key, const char *value)
{
	return kvv_get(p->given, key) ? 0 : kvv_set(p->lookup, key, value);
}

/* With interpolation, ${VAR} in an unquoted or double-quoted value, as Compose does. */
static int envp_interpolate(struct envp *p, struct buf *val, const char *key)
{
	char msg[256], *v = NULL;
	int rc;

	msg[0] = '\0';
	rc = manifest_interpolate(&v, val->ptr, p->lookup, msg, sizeof(msg));
	if (rc == ERR_NOMEM && !msg[0])
		return rc;
	if (rc) {
		envp_fail(p, p->line, "value of '%s': %s", key, msg[0] ? msg : "invalid");
		return 0;
	}
	buf_reset(val);
	rc = buf_puts(val, v);
	free(v);
	return rc ? rc : envp_remember(p, key, val->ptr);
}

/* One logical line; returns ERR_NOMEM, 1 to stop, or 0. */
static int envp_line(struct envp *p, struct buf *val)
{
	char key[256], quote;
	size_t kstart, klen, bad;
	unsigned line = p->line;
	int rc;

	envp_skip_blanks(p);
	if (envp_at_eol(p) || p->s[p->i] == '#')
		return 0;
	if (p->len - p->i > 7 && !memcmp(p->s + p->i, "export", 6) && is_blank(p->s[p->i + 6])) {
		p->i += 6;
		envp_skip_blanks(p);
	}
	kstart = p->i;
	klen = envkey_len(p->s + kstart, p->len - kstart);
	p->i += klen;
	envp_skip_blanks(p);
	if (!klen || klen >= sizeof(key) || (!envp_at_eol(p) && p->s[p->i] != '=')) {
		envp_bad_key(p, kstart);
		return 0;
	}
	memcpy(key, p->s + kstart, klen);
	key[klen] = '\0';
	if (envp_at_eol(p) && strpbrk(key, ".-")) {
		envp_fail(p, p->line, "expected KEY=VALUE"); /* maybe a value: never echoed */
		return 0;
	}
	if (envp_at_eol(p)) {
		envp_fail(p, p->line, "variable '%s' has no '=' (KEY alone is not supported)", key);
		return 0;
	}
	p->i++; /* '=' */
	envp_skip_blanks(p);
	buf_reset(val);
	quote = p->i < p->len ? p->s[p->i] : '\0';
	if (quote == '"' || quote == '\'')
		rc = envp_quoted(p, val, key);
	else
		rc = envp_plain(p, val);
	if (!rc && p->lookup && quote != '\'')
		rc = envp_interpolate(p, val, key);
	else if (!rc && p->lookup)
		rc = envp_remember(p, key, val->ptr);
	if (rc)
		return rc;
	if (memchr(val->ptr, '\0', val->len)) {
		envp_fail(p, p->line, "value of '%s' contains a NUL character", key);
		return 0;
	}
	/* Docker takes the environment as JSON strings: UTF-8 only. */
	bad = buf_utf8_invalid(val->ptr, val->len);
	if (bad < val->len) {
		envp_fail(p, line, "value of '%s' is not valid UTF-8 (byte %zu of the value)", key,
		          bad);
		return 0;
	}
	return kvv_set(&p->vars, key, val->ptr);
}

int manifest_envfile_parse(struct kvv *out, const char *name, const char *text, size_t len,
                           struct errlist *errs)
{
	return manifest_envfile_parse_vars(out, name, text, len, NULL, errs);
}

int manifest_envfile_parse_vars(struct kvv *out, const char *name, const char *text, size_t len,
                                const struct kvv *vars, struct errlist *errs)
{
	struct envp p = { .name = name, .s = text, .len = len, .line = 1, .errs = errs };
	struct kvv lookup = { NULL, 0 };
	struct buf val;
	size_t i;
	int rc = 0;

	buf_init(&val, SOURCE_MAX_FILE);
	for (i = 0; vars && i < vars->n && !rc; i++)
		rc = kvv_set(&lookup, vars->v[i].key, vars->v[i].value);
	if (rc) {
		errlist_add(errs, rc, name, 0, 0, "out of memory");
		goto out;
	}
	p.lookup = vars ? &lookup : NULL;
	p.given = vars;
	if (len > SOURCE_MAX_FILE) {
		rc = errlist_add(errs, ERR_INVALID, name, 0, 0, "file is larger than %u bytes",
		                 SOURCE_MAX_FILE);
		goto out;
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.i = 3; /* a UTF-8 byte order mark, as some editors write */
	while (p.i < p.len) {
		rc = envp_line(&p, &val);
		if (rc == ERR_NOMEM) {
			errlist_add(errs, rc, name, 0, 0, "out of memory");
			goto out;
		}
		if (rc)
			break;
		envp_next_line(&p);
	}
	rc = 0;
	if (p.nerr) {
		rc = ERR_INVALID;
		goto out;
	}
	for (i = 0; i < p.vars.n; i++) {
		rc = kvv_set(out, p.vars.v[i].key, p.vars.v[i].value);
		if (rc) {
			errlist_add(errs, rc, name, 0, 0, "out of memory");
			goto out;
		}
	}
out:
	buf_release(&val);
	kvv_free(&p.vars);
	kvv_free(&lookup);
	return rc;
}

int manifest_vars_load_file(struct manifest_vars *v, const char *path, struct err *err)
{
	struct errlist *errs = NULL;
	FILE *f = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	f = fopen(path, "re");
	if (!f) {
		rc = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
		err_set_at(err, rc, path, 0, 0, "cannot open env file: %s", strerror(errno));
		goto out;
	}
	text = malloc(SOURCE_MAX_FILE + 1);
	errs = malloc(sizeof(*errs));
	if (!text || !errs) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	len = fread(text, 1, SOURCE_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = err_set_at(err, ERR_IO, path, 0, 0, "cannot read env file");
		goto out;
	}
	if (len > SOURCE_MAX_FILE) {
		rc = err_set_at(err, ERR_INVALID, path, 0, 0, "file is larger than %u bytes",
		                SOURCE_MAX_FILE);
		goto out;
	}
	errlist_init(errs);
	rc = manifest_envfile_parse(&v->vars, path, text, len, errs);
	if (rc && errs->n)
		err_set_at(err, errs->items[0].code, errs->items[0].src, errs->items[0].line,
		           errs->items[0].col, "%s", errs->items[0].msg);
	else if (rc)
		err_set(err, rc, "cannot parse env file");
out:
	if (f)
		fclose(f);
	free(text);
	free(errs);
	return rc;
}

int manifest_vars_load_environ(struct manifest_vars *v, char **environ_)
{
	char key[256];
	const char *eq;
	size_t i, klen;
	int rc;

	for (i = 0; environ_ && environ_[i]; i++) {
		eq = strchr(environ_[i], '=');
		if (!eq || eq == environ_[i])
			continue;
		klen = (size_t)(eq - environ_[i]);
		if (klen >= sizeof(key))
			continue;
		memcpy(key, environ_[i], klen);
		key[klen] = '\0';
		rc = kvv_set(&v->vars, key, eq + 1);
		if (rc)
			return rc;
	}
	return 0;
}
