/*
 * cmd_metrics.c - "deployctl metrics [--textfile PATH]": the Prometheus
 * metrics of serve's /metrics, read back from the state database and one
 * Docker list call, printed or written atomically (a temporary file in the
 * same directory, fsync, rename) for node_exporter's textfile collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/cmd.h"
#include "deployctl/log.h"
#include "deployctl/metrics.h"

static const struct cmd_opt metrics_opts[] = {
	{ .kind = CMD_OPT_STRING,
	  .name = "textfile",
	  .arg = "PATH",
	  .base = CMD_BASE_OWN,
	  .help = "write to PATH (a *.prom file in node_exporter's\n"
	          "--collector.textfile.directory) through a temporary file\n"
	          "and a rename, instead of printing" },
	CMD_OPT_USE_HELP(cmd_opt_project,
	                 "only this project (default: every project in the state)"),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
/* Write text to path through path.tmp-PID and a rename: readers see the old or the new file. */
static int write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	size_t off = 0;
	ssize_t w;
	int fd, e = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= sizeof(tmp)) {
		fprintf(stderr, "deployctl: metrics: '%s': path too long\n", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fprintf(stderr, "deployctl: metrics: cannot create '%s': %s\n", tmp,
		        strerror(errno));
		return -1;
	}
	while (off < len && (w = write(fd, text + off, len - off)) > 0)
		off += (size_t)w;
	if (off < len || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		e = errno ? errno : EIO;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		fprintf(stderr, "deployctl: metrics: cannot write '%s': %s\n", path, strerror(e));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int metrics_run(struct ctx *ctx, int argc, char **argv)
{
	const struct metrics_project **pv = NULL;
	struct metrics_project *v = NULL;
	const char *textfile = NULL, *project;
	struct cmd_args a = { 0 };
	struct err err = ERR_INIT, derr = ERR_INIT;
	struct buf b;
	size_t n = 0, i;
	int first, ex, up = 0;

	buf_init(&b, 0);
	ex = cmd_opts_parse(&first,
	                    &(struct cmd_parse){
	                            .cmd = &cmd_metrics, .ctx = ctx, .args = &a, .own = &textfile },
	                    argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	project = a.project;
	if (textfile && (strlen(textfile) < 5 || strcmp(textfile + strlen(textfile) - 5, ".prom")))
		log_warnx("metrics: node_exporter's textfile collector reads only *.prom files, "
		          "not '%s'",
		          textfile);
	ctx->read_only = true;
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		return ex;
	/* Docker down is a metric (deployctl_docker_up 0), not a failure of the command. */
	if (!ctx->docker && docker_open(&ctx->docker, ctx->docker_host, &derr) < 0)
		log_warnx("metrics: %s: running and healthy are left out", derr.msg);
	if (metrics_from_state(&v, &n, &up, ctx->store, ctx->docker, project, &err) < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	if (ctx->docker && !up)
		log_warnx("metrics: Docker did not answer the list call: running and healthy are "
		          "left out");
	pv = calloc(n + 1, sizeof(*pv));
	if (!pv) {
		fputs("deployctl: out of memory\n", stderr);
		ex = EXIT_FAILED;
		goto out;
	}
	for (i = 0; i < n; i++)
		pv[i] = &v[i];
	if (metrics_render(&b, METRICS_FROM_STATE, pv, n, NULL, 0, 0, up) < 0) {
		fputs("deployctl: out of memory\n", stderr);
		ex = EXIT_FAILED;
		goto out;
	}
	if (textfile)
		ex = write_atomic(textfile, b.ptr, b.len) < 0 ? EXIT_FAILED : EXIT_OK;
	else
		ex = fwrite(b.ptr, 1, b.len, stdout) == b.len ? EXIT_OK : EXIT_FAILED;
out:
	buf_release(&b);
	free(pv);
	free(v);
	return ex;
}

const struct cmd cmd_metrics = {
	.name = "metrics",
	.run = metrics_run,
	.usage = "metrics [--textfile PATH] [--project NAME]",
	.summary = "Print deployctl's Prometheus metrics from the state database, or write them "
	           "atomically for node_exporter's textfile collector.",
	.opts = metrics_opts,
};
