/*
 * notify.c - telling people of a release's outcome: a Slack-compatible
 * webhook ({"text": ...}), a generic JSON webhook, or a command reading
 * the JSON on its stdin. The webhook URL is a credential: read at send
 * time from a variable (url_env) or a host file (url_file), never stored,
 * and hidden from every message like the release's other secrets. Each
 * target gets a few tries with back-off inside a small time budget, and
 * whatever happens is recorded, never a failure of the release.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/httpc.h"
#include "deployctl/model_secret.h"
#include "deployctl/out.h"
#include "deployctl/release_checks.h"

#define NOTIFY_TRIES      3
#define NOTIFY_TRY_MAX_MS 1500 /* one try, when the budget leaves that much */
#define NOTIFY_URL_MAX    4096

/* s as a JSON string literal, scrubbed of secrets; invalid UTF-8 becomes '?'. */
static int json_str(struct buf *b, const char *s, const struct strv *secrets)
{
	char *copy;
	size_t i, len, bad;
	int rc;

	if (!s)
		return buf_puts(b, "null");
	if (!(copy = strdup(s)))
		return ERR_NOMEM;
	model_scrub(copy, secrets);
	len = strlen(copy);
	while ((bad = buf_utf8_invalid(copy, len)) < len)
		copy[bad] = '?';
	rc = buf_putc(b, '"');
	for (i = 0; rc == 0 && copy[i]; i++) {
		unsigned char c = (unsigned char)copy[i];

		if (c == '"' || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc = buf_puts(b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			rc = buf_printf(b, "\\u%04x", c);
		else
			rc = buf_putc(b, (char)c);
	}
	if (rc == 0)
		rc = buf_putc(b, '"');
	free(copy);
	return rc;
}

static int payload_json(struct buf *b, const struct notify_event *ev, const struct strv *secrets)
{
	const struct {
		const char *key, *value;
	} f[] = {
		{ "project", ev->project },
		{ "kind", ev->kind },
		{ "status", ev->status },
		{ "source_kind", ev->source_kind },
		{ "commit", ev->commit },
		{ "subject", ev->subject },
		{ "ref", ev->ref },
		{ "who", ev->who },
		{ "host", ev->host },
		{ "reason", ev->reason },
		{ "failed_check", ev->failed_check },
	};
	size_t i;
	int rc = buf_printf(b, "{\"release\":%lld", (long long)ev->release);

	for (i = 0; rc == 0 && i < sizeof(f) / sizeof(f[0]); i++) {
		rc = buf_printf(b, ",\"%s\":", f[i].key);
		if (rc == 0)
			rc = json_str(b, f[i].value, secrets);
	}
	if (rc == 0 && ev->duration_s >= 0)
		rc = buf_printf(b, ",\"duration_s\":%.3f", ev->duration_s);
	if (rc == 0)
		rc = buf_puts(b, "}");
	return rc;
}

/* The one-line text of a Slack message. */
static int payload_text(struct buf *t, const struct notify_event *ev)
{
	int rc = buf_printf(t, "deployctl: %s release %lld (%s) %s",
	                    ev->project ? ev->project : "?", (long long)ev->release,
	                    ev->kind ? ev->kind : "apply", ev->status ? ev->status : "?");

	if (rc == 0 && ev->commit)
		rc = buf_printf(t, " - %s %.12s%s%s%s", ev->source_kind ? ev->source_kind : "git",
		                ev->commit, ev->subject ? " \"" : "",
		                ev->subject ? ev->subject : "", ev->subject ? "\"" : "");
	if (rc == 0 && ev->who)
		rc = buf_printf(t, " by %s", ev->who);
	if (rc == 0 && ev->host)
		rc = buf_printf(t, " on %s", ev->host);
	if (rc == 0 && ev->duration_s >= 0)
		rc = buf_printf(t, " in %.1fs", ev->duration_s);
	if (rc == 0 && ev->failed_check)
		rc = buf_printf(t, "; failing check: %s", ev->failed_check);
	if (rc == 0 && ev->reason)
		rc = buf_printf(t, "; reason: %s", ev->reason);
	return rc;
}

int notify_payload(char **out, enum notify_format f, const struct notify_event *ev,
                   const struct strv *secrets)
{
	struct buf b, t;
	int rc;

	buf_init(&b, 64 << 10);
	buf_init(&t, 16 << 10);
	if (f == NOTIFY_SLACK) {
		rc = payload_text(&t, ev);
		if (rc == 0)
			rc = buf_puts(&b, "{\"text\":");
		if (rc == 0)
			rc = json_str(&b, t.ptr, secrets);
		if (rc == 0)
			rc = buf_puts(&b, ",\"deployctl\":");
		if (rc == 0)
			rc = payload_json(&b, ev, secrets);
		if (rc == 0)
			rc = buf_puts(&b, "}");
	} else {
		rc = payload_json(&b, ev, secrets);
	}
	if (rc == 0 && !(*out = buf_detach(&b)))
		rc = ERR_NOMEM;
	buf_release(&b);
	buf_release(&t);
	return rc;
}

/* The URL of t into *url (new), or why not into detail (then *url is NULL). */
void notify_target_url(char **url, const struct notify_target *t, const struct kvv *vars,
                       char *detail, size_t size)
{
	const char *v = NULL;
	char buf[NOTIFY_URL_MAX + 2];
	size_t n = 0;
	FILE *f;

	*url = NULL;
	if (t->url_env) {
		v = vars ? kvv_get(vars, t->url_env) : NULL;
		if (!v || !*v)
			v = getenv(t->url_env);
		if (!v || !*v) {
			snprintf(detail, size,
			         "%s is not set (in the env files or the environment)", t->url_env);
			return;
		}
	} else if (t->url_file) {
		if (!(f = fopen(t->url_file, "re"))) {
			snprintf(detail, size, "cannot read url_file %s", t->url_file);
			return;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		v = buf;
	}
	if (strlen(v) > NOTIFY_URL_MAX || (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))) {
		snprintf(detail, size, "the URL in %s %s is not an http:// or https:// URL",
		         t->url_env ? "variable" : "file", t->url_env ? t->url_env : t->url_file);
		return;
	}
	*url = strdup(v);
	if (!*url)
		snprintf(detail, size, "out of memory");
}

/* One POST; 0 sent, 1 worth another try, -1 not. */
static int post_once(const char *url, const char *payload, long timeout_ms, char *detail,
                     size_t size)
{
	static const char *const headers[] = { "Content-Type: application/json", NULL };
	struct httpc_req req = { .method = "POST",
		                 .url = url,
		                 .headers = headers,
		                 .body = payload,
		                 .body_len = strlen(payload),
		                 .timeout_ms = timeout_ms,
		                 .max_body = 512,
		                 .use_proxy = true };
	struct httpc_resp resp = { 0 };
	struct err e = ERR_INIT;
	int rc;

	if (httpc_request(&resp, &req, &e) < 0) {
		snprintf(detail, size, "%s", e.msg);
		return 1;
	}
	snprintf(detail, size, "HTTP %ld", resp.status);
	rc = resp.status >= 200 && resp.status < 300    ? 0
	     : resp.status >= 500 || resp.status == 429 ? 1
	                                                : -1;
	httpc_resp_release(&resp);
	return rc;
}

/* Run argv with payload on its stdin; 0 exited 0, 1 worth another try. */
static int run_once(const struct strv *argv, const char *payload, long timeout_ms, char *detail,
                    size_t size)
{
	int in[2], st = 0, devnull;
	long until = clock_mono_ms() + timeout_ms;
	size_t len = strlen(payload), i;
	char **args = calloc(argv->n + 1, sizeof(*args));
	pid_t pid, w = 0;

	if (!args || pipe(in) < 0) {
		free(args);
		snprintf(detail, size, "cannot make a pipe");
		return 1;
	}
	for (i = 0; i < argv->n; i++)
		args[i] = argv->v[i]; /* execvp wants them NULL-terminated */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		close(in[0]);
		close(in[1]);
		execvp(args[0], args);
		_exit(127);
	}
	free(args);
	close(in[0]);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0) {
		close(in[1]);
		snprintf(detail, size, "cannot start %s", argv->v[0]);
		return 1;
	}
	/* What fits the pipe; a command that reads nothing is not waited for here. */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (write(in[1], payload, len) < 0)
		st = 0;
	close(in[1]);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && clock_mono_ms() < until)
		clock_sleep_ms(20);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		snprintf(detail, size, "%s did not finish within %ld ms", argv->v[0], timeout_ms);
		return 1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		snprintf(detail, size, "exit 0");
		return 0;
	}
	if (WIFEXITED(st))
		snprintf(detail, size, "%s exited %d", argv->v[0], WEXITSTATUS(st));
	else
		snprintf(detail, size, "%s killed by signal %d", argv->v[0],
		         WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 1;
}

static void tell_one(struct notify_result *r, const struct notify_target *t, const char *url,
                     const char *payload, long budget_ms)
{
	long start = clock_mono_ms(), left, backoff = 250;
	int rc = 1;

	while (r->attempts < NOTIFY_TRIES && rc > 0) {
		left = budget_ms - (clock_mono_ms() - start);
		if (r->attempts && left > backoff) {
			clock_sleep_ms(backoff);
			left -= backoff;
			backoff *= 2;
		}
		if (left < 100)
			break;
		r->attempts++;
		left = left > NOTIFY_TRY_MAX_MS ? NOTIFY_TRY_MAX_MS : left;
		rc = t->format == NOTIFY_COMMAND
		             ? run_once(&t->command, payload, left, r->detail, sizeof(r->detail))
		             : post_once(url, payload, left, r->detail, sizeof(r->detail));
	}
	r->outcome = rc == 0 ? "sent" : "failed";
	r->duration_s = (double)(clock_mono_ms() - start) / 1000.0;
}

/* One target being told, on its own thread: every target's budget runs at once. */
struct telling {
	pthread_t thread;
	bool started;
	struct notify_result *r;
	const struct notify_target *t;
	char *url;
	const char *payload;
};

static void *tell_main(void *arg)
{
	struct telling *w = arg;

	tell_one(w->r, w->t, w->url, w->payload, NOTIFY_TARGET_BUDGET_MS);
	return NULL;
}

/* What target i needs before it is told: its URL (into w->url) and payload; false: not told. */
static bool prepare(struct telling *w, const struct notify_target *t, const struct kvv *vars,
                    struct strv *secrets, unsigned bit, const struct notify_event *ev,
                    char **payload)
{
	struct notify_result *r = w->r;
	enum notify_format f = t->format == NOTIFY_COMMAND ? NOTIFY_JSON : t->format;

	r->event = ev->status;
	r->outcome = "skipped";
	if (!(t->on & bit)) {
		snprintf(r->detail, sizeof(r->detail), "not asked for %s", ev->status);
		return false;
	}
	if (t->format != NOTIFY_COMMAND) {
		notify_target_url(&w->url, t, vars, r->detail, sizeof(r->detail));
		/* An unset variable is a choice (not on this host); a bad one is not. */
		if (!w->url) {
			r->outcome = strstr(r->detail, "is not set") ? "skipped" : "failed";
			return false;
		}
		if (strv_push(secrets, w->url) < 0) {
			snprintf(r->detail, sizeof(r->detail), "out of memory");
			r->outcome = "failed";
			return false;
		}
	}
	if (!payload[f] && notify_payload(&payload[f], f, ev, secrets) < 0) {
		snprintf(r->detail, sizeof(r->detail), "out of memory");
		r->outcome = "failed";
		return false;
	}
	w->t = t;
	w->payload = payload[f];
	return true;
}

unsigned notify_send(struct notify_result *results, const struct project *p,
                     const struct notify_event *ev, const struct kvv *vars, struct strv *secrets)
{
	struct telling w[NOTIFY_MAX_TARGETS];
	unsigned failed = 0, bit = notify_on_bit(ev->status);
	char *payload[3] = { NULL, NULL, NULL };
	size_t i, n = p->nnotify < NOTIFY_MAX_TARGETS ? p->nnotify : NOTIFY_MAX_TARGETS;

	memset(w, 0, sizeof(w));
	for (i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		w[i].r = &results[i];
		if (!prepare(&w[i], &p->notify[i], vars, secrets, bit, ev, payload))
			continue;
		w[i].started = pthread_create(&w[i].thread, NULL, tell_main, &w[i]) == 0;
		if (!w[i].started) /* no thread: told here, in turn */
			tell_main(&w[i]);
	}
	for (i = 0; i < n; i++) {
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
		failed += !strcmp(results[i].outcome, "failed");
		model_scrub(results[i].detail, secrets);
		free(w[i].url);
	}
	for (i = 0; i < 3; i++)
		free(payload[i]);
	return failed;
}

void notify_print_failures(FILE *f, const struct project *p, const struct notify_result *results)
{
	size_t i;

	for (i = 0; i < p->nnotify; i++) {
		const struct notify_target *t = &p->notify[i];

		if (!results[i].outcome || strcmp(results[i].outcome, "failed"))
			continue;
		fprintf(f,
		        "deployctl: notification %zu (%s%s) not sent after %u attempt(s): ", i + 1,
		        t->url_env    ? "url_env "
		        : t->url_file ? "url_file "
		                      : "command ",
		        t->url_env    ? t->url_env
		        : t->url_file ? t->url_file
		                      : t->command.v[0],
		        results[i].attempts);
		out_safe(f, results[i].detail);
		fputc('\n', f);
	}
}
