/*
 * cmd_diff.c - "deployctl diff [--from N] [--to N|REF]": what changed
 * between two releases, or between a release and the manifests at a
 * commit, value by value: each service's spec field by field (env and
 * labels key by key, non-secret values old -> new, secrets only as
 * "changed"), replicas, networks and volumes, and config files as unified
 * diffs. A release's side is its snapshot; its config contents are read
 * from git at the release's commit when the repository is at hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/out.h"
#include "deployctl/spec.h"
#include "deployctl/udiff.h"

struct diff_args {
	const char *to; /* --to N|REF */
};

static const struct cmd_opt diff_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_from,
	                 "the older release (default: the successful one before --to)"),
	{ .kind = CMD_OPT_STRING,
	  .name = "to",
	  .arg = "N|REF",
	  CMD_FIELD(CMD_BASE_OWN, struct diff_args, to),
	  .help = "a release number, or a commit/branch/tag (default: the latest\n"
	          "successful release)" },
	CMD_OPT_ALL(cmd_opts_deploy),
	CMD_OPT_USE_HELP(cmd_opt_json, "print the changes as JSON"),
	CMD_OPT_ALL(cmd_opts_tail),
	CMD_OPT_TABLE_END,
};
/* One side of the comparison. */
struct side {
	char label[160];     /* "release 3 (git 1a2b3c4d5e6f)", "git 9f8e7d6c5b4a (HEAD)" */
	int64_t release;     /* 0 for a commit */
	struct kvv specs;    /* service -> redacted canonical spec */
	struct kvv replicas; /* service -> count */
	struct kvv networks; /* key -> Docker name */
	struct kvv volumes;  /* key -> Docker name */
	struct deploy dp;    /* the manifests loaded, for config contents; project NULL if not */
	bool resolved;       /* image IDs known */
	char why_no_files[sizeof(((struct err *)0)->msg) +
	                  64]; /* why config contents are not known, or "" */
};

/* The manifests at a commit (or --dir), loaded quietly; errors are the caller's to say. */
static int load_at(struct side *sd, const struct deploy_opts *base, const char *ref,
                   struct err *err)
{
	struct deploy_opts o = *base;
	struct errlist *lists = calloc(2, sizeof(*lists));
	int rc;

	if (!lists)
		return err_set(err, ERR_NOMEM, "out of memory");
	errlist_init(&lists[0]);
	errlist_init(&lists[1]);
	if (ref) {
		o.ref = ref;
		o.dir = NULL;
	}
	rc = deploy_load(&sd->dp, &o, &lists[0], &lists[1], err);
	if (rc == ERR_INVALID && lists[0].n && !err->code) {
		char line[sizeof(err->msg)];

		err_set(err, ERR_INVALID, "%s", err_format(line, sizeof(line), &lists[0].items[0]));
	}
	free(lists);
	return rc;
}

static int load_release(struct side *sd, struct ctx *ctx, const struct deploy_opts *o, int64_t id,
                        const char *project)
{
	struct store_service_row *rows = NULL;
	struct store_release r = { 0 };
	struct err err = ERR_INIT, lerr = ERR_INIT;
	size_t i, n = 0;
	char num[24];
	int rc;

	rc = store_release_get(&r, ctx->store, id, &err);
	if (rc == ERR_NOTFOUND || (rc == 0 && strcmp(r.project, project))) {
		fprintf(stderr, "deployctl: %s has no release %lld\n", project, (long long)id);
		store_release_release(&r);
		return EXIT_USAGE;
	}
	if (rc == 0)
		rc = store_release_services(&rows, &n, ctx->store, id, &err);
	for (i = 0; rc == 0 && i < n; i++) {
		snprintf(num, sizeof(num), "%u", rows[i].replicas);
		if (kvv_set(&sd->specs, rows[i].service, rows[i].spec_json) < 0 ||
		    kvv_set(&sd->replicas, rows[i].service, num) < 0)
			rc = err_set(&err, ERR_NOMEM, "out of memory");
	}
	if (rc == 0)
		rc = store_release_resources(&sd->networks, ctx->store, id, "network", &err);
	if (rc == 0)
		rc = store_release_resources(&sd->volumes, ctx->store, id, "volume", &err);
	store_service_rows_free(rows, n);
	if (rc < 0) {
		cmd_report(&err);
		store_release_release(&r);
		return cmd_exit_for(err.code);
	}
	sd->release = id;
	sd->resolved = true;
	snprintf(sd->label, sizeof(sd->label), "release %lld (%s%s%s %.12s)", (long long)id,
	         strcmp(r.kind, "apply") ? r.kind : "", strcmp(r.kind, "apply") ? ", " : "",
	         r.source_kind, r.source);
	/* Config contents: the manifests at the release's commit, when the repository has it. */
	if (!strcmp(r.source_kind, "git") && *r.source && strcmp(r.kind, "down")) {
		if (load_at(sd, o, r.source, &lerr) < 0) {
			snprintf(sd->why_no_files, sizeof(sd->why_no_files), "%s", lerr.msg);
			deploy_release(&sd->dp);
		}
	} else {
		snprintf(sd->why_no_files, sizeof(sd->why_no_files), "a %s release has no commit",
		         strcmp(r.kind, "down") ? r.source_kind : "down");
	}
	store_release_release(&r);
	return EXIT_OK;
}

/* The manifests at ref, rendered as a release would record them. */
static int load_ref(struct side *sd, struct ctx *ctx, const struct deploy_opts *o, const char *ref)
{
	const struct hash_key *key;
	struct err err = ERR_INIT;
	struct project *p;
	size_t i;
	char num[24];
	int rc;

	rc = load_at(sd, o, ref, &err);
	if (rc < 0) {
		cmd_report(&err);
		return EXIT_USAGE;
	}
	p = sd->dp.project;
	/* Image IDs as apply would resolve them, when Docker answers (no pull). */
	if (p->nservices && cmd_open_docker(ctx) == EXIT_OK) {
		char **ids = calloc(p->nservices, sizeof(*ids));
		const char **refs = calloc(p->nservices, sizeof(*refs));

		for (i = 0; ids && refs && i < p->nservices; i++)
			refs[i] = p->services[i].image_id ? p->services[i].image_id
			                                  : p->services[i].image;
		if (ids && refs &&
		    docker_image_resolve(ids, ctx->docker, refs, p->nservices, &err) == 0) {
			sd->resolved = true;
			for (i = 0; i < p->nservices; i++) {
				sd->resolved = sd->resolved && ids[i];
				if (ids[i] && !p->services[i].image_id) {
					p->services[i].image_id = ids[i];
					ids[i] = NULL;
				}
			}
		}
		docker_image_ids_free(ids, p->nservices);
		free(refs);
		err_clear(&err);
	}
	key = store_key(ctx->store, &err);
	if (!key) {
		cmd_report(&err);
		return cmd_exit_for(err.code);
	}
	for (i = 0; i < p->nservices; i++) {
		char *json = NULL;

		rc = spec_render(&json, key, p, &p->services[i], true, &err);
		snprintf(num, sizeof(num), "%u", p->services[i].replicas);
		if (rc == 0 && (kvv_set(&sd->specs, p->services[i].name, json) < 0 ||
		                kvv_set(&sd->replicas, p->services[i].name, num) < 0))
			rc = err_set(&err, ERR_NOMEM, "out of memory");
		free(json);
		if (rc < 0) {
			cmd_report(&err);
			return cmd_exit_for(err.code);
		}
	}
	for (i = 0; i < p->nnetworks; i++) {
		char *name = model_res_docker_name(p, RES_NETWORK, p->networks[i].name);

		rc = name ? kvv_set(&sd->networks, p->networks[i].name, name) : ERR_NOMEM;
		free(name);
		if (rc < 0)
			return EXIT_FAILED;
	}
	for (i = 0; i < p->nvolumes; i++) {
		char *name = model_res_docker_name(p, RES_VOLUME, p->volumes[i].name);

		rc = name ? kvv_set(&sd->volumes, p->volumes[i].name, name) : ERR_NOMEM;
		free(name);
		if (rc < 0)
			return EXIT_FAILED;
	}
	snprintf(sd->label, sizeof(sd->label), "%s %.12s (%s)", sd->dp.source_kind,
	         sd->dp.source_id, sd->dp.ref);
	return EXIT_OK;
}

static void side_release(struct side *sd)
{
	kvv_free(&sd->specs);
	kvv_free(&sd->replicas);
	kvv_free(&sd->networks);
	kvv_free(&sd->volumes);
	deploy_release(&sd->dp);
}

/* Output: text, or JSON objects joined into one document. */
struct diff_out {
	bool json;
	size_t nitems; /* JSON items written to the current list */
	size_t changes;
};

static void print_value(FILE *f, const char *v)
{
	if (v)
		out_safe(f, v);
	else
		fputs("(none)", f);
}

static void json_item_begin(struct diff_out *o)
{
	fputs(o->nitems++ ? "," : "", stdout);
}

/* One changed value of a service. */
static void print_change(struct diff_out *o, const char *service, const char *field,
                         const char *key, const char *old, const char *new_, bool secret)
{
	o->changes++;
	if (o->json) {
		json_item_begin(o);
		fputs("{\"service\":", stdout);
		out_json_str(stdout, service);
		out_json_field(stdout, "field", field);
		out_json_field(stdout, "key", key);
		out_json_field(stdout, "old", old);
		out_json_field(stdout, "new", new_);
		fprintf(stdout, ",\"secret\":%s}", secret ? "true" : "false");
		return;
	}
	fputs("  ", stdout);
	out_safe(stdout, field);
	if (key) {
		fputc(' ', stdout);
		out_safe(stdout, key);
	}
	if (secret) {
		fputs(": changed (secret: value not shown)\n", stdout);
		return;
	}
	fputs(": ", stdout);
	if (!old && new_ && !strncmp(new_, "changed", 7)) {
		out_safe(stdout, new_);
		fputc('\n', stdout);
		return;
	}
	print_value(stdout, old);
	fputs(" -> ", stdout);
	print_value(stdout, new_);
	fputc('\n', stdout);
}

/* A service present on one side only, or with changed values. */
static int diff_services(struct diff_out *o, const struct side *a, const struct side *b)
{
	struct err err = ERR_INIT;
	size_t i, k;
	bool ignore_id = !a->resolved || !b->resolved;

	for (i = 0; i < b->specs.n; i++) {
		const char *name = b->specs.v[i].key, *old = kvv_get(&a->specs, name);
		const char *ra = kvv_get(&a->replicas, name), *rb = kvv_get(&b->replicas, name);
		struct spec_change *c = NULL;
		size_t n = 0;

		if (!old) {
			if (!o->json)
				printf("service %s: added (replicas %s)\n", name, rb);
			print_change(o, name, "service", NULL, NULL, "added", false);
			continue;
		}
		if (spec_changes(&c, &n, old, b->specs.v[i].value, ignore_id, &err) < 0) {
			cmd_report(&err);
			return EXIT_FAILED;
		}
		if ((n || strcmp(ra, rb)) && !o->json)
			printf("service %s:\n", name);
		if (strcmp(ra, rb))
			print_change(o, name, "replicas", NULL, ra, rb, false);
		for (k = 0; k < n; k++) {
			/* Mounted files: their content hashes say nothing; the diffs below do. */
			bool configs = !c[k].key && !strcmp(c[k].field, "configs");
			bool secrets = !c[k].key && !strcmp(c[k].field, "secrets");

			if (configs)
				print_change(o, name, "configs", NULL, NULL, "changed (see below)",
				             false);
			else
				print_change(o, name, c[k].field, c[k].key,
				             secrets ? NULL : c[k].old, secrets ? NULL : c[k].new_,
				             c[k].secret || secrets);
		}
		spec_changes_free(c, n);
	}
	for (i = 0; i < a->specs.n; i++)
		if (!kvv_get(&b->specs, a->specs.v[i].key)) {
			if (!o->json)
				printf("service %s: removed\n", a->specs.v[i].key);
			print_change(o, a->specs.v[i].key, "service", NULL, "present", NULL, false);
		}
	return EXIT_OK;
}

static void diff_resources(struct diff_out *o, const char *type, const struct kvv *a,
                           const struct kvv *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!kvv_get(a, b->v[i].key)) {
			if (!o->json)
				printf("%s %s: added\n", type, b->v[i].key);
			print_change(o, NULL, type, b->v[i].key, NULL, b->v[i].value, false);
		}
	for (i = 0; i < a->n; i++)
		if (!kvv_get(b, a->v[i].key)) {
			if (!o->json)
				printf("%s %s: removed\n", type, a->v[i].key);
			print_change(o, NULL, type, a->v[i].key, a->v[i].value, NULL, false);
		}
}

static const struct project_file *find_config(const struct project *p, const char *name)
{
	size_t i;

	for (i = 0; p && i < p->nconfigs; i++)
		if (!strcmp(p->configs[i].name, name))
			return &p->configs[i];
	return NULL;
}

/* Each config whose content differs, as a unified diff. */
static void diff_configs(struct diff_out *o, const struct side *a, const struct side *b)
{
	const struct project *pa = a->dp.project, *pb = b->dp.project;
	size_t i;
	int pass;

	if (!pa || !pb) {
		const struct side *s = pa ? b : a;

		if ((pa && pa->nconfigs) || (pb && pb->nconfigs) || (!pa && !pb))
			if (!o->json && *s->why_no_files)
				printf("note: config contents of %s not compared: %s\n", s->label,
				       s->why_no_files);
		return;
	}
	/* Pass 0: configs of b (changed or added); pass 1: configs only in a (removed). */
	for (pass = 0; pass < 2; pass++) {
		const struct project *p = pass ? pa : pb;

		for (i = 0; i < p->nconfigs; i++) {
			const struct project_file *x = find_config(pa, p->configs[i].name);
			const struct project_file *y = find_config(pb, p->configs[i].name);
			char la[200], lb[200];
			struct buf d;
			int rc;

			if ((pass && y) || (x && y && !strcmp(x->content_hash, y->content_hash)))
				continue;
			snprintf(la, sizeof(la), "%s: %s", a->label, p->configs[i].name);
			snprintf(lb, sizeof(lb), "%s: %s", b->label, p->configs[i].name);
			buf_init(&d, 0);
			rc = udiff(&d, x ? x->content : "", x ? x->content_len : 0,
			           y ? y->content : "", y ? y->content_len : 0,
			           x ? la : "/dev/null", y ? lb : "/dev/null", 3);
			o->changes++;
			if (o->json) {
				json_item_begin(o);
				fputs("{\"config\":", stdout);
				out_json_str(stdout, p->configs[i].name);
				out_json_field(stdout, "diff", rc == 0 ? d.ptr : NULL);
				fputc('}', stdout);
			} else {
				printf("config %s:\n", p->configs[i].name);
				if (rc == 0)
					fwrite(d.ptr, 1, d.len,
					       stdout); /* config text, as diff prints it */
				else
					printf("  differs (more than %d changed lines: not shown)\n",
					       UDIFF_MAX_LINES);
			}
			buf_release(&d);
		}
	}
}

/* The default --from: the newest successful release before `before` (0: the newest). */
static int64_t previous_success(struct ctx *ctx, const char *project, int64_t before)
{
	struct store_release *v = NULL;
	struct err err = ERR_INIT;
	size_t i, n = 0;
	int64_t id = 0;

	if (store_release_list(&v, &n, ctx->store, project, 0, &err) < 0)
		return 0;
	for (i = 0; i < n && !id; i++)
		if ((!before || v[i].id < before) && !strcmp(v[i].status, "succeeded") &&
		    strcmp(v[i].kind, "down"))
			id = v[i].id;
	store_release_list_free(v, n);
	return id;
}

static int diff_run(struct ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { 0 };
	struct side a, b;
	struct diff_out out = { 0 };
	struct cmd_args ca = { .deploy = &o };
	struct diff_args da = { 0 };
	const char *to_arg;
	char *project = NULL;
	int64_t from, to = 0;
	int first, ex;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ex = cmd_opts_parse(&first, &cmd_diff, ctx, &ca, &da, argc, argv);
	if (ex != CMD_OPTS_RUN) {
		deploy_opts_release(&o);
		return ex;
	}
	out.json = ca.json;
	from = ca.from;
	to_arg = da.to;
	ex = cmd_open_store(ctx);
	if (ex == EXIT_OK)
		ex = cmd_pick_project(&project, ctx, o.project);
	if (ex != EXIT_OK)
		goto out;
	/* --to N is a release; anything else (a branch, a tag, a SHA, HEAD) is a commit. */
	if (to_arg && cmd_parse_release(&to, to_arg) < 0)
		to = 0;
	if (!to_arg) {
		to = previous_success(ctx, project, 0);
		if (!from)
			from = previous_success(ctx, project, to);
	} else if (!from) {
		from = to ? previous_success(ctx, project, to) : previous_success(ctx, project, 0);
	}
	if (!from || (!to && !to_arg)) {
		fprintf(stderr,
		        "deployctl: %s has no two successful releases to compare (use --from "
		        "N and --to N|REF)\n",
		        project);
		ex = EXIT_USAGE;
		goto out;
	}
	ex = load_release(&a, ctx, &o, from, project);
	if (ex == EXIT_OK)
		ex = to ? load_release(&b, ctx, &o, to, project) : load_ref(&b, ctx, &o, to_arg);
	if (ex != EXIT_OK)
		goto out;
	if (out.json) {
		fputs("{\"project\":", stdout);
		out_json_str(stdout, project);
		out_json_field(stdout, "from", a.label);
		out_json_field(stdout, "to", b.label);
		fputs(",\"changes\":[", stdout);
	} else {
		/* The labels hold a source id and a ref: printed safely. */
		printf("diff %s: %s -> %s\n", project, a.label, b.label);
	}
	ex = diff_services(&out, &a, &b);
	if (ex == EXIT_OK) {
		diff_resources(&out, "network", &a.networks, &b.networks);
		diff_resources(&out, "volume", &a.volumes, &b.volumes);
		if (out.json) {
			fputs("],\"configs\":[", stdout);
			out.nitems = 0;
		}
		diff_configs(&out, &a, &b);
	}
	if (out.json)
		fputs("]}\n", stdout);
	else if (!out.changes)
		printf("no differences\n");
out:
	side_release(&a);
	side_release(&b);
	deploy_opts_release(&o);
	free(project);
	return ex;
}

const struct cmd cmd_diff = {
	.name = "diff",
	.run = diff_run,
	.usage = "diff [--from N] [--to N|REF] [--repo PATH] [--env-file FILE]... [--json]",
	.summary = "What changed between two releases, or a release and a commit, value by value.",
	.opts = diff_opts,
	.opts_flags = CMD_OPTS_PERMUTE,
	.help = "Secret values are never shown, only that they changed; config files are shown "
	        "as\nunified diffs (read from git at each release's commit).\n",
};
