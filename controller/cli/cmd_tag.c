/*
 * cmd_tag.c - "deployctl tag N NAME" names a release so pruning never
 * removes its containers; "deployctl tag --list" lists the names.
 */
#include <stdio.h>
#include <stdlib.h>

#include "deployctl/cmd.h"
#include "deployctl/out.h"

/* Until cmd.h lists it (a repeated extern declaration is harmless). */
extern const struct cmd cmd_tag;

static const struct cmd_opt tag_opts[] = {
	{ .kind = CMD_OPT_FLAG,
	  .name = "list",
	  .letter = 'l',
	  .base = CMD_BASE_OWN,
	  .help = "list tags instead of adding one" },
	CMD_OPT_USE_HELP(cmd_opt_project, "with --list: only this project's tags"),
	CMD_OPT_USE_HELP(cmd_opt_json, "with --list: print the tags as JSON"),
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
static int tag_list(struct store *s, const char *project, bool json)
{
	struct store_tag_row *v = NULL;
	struct err err = ERR_INIT;
	size_t i, n = 0;

	if (store_tag_list(&v, &n, s, project, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	if (json) {
		fputs("[", stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ",{\"project\":" : "{\"project\":", stdout);
			out_json_str(stdout, v[i].project);
			printf(",\"release\":%lld,\"name\":", (long long)v[i].release_id);
			out_json_str(stdout, v[i].name);
			out_json_field(stdout, "created_at", v[i].created_at);
			fputs("}", stdout);
		}
		fputs("]\n", stdout);
	} else if (!n) {
		fputs("no tags\n", stdout);
	} else {
		printf("%-20s %-8s %-24s %s\n", "PROJECT", "RELEASE", "TAG", "CREATED");
		for (i = 0; i < n; i++)
			printf("%-20s %-8lld %-24s %s\n", v[i].project, (long long)v[i].release_id,
			       v[i].name, v[i].created_at);
	}
	store_tag_rows_free(v, n);
	return EXIT_OK;
}

static int tag_add(struct store *s, const char *number, const char *name)
{
	struct err err = ERR_INIT;
	int64_t id;

	if (cmd_parse_release(&id, number) < 0) {
		fputs("deployctl: tag: '", stderr);
		out_safe(stderr, number);
		fputs("' is not a release number\n", stderr);
		return EXIT_USAGE;
	}
	if (store_tag_add(s, id, name, &err) < 0) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	printf("tagged release %lld '%s': pruning keeps its containers\n", (long long)id, name);
	return EXIT_OK;
}

static int tag_run(struct ctx *ctx, int argc, char **argv)
{
	struct cmd_args a = { 0 };
	const char *project;
	bool list = false, json;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_tag, ctx, &a, &list, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	project = a.project;
	json = a.json;
	if (list ? first != argc : (first + 2 != argc || project || json)) {
		cmd_print_help(&cmd_tag, stderr);
		return EXIT_USAGE;
	}
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		return ex;
	if (list)
		return tag_list(ctx->store, project, json);
	return tag_add(ctx->store, argv[first], argv[first + 1]);
}

const struct cmd cmd_tag = {
	.name = "tag",
	.run = tag_run,
	.usage = "tag RELEASE NAME | tag --list [--project NAME] [--json]",
	.summary = "Name a release so pruning never removes its containers; list the names.",
	.opts = tag_opts,
	.opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS,
	.help = "NAME is 1 to 64 of A-Z a-z 0-9 . _ - and unique within the project.\n",
};
