/*
 * test_spec_text.c - spec_text() writes exactly what jansson's
 * json_dumps(JSON_SORT_KEYS | JSON_COMPACT) writes: the spec hash of every
 * running container is taken over that text, so one byte of difference
 * would replace every container on upgrade. Trees with every escape,
 * control characters, NUL, 2/3/4-byte UTF-8, keys that are prefixes of
 * each other, empty and nested containers, more keys than the writer's
 * stack array, random trees; and NULL (the caller falls back to jansson)
 * for a real number and for bytes that are not UTF-8.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spec_internal.h"

/* spec_text(o) equals jansson's text of o. */
static void same(json_t *o)
{
	char *mine = spec_text(o), *theirs = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);

	CHECK(theirs != NULL);
	CHECK_STR(mine, theirs);
	free(mine);
	free(theirs);
	json_decref(o);
}

static void test_spec_text__escapes_and_utf8(void)
{
	json_t *o = json_object(), *a = json_array();
	char ctl[40];
	int i;

	for (i = 1; i < 0x20; i++)
		ctl[i - 1] = (char)i;
	memcpy(ctl + 31, "\"\\/x\x7f", 6);
	json_object_set_new(o, "ctl", json_string(ctl));
	json_object_set_new(o, "nul", json_stringn("a\0b", 3));
	json_object_set_new(o, "utf8",
	                    json_string("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf"));
	json_object_set_new(o, "key \"quoted\"\n", json_true());
	json_object_set_new(o, "\xc3\xa9", json_false());
	json_object_set_new(o, "", json_null());
	json_object_set_new(o, "a", json_integer(-9223372036854775807LL - 1));
	json_object_set_new(o, "ab", json_integer(9223372036854775807LL));
	json_object_set_new(o, "aa", json_integer(0));
	json_object_set_new(o, "B", json_object());
	json_array_append_new(a, json_array());
	json_array_append_new(a, json_object());
	json_array_append_new(a, json_string(""));
	json_object_set_new(o, "arr", a);
	same(o);
}

static void test_spec_text__many_keys_nested(void)
{
	json_t *o = json_object(), *inner = json_object();
	char k[32];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "k%d", (i * 37) % 100);
		json_object_set_new(inner, k, json_integer(i));
	}
	json_object_set_new(o, "inner", inner);
	json_object_set_new(o, "deep", json_pack("{s:[{s:{s:[i,s,n]}}]}", "x", "y", "z", 1, "t"));
	same(o);
}

static void test_spec_text__random(void)
{
	unsigned seed = 12345;
	int t;

	for (t = 0; t < 200; t++) {
		json_t *o = json_object();
		int i, n;

		n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
		for (i = 0; i < n; i++) {
			char key[8], val[8];
			int j;

			for (j = 0; j < 7; j++) {
				seed = seed * 1103515245u + 12345u;
				key[j] = (char)(1 + (seed >> 16) % 127); /* any ASCII but NUL */
				val[j] = (char)(1 + (seed >> 8) % 127);
			}
			key[(seed >> 4) % 7 + 1] = '\0';
			val[7] = '\0';
			json_object_set_new(o, key,
			                    (seed >> 3) & 1 ? json_string(val)
			                                    : json_integer((json_int_t)seed));
		}
		same(o);
	}
}

static void test_spec_text__falls_back(void)
{
	json_t *o = json_pack("{s:f}", "r", 1.5);
	char *text = spec_text(o);

	CHECK(text == NULL); /* a real: jansson formats it */
	free(text);
	json_decref(o);
	/* Not UTF-8 (a lone continuation byte, an overlong form, a surrogate): jansson fails too.
	 */
	o = json_object();
	json_object_set_new_nocheck(o, "s", json_stringn_nocheck("\x80", 1));
	text = spec_text(o);
	CHECK(text == NULL);
	CHECK(json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) == NULL);
	free(text);
	json_decref(o);
	o = json_object();
	json_object_set_new_nocheck(o, "s", json_stringn_nocheck("\xc0\xaf", 2));
	CHECK(spec_text(o) == NULL);
	json_decref(o);
	o = json_object();
	json_object_set_new_nocheck(o, "s", json_stringn_nocheck("\xed\xa0\x80", 3));
	CHECK(spec_text(o) == NULL);
	json_decref(o);
}

int main(void)
{
	RUN(test_spec_text__escapes_and_utf8);
	RUN(test_spec_text__many_keys_nested);
	RUN(test_spec_text__random);
	RUN(test_spec_text__falls_back);
	return CHECK_DONE();
}
