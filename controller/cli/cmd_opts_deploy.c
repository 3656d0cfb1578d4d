/*
 * cmd_opts_deploy.c - the rows of the options that say where the manifests
 * come from and how they are read (struct deploy_opts): apply, plan, check,
 * config, diff, watch and serve take them all (cmd_opts_deploy), rollback
 * its --env-file.
 */
#include <stdio.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"

static int opt_profile(void *base, const struct cmd_opt *o, const char *arg)
{
	(void)o;
	return strv_push(&((struct deploy_opts *)base)->profiles, arg) < 0 ? -1 : 0;
}

static int opt_file(void *base, const struct cmd_opt *o, const char *arg)
{
	(void)o;
	return strv_push(&((struct deploy_opts *)base)->files, arg) < 0 ? -1 : 0;
}

static int opt_host_dir(void *base, const struct cmd_opt *o, const char *arg)
{
	if (arg[0] != '/')
		return cmd_opt_fail(o, "an absolute path, not '%s'", arg);
	((struct deploy_opts *)base)->host_dir = arg;
	return 0;
}

static int opt_env_file(void *base, const struct cmd_opt *o, const char *arg)
{
	struct deploy_opts *d = base;

	if (d->nenv_files == DEPLOY_MAX_ENV_FILES)
		return cmd_opt_fail(o, "at most %d files (one an option)", DEPLOY_MAX_ENV_FILES);
	d->env_files[d->nenv_files++] = arg;
	return 0;
}

static int opt_target(void *base, const struct cmd_opt *o, const char *arg)
{
	if (strcmp(arg, "swarm") && strcmp(arg, "docker"))
		return cmd_opt_fail(o, "swarm or docker, not '%s'", arg);
	((struct deploy_opts *)base)->target = arg;
	return 0;
}

#define DEPLOY_STRING(n, a, field, h)                                                              \
	{                                                                                          \
		.kind = CMD_OPT_STRING, .name = (n), .arg = (a),                                   \
		CMD_FIELD(CMD_BASE_DEPLOY, struct deploy_opts, field), .help = (h)                 \
	}
#define DEPLOY_FLAG(n, field, h)                                                                   \
	{                                                                                          \
		.kind = CMD_OPT_FLAG, .name = (n),                                                 \
		CMD_FIELD(CMD_BASE_DEPLOY, struct deploy_opts, field), .help = (h)                 \
	}
#define DEPLOY_CALL(n, l, a, fn, h)                                                                \
	{                                                                                          \
		.kind = CMD_OPT_CALL, .name = (n), .letter = (l), .arg = (a),                      \
		.base = CMD_BASE_DEPLOY, .call = (fn), .help = (h)                                 \
	}

const struct cmd_opt cmd_opt_env_file =
        DEPLOY_CALL("env-file", 0, "FILE", opt_env_file,
                    "variables for ${VAR} and secrets, outside the repo (repeatable)");

const struct cmd_opt cmd_opts_deploy[] = {
	DEPLOY_STRING("repo", "PATH|URL", repo,
	              "git repository holding the manifests (default: the current one);\n"
	              "a URL (https, ssh, git, file) is fetched into the state directory"),
	DEPLOY_STRING("ref", "REF", ref, "commit, branch or tag to deploy (default: HEAD)"),
	DEPLOY_STRING("dir", "DIR", dir,
	              "deploy an uncommitted directory instead (recorded as such)"),
	DEPLOY_CALL("file", 'f', "FILE", opt_file,
	            "a Compose file in the repository (repeatable, merged in order);\n"
	            "replaces discovery of compose.yaml and compose.override.yaml"),
	DEPLOY_CALL("host-dir", 0, "DIR", opt_host_dir,
	            "host directory of untracked relative bind sources (default:\n"
	            "x-deployctl.host_dir, else STATE/projects/PROJECT)"),
	DEPLOY_STRING("manifests", "DIR", manifests,
	              "manifests directory in the repository (default: manifests, else\n"
	              "the repository root)"),
	DEPLOY_STRING("project", "NAME", project,
	              "project name (default: $COMPOSE_PROJECT_NAME, top-level name:,\n"
	              "else the repository's directory name)"),
	CMD_OPT_USE(cmd_opt_env_file),
	DEPLOY_CALL("profile", 0, "NAME", opt_profile,
	            "enable services of this Compose profile (repeatable)"),
	DEPLOY_FLAG("allow-empty", allow_empty,
	            "accept manifests that define no service (removes them all)"),
	DEPLOY_CALL("target", 0, "T", opt_target,
	            "swarm: Swarm services on a manager; docker: containers (default:\n"
	            "x-deployctl.target, else docker); see docs/swarm.md"),
	DEPLOY_FLAG("adopt", adopt,
	            "take over containers another state database made (replaces them)"),
	CMD_OPT_TABLE_END,
};
