/*
 * test_manifest_vars.c - interpolation, env files, the process environment,
 * shell word splitting, durations and byte sizes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/manifest.h"
#include "deployctl/model.h"

#define SECRET "s3cr3t-value"

static void vars_fill(struct kvv *k)
{
	kvv_set(k, "NAME", "web");
	kvv_set(k, "EMPTY", "");
	kvv_set(k, "PORT", "8080");
	kvv_set(k, "PASS", SECRET);
}

/* Interpolate in; returns the new string or NULL (then msg holds the error). */
static char *interp(const struct kvv *k, const char *in, char *msg, size_t size)
{
	char *out = NULL;

	msg[0] = '\0';
	if (manifest_interpolate(&out, in, k, msg, size))
		return NULL;
	return out;
}

#define CHECK_INTERP(k, in, want)                                                                  \
	do {                                                                                       \
		char m_[512];                                                                      \
		char *o_ = interp(k, in, m_, sizeof(m_));                                          \
		if (!o_)                                                                           \
			fprintf(stderr, "error: %s\n", m_);                                        \
		CHECK_STR(o_, want);                                                               \
		free(o_);                                                                          \
	} while (0)

static void test_manifest_vars__interpolate_forms(void)
{
	struct kvv k = { NULL, 0 };

	vars_fill(&k);
	CHECK_INTERP(&k, "plain text", "plain text");
	CHECK_INTERP(&k, "", "");
	CHECK_INTERP(&k, "${NAME}", "web");
	CHECK_INTERP(&k, "$NAME-x", "web-x");
	CHECK_INTERP(&k, "a${NAME}b$PORT.c", "awebb8080.c");
	CHECK_INTERP(&k, "${UNSET}|$UNSET|", "||");
	CHECK_INTERP(&k, "${UNSET:-d}", "d");
	CHECK_INTERP(&k, "${EMPTY:-d}", "d");
	CHECK_INTERP(&k, "${NAME:-d}", "web");
	CHECK_INTERP(&k, "${UNSET-d}", "d");
	CHECK_INTERP(&k, "${EMPTY-d}", "");
	CHECK_INTERP(&k, "${UNSET:-}", "");
	CHECK_INTERP(&k, "${NAME:+alt}", "alt");
	CHECK_INTERP(&k, "${EMPTY:+alt}", "");
	CHECK_INTERP(&k, "${EMPTY+alt}", "alt");
	CHECK_INTERP(&k, "${UNSET+alt}", "");
	CHECK_INTERP(&k, "${NAME:?need it}", "web");
	CHECK_INTERP(&k, "${EMPTY?need it}", "");
	CHECK_INTERP(&k, "$$", "$");
	CHECK_INTERP(&k, "$${NAME} $$NAME", "${NAME} $NAME");
	CHECK_INTERP(&k, "cost $5 and $ alone $", "cost $5 and $ alone $");
	CHECK_INTERP(&k, "${UNSET:-a:b-c}", "a:b-c");
	CHECK_INTERP(&k, "${UNSET:-${NAME}}", "web");
	CHECK_INTERP(&k, "${UNSET:-${ALSO_UNSET:-${PORT}x}}/", "8080x/");
	CHECK_INTERP(&k, "${UNSET:-$$}", "$");
	CHECK_INTERP(&k, "${NAME:+[${PORT}]}", "[8080]");
	CHECK_INTERP(&k, "{}${NAME}}", "{}web}");
	kvv_free(&k);
}

static void test_manifest_vars__interpolate_errors(void)
{
	struct kvv k = { NULL, 0 };
	char msg[512];
	char *o;

	vars_fill(&k);
	o = interp(&k, "${UNSET:?set it please}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK_STR(msg, "required variable UNSET is missing a value: set it please");
	o = interp(&k, "${EMPTY:?}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK_STR(msg, "required variable EMPTY is missing a value");
	o = interp(&k, "${UNSET?}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK_STR(msg, "required variable UNSET is missing a value");
	o = interp(&k, "x ${NAME", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, "unclosed") != NULL);
	o = interp(&k, "${UNSET:-${NAME}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, "unclosed") != NULL);
	o = interp(&k, "${1BAD}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, "invalid interpolation format") != NULL);
	o = interp(&k, "${}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, "invalid interpolation format") != NULL);
	o = interp(&k, "${NAME!x}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, "invalid interpolation format") != NULL);
	/* the error in a used default is reported */
	o = interp(&k, "${UNSET:-${NOPE:?inner}}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK_STR(msg, "required variable NOPE is missing a value: inner");
	/* values never leak into messages */
	o = interp(&k, "$PASS ${PASS:+${PASS}} ${PASS} ${ZZ:?no}", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, SECRET) == NULL);
	o = interp(&k, "${PASS} ${PASS:-${", msg, sizeof(msg));
	CHECK(o == NULL);
	CHECK(strstr(msg, SECRET) == NULL);
	kvv_free(&k);
}

static int envparse(struct kvv *out, struct errlist *errs, const char *text)
{
	errlist_init(errs);
	return manifest_envfile_parse(out, "app.env", text, strlen(text), errs);
}

static void test_manifest_vars__envfile_forms(void)
{
	struct kvv k = { NULL, 0 };
	struct errlist errs;

	kvv_set(&k, "KEEP", "old");
	kvv_set(&k, "A", "replaced");
	CHECK_INT(envparse(&k, &errs,
	                   "# comment\n"
	                   "\n"
	                   "A=1\n"
	                   "export B=two words  \n"
	                   "  C = spaced\n"
	                   "D='single $X \\n # not comment'\n"
	                   "E=\"dq \\\"q\\\" \\\\ \\n end\" # comment\n"
	                   "F=value # inline comment\n"
	                   "G=a#b\n"
	                   "H=\n"
	                   "I=\"multi\n"
	                   "line\"\n"
	                   "J=after\r\n"
	                   "export=yes\n"
	                   "K='' \n"
	                   "L=x=y"),
	          0);
	CHECK_INT(errs.n, 0);
	CHECK_STR(kvv_get(&k, "KEEP"), "old");
	CHECK_STR(kvv_get(&k, "A"), "1");
	CHECK_STR(kvv_get(&k, "B"), "two words");
	CHECK_STR(kvv_get(&k, "C"), "spaced");
	CHECK_STR(kvv_get(&k, "D"), "single $X \\n # not comment");
	CHECK_STR(kvv_get(&k, "E"), "dq \"q\" \\ \n end");
	CHECK_STR(kvv_get(&k, "F"), "value");
	CHECK_STR(kvv_get(&k, "G"), "a#b");
	CHECK_STR(kvv_get(&k, "H"), "");
	CHECK_STR(kvv_get(&k, "I"), "multi\nline");
	CHECK_STR(kvv_get(&k, "J"), "after");
	CHECK_STR(kvv_get(&k, "export"), "yes");
	CHECK_STR(kvv_get(&k, "K"), "");
	CHECK_STR(kvv_get(&k, "L"), "x=y");
	CHECK_INT(k.n, 14);
	kvv_free(&k);
	CHECK_INT(envparse(&k, &errs,
	                   "\xef\xbb\xbf"
	                   "BOM=1"),
	          0);
	CHECK_STR(kvv_get(&k, "BOM"), "1");
	CHECK_INT(envparse(&k, &errs, ""), 0);
	CHECK_INT(k.n, 1);
	kvv_free(&k);
}

static void test_manifest_vars__envfile_errors(void)
{
	struct kvv k = { NULL, 0 };
	struct errlist errs;
	size_t i;

	kvv_set(&k, "KEEP", "old");
	CHECK_INT(envparse(&k, &errs,
	                   "OK=1\n"                    /* 1 */
	                   "ALONE\n"                   /* 2 */
	                   "1BAD=" SECRET "\n"         /* 3 */
	                   "MY KEY=" SECRET "\n"       /* 4 */
	                   "just-" SECRET "\n"         /* 5 */
	                   "Q='" SECRET "' trailing\n" /* 6 */
	                   "#ok\n"                     /* 7 */
	                   "U=\"" SECRET "\n"          /* 8 */
	                   "NEVER=reached\n"),         /* 9 */
	          ERR_INVALID);
	CHECK_INT(errs.n, 6);
	CHECK_INT(errs.items[0].line, 2);
	CHECK_STR(errs.items[0].msg, "variable 'ALONE' has no '=' (KEY alone is not supported)");
	CHECK_INT(errs.items[1].line, 3);
	CHECK_STR(errs.items[1].msg, "invalid variable name '1BAD'");
	CHECK_INT(errs.items[2].line, 4);
	CHECK_STR(errs.items[2].msg, "invalid variable name 'MY KEY'");
	CHECK_INT(errs.items[3].line, 5);
	CHECK_STR(errs.items[3].msg, "expected KEY=VALUE");
	CHECK_INT(errs.items[4].line, 6);
	CHECK_STR(errs.items[4].msg, "unexpected text after the quoted value of 'Q'");
	CHECK_INT(errs.items[5].line, 8);
	CHECK_STR(errs.items[5].msg, "unterminated double-quoted value for 'U'");
	for (i = 0; i < errs.n; i++) {
		CHECK_STR(errs.items[i].src, "app.env");
		CHECK_INT(errs.items[i].col, 1);
		CHECK(strstr(errs.items[i].msg, SECRET) == NULL);
	}
	/* nothing is applied from a file with errors */
	CHECK(kvv_get(&k, "OK") == NULL);
	CHECK_INT(k.n, 1);
	CHECK_INT(envparse(&k, &errs, "A=1\n =" SECRET "\nB='x\ny'\nC=\"\n\n"), ERR_INVALID);
	CHECK_INT(errs.n, 2);
	CHECK_INT(errs.items[0].line, 2);
	CHECK_STR(errs.items[0].msg, "missing variable name before '='");
	CHECK_INT(errs.items[1].line, 5);
	CHECK_STR(errs.items[1].msg, "unterminated double-quoted value for 'C'");
	kvv_free(&k);
}

/* Docker takes env values as JSON strings: a value that is not UTF-8 is refused where it is. */
static void test_manifest_vars__not_utf8(void)
{
	static const char *const valid[] = { "",
		                             "plain",
		                             "\xc3\xa9t\xc3\xa9",
		                             "\xe2\x82\xac",
		                             "\xf0\x9f\x9a\x80",
		                             "\xf4\x8f\xbf\xbf" };
	static const struct {
		const char *s;
		size_t bad;
	} invalid[] = {
		{ "ab\xff", 2 },           { "\x80", 0 },
		{ "x\xc0\x80", 1 },        { "\xed\xa0\x80", 0 },
		{ "\xf4\x90\x80\x80", 0 }, { "ok\xc3", 2 },
		{ "\xe2\x82", 0 },         { "\xe0\x80\xaf", 0 },
		{ "\xc3\xa9\xc3(", 2 },
	};
	struct kvv k = { NULL, 0 };
	struct errlist errs;
	char msg[512];
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		CHECK_INT(buf_utf8_invalid(valid[i], strlen(valid[i])), strlen(valid[i]));
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		CHECK_INT(buf_utf8_invalid(invalid[i].s, strlen(invalid[i].s)), invalid[i].bad);

	/* In an env file: the file and the line the variable starts on; nothing applied. */
	CHECK_INT(envparse(&k, &errs,
	                   "A=ok\n"                      /* 1 */
	                   "B=x\xffy\n"                  /* 2 */
	                   "C='multi\nline\xfe'\n"       /* 3-4 */
	                   "D=\"\xc3\xa9t\xc3\xa9\"\n"), /* 5 */
	          ERR_INVALID);
	CHECK_INT(errs.n, 2);
	CHECK_STR(errs.items[0].src, "app.env");
	CHECK_INT(errs.items[0].line, 2);
	CHECK_STR(errs.items[0].msg, "value of 'B' is not valid UTF-8 (byte 1 of the value)");
	CHECK_INT(errs.items[1].line, 3);
	CHECK_STR(errs.items[1].msg, "value of 'C' is not valid UTF-8 (byte 10 of the value)");
	CHECK_INT(k.n, 0);
	CHECK_INT(envparse(&k, &errs, "D=\"\xc3\xa9t\xc3\xa9\"\n"), 0);
	CHECK_STR(kvv_get(&k, "D"), "\xc3\xa9t\xc3\xa9");

	/* From the process environment: refused when interpolated, not when unused. */
	kvv_set(&k, "BAD",
	        "a\xff"
	        "b");
	CHECK(interp(&k, "${BAD}", msg, sizeof(msg)) == NULL);
	CHECK_STR(msg, "variable BAD is not valid UTF-8 (byte 1 of its value)");
	CHECK(interp(&k, "x $BAD", msg, sizeof(msg)) == NULL);
	CHECK_STR(msg, "variable BAD is not valid UTF-8 (byte 1 of its value)");
	CHECK(interp(&k, "${BAD:-fine}", msg, sizeof(msg)) == NULL);
	CHECK(interp(&k, "${BAD:?}", msg, sizeof(msg)) == NULL);
	CHECK_INTERP(&k, "${BAD:+set}", "set");
	CHECK_INTERP(&k, "${UNSET:-${D}}", "\xc3\xa9t\xc3\xa9");
	kvv_free(&k);
}

static void test_manifest_vars__load_file_and_environ(void)
{
	char path[] = "/tmp/test_manifest_vars_XXXXXX";
	const char *text = "A=from-file\nB=file\n";
	char *env[] = { (char *)"A=from-env", (char *)"C=x=y", (char *)"NOEQ", (char *)"=bad",
		        NULL };
	struct manifest_vars v;
	struct err err = ERR_INIT;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	manifest_vars_init(&v);
	CHECK_INT(manifest_vars_load_file(&v, path, &err), 0);
	CHECK_STR(kvv_get(&v.vars, "A"), "from-file");
	CHECK_INT(manifest_vars_load_environ(&v, env), 0);
	CHECK_STR(kvv_get(&v.vars, "A"), "from-env");
	CHECK_STR(kvv_get(&v.vars, "B"), "file");
	CHECK_STR(kvv_get(&v.vars, "C"), "x=y");
	CHECK(kvv_get(&v.vars, "NOEQ") == NULL);
	CHECK_INT(v.vars.n, 3);
	CHECK_INT(manifest_vars_load_environ(&v, NULL), 0);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "X=1\nY\n", 6), 6);
	close(fd);
	CHECK_INT(manifest_vars_load_file(&v, path, &err), ERR_INVALID);
	CHECK_STR(err.src, path);
	CHECK_INT(err.line, 2);
	CHECK(strstr(err.msg, "'Y'") != NULL);
	CHECK(kvv_get(&v.vars, "X") == NULL);
	unlink(path);
	err_clear(&err);
	CHECK_INT(manifest_vars_load_file(&v, path, &err), ERR_NOTFOUND);
	CHECK_STR(err.src, path);
	manifest_vars_release(&v);
	CHECK_INT(v.vars.n, 0);
}

static void check_split(const char *in, size_t n, const char *const *want)
{
	struct strv s = { NULL, 0 };
	char msg[256] = "";
	size_t i;
	int rc = manifest_shell_split(&s, in, msg, sizeof(msg));

	CHECK_INT(rc, 0);
	if (rc)
		fprintf(stderr, "split '%s': %s\n", in, msg);
	CHECK_INT(s.n, n);
	for (i = 0; i < n && i < s.n; i++)
		CHECK_STR(s.v[i], want[i]);
	strv_free(&s);
}

static void test_manifest_vars__shell_split(void)
{
	struct strv s = { NULL, 0 };
	char msg[256];

	check_split("", 0, NULL);
	check_split("   \t ", 0, NULL);
	check_split("echo hello", 2, (const char *const[]){ "echo", "hello" });
	check_split("  a\t b\nc  ", 3, (const char *const[]){ "a", "b", "c" });
	check_split("sh -c 'echo $HOME \"x\"'", 3,
	            (const char *const[]){ "sh", "-c", "echo $HOME \"x\"" });
	check_split("say \"a \\\"b\\\" \\\\ \\$x \\n\"", 2,
	            (const char *const[]){ "say", "a \"b\" \\ $x \\n" });
	check_split("a\\ b c\\'d", 2, (const char *const[]){ "a b", "c'd" });
	check_split("x'y'\"z\" '' \"\"", 3, (const char *const[]){ "xyz", "", "" });
	check_split("$VAR ${X}", 2, (const char *const[]){ "$VAR", "${X}" });

	/* appends to what is there */
	strv_push(&s, "first");
	CHECK_INT(manifest_shell_split(&s, "b c", msg, sizeof(msg)), 0);
	CHECK_INT(s.n, 3);
	CHECK_STR(s.v[0], "first");
	CHECK_STR(s.v[2], "c");
	CHECK_INT(manifest_shell_split(&s, "a 'open", msg, sizeof(msg)), ERR_INVALID);
	CHECK(strstr(msg, "unterminated single quote") != NULL);
	CHECK_INT(s.n, 3); /* unchanged on error */
	CHECK_INT(manifest_shell_split(&s, "a \"open", msg, sizeof(msg)), ERR_INVALID);
	CHECK(strstr(msg, "unterminated double quote") != NULL);
	CHECK_INT(manifest_shell_split(&s, "a \\", msg, sizeof(msg)), ERR_INVALID);
	CHECK(strstr(msg, "backslash") != NULL);
	CHECK_INT(s.n, 3);
	strv_free(&s);
}

static void test_manifest_vars__durations(void)
{
	static const struct {
		const char *in;
		int64_t ns;
	} ok[] = {
		{ "10s", 10000000000LL },
		{ "1m30s", 90000000000LL },
		{ "1h2m3s", 3723000000000LL },
		{ "500ms", 500000000LL },
		{ "1.5s", 1500000000LL },
		{ ".5s", 500000000LL },
		{ "100us", 100000LL },
		{ "100\xc2\xb5s", 100000LL },
		{ "7ns", 7LL },
		{ "0s", 0LL },
		{ "0", 0LL },
		{ "+2h", 7200000000000LL },
		{ "1h0.5m", 3630000000000LL },
		{ "2562047h", 2562047LL * 3600 * 1000000000LL },
	};
	static const char *const bad[] = { "",
		                           "10",
		                           "1.5",
		                           "-1s",
		                           "s",
		                           "1x",
		                           "1s2",
		                           "1 s",
		                           "1.s.",
		                           ".s",
		                           "1sm",
		                           "2562048h",
		                           "9223372036854775808ns",
		                           "99999999999999999999s" };
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		CHECK_INT(manifest_parse_duration(&v, ok[i].in), 0);
		CHECK_INT(v, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (manifest_parse_duration(&v, bad[i]) != ERR_INVALID)
			fprintf(stderr, "duration '%s' accepted\n", bad[i]);
		CHECK_INT(manifest_parse_duration(&v, bad[i]), ERR_INVALID);
		CHECK_INT(v, -1);
	}
}

static void test_manifest_vars__bytes(void)
{
	static const struct {
		const char *in;
		int64_t n;
	} ok[] = {
		{ "1024", 1024 },
		{ "0", 0 },
		{ "10b", 10 },
		{ "512k", 512 * 1024 },
		{ "512kb", 512 * 1024 },
		{ "512KB", 512 * 1024 },
		{ "64m", 64LL << 20 },
		{ "64MB", 64LL << 20 },
		{ "64MiB", 64LL << 20 },
		{ "1g", 1LL << 30 },
		{ "1gb", 1LL << 30 },
		{ "1.5g", 3LL << 29 },
		{ "0.5k", 512 },
		{ "2t", 2LL << 40 },
		{ "100 m", 100LL << 20 },
		{ "8191p", 8191LL << 50 },
	};
	static const char *const bad[] = { "",    "-1",    "-1g",   "1x",
		                           "g",   "1gg",   "1.g",   "1 ",
		                           " 1",  "1.5.5", "8192p", "99999999999999999999",
		                           "1bb", "1bi" };
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		CHECK_INT(manifest_parse_bytes(&v, ok[i].in), 0);
		CHECK_INT(v, ok[i].n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (manifest_parse_bytes(&v, bad[i]) != ERR_INVALID)
			fprintf(stderr, "bytes '%s' accepted\n", bad[i]);
		CHECK_INT(manifest_parse_bytes(&v, bad[i]), ERR_INVALID);
		CHECK_INT(v, -1);
	}
}

/* COMPOSE_PROFILES, from the environment or the .env: empty and overlong names skipped. */
static void test_manifest_vars__profiles_parse(void)
{
	struct strv v = { NULL, 0 };
	char longname[200];

	memset(longname, 'x', 128);
	snprintf(longname + 128, sizeof(longname) - 128, ",b");
	CHECK_INT(manifest_profiles_parse(&v, ",a,,dev-1,"), 0);
	CHECK_INT(v.n, 2);
	if (v.n == 2) {
		CHECK_STR(v.v[0], "a");
		CHECK_STR(v.v[1], "dev-1");
	}
	CHECK_INT(manifest_profiles_parse(&v, ""), 0);
	CHECK_INT(v.n, 2);
	CHECK_INT(manifest_profiles_parse(&v, longname), 0);
	CHECK_INT(v.n, 3);
	if (v.n == 3)
		CHECK_STR(v.v[2], "b");
	strv_free(&v);
}

int main(void)
{
	RUN(test_manifest_vars__interpolate_forms);
	RUN(test_manifest_vars__interpolate_errors);
	RUN(test_manifest_vars__envfile_forms);
	RUN(test_manifest_vars__envfile_errors);
	RUN(test_manifest_vars__not_utf8);
	RUN(test_manifest_vars__load_file_and_environ);
	RUN(test_manifest_vars__shell_split);
	RUN(test_manifest_vars__durations);
	RUN(test_manifest_vars__bytes);
	RUN(test_manifest_vars__profiles_parse);
	return CHECK_DONE();
}
