/*
 * cmd_serve.c - "deployctl serve": the watcher plus the HTTP listener
 * (webhooks, /healthz, /metrics), in the foreground, for systemd
 * (contrib/deployctl-serve.service).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deployctl/check.h"
#include "deployctl/cmd_watch.h"
#include "deployctl/log.h"
#include "deployctl/serve.h"

#define SECRET_MAX 4096

static const struct cmd_opt serve_opts[] = {
	CMD_OPT_ALL(watch_cli_opts),
	{ .kind = CMD_OPT_STRING,
	  .name = "listen",
	  .arg = "ADDR:PORT",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, listen),
	  .help = "HTTP listener (default: 127.0.0.1:9419; TLS: a reverse proxy)" },
	{ .kind = CMD_OPT_STRING,
	  .name = "webhook-secret-file",
	  .arg = "FILE",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, secret_file),
	  .help = "the shared secret of the webhooks (first line); without it\n"
	          "POST /webhook answers 403" },
	{ .kind = CMD_OPT_UINT,
	  .name = "webhook-max-body",
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, max_body),
	  .min = 1024,
	  .max = 64u << 20,
	  .unit = "bytes",
	  .help = "largest webhook body, bytes (default: 1048576)" },
	{ .kind = CMD_OPT_UINT,
	  .name = "webhook-rate",
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct watch_cli, rate),
	  .min = 1,
	  .max = 10000,
	  .unit = "requests a second",
	  .help = "webhook requests a second, bursts of 2N (default: 5)" },
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

/* The first line of path, without its newline; *out new. Never printed. */
static int read_secret(char **out, size_t *len, const char *path)
{
	char buf[SECRET_MAX + 2];
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "deployctl: --webhook-secret-file '%s': %s\n", path,
		        strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		log_warnx("webhook secret file '%s' is readable by group or others (chmod 600)",
		          path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (!n || n > SECRET_MAX) {
		fprintf(stderr, "deployctl: --webhook-secret-file '%s': %s\n", path,
		        n ? "longer than 4096 bytes" : "empty");
		return EXIT_USAGE;
	}
	*out = malloc(n + 1);
	if (!*out)
		return EXIT_FAILED;
	memcpy(*out, buf, n + 1);
	memset(buf, 0, sizeof(buf));
	*len = n;
	return EXIT_OK;
}

static int serve_cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct watch_callbacks cb;
	struct serve_opts so = { 0 };
	struct watch_cli c;
	struct watch *w = NULL;
	struct webhook *wh = NULL;
	struct serve *s = NULL;
	struct err err = ERR_INIT;
	char *secret = NULL;
	size_t secret_len = 0;
	int first, ex;

	watch_cli_init(&c);
	ex = cmd_opts_parse(&first,
	                    &(struct cmd_parse){ .cmd = &cmd_serve,
	                                         .ctx = ctx,
	                                         .args = &c.args,
	                                         .deploy = &c.one.opts,
	                                         .own = &c },
	                    argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	ex = watch_cli_finish(&c, ctx);
	if (ex == EXIT_OK && c.secret_file)
		ex = read_secret(&secret, &secret_len, c.secret_file);
	if (ex != EXIT_OK)
		goto out;
	if (!secret)
		log_warnx("no --webhook-secret-file: POST /webhook answers 403");
	setvbuf(stdout, NULL, _IOLBF, 0);
	watch_cli_callbacks(&cb, &c);
	so.listen = c.listen;
	so.max_body = c.max_body;
	if (webhook_new(&wh, secret, secret_len, c.rate, c.rate * 2, &err) < 0 ||
	    watch_new(&w, ctx, &c.conf, &cb, &err) < 0 || serve_start(&s, w, wh, &so, &err) < 0) {
		cmd_report(&err);
		ex = err.code == ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
		goto out;
	}
	log_info("listening on %s (POST /webhook, GET /healthz, GET /metrics)",
	         so.listen ? so.listen : SERVE_DEFAULT_LISTEN);
	ex = watch_run(w);
out:
	serve_stop(s);
	watch_free(w);
	webhook_free(wh);
	if (secret) {
		memset(secret, 0, secret_len);
		free(secret);
	}
	watch_cli_release(&c);
	return ex;
}

const struct cmd cmd_serve = {
	.name = "serve",
	.run = serve_cmd_run,
	.usage = "serve [watch options] [--listen 127.0.0.1:9419] [--webhook-secret-file FILE] "
	         "[--config FILE]",
	.summary = "watch, plus webhooks (GitHub, Gitea, GitLab), /healthz and /metrics over HTTP.",
	.opts = serve_opts,
};
