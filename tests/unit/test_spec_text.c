/*
 * test_spec_text.c - the exact bytes of the canonical spec: a spec's text
 * and hash pinned (a changed byte replaces every user's containers on
 * upgrade), and text that jansson, parsing it back and dumping it sorted
 * and compact, gives byte for byte: escapes, control characters, UTF-8,
 * key order, empty arrays and objects, negative numbers.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/spec.h"
#include "fixture_project.h"

/* A fixed key, so fingerprints and hashes are the same on every run. */
static const struct hash_key test_key = { { 0 } };

static char *render(const struct project *p, const struct service *s, bool redact)
{
	struct err err = ERR_INIT;
	char *out = NULL;

	CHECK_INT(spec_render(&out, &test_key, p, s, redact, &err), 0);
	return out;
}

/* text is what jansson makes of it: parsed back, dumped with the spec's flags. */
static void check_jansson_form(const char *text)
{
	json_error_t je;
	json_t *o = text ? json_loads(text, 0, &je) : NULL;
	char *again = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	CHECK(again != NULL);
	if (again && text)
		CHECK_STR(again, text);
	free(again);
	json_decref(o);
}

static void check_sha256(const char *text, const char *want)
{
	char hex[HASH_HEX_LEN + 1];

	CHECK(text != NULL);
	if (!text)
		return;
	hash_sha256_hex(hex, text, strlen(text));
	CHECK_STR(hex, want);
}

static void test_spec_text__pinned(void)
{
	struct project *p = fixture_project();
	char h[HASH_HEX_LEN + 1];
	struct err err = ERR_INIT;
	char *plain = render(p, &p->services[0], false);
	char *shown = render(p, &p->services[0], true);

	check_sha256(plain, "f32dba73d1bd307d8c20895e77d753c65f3b93c26f6e1be179abfb2650bbd413");
	check_sha256(shown, "60c4b45cb8ae4f6d4708f2dc4f2c49d3cfb9c2b7ade39d74d1f88a89bad576cc");
	CHECK_INT(spec_hash(h, &test_key, p, &p->services[0], &err), 0);
	CHECK_STR(h, "8302088dea3edb28e8266fe128be307ed9d50a5cfe9c81f4eb209c4b3f205041");
	check_jansson_form(plain);
	check_jansson_form(shown);
	free(plain);
	free(shown);
	model_project_free(p);
}

static void test_spec_text__escapes(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	char *plain, *shown;

	kvv_set(&s->env, "QUOTES", "say \"hi\" \\ back\\slash /slash/");
	kvv_set(&s->env, "CONTROL", "\b\f\n\r\t\x01\x1f\x7f end");
	kvv_set(&s->env, "UTF8", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe2\x80\xa8");
	kvv_set(&s->env, "A", "");
	kvv_set(&s->env, "AB", "1");
	kvv_set(&s->env, "A_B", "2");
	kvv_set(&s->env, "a", "3");
	kvv_set(&s->env, "Z", "4");
	kvv_set(&s->env, "\xc3\xa9t\xc3\xa9", "accented key");
	kvv_set(&s->labels, "com.example.\"q\"", "tab\there");
	strv_free(&s->command);
	strv_push(&s->command, "");
	strv_push(&s->command, "line\nbreak");
	s->has_entrypoint = true; /* set empty: [] */
	plain = render(p, s, false);
	shown = render(p, s, true);
	check_jansson_form(plain);
	check_jansson_form(shown);
	check_sha256(plain, "83cff9c0dc6850cf893ccf4b79ecd89098698543927d9173456156cba46819d9");
	check_sha256(shown, "dcb05c4ff6fbb405c6bee055c2b534a96b7be307e4901b5338b2ccec7d1345c6");
	CHECK(plain && strstr(plain, "\\u0001\\u001F\x7f end"));
	CHECK(plain && strstr(plain, "\"entrypoint\":[]"));
	free(plain);
	free(shown);
	model_project_free(p);
}

/* Integers at their limits and below zero, and a large object, as jansson prints them. */
static void test_spec_text__numbers(void)
{
	struct project *p = fixture_project();
	struct service *s = &p->services[0];
	char key[8], *plain;
	int i;

	s->health.interval_ns = INT64_MIN;
	s->health.timeout_ns = INT64_MAX;
	s->health.start_period_ns = -1;
	s->health.retries = -7;
	/* more keys than are sorted on the stack, in reverse order */
	for (i = 100; i > 0; i--) {
		snprintf(key, sizeof(key), "K%03d", i);
		kvv_set(&s->env, key, key);
	}
	plain = render(p, s, false);
	check_jansson_form(plain);
	CHECK(plain && strstr(plain, "\"interval_ns\":-9223372036854775808"));
	CHECK(plain && strstr(plain, "\"timeout_ns\":9223372036854775807"));
	free(plain);
	model_project_free(p);
}

int main(void)
{
	RUN(test_spec_text__pinned);
	RUN(test_spec_text__escapes);
	RUN(test_spec_text__numbers);
	return CHECK_DONE();
}
