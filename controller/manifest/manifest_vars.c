/*
 * manifest_vars.c - the string-level parts of the Compose format, done as
 * docker compose v2 does them: variables from env files and the process
 * environment, ${VAR} interpolation, env file syntax, shell-style word
 * splitting, Go durations and byte sizes. Values of variables never appear
 * in error messages: they may be secrets.
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

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Length of the variable name at s (0 if none). */
static size_t name_len(const char *s, size_t max)
{
	size_t i = 0;

	if (!max || !name_start(s[0]))
		return 0;
	while (i < max && name_char(s[i]))
		i++;
	return i;
}

static int msg_set(char *errmsg, size_t errsize, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int msg_set(char *errmsg, size_t errsize, const char *fmt, ...)
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
		return msg_set(ip->errmsg, ip->errsize,
		               "variable %s is not valid UTF-8 (byte %zu of its value)", name, bad);
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
		rc = msg_set(ip->errmsg, ip->errsize,
		             "required variable %s is missing a value: %.*s", name,
		             (int)(sub.out.len > 200 ? 200 : sub.out.len), sub.out.ptr);
	buf_release(&sub.out);
	return rc == ERR_NOMEM ? rc : ERR_INVALID;
}

/* Expand the body of ${...} (between the braces). */
static int interp_braced(struct interp *ip, const char *body, size_t blen, unsigned depth)
{
	size_t n = name_len(body, blen);
	const char *val, *op, *arg;
	size_t alen;
	bool colon = false, set, nonempty;
	char name[256];

	if (!n || n >= sizeof(name))
		return msg_set(ip->errmsg, ip->errsize, "invalid interpolation format: \"${%.*s}\"",
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
		return msg_set(ip->errmsg, ip->errsize, "invalid interpolation format: \"${%.*s}\"",
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
			return msg_set(ip->errmsg, ip->errsize,
			               "required variable %s is missing a value", name);
		return required_msg(ip, name, arg, alen, depth);
	}
}

static int interp_run(struct interp *ip, const char *s, size_t len, unsigned depth)
{
	size_t i = 0, start, end, n;
	int rc;

	if (depth > INTERP_MAX_DEPTH)
		return msg_set(ip->errmsg, ip->errsize,
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
				return msg_set(ip->errmsg, ip->errsize,
				               "invalid interpolation format: unclosed \"${\"");
			rc = interp_braced(ip, s + i + 2, end - 3, depth);
			i += end;
		} else if ((n = name_len(s + i + 1, len - i - 1)) > 0) {
			char name[256];
			const char *val;

			if (n >= sizeof(name))
				return msg_set(
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
		rc = msg_set(errmsg, errsize, "interpolated value is longer than %u bytes",
		             SOURCE_MAX_FILE);
	else if (rc == ERR_NOMEM)
		msg_set(errmsg, errsize, "out of memory");
	if (!rc) {
		*out = buf_detach(&ip.out);
		if (!*out) {
			msg_set(errmsg, errsize, "out of memory");
			rc = ERR_NOMEM;
		}
	}
	buf_release(&ip.out);
	return rc;
}

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
	size_t i = name_len(s, max);

	while (i && i < max && (name_char(s[i]) || s[i] == '.' || s[i] == '-'))
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
				rc = msg_set(errmsg, errsize, "trailing backslash in command");
				break;
			}
			rc = buf_putc(&w, *++p);
		} else if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end) {
				rc = msg_set(errmsg, errsize,
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
				rc = msg_set(errmsg, errsize,
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
		msg_set(errmsg, errsize, "out of memory");
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
		msg_set(errmsg, errsize, "out of memory");
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
