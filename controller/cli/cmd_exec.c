/*
 * cmd_exec.c - "deployctl exec SERVICE [--replica N] -- CMD...": run a
 * command in one of a service's running containers, attached to this
 * terminal or these pipes. With a TTY on stdin the exec gets a
 * pseudo-terminal (the local one in raw mode for the duration, its size
 * passed on, again on every SIGWINCH); without one, stdout and stderr arrive framed and are kept
 * apart. deployctl exits with the command's exit status.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/cmd.h"
#include "deployctl/deploy_swarm_cmds.h"
#include "deployctl/fdio.h"
#include "deployctl/log.h"

struct exec_args {
	unsigned replica; /* --replica */
	bool no_tty;      /* -T */
};

static const struct cmd_opt exec_opts[] = {
	CMD_OPT_USE(cmd_opt_project),
	{ .kind = CMD_OPT_UINT,
	  .name = "replica",
	  .arg = "N",
	  CMD_FIELD(CMD_BASE_OWN, struct exec_args, replica),
	  .min = 1,
	  .max = 10000,
	  .help = "which replica (default: 1)" },
	{ .kind = CMD_OPT_FLAG,
	  .name = "no-tty",
	  .letter = 'T',
	  CMD_FIELD(CMD_BASE_OWN, struct exec_args, no_tty),
	  .help = "no pseudo-terminal even when stdin is one" },
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};
/* Set by SIGWINCH while a TTY exec runs: pass the new size on. */
static volatile sig_atomic_t exec_winch;

static void exec_on_winch(int sig)
{
	(void)sig;
	exec_winch = 1;
}

/* The local terminal's size to the exec's pseudo-terminal; a failure is not fatal. */
static void pass_size(struct docker *d, const char *exec_id)
{
	struct winsize ws;
	struct err ignored = ERR_INIT;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		docker_exec_resize(d, exec_id, ws.ws_row, ws.ws_col, &ignored);
}

static int to_fd(void *ctx, int stream, const char *data, size_t len)
{
	(void)ctx;
	return fd_write_all(stream == DOCKER_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

/* Copy stdin to the exec and its output here until the exec closes the stream. */
static int pump(int sock, const struct buf *pending, bool tty, struct docker *d,
                const char *exec_id, struct err *err)
{
	struct docker_demux m;
	struct pollfd p[2];
	bool in_open = true;
	char chunk[16384];

	docker_demux_init(&m, tty ? 1 : 0);
	if (pending->len && docker_demux_feed(&m, pending->ptr, pending->len, to_fd, NULL) < 0)
		return err_set(err, ERR_IO, "exec: cannot write the output");
	for (;;) {
		ssize_t n;

		p[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR && exec_winch) {
				exec_winch = 0;
				pass_size(d, exec_id);
			}
			if (errno == EINTR)
				continue;
			return err_set(err, ERR_IO, "exec: poll: %s", strerror(errno));
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(STDIN_FILENO, chunk, sizeof(chunk));
			if (n > 0 && fd_write_all(sock, chunk, (size_t)n) < 0)
				in_open = false;
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				/* End of input: the command sees EOF on its stdin, output
				 * continues. */
				in_open = false;
				shutdown(sock, SHUT_WR);
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(sock, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (docker_demux_feed(&m, chunk, (size_t)n, to_fd, NULL) < 0)
				return err_set(err, ERR_IO,
				               "exec: bad output stream or cannot write it");
		}
	}
	docker_demux_finish(&m, to_fd, NULL);
	return 0;
}

/* The local terminal in raw mode, so keys (^C included) reach the container. */
static bool tty_raw(struct termios *saved)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	t = *saved;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
}

/* The exit code, once Docker has it (it may lag the end of the stream a little). */
static int exit_code_of(int *code, struct ctx *ctx, const char *exec_id, struct err *err)
{
	bool running = true;
	int i;

	for (i = 0; i < 100; i++) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (docker_exec_inspect(code, &running, ctx->docker, exec_id, err) < 0)
			return err->code;
		if (!running && *code >= 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return err_set(err, ERR_DOCKER, "exec: no exit code from docker after 2 s");
}

static int exec_run(struct ctx *ctx, int argc, char **argv)
{
	struct docker_exec_opts eo = { 0 };
	struct docker_container *c = NULL;
	struct strv cmd = { 0 };
	struct termios saved;
	struct buf pending;
	struct err err = ERR_INIT;
	const char *given = NULL;
	char *project = NULL, *exec_id = NULL;
	struct cmd_args a = { 0 };
	struct exec_args xa = { .replica = 1 };
	unsigned replica;
	bool no_tty, raw = false, swarm = false;
	size_t n = 0;
	int first, ex, code = 0, sock = -1, i;

	buf_init(&pending, 0);
	ex = cmd_opts_parse(&first, &cmd_exec, ctx, &a, &xa, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	given = a.project;
	replica = xa.replica;
	no_tty = xa.no_tty;
	/* SERVICE, then the command (after "--", which getopt already consumed if first). */
	if (first < argc && !strcmp(argv[first], "--"))
		first++;
	if (argc - first < 2) {
		fprintf(stderr,
		        "deployctl: exec needs a service and a command: exec SERVICE -- CMD...\n");
		return EXIT_USAGE;
	}
	for (i = first + 1; i < argc; i++) {
		if (i == first + 1 && !strcmp(argv[i], "--"))
			continue;
		if (strv_push(&cmd, argv[i]) < 0)
			return EXIT_FAILED;
	}
	if (!cmd.n) {
		fprintf(stderr, "deployctl: exec: no command after '--'\n");
		ex = EXIT_USAGE;
		goto out;
	}
	ex = cmd_project_open(&project, &swarm, ctx, given);
	/* On Swarm: the task's container, when it runs on this daemon's node. */
	if (ex == EXIT_OK)
		ex = swarm ? deploy_swarm_exec_target(&c, &n, ctx, project, argv[first], replica)
		           : cmd_live_containers(&c, &n, ctx, project, &argv[first], 1, replica);
	if (ex != EXIT_OK)
		goto out;
	if (strcmp(c[0].state, "running")) {
		fprintf(stderr, "deployctl: %s is %s: exec needs it running\n", c[0].name,
		        c[0].state);
		ex = EXIT_FAILED;
		goto out;
	}
	eo.cmd = &cmd;
	eo.tty = !no_tty && isatty(STDIN_FILENO);
	eo.stdin_open = true;
	eo.term = getenv("TERM");
	log_debug("exec in %s %s a TTY", c[0].name, eo.tty ? "with" : "without");
	if (docker_exec_attach(&sock, &pending, &exec_id, ctx->docker, c[0].id, &eo, &err) < 0)
		goto fail;
	if (eo.tty) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = exec_on_winch;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
		pass_size(ctx->docker, exec_id);
		raw = tty_raw(&saved);
	}
	if (pump(sock, &pending, eo.tty, ctx->docker, exec_id, &err) < 0)
		goto fail;
	if (raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw = false;
	}
	if (exit_code_of(&code, ctx, exec_id, &err) < 0)
		goto fail;
	ex = code;
	goto out;
fail:
	if (raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw = false;
	}
	cmd_report(&err);
	ex = cmd_exit_for(err.code);
out:
	if (sock >= 0)
		close(sock);
	free(exec_id);
	buf_release(&pending);
	strv_free(&cmd);
	docker_container_list_free(c, n);
	free(project);
	return ex;
}

const struct cmd cmd_exec = {
	.name = "exec",
	.run = exec_run,
	.usage = "exec [--project NAME] [--replica N] [-T] SERVICE -- CMD...",
	.summary = "Run a command in a service's running container; exits with its status.",
	.opts = exec_opts,
	.opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS,
	.help = "exit status: the command's; 1-5 as for every command when it could not run\n"
	        "On Swarm: in the container of the task in slot --replica when it runs on the "
	        "node\n--docker-host talks to; elsewhere the error names the node (no remote "
	        "exec).\n",
};
