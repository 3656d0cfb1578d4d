/*
 * cmd_serve.c - "deployctl serve": the watcher plus the HTTP listener
 * (webhooks, /healthz, /metrics), in the foreground, for systemd
 * (contrib/deployctl-serve.service).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deployctl/check.h"
#include "deployctl/cmd_watch.h"
#include "deployctl/log.h"
#include "deployctl/serve.h"

#define SECRET_MAX 4096

static const struct option serve_options[] = {
	DEPLOY_LONG_OPTIONS,
	WATCH_LONG_OPTIONS,
	{ "listen", required_argument, NULL, 'l' },
	{ "webhook-secret-file", required_argument, NULL, 's' },
	{ "webhook-max-body", required_argument, NULL, 'B' },
	{ "webhook-rate", required_argument, NULL, 'Q' },
	{ NULL, 0, NULL, 0 },
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
	unsigned max_body = 1u << 20, rate = 5;
	char *secret = NULL;
	size_t secret_len = 0;
	int opt, ex = EXIT_USAGE;

	watch_cli_init(&c);
	while ((opt = getopt_long(argc, argv, "+hj:", serve_options, NULL)) != -1) {
		int parsed = watch_cli_opt(&c, opt, optarg);

		if (parsed < 0)
			goto out;
		if (parsed)
			continue;
		switch (opt) {
		case 'l':
			so.listen = optarg;
			break;
		case 's':
			c.secret_file = optarg;
			break;
		case 'B':
			if (cmd_opt_uint(&max_body, "--webhook-max-body", optarg, 1024, 64u << 20,
			                 "bytes") < 0)
				goto out;
			break;
		case 'Q':
			if (cmd_opt_uint(&rate, "--webhook-rate", optarg, 1, 10000,
			                 "requests a second") < 0)
				goto out;
			break;
		case 'h':
			cmd_print_help(&cmd_serve, stdout);
			ex = EXIT_OK;
			goto out;
		default:
			cmd_print_help(&cmd_serve, stderr);
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "deployctl: serve: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	ex = watch_cli_finish(&c, ctx);
	if (ex == EXIT_OK && c.secret_file)
		ex = read_secret(&secret, &secret_len, c.secret_file);
	if (ex != EXIT_OK)
		goto out;
	if (!secret)
		log_warnx("no --webhook-secret-file: POST /webhook answers 403");
	setvbuf(stdout, NULL, _IOLBF, 0);
	watch_cli_callbacks(&cb, &c);
	so.max_body = max_body;
	if (webhook_new(&wh, secret, secret_len, rate, rate * 2, &err) < 0 ||
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
	.help = DEPLOY_OPTS_HELP WATCH_OPTS_HELP
	"  --listen ADDR:PORT HTTP listener (default: 127.0.0.1:9419; TLS: a reverse proxy)\n"
	"  --webhook-secret-file FILE\n"
	"                     the shared secret of the webhooks (first line); without it\n"
	"                     POST /webhook answers 403\n"
	"  --webhook-max-body N  largest webhook body, bytes (default: 1048576)\n"
	"  --webhook-rate N   webhook requests a second, bursts of 2N (default: 5)\n",
};
