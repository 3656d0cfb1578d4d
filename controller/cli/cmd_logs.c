/*
 * cmd_logs.c - "deployctl logs": the project's containers' output from the
 * Engine's log stream, each line behind its service and replica ("web#1 |"),
 * as compose prints it. Without -f the containers are printed one after
 * the other; with -f each is followed by its own thread and connection, lines
 * interleaved as they come, until every container stops or SIGINT/SIGTERM
 * asks to end (exit 0).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/clock.h"
#include "deployctl/cmd.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/docker_swarm_ops.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"

/* Longest partial line kept before it is printed anyway. */
#define LOGS_LINE_MAX (64u << 10)

/* Set by SIGINT/SIGTERM while following: every stream ends. */
static volatile sig_atomic_t logs_stop;

static void logs_on_signal(int sig)
{
	(void)sig;
	logs_stop = 1;
}

struct logs_out {
	pthread_mutex_t lock; /* one line at a time on stdout and stderr */
	bool color;
	bool service; /* Swarm: the streams are services' (docker_service_logs()) */
	int width;    /* of the widest prefix */
};

/* One container's stream: its prefix and the unfinished line of each stream. */
struct logs_stream {
	struct logs_out *out;
	const struct docker_container *c;
	char prefix[160];
	const char *color;
	struct buf partial[3];
	struct docker *d; /* -f: the thread's own connection */
	struct err err;
	pthread_t thread;
	bool started;
};

static const char *const logs_colors[] = { "\033[36m", "\033[33m", "\033[32m",
	                                   "\033[35m", "\033[34m", "\033[96m" };

static void print_line(struct logs_stream *s, int stream, const char *line, size_t len)
{
	FILE *f = stream == DOCKER_STDERR ? stderr : stdout;

	pthread_mutex_lock(&s->out->lock);
	if (s->out->width >= 0) {
		if (s->out->color)
			fputs(s->color, f);
		fprintf(f, "%-*s |", s->out->width, s->prefix);
		if (s->out->color)
			fputs("\033[0m", f);
		fputc(' ', f);
	}
	fwrite(line, 1, len, f);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&s->out->lock);
}

/* Output of one container: whole lines get the prefix; the rest waits for its newline. */
static int logs_write(void *arg, int stream, const char *data, size_t len)
{
	struct logs_stream *s = arg;
	struct buf *b = &s->partial[stream == DOCKER_STDERR ? 2 : 1];
	const char *nl;

	while (len && (nl = memchr(data, '\n', len))) {
		size_t n = (size_t)(nl - data);

		if (b->len) {
			if (buf_add(b, data, n) < 0)
				return ERR_NOMEM;
			print_line(s, stream, b->ptr, b->len);
			buf_reset(b);
		} else {
			print_line(s, stream, data, n);
		}
		data += n + 1;
		len -= n + 1;
	}
	if (len && buf_add(b, data, len) < 0)
		return ERR_NOMEM;
	if (b->len >= LOGS_LINE_MAX) {
		print_line(s, stream, b->ptr, b->len);
		buf_reset(b);
	}
	return 0;
}

static void logs_flush(struct logs_stream *s)
{
	int i;

	for (i = 1; i <= 2; i++)
		if (s->partial[i].len) {
			print_line(s, i, s->partial[i].ptr, s->partial[i].len);
			buf_reset(&s->partial[i]);
		}
}

struct follow_arg {
	struct logs_stream *s;
	const struct docker_logs_opts *opts;
};

static void *follow_thread(void *arg)
{
	struct follow_arg *a = arg;

	(a->s->out->service ? docker_service_logs : docker_container_logs)(
	        a->s->d, a->s->c->id, a->opts, logs_write, a->s, &a->s->err);
	logs_flush(a->s);
	return NULL;
}

/*
 * --since: unix seconds ("1764680000", "1764680000.5"), a duration back
 * from now ("10m", "1h", "30s"), or a UTC time "2026-12-02T15:04:05Z".
 * Into out as unix seconds for the Engine. -1 if none of these.
 */
static int parse_since(char *out, size_t size, const char *s)
{
	unsigned mo, d, h, mi, sec;
	long y, ms;
	char z = 0, extra;
	struct err err = ERR_INIT;
	size_t i;
	bool digits = *s != '\0';

	for (i = 0; s[i]; i++)
		if (!strchr("0123456789.", s[i]))
			digits = false;
	if (digits && strchr(s, '.') == strrchr(s, '.') && s[0] != '.') {
		snprintf(out, size, "%s", s);
		return 0;
	}
	if (sscanf(s, "%4ld-%2u-%2uT%2u:%2u:%2u%c%c", &y, &mo, &d, &h, &mi, &sec, &z, &extra) >=
	            6 &&
	    (z == 0 || z == 'Z') && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 &&
	    sec < 61 && !strchr(s, '+')) {
		snprintf(out, size, "%ld",
		         (long)clock_days_from_civil(y, mo, d) * 86400L + (long)h * 3600 + mi * 60 +
		                 sec);
		return 0;
	}
	if (!digits && lock_parse_duration(&ms, s, &err) == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(out, size, "%.3f",
		         (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - (double)ms / 1000.0);
		return 0;
	}
	return -1;
}

/* What logs' options fill. */
struct logs_args {
	struct docker_logs_opts opts;
	bool no_prefix;
	char since[64], tail[32];
};

/* --tail N or all. */
static int opt_tail(void *base, const struct cmd_opt *o, const char *arg)
{
	struct logs_args *la = base;
	unsigned n;

	if (!strcmp(arg, "all")) {
		snprintf(la->tail, sizeof(la->tail), "all");
	} else {
		if (cmd_opt_uint(&n, "--tail", arg, 0, 1000000, "lines (or all)") < 0)
			return -1;
		snprintf(la->tail, sizeof(la->tail), "%u", n);
	}
	(void)o;
	la->opts.tail = la->tail;
	return 0;
}

static int opt_since(void *base, const struct cmd_opt *o, const char *arg)
{
	struct logs_args *la = base;

	if (parse_since(la->since, sizeof(la->since), arg) < 0)
		return cmd_opt_fail(o,
		                    "unix seconds, a duration (10m, 2h) or a UTC time "
		                    "(2026-12-02T15:04:05Z), not '%s'",
		                    arg);
	la->opts.since = la->since;
	return 0;
}

static const struct cmd_opt logs_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	{ .kind = CMD_OPT_FLAG,
	  .name = "follow",
	  .letter = 'f',
	  CMD_FIELD(CMD_BASE_OWN, struct logs_args, opts.follow),
	  .help = "keep printing until the containers stop or SIGINT/SIGTERM" },
	{ .kind = CMD_OPT_CALL,
	  .name = "tail",
	  .letter = 'n',
	  .arg = "N",
	  .base = CMD_BASE_OWN,
	  .call = opt_tail,
	  .help = "only the last N lines of each container (or all)" },
	{ .kind = CMD_OPT_CALL,
	  .name = "since",
	  .letter = 's',
	  .arg = "T",
	  .base = CMD_BASE_OWN,
	  .call = opt_since,
	  .help = "from T: unix seconds, a duration back (10m), or 2026-12-02T15:04:05Z" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "timestamps",
	  .letter = 't',
	  CMD_FIELD(CMD_BASE_OWN, struct logs_args, opts.timestamps),
	  .help = "Docker's time before each line" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "no-prefix",
	  CMD_FIELD(CMD_BASE_OWN, struct logs_args, no_prefix),
	  .help = "no \"service#replica |\" before each line" },
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int run_streams(struct logs_stream *v, size_t n, const struct docker_logs_opts *opts,
                       struct ctx *ctx)
{
	struct follow_arg *args = calloc(n + 1, sizeof(*args));
	struct sigaction sa, old_int, old_term;
	size_t i;
	int ex = EXIT_OK;

	if (!args)
		return EXIT_FAILED;
	if (!opts->follow) {
		for (i = 0; i < n && ex == EXIT_OK; i++) {
			if ((v[i].out->service ? docker_service_logs : docker_container_logs)(
			            ctx->docker, v[i].c->id, opts, logs_write, &v[i], &v[i].err) <
			    0)
				ex = cmd_exit_for(v[i].err.code);
			logs_flush(&v[i]);
			if (ex != EXIT_OK)
				cmd_report(&v[i].err);
		}
		free(args);
		return ex;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = logs_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (i = 0; i < n; i++) {
		args[i].s = &v[i];
		args[i].opts = opts;
		if (docker_open(&v[i].d, ctx->docker_host, &v[i].err) < 0) {
			cmd_report(&v[i].err);
			ex = cmd_exit_for(v[i].err.code);
			logs_stop = 1;
			break;
		}
		v[i].started = pthread_create(&v[i].thread, NULL, follow_thread, &args[i]) == 0;
	}
	for (i = 0; i < n; i++) {
		if (v[i].started)
			pthread_join(v[i].thread, NULL);
		if (v[i].started && v[i].err.code && ex == EXIT_OK) {
			cmd_report(&v[i].err);
			ex = cmd_exit_for(v[i].err.code);
		}
		docker_free(v[i].d);
		v[i].d = NULL;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (logs_stop)
		log_debug("logs: stopped by a signal");
	free(args);
	return ex;
}

static int logs_run(struct ctx *ctx, int argc, char **argv)
{
	struct logs_args la = { .opts = { .cancel = &logs_stop } };
	struct cmd_args a = { 0 };
	const struct docker_logs_opts *opts = &la.opts;
	struct logs_out out = { .width = 0 };
	struct docker_container *c = NULL;
	struct logs_stream *v = NULL;
	const char *given = NULL, *nc_env = getenv("NO_COLOR");
	char *project = NULL;
	bool prefix;
	size_t i, n = 0;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_logs, ctx, &a, &la, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	given = a.project;
	prefix = !la.no_prefix;
	ex = cmd_project_open(&project, &out.service, ctx, given);
	/* On Swarm: each service's log stream, which carries all its tasks' output. */
	if (ex == EXIT_OK)
		ex = out.service ? deploy_swarm_log_targets(&c, &n, ctx, project, argv + first,
		                                            argc - first)
		                 : cmd_live_containers(&c, &n, ctx, project, argv + first,
		                                       argc - first, 0);
	if (ex != EXIT_OK)
		goto out;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		ex = EXIT_FAILED;
		goto out;
	}
	pthread_mutex_init(&out.lock, NULL);
	out.color = ctx->stdout_tty && !(nc_env && *nc_env);
	for (i = 0; i < n; i++) {
		int w;

		v[i].out = &out;
		v[i].c = &c[i];
		v[i].color = logs_colors[i % (sizeof(logs_colors) / sizeof(logs_colors[0]))];
		buf_init(&v[i].partial[1], 0);
		buf_init(&v[i].partial[2], 0);
		w = c[i].replica ? snprintf(v[i].prefix, sizeof(v[i].prefix), "%s#%u", c[i].service,
		                            c[i].replica)
		                 : snprintf(v[i].prefix, sizeof(v[i].prefix), "%s", c[i].service);
		if (w > out.width)
			out.width = w;
	}
	if (!prefix)
		out.width = -1;
	ex = run_streams(v, n, opts, ctx);
	for (i = 0; i < n; i++) {
		buf_release(&v[i].partial[1]);
		buf_release(&v[i].partial[2]);
	}
	pthread_mutex_destroy(&out.lock);
out:
	free(v);
	docker_container_list_free(c, n);
	free(project);
	return ex;
}

const struct cmd cmd_logs = {
	.name = "logs",
	.run = logs_run,
	.usage = "logs [--project NAME] [-f] [--tail N] [--since T] [--timestamps] [SERVICE...]",
	.summary = "Print the output of the project's containers, each line behind its service.",
	.opts = logs_opts,
	.opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS,
	.help = "On Swarm: each service's log stream, every task's output on whatever node, "
	        "behind\n\"service |\".\n",
};
