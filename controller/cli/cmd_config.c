/*
 * cmd_config.c - "deployctl config": the project as deployctl understood it
 * (after discovery, merging, extends, includes, profiles and interpolation)
 * printed as Compose YAML or JSON, secrets redacted; or only the service
 * names, their images, or their spec hashes. Changes nothing; only --hash
 * asks Docker (for the local image IDs the hash covers).
 */
#include <stdio.h>
#include <stdlib.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/hash.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"
#include "deployctl/store.h"

enum config_what { CONFIG_PROJECT = 0, CONFIG_SERVICES, CONFIG_IMAGES, CONFIG_HASH };

/*
 * Resolve the images to local IDs (one list call, never a pull) so the hash
 * is the one apply would compute. An image not present locally is hashed
 * without its ID, with a warning. Returns an exit status.
 */
static int config_resolve(struct ctx *ctx, struct project *p)
{
	const char **refs = calloc(p->nservices + 1, sizeof(*refs));
	char **ids = calloc(p->nservices + 1, sizeof(*ids));
	struct err err = ERR_INIT;
	size_t i;
	int ex;

	if (!refs || !ids) {
		err_set(&err, ERR_NOMEM, "out of memory");
		cmd_report(&err);
		ex = EXIT_FAILED;
		goto out;
	}
	ex = cmd_open_docker(ctx);
	if (ex != EXIT_OK)
		goto out;
	for (i = 0; i < p->nservices; i++)
		refs[i] = p->services[i].image;
	if (p->nservices && docker_image_resolve(ids, ctx->docker, refs, p->nservices, &err) < 0) {
		cmd_report(&err);
		ex = cmd_exit_for(err.code);
		goto out;
	}
	for (i = 0; i < p->nservices; i++) {
		if (!ids[i]) {
			fputs("deployctl: warning: image '", stderr);
			out_safe(stderr, refs[i]);
			fputs("' is not present locally: the hash of ", stderr);
			out_safe(stderr, p->services[i].name);
			fputs(" will change once it is pulled\n", stderr);
			continue;
		}
		free(p->services[i].image_id);
		p->services[i].image_id = ids[i];
		ids[i] = NULL;
	}
out:
	docker_image_ids_free(ids, p->nservices);
	free(refs);
	return ex;
}

/*
 * The key fingerprints and spec hashes are made with: the state directory's
 * (read-only), so that config shows what plan and show would; a random one
 * when there is none to read (config needs no state directory).
 */
static const struct hash_key *config_key(struct ctx *ctx, struct hash_key *spare, struct err *err)
{
	const struct hash_key *k = NULL;
	struct err ignored = ERR_INIT;

	ctx->read_only = true;
	if (store_open_readonly(&ctx->store, ctx->state_dir, &ignored) == 0)
		k = store_key(ctx->store, &ignored);
	if (k)
		return k;
	return hash_key_random(spare, err) == 0 ? spare : NULL;
}

static int config_print(struct ctx *ctx, struct project *p, enum config_what what, bool json)
{
	char hash[HASH_HEX_LEN + 1];
	struct err err = ERR_INIT;
	const struct hash_key *key;
	struct hash_key spare;
	char *text = NULL;
	size_t i;
	int ex;

	key = config_key(ctx, &spare, &err);
	if (!key) {
		cmd_report(&err);
		return EXIT_FAILED;
	}
	switch (what) {
	case CONFIG_PROJECT:
		if (manifest_render(&text, key, p, json ? MANIFEST_JSON : MANIFEST_YAML, &err) < 0)
			break;
		fputs(text, stdout);
		free(text);
		return EXIT_OK;
	case CONFIG_SERVICES:
	case CONFIG_IMAGES:
		for (i = 0; i < p->nservices; i++) {
			out_safe(stdout, what == CONFIG_SERVICES ? p->services[i].name
			                                         : p->services[i].image);
			fputc('\n', stdout);
		}
		return EXIT_OK;
	case CONFIG_HASH:
		ex = config_resolve(ctx, p);
		if (ex != EXIT_OK)
			return ex;
		for (i = 0; i < p->nservices; i++) {
			if (spec_hash(hash, key, p, &p->services[i], &err) < 0)
				break;
			out_safe(stdout, p->services[i].name);
			printf(" %s\n", hash);
		}
		if (!err.code)
			return EXIT_OK;
		break;
	}
	cmd_report(&err);
	return EXIT_FAILED;
}

#define CONFIG_WHAT(n, v, h)                                                                       \
	{                                                                                          \
		.kind = CMD_OPT_SET, .name = (n), .base = CMD_BASE_OWN, .min = (v), .help = (h)    \
	}

static const struct cmd_opt config_opts[] = {
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_USE_HELP(cmd_opt_json, "print the project as JSON"),
	CONFIG_WHAT("services", CONFIG_SERVICES, "print the service names, one a line"),
	CONFIG_WHAT("images", CONFIG_IMAGES, "print each service's image, one a line"),
	CONFIG_WHAT("hash", CONFIG_HASH,
	            "print each service's spec hash (asks Docker for image IDs)"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};

static int config_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct deploy dp = { 0 };
	struct cmd_args a = { .deploy = &o };
	int what = CONFIG_PROJECT; /* enum config_what */
	bool json = false;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_config, ctx, &a, &what, argc, argv);
	if (ex != CMD_OPTS_RUN)
		goto out;
	json = a.json;
	dp.state_dir = ctx->state_dir;
	ex = deploy_load_print(&dp, &o);
	if (ex == EXIT_OK)
		ex = config_print(ctx, dp.project, what, json);
out:
	deploy_release(&dp);
	deploy_opts_release(&o);
	return ex;
}

const struct cmd cmd_config = {
	.name = "config",
	.run = config_run,
	.usage = "config [--repo PATH] [--ref REF | --dir DIR] [--env-file FILE] "
	         "[--json | --services | --images | --hash]",
	.summary = "Print the project as deployctl understood it, as Compose YAML (secrets "
	           "redacted); change nothing.",
	.opts = config_opts,
};
