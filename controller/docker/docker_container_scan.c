/*
 * docker_container_scan.c - the fast decoder of a GET /containers/json answer: one pass over
 * the text that accepts exactly what jansson 2.14's json_loads(text, 0) accepts and keeps only
 * what decode_container (the jansson path, docker_container.c) keeps, so that a watch tick does
 * not build a tree of the ~1.5 KB per container it reads thirty bytes of. Every value, kept or
 * skipped, is validated as jansson does (strict UTF-8, escapes, no \u0000, no lone surrogates,
 * no leading zeros, 64-bit integers, finite reals, words, no trailing commas, nothing after the
 * root); nesting is bounded by JSON_PARSER_MAX_DEPTH counted as jansson counts it (every value,
 * the root is 1), the text by its NUL (the answer is capped at DOCKER_RESPONSE_CAP). The last
 * of duplicate keys wins, as in json_object_set. No error text: on a failure the caller decodes
 * with jansson, whose message the user sees. test_docker_scan and fuzz_docker_decode compare.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/docker.h"
#include "deployctl/err.h"
#include "docker_internal.h"
#include "docker_json.h"

#define SCAN_BAD       ERR_FAIL /* not as jansson would accept it, or an entry without Id */
#define SCAN_MAX_DEPTH JSON_PARSER_MAX_DEPTH

struct scan {
	const char *p;
	const char *kp; /* the member name just read (in the text or in key) */
	size_t kn;
	struct buf key; /* a member name with escapes, unescaped */
	struct buf val; /* a kept string value with escapes, unescaped */
};

static void scan_ws(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned long v;

	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
		v = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		v = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF) /* also the terminating NUL */
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
}

static int hex4(const char *p)
{
	int v = 0, i, d;

	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int put_utf8(struct buf *out, unsigned long v)
{
	char u[4];
	size_t n;

	if (v < 0x80) {
		u[0] = (char)v;
		n = 1;
	} else if (v < 0x800) {
		u[0] = (char)(0xC0 | (v >> 6));
		u[1] = (char)(0x80 | (v & 0x3F));
		n = 2;
	} else if (v < 0x10000) {
		u[0] = (char)(0xE0 | (v >> 12));
		u[1] = (char)(0x80 | ((v >> 6) & 0x3F));
		u[2] = (char)(0x80 | (v & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (v >> 18));
		u[1] = (char)(0x80 | ((v >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((v >> 6) & 0x3F));
		u[3] = (char)(0x80 | (v & 0x3F));
		n = 4;
	}
	return buf_add(out, u, n);
}

/* One \u escape (or surrogate pair) at s->p ("\u...") into out (may be NULL). */
static int scan_unicode(struct scan *s, struct buf *out)
{
	int v = hex4(s->p + 2), lo;
	unsigned long cp;

	if (v < 0)
		return SCAN_BAD;
	s->p += 6;
	if (v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
		return SCAN_BAD;
	cp = (unsigned long)v;
	if (v >= 0xD800 && v <= 0xDBFF) {
		if (s->p[0] != '\\' || s->p[1] != 'u')
			return SCAN_BAD;
		lo = hex4(s->p + 2);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return SCAN_BAD;
		s->p += 6;
		cp = ((cp - 0xD800) << 10) + (unsigned long)(lo - 0xDC00) + 0x10000;
	}
	return out ? put_utf8(out, cp) : 0;
}

/* Bytes that stand for themselves in a JSON string: not '"' (0x22), '\\' (0x5C), controls or
 * non-ASCII. */
/* clang-format off */
static const unsigned char str_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

/* Unescape the validated string text [p, end) into out (reset first). */
static int unescape(struct buf *out, const char *p, const char *end)
{
	struct scan t;
	const char *run;
	int rc;

	buf_reset(out);
	while (p < end) {
		for (run = p; p < end && *p != '\\'; p++)
			;
		if (buf_add(out, run, (size_t)(p - run)) < 0)
			return ERR_NOMEM;
		if (p == end)
			break;
		if (p[1] == 'u') {
			t.p = p;
			rc = scan_unicode(&t, out);
			if (rc < 0)
				return rc;
			p = t.p;
		} else {
			if (buf_putc(out, esc_out[strchr(esc_in, p[1]) - esc_in]) < 0)
				return ERR_NOMEM;
			p += 2;
		}
	}
	return buf_add(out, "", 0); /* a NUL-terminated ptr also for "" */
}

/*
 * Validate the string at s->p ('"') and pass over it. With sp: its text in
 * *sp, *sn, which point into the input when it has no escape, else into out
 * (unescaped, NUL-terminated).
 */
static int scan_str(struct scan *s, struct buf *out, const char **sp, size_t *sn)
{
	const char *start = ++s->p, *e;
	bool esc = false;
	size_t n;
	int rc;

	for (;;) {
		unsigned char c;

		while (str_plain[(unsigned char)*s->p])
			s->p++;
		c = (unsigned char)*s->p;
		if (c == '"')
			break;
		if (c < 0x20) /* a control character, or the end of the text */
			return SCAN_BAD;
		if (c >= 0x80) {
			n = utf8_len((const unsigned char *)s->p);
			if (!n)
				return SCAN_BAD;
			s->p += n;
			continue;
		}
		esc = true; /* c is '\\' */
		if (s->p[1] == 'u') {
			rc = scan_unicode(s, NULL);
			if (rc < 0)
				return rc;
			continue;
		}
		e = s->p[1] ? strchr(esc_in, s->p[1]) : NULL;
		if (!e)
			return SCAN_BAD;
		s->p += 2;
	}
	e = s->p++;
	if (!sp)
		return 0;
	if (!esc) {
		*sp = start;
		*sn = (size_t)(e - start);
		return 0;
	}
	rc = unescape(out, start, e);
	*sp = out->ptr;
	*sn = out->len;
	return rc;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The number at s->p: *is_int and *v (its value) when it has neither
 * fraction nor exponent. Out of range: bad, as jansson's "too big integer"
 * and "real number overflow".
 */
static int scan_number(struct scan *s, bool *is_int, long long *v)
{
	const char *start = s->p, *digits;
	double d;

	if (*s->p == '-')
		s->p++;
	digits = s->p;
	if (*s->p == '0') {
		s->p++;
		if (is_digit(*s->p))
			return SCAN_BAD;
	} else if (is_digit(*s->p)) {
		while (is_digit(*s->p))
			s->p++;
	} else {
		return SCAN_BAD;
	}
	if (*s->p != '.' && *s->p != 'e' && *s->p != 'E') {
		long long x = 0;

		*is_int = true;
		errno = 0;
		if (v || s->p - digits > 18) /* 18 digits always fit */
			x = strtoll(start, NULL, 10);
		if (v)
			*v = x;
		return errno == ERANGE ? SCAN_BAD : 0;
	}
	if (*s->p == '.') {
		s->p++;
		if (!is_digit(*s->p))
			return SCAN_BAD;
		while (is_digit(*s->p))
			s->p++;
	}
	if (*s->p == 'e' || *s->p == 'E') {
		s->p++;
		if (*s->p == '+' || *s->p == '-')
			s->p++;
		if (!is_digit(*s->p))
			return SCAN_BAD;
		while (is_digit(*s->p))
			s->p++;
	}
	*is_int = false;
	errno = 0;
	d = strtod(start, NULL); /* '.' is the decimal point: deployctl never sets LC_NUMERIC */
	return (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE ? SCAN_BAD : 0;
}

/* true, false or null at s->p: jansson reads the whole run of letters. */
static int scan_word(struct scan *s)
{
	const char *w = s->p;
	size_t n = 0;

	while ((w[n] >= 'a' && w[n] <= 'z') || (w[n] >= 'A' && w[n] <= 'Z'))
		n++;
	if (!((n == 4 && !memcmp(w, "true", 4)) || (n == 5 && !memcmp(w, "false", 5)) ||
	      (n == 4 && !memcmp(w, "null", 4))))
		return SCAN_BAD;
	s->p += n;
	return 0;
}

/* A scalar at s->p (not '{' or '['). */
static int scan_scalar(struct scan *s)
{
	bool is_int;

	if (*s->p == '"')
		return scan_str(s, NULL, NULL, NULL);
	if (*s->p == '-' || is_digit(*s->p))
		return scan_number(s, &is_int, NULL);
	return scan_word(s);
}

/*
 * Validate and pass over the value at s->p (after white space), which is at
 * nesting depth `depth`. Iterative: a stack of the open brackets.
 */
static int skip_value(struct scan *s, int depth)
{
	char open[SCAN_MAX_DEPTH + 1];
	int top = 0, rc;

value:
	scan_ws(s);
	if (depth + top > SCAN_MAX_DEPTH)
		return SCAN_BAD;
	if (*s->p == '{' || *s->p == '[') {
		char close = *s->p == '{' ? '}' : ']';

		s->p++;
		scan_ws(s);
		if (*s->p == close) {
			s->p++;
			goto after;
		}
		open[top++] = close;
		if (close == ']')
			goto value;
		goto key;
	}
	rc = scan_scalar(s);
	if (rc < 0)
		return rc;
	goto after;
key:
	scan_ws(s);
	if (*s->p != '"')
		return SCAN_BAD;
	rc = scan_str(s, NULL, NULL, NULL);
	if (rc < 0)
		return rc;
	scan_ws(s);
	if (*s->p != ':')
		return SCAN_BAD;
	s->p++;
	goto value;
after:
	if (top == 0)
		return 0;
	scan_ws(s);
	if (*s->p == ',') {
		s->p++;
		if (open[top - 1] == '}')
			goto key;
		goto value;
	}
	if (*s->p != open[top - 1])
		return SCAN_BAD;
	s->p++;
	top--;
	goto after;
}

/* At the separator c: step over it and the white space after; false elsewhere. */
static bool eat(struct scan *s, char c)
{
	if (*s->p != c)
		return false;
	s->p++;
	scan_ws(s);
	return true;
}

/* obj_next()'s and arr_next()'s step: 0 past close, else 1 at the next item (past a ','). */
static int seq_next(struct scan *s, bool *first, char close)
{
	scan_ws(s);
	if (*s->p == close) {
		s->p++;
		return 0;
	}
	if (!*first && !eat(s, ','))
		return SCAN_BAD;
	*first = false;
	return 1;
}

/*
 * Members of the object at s->p ('{' already consumed as *first true):
 * 1 with the next key in s->key and s->p at its value, 0 after the '}'.
 */
static int obj_next(struct scan *s, bool *first)
{
	int rc = seq_next(s, first, '}');

	if (rc != 1)
		return rc;
	if (*s->p != '"')
		return SCAN_BAD;
	rc = scan_str(s, &s->key, &s->kp, &s->kn);
	if (rc < 0)
		return rc;
	scan_ws(s);
	return eat(s, ':') ? 1 : SCAN_BAD;
}

/* The same for the elements of an array: 1 with s->p at the next element. */
static int arr_next(struct scan *s, bool *first)
{
	int rc = seq_next(s, first, ']');

	/* seq_next() ends at a ']' before any ',', so one here is a trailing ',' */
	if (rc == 1 && *s->p == ']')
		return SCAN_BAD;
	return rc;
}

/* At a '{' or '[' of a kept value: enter it. 0 when s->p is at another type. */
static bool enter(struct scan *s, char c)
{
	if (*s->p != c)
		return false;
	s->p++;
	return true;
}

static bool key_is(const struct scan *s, const char *k)
{
	return s->kn == strlen(k) && !memcmp(s->kp, k, s->kn);
}

/* A new copy of sp[0..sn), or NULL. */
static char *dup_n(const char *sp, size_t sn)
{
	char *d = malloc(sn + 1);

	if (d) {
		memcpy(d, sp, sn);
		d[sn] = '\0';
	}
	return d;
}

/* A kept string member: *dst = a copy of it (NULL for another type; last one wins). */
static int take_str(struct scan *s, int depth, char **dst)
{
	const char *sp;
	size_t sn;
	int rc;

	free(*dst);
	*dst = NULL;
	if (*s->p != '"')
		return skip_value(s, depth);
	rc = scan_str(s, &s->val, &sp, &sn);
	if (rc < 0)
		return rc;
	*dst = dup_n(sp, sn);
	return *dst ? 0 : ERR_NOMEM;
}

/* A kept integer member: its value, 0 for a real or another type (json_integer_value). */
static int take_int(struct scan *s, int depth, long long *dst)
{
	bool is_int;
	long long v = 0;
	int rc;

	*dst = 0;
	if (*s->p != '-' && !is_digit(*s->p))
		return skip_value(s, depth);
	rc = scan_number(s, &is_int, &v);
	if (rc == 0 && is_int)
		*dst = v;
	return rc;
}

/* The label fields of struct docker_container that decode_container keeps. */
static const struct {
	const char *key;
	size_t off;
} scan_labels[] = {
	{ LABEL_PROJECT, offsetof(struct docker_container, project) },
	{ LABEL_SERVICE, offsetof(struct docker_container, service) },
	{ LABEL_RELEASE, offsetof(struct docker_container, release) },
	{ LABEL_SPEC_HASH, offsetof(struct docker_container, spec_hash) },
	{ LABEL_OWNER, offsetof(struct docker_container, owner) },
	{ LABEL_OWNER_HOST, offsetof(struct docker_container, owner_host) },
	{ LABEL_OWNER_STATE, offsetof(struct docker_container, owner_state) },
	{ LABEL_JOB, offsetof(struct docker_container, job) },
};
#define NLABELS (sizeof(scan_labels) / sizeof(scan_labels[0]))

static char **label_field(struct docker_container *c, size_t i)
{
	return (char **)(void *)((char *)c + scan_labels[i].off);
}

/* Labels (depth 3): the kept ones, and the replica label's text into *replica. */
static int scan_labels_obj(struct scan *s, struct docker_container *c, char **replica)
{
	bool first = true;
	size_t i;
	int rc;

	for (i = 0; i < NLABELS; i++) {
		free(*label_field(c, i));
		*label_field(c, i) = NULL;
	}
	free(*replica);
	*replica = NULL;
	if (!enter(s, '{'))
		return skip_value(s, 3);
	while ((rc = obj_next(s, &first)) == 1) {
		for (i = 0; i < NLABELS && !key_is(s, scan_labels[i].key); i++)
			;
		if (i < NLABELS)
			rc = take_str(s, 4, label_field(c, i));
		else if (key_is(s, LABEL_REPLICA))
			rc = take_str(s, 4, replica);
		else
			rc = skip_value(s, 4);
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* Names (depth 3): the first, without its leading '/'. */
static int scan_names(struct scan *s, struct docker_container *c)
{
	const char *sp;
	size_t sn;
	bool first = true;
	int rc, i = 0;

	free(c->name);
	c->name = NULL;
	if (!enter(s, '['))
		return skip_value(s, 3);
	while ((rc = arr_next(s, &first)) == 1) {
		if (i++ == 0 && *s->p == '"') {
			rc = scan_str(s, &s->val, &sp, &sn);
			if (rc == 0) {
				if (sn && sp[0] == '/')
					sp++, sn--;
				c->name = dup_n(sp, sn);
				if (!c->name)
					rc = ERR_NOMEM;
			}
		} else {
			rc = skip_value(s, 4);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* NetworkSettings (depth 3): the names of its Networks. */
static int scan_netsettings(struct scan *s, struct docker_container *c)
{
	bool first = true, nfirst;
	int rc;

	strv_free(&c->networks);
	if (!enter(s, '{'))
		return skip_value(s, 3);
	while ((rc = obj_next(s, &first)) == 1) {
		if (key_is(s, "Networks"))
			strv_free(&c->networks); /* the last one counts */
		if (!key_is(s, "Networks") || !enter(s, '{')) {
			rc = skip_value(s, 4);
		} else {
			nfirst = true;
			while ((rc = obj_next(s, &nfirst)) == 1) {
				buf_reset(&s->val);
				if (buf_add(&s->val, s->kp, s->kn) < 0 ||
				    strv_push(&c->networks, s->val.ptr) < 0)
					return ERR_NOMEM;
				rc = skip_value(s, 5);
				if (rc < 0)
					return rc;
			}
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* One element of Mounts or Ports (depth 4): its string members a and b, integer member i. */
struct scan_pick {
	const char *a, *b, *i;
	char *va, *vb;
	long long vi;
};

static int scan_pick_obj(struct scan *s, struct scan_pick *pk)
{
	bool first = true;
	int rc;

	if (!enter(s, '{'))
		return skip_value(s, 4);
	while ((rc = obj_next(s, &first)) == 1) {
		if (key_is(s, pk->a))
			rc = take_str(s, 5, &pk->va);
		else if (key_is(s, pk->b))
			rc = take_str(s, 5, &pk->vb);
		else if (pk->i && key_is(s, pk->i))
			rc = take_int(s, 5, &pk->vi);
		else
			rc = skip_value(s, 5);
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* Mounts (ports false: volume names) or Ports (published bindings), depth 3. */
static int scan_pick_arr(struct scan *s, struct docker_container *c, bool ports)
{
	struct scan_pick pk;
	bool first = true;
	int rc;

	strv_free(ports ? &c->ports : &c->volumes);
	if (!enter(s, '['))
		return skip_value(s, 3);
	while ((rc = arr_next(s, &first)) == 1) {
		memset(&pk, 0, sizeof(pk));
		pk.a = ports ? "IP" : "Type";
		pk.b = ports ? "Type" : "Name";
		pk.i = ports ? "PublicPort" : NULL;
		rc = scan_pick_obj(s, &pk);
		if (rc == 0 && ports)
			rc = docker_port_push(&c->ports, pk.vi, pk.va, pk.vb);
		else if (rc == 0 && pk.va && pk.vb && !strcmp(pk.va, "volume") &&
		         strv_push(&c->volumes, pk.vb) < 0)
			rc = ERR_NOMEM;
		free(pk.va);
		free(pk.vb);
		if (rc < 0)
			return rc;
	}
	return rc;
}

static int scan_entry(struct scan *s, struct docker_container *c)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "Id", offsetof(struct docker_container, id) },
		{ "Image", offsetof(struct docker_container, image) },
		{ "ImageID", offsetof(struct docker_container, image_id) },
		{ "State", offsetof(struct docker_container, state) },
		{ "Status", offsetof(struct docker_container, status) },
	};
	char *replica = NULL;
	bool first = true;
	long long created;
	size_t i;
	int rc;

	if (!enter(s, '{'))
		return SCAN_BAD; /* "entry without Id" */
	while ((rc = obj_next(s, &first)) == 1) {
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]) && !key_is(s, strs[i].key); i++)
			;
		if (i < sizeof(strs) / sizeof(strs[0])) {
			rc = take_str(s, 3, (char **)(void *)((char *)c + strs[i].off));
		} else if (key_is(s, "Names")) {
			rc = scan_names(s, c);
		} else if (key_is(s, "Labels")) {
			rc = scan_labels_obj(s, c, &replica);
		} else if (key_is(s, "Created")) {
			rc = take_int(s, 3, &created);
			c->created = created;
		} else if (key_is(s, "NetworkSettings")) {
			rc = scan_netsettings(s, c);
		} else if (key_is(s, "Mounts") || key_is(s, "Ports")) {
			rc = scan_pick_arr(s, c, key_is(s, "Ports"));
		} else {
			rc = skip_value(s, 3);
		}
		if (rc < 0)
			break;
	}
	c->replica = docker_parse_replica(replica);
	free(replica);
	if (rc < 0)
		return rc;
	if (!c->id)
		return SCAN_BAD;
	strv_sort(&c->networks);
	docker_strv_uniq(&c->networks); /* one name per key, as in a jansson object */
	strv_sort(&c->volumes);
	strv_sort(&c->ports);
	docker_strv_uniq(&c->ports);
	return 0;
}

int docker_scan_containers(struct docker_container **out, size_t *n, const char *json)
{
	struct scan s = { json, NULL, 0, { 0 }, { 0 } };
	struct docker_container *v = NULL, *nv;
	size_t count = 0, alloc = 0;
	bool first = true;
	int rc;

	if (!json)
		return SCAN_BAD;
	buf_init(&s.key, DOCKER_RESPONSE_CAP);
	buf_init(&s.val, DOCKER_RESPONSE_CAP);
	scan_ws(&s);
	if (!enter(&s, '[')) {
		rc = SCAN_BAD; /* not an array: jansson says which error */
		goto out;
	}
	while ((rc = arr_next(&s, &first)) == 1) {
		if (count >= DOCKER_LIST_MAX) {
			rc = SCAN_BAD; /* "too many containers" */
			goto out;
		}
		if (count + 1 >= alloc) {
			alloc = alloc ? alloc * 2 : 64;
			nv = realloc(v, alloc * sizeof(*v));
			if (!nv) {
				rc = ERR_NOMEM;
				goto out;
			}
			v = nv;
			memset(v + count, 0, (alloc - count) * sizeof(*v));
		}
		rc = scan_entry(&s, &v[count++]);
		if (rc < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	scan_ws(&s);
	if (*s.p) {
		rc = SCAN_BAD; /* "end of file expected" */
		goto out;
	}
	if (!v && !(v = calloc(1, sizeof(*v)))) {
		rc = ERR_NOMEM;
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
	rc = 0;
out:
	docker_container_list_free(v, count);
	buf_release(&s.key);
	buf_release(&s.val);
	return rc;
}
