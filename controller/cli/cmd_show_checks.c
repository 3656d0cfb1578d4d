/*
 * cmd_show_checks.c - the part of "deployctl show N" that says what the
 * release's smoke checks found and whom its outcome was told (schema 0013).
 */
#include <stdio.h>

#include "cmd_checks.h"
#include "deployctl/cmd.h"
#include "deployctl/out.h"
#include "deployctl/store.h"

static void text_smoke(const struct store_smoke_row *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fputs("\nsmoke checks:\n", stdout);
	for (i = 0; i < n; i++) {
		printf("  %-12s ", v[i].outcome ? v[i].outcome : "not run");
		out_safe(stdout, v[i].name);
		out_safe_between(stdout, ": ", v[i].method, " ");
		out_safe(stdout, v[i].url);
		if (v[i].network) {
			fputs(" from network ", stdout);
			out_safe(stdout, v[i].network);
			out_safe_between(stdout, " (", v[i].image, ")");
		}
		printf(" expects %ld", v[i].expect_status);
		if (v[i].outcome)
			printf("; got %ld after %u attempt(s) in %.2fs", v[i].status, v[i].attempts,
			       v[i].duration_s);
		if (v[i].reason) {
			fputs(": ", stdout);
			out_safe(stdout, v[i].reason);
		}
		fputc('\n', stdout);
	}
}

static void text_notify(const struct store_notify_row *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fputs("\nnotifications:\n", stdout);
	for (i = 0; i < n; i++) {
		printf("  %-12s %s ", v[i].outcome ? v[i].outcome : "not yet", v[i].format);
		if (v[i].url_env)
			printf("url_env %s", v[i].url_env);
		else if (v[i].url_file)
			printf("url_file %s", v[i].url_file);
		else
			for (char *c = v[i].command; c && *c; c++)
				fputc(*c == '\x1f' ? ' ' : (*c < 0x20 ? '?' : *c), stdout);
		printf(" (on %s)", v[i].on);
		if (v[i].event)
			printf(": %s told, %u attempt(s) in %.2fs", v[i].event, v[i].attempts,
			       v[i].duration_s);
		if (v[i].detail) {
			fputs(": ", stdout);
			out_safe(stdout, v[i].detail);
		}
		fputc('\n', stdout);
	}
}

static void json_smoke(const struct store_smoke_row *v, size_t n)
{
	size_t i;

	fputs(",\"smoke\":[", stdout);
	for (i = 0; i < n; i++) {
		printf("%s{\"seq\":%u", i ? "," : "", v[i].seq);
		out_json_field(stdout, "name", v[i].name);
		out_json_field(stdout, "method", v[i].method);
		out_json_field(stdout, "url", v[i].url);
		out_json_field(stdout, "network", v[i].network);
		out_json_field(stdout, "image", v[i].image);
		out_json_field(stdout, "service", v[i].service);
		printf(",\"expect_status\":%ld", v[i].expect_status);
		out_json_field(stdout, "outcome", v[i].outcome);
		if (v[i].outcome)
			printf(",\"status\":%ld,\"attempts\":%u,\"duration_s\":%.3f", v[i].status,
			       v[i].attempts, v[i].duration_s);
		out_json_field(stdout, "reason", v[i].reason);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

static void json_notify(const struct store_notify_row *v, size_t n)
{
	size_t i;

	fputs(",\"notify\":[", stdout);
	for (i = 0; i < n; i++) {
		printf("%s{\"seq\":%u", i ? "," : "", v[i].seq);
		out_json_field(stdout, "format", v[i].format);
		out_json_field(stdout, "url_env", v[i].url_env);
		out_json_field(stdout, "url_file", v[i].url_file);
		out_json_field(stdout, "on", v[i].on);
		out_json_field(stdout, "event", v[i].event);
		out_json_field(stdout, "outcome", v[i].outcome);
		if (v[i].event)
			printf(",\"attempts\":%u,\"duration_s\":%.3f", v[i].attempts,
			       v[i].duration_s);
		out_json_field(stdout, "detail", v[i].detail);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

void show_checks(struct store *s, int64_t id, bool json)
{
	struct store_smoke_row *sv = NULL;
	struct store_notify_row *nv = NULL;
	struct err err = ERR_INIT;
	size_t ns = 0, nn = 0;

	if (store_release_smoke_rows(&sv, &ns, s, id, &err) < 0 ||
	    store_release_notify_rows(&nv, &nn, s, id, &err) < 0)
		cmd_report(&err);
	if (json) {
		json_smoke(sv, ns);
		json_notify(nv, nn);
	} else {
		text_smoke(sv, ns);
		text_notify(nv, nn);
	}
	store_smoke_rows_free(sv, ns);
	store_notify_rows_free(nv, nn);
}
