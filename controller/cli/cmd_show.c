/*
 * cmd_show.c - "deployctl show N": one release in full: what it was, the
 * actions it took, the containers its rollout touched (the failed ones
 * kept for inspection named), and its snapshot (per service image, image ID, repo
 * digest, spec hash, replicas, env with secrets as fingerprints, ports,
 * labels; networks and volumes), as text or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_checks.h"
#include "deployctl/cmd.h"
#include "deployctl/jobs.h"
#include "deployctl/out.h"

/* Until cmd.h lists it (a repeated extern declaration is harmless). */
extern const struct cmd cmd_show;

static const struct cmd_opt show_opts[] = {
	CMD_OPT_USE_HELP(cmd_opt_json, "print the release as JSON"),
	CMD_OPT_USE(cmd_opt_state),
	CMD_OPT_USE(cmd_opt_help),
	CMD_OPT_TABLE_END,
};
/* Everything shown about one release; all owned. */
struct show_data {
	struct store_release rel;
	struct store_action_row *acts;
	size_t nacts;
	struct store_container_row *ctrs;
	size_t nctrs;
	struct store_service_row *svcs;
	size_t nsvcs;
	struct store_kv_row *env, *labels;
	size_t nenv, nlabels;
	struct store_port_row *ports;
	size_t nports;
	struct kvv digests, networks, volumes;
	struct store_tag_row *tags;
	size_t ntags;
	struct store_pin pin; /* project's pin when it concerns this release, else zero */
};

static void show_data_release(struct show_data *d)
{
	store_release_release(&d->rel);
	store_action_rows_free(d->acts, d->nacts);
	store_container_rows_free(d->ctrs, d->nctrs);
	store_service_rows_free(d->svcs, d->nsvcs);
	store_kv_rows_free(d->env, d->nenv);
	store_kv_rows_free(d->labels, d->nlabels);
	store_port_rows_free(d->ports, d->nports);
	kvv_free(&d->digests);
	kvv_free(&d->networks);
	kvv_free(&d->volumes);
	store_tag_rows_free(d->tags, d->ntags);
	store_pin_release(&d->pin);
}

static int show_load(struct show_data *d, struct store *s, int64_t id, struct err *err)
{
	int rc;

	rc = store_release_get(&d->rel, s, id, err);
	if (!rc)
		rc = store_release_actions(&d->acts, &d->nacts, s, id, err);
	if (!rc)
		rc = store_release_containers(&d->ctrs, &d->nctrs, s, id, err);
	if (!rc)
		rc = store_release_services(&d->svcs, &d->nsvcs, s, id, err);
	if (!rc)
		rc = store_release_env(&d->env, &d->nenv, s, id, err);
	if (!rc)
		rc = store_release_labels(&d->labels, &d->nlabels, s, id, err);
	if (!rc)
		rc = store_release_ports(&d->ports, &d->nports, s, id, err);
	if (!rc)
		rc = store_release_digests(&d->digests, s, id, err);
	if (!rc)
		rc = store_release_resources(&d->networks, s, id, "network", err);
	if (!rc)
		rc = store_release_resources(&d->volumes, s, id, "volume", err);
	if (!rc)
		rc = store_release_tags(&d->tags, &d->ntags, s, id, err);
	if (rc)
		return rc;
	rc = store_pin_get(&d->pin, s, d->rel.project, err);
	if (rc == ERR_NOTFOUND) {
		err_clear(err);
		return 0;
	}
	if (!rc && d->pin.release_id != id &&
	    !(d->pin.commit && d->rel.source && !strcmp(d->pin.commit, d->rel.source)))
		store_pin_release(&d->pin);
	return rc;
}

/*
 * For an env row: "<redacted:hmac:0123456789ab>" for a secret hidden whole,
 * its shown form ("postgresql://user:***@db/app (hmac:...)") for one with
 * secret parts, or the value.
 */
static void show_env_value(FILE *f, const struct store_kv_row *e, bool json)
{
	char red[64];

	if (e->secret && e->shown) {
		if (json)
			out_json_str(f, e->shown);
		else
			out_safe(f, e->shown);
	} else if (e->secret) {
		snprintf(red, sizeof(red), "<redacted:%s>", e->fingerprint ? e->fingerprint : "?");
		if (json)
			out_json_str(f, red);
		else
			fputs(red, f);
	} else if (json) {
		out_json_str(f, e->value ? e->value : "");
	} else {
		out_safe(f, e->value);
	}
}

static void show_text_release(const struct show_data *d)
{
	const struct store_release *r = &d->rel;
	size_t i;

	printf("release %lld  project %s  kind %s  status %s\n", (long long)r->id, r->project,
	       r->kind, r->status);
	printf("source:      %s %.12s", r->source_kind, r->source);
	if (r->ref)
		out_safe_between(stdout, " (ref ", r->ref, ")");
	fputc('\n', stdout);
	if (r->subject)
		out_safe_between(stdout, "subject:     ", r->subject, "\n");
	printf("who:         %s on %s, pid %ld\n", r->who, r->host, r->pid);
	printf("started:     %s\n", r->started_at);
	if (r->finished_at)
		printf("finished:    %s (%.2fs)\n", r->finished_at, r->duration_s);
	else
		fputs("finished:    - (still running)\n", stdout);
	if (r->message && *r->message)
		out_safe_between(stdout, "message:     ", r->message, "\n");
	if (r->rollback_of)
		printf("rollback of: release %lld\n", (long long)r->rollback_of);
	if (d->ntags) {
		fputs("tags:       ", stdout);
		for (i = 0; i < d->ntags; i++)
			printf(" %s", d->tags[i].name);
		fputc('\n', stdout);
	}
	if (d->pin.project) {
		printf("pin:         project pinned to release %lld by %s at %s",
		       (long long)d->pin.release_id, d->pin.who, d->pin.pinned_at);
		if (d->pin.commit)
			printf("; commit %s quarantined", d->pin.commit);
		fputc('\n', stdout);
	}
}

static void show_text_actions(const struct show_data *d)
{
	size_t i;

	if (!d->nacts) {
		fputs("\nactions: none\n", stdout);
		return;
	}
	fputs("\nactions:\n", stdout);
	for (i = 0; i < d->nacts; i++) {
		const struct store_action_row *a = &d->acts[i];

		printf("  %3u %-16s %-8s ", a->seq, a->action, a->outcome);
		out_safe(stdout, a->target);
		if (a->reason && *a->reason) {
			fputs(": ", stdout);
			out_safe(stdout, a->reason);
		}
		if (a->error && *a->error)
			out_safe_between(stdout, " (error: ", a->error, ")");
		fputc('\n', stdout);
	}
}

/* Containers the rollout touched, in order; those kept after a failed gate first. */
static void show_text_containers(const struct show_data *d)
{
	size_t i;

	for (i = 0; i < d->nctrs; i++) {
		if (strcmp(d->ctrs[i].event, "kept"))
			continue;
		fputs("kept:        ", stdout);
		out_safe(stdout, d->ctrs[i].name);
		printf(" (%.12s, failed its gate; kept stopped for inspection)\n",
		       d->ctrs[i].container_id);
	}
	if (!d->nctrs)
		return;
	fputs("\ncontainers:\n", stdout);
	for (i = 0; i < d->nctrs; i++) {
		const struct store_container_row *c = &d->ctrs[i];

		printf("  %3u %-12s %.12s ", c->action_seq, c->event, c->container_id);
		out_safe(stdout, c->name);
		if (c->detail && *c->detail)
			out_safe_between(stdout, " (", c->detail, ")");
		fputc('\n', stdout);
	}
}

static void show_text_service(const struct show_data *d, const struct store_service_row *sv)
{
	const char *digest = kvv_get(&d->digests, sv->service);
	size_t i;

	fputs("  service ", stdout);
	out_safe(stdout, sv->service);
	fputs("\n    image:     ", stdout);
	out_safe(stdout, sv->image);
	printf("\n    image id:  %s\n    digest:    ", sv->image_id ? sv->image_id : "-");
	out_safe(stdout, digest ? digest : "-");
	printf("\n    spec hash: %s\n    replicas:  %u\n", sv->spec_hash, sv->replicas);
	for (i = 0; i < d->nenv; i++) {
		if (strcmp(d->env[i].service, sv->service))
			continue;
		out_safe_between(stdout, "    env:       ", d->env[i].key, "=");
		show_env_value(stdout, &d->env[i], false);
		fputc('\n', stdout);
	}
	for (i = 0; i < d->nports; i++) {
		const struct store_port_row *p = &d->ports[i];

		if (strcmp(p->service, sv->service))
			continue;
		printf("    port:      %s%s%u->%u/%s\n", p->host_ip, *p->host_ip ? ":" : "",
		       p->host_port, p->container_port, p->protocol);
	}
	for (i = 0; i < d->nlabels; i++) {
		if (strcmp(d->labels[i].service, sv->service))
			continue;
		out_safe_between(stdout, "    label:     ", d->labels[i].key, "=");
		out_safe(stdout, d->labels[i].value);
		fputc('\n', stdout);
	}
}

static void show_text_resources(const char *what, const struct kvv *v)
{
	size_t i;

	printf("  %s:%s\n", what, v->n ? "" : " none");
	for (i = 0; i < v->n; i++) {
		fputs("    ", stdout);
		out_safe(stdout, v->v[i].key);
		fputs(" (", stdout);
		out_safe(stdout, v->v[i].value);
		fputs(")\n", stdout);
	}
}

static void show_text(const struct show_data *d)
{
	size_t i;

	show_text_release(d);
	show_text_actions(d);
	show_text_containers(d);
	fputs("\nsnapshot:\n", stdout);
	if (!d->nsvcs)
		fputs("  no services\n", stdout);
	for (i = 0; i < d->nsvcs; i++)
		show_text_service(d, &d->svcs[i]);
	show_text_resources("networks", &d->networks);
	show_text_resources("volumes", &d->volumes);
}

static void json_key(const char *key, const char *value, bool first)
{
	printf("%s\"%s\":", first ? "" : ",", key);
	out_json_str(stdout, value);
}

static void show_json_release(const struct show_data *d)
{
	const struct store_release *r = &d->rel;
	size_t i;

	printf("{\"release\":%lld", (long long)r->id);
	json_key("project", r->project, false);
	json_key("kind", r->kind, false);
	json_key("status", r->status, false);
	json_key("source_kind", r->source_kind, false);
	json_key("source", r->source, false);
	json_key("ref", r->ref, false);
	json_key("subject", r->subject, false);
	json_key("who", r->who, false);
	json_key("host", r->host, false);
	printf(",\"pid\":%ld", r->pid);
	json_key("started_at", r->started_at, false);
	json_key("finished_at", r->finished_at, false);
	if (r->duration_s >= 0)
		printf(",\"duration_s\":%.3f", r->duration_s);
	else
		fputs(",\"duration_s\":null", stdout);
	json_key("message", r->message, false);
	if (r->rollback_of)
		printf(",\"rollback_of\":%lld", (long long)r->rollback_of);
	else
		fputs(",\"rollback_of\":null", stdout);
	fputs(",\"tags\":[", stdout);
	for (i = 0; i < d->ntags; i++) {
		fputs(i ? "," : "", stdout);
		out_json_str(stdout, d->tags[i].name);
	}
	fputc(']', stdout);
	if (d->pin.project) {
		printf(",\"pin\":{\"release\":%lld", (long long)d->pin.release_id);
		json_key("commit", d->pin.commit, false);
		json_key("who", d->pin.who, false);
		json_key("reason", d->pin.reason, false);
		json_key("pinned_at", d->pin.pinned_at, false);
		fputc('}', stdout);
	} else {
		fputs(",\"pin\":null", stdout);
	}
}

static void show_json_actions(const struct show_data *d)
{
	size_t i;

	fputs(",\"actions\":[", stdout);
	for (i = 0; i < d->nacts; i++) {
		const struct store_action_row *a = &d->acts[i];

		printf("%s{\"seq\":%u", i ? "," : "", a->seq);
		json_key("action", a->action, false);
		json_key("target_type", a->target_type, false);
		json_key("target", a->target, false);
		json_key("reason", a->reason, false);
		json_key("outcome", a->outcome, false);
		json_key("error", a->error, false);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

static void show_json_containers(const struct show_data *d)
{
	bool first = true;
	size_t i;

	fputs(",\"containers\":[", stdout);
	for (i = 0; i < d->nctrs; i++) {
		const struct store_container_row *c = &d->ctrs[i];

		printf("%s{\"action_seq\":%u", i ? "," : "", c->action_seq);
		json_key("event", c->event, false);
		json_key("id", c->container_id, false);
		json_key("name", c->name, false);
		json_key("detail", c->detail, false);
		json_key("at", c->at, false);
		fputc('}', stdout);
	}
	fputs("],\"kept\":[", stdout);
	for (i = 0; i < d->nctrs; i++) {
		if (strcmp(d->ctrs[i].event, "kept"))
			continue;
		fputs(first ? "" : ",", stdout);
		first = false;
		out_json_str(stdout, d->ctrs[i].name);
	}
	fputc(']', stdout);
}

static void show_json_service(const struct show_data *d, const struct store_service_row *sv)
{
	bool first = true;
	size_t i;

	json_key("service", sv->service, true);
	json_key("image", sv->image, false);
	json_key("image_id", sv->image_id, false);
	json_key("repo_digest", kvv_get(&d->digests, sv->service), false);
	json_key("spec_hash", sv->spec_hash, false);
	printf(",\"replicas\":%u,\"env\":{", sv->replicas);
	for (i = 0; i < d->nenv; i++) {
		if (strcmp(d->env[i].service, sv->service))
			continue;
		fputs(first ? "" : ",", stdout);
		first = false;
		out_json_str(stdout, d->env[i].key);
		fputc(':', stdout);
		show_env_value(stdout, &d->env[i], true);
	}
	fputs("},\"ports\":[", stdout);
	first = true;
	for (i = 0; i < d->nports; i++) {
		const struct store_port_row *p = &d->ports[i];

		if (strcmp(p->service, sv->service))
			continue;
		fputs(first ? "{" : ",{", stdout);
		first = false;
		json_key("host_ip", p->host_ip, true);
		printf(",\"host_port\":%u,\"container_port\":%u", p->host_port, p->container_port);
		json_key("protocol", p->protocol, false);
		fputc('}', stdout);
	}
	fputs("],\"labels\":{", stdout);
	first = true;
	for (i = 0; i < d->nlabels; i++) {
		if (strcmp(d->labels[i].service, sv->service))
			continue;
		fputs(first ? "" : ",", stdout);
		first = false;
		out_json_str(stdout, d->labels[i].key);
		fputc(':', stdout);
		out_json_str(stdout, d->labels[i].value);
	}
	fputc('}', stdout);
}

static void show_json_kvv(const char *name, const struct kvv *v)
{
	size_t i;

	printf(",\"%s\":{", name);
	for (i = 0; i < v->n; i++) {
		fputs(i ? "," : "", stdout);
		out_json_str(stdout, v->v[i].key);
		fputc(':', stdout);
		out_json_str(stdout, v->v[i].value);
	}
	fputc('}', stdout);
}

static void show_json(const struct show_data *d)
{
	size_t i;

	show_json_release(d);
	show_json_actions(d);
	show_json_containers(d);
	fputs(",\"services\":[", stdout);
	for (i = 0; i < d->nsvcs; i++) {
		fputs(i ? ",{" : "{", stdout);
		show_json_service(d, &d->svcs[i]);
		fputc('}', stdout);
	}
	fputc(']', stdout);
	show_json_kvv("networks", &d->networks);
	show_json_kvv("volumes", &d->volumes);
}

static int show_run(struct ctx *ctx, int argc, char **argv)
{
	struct show_data d;
	struct err err = ERR_INIT;
	struct cmd_args a = { 0 };
	int64_t id = 0;
	int first, ex;

	ex = cmd_opts_parse(&first, &cmd_show, ctx, &a, NULL, argc, argv);
	if (ex != CMD_OPTS_RUN)
		return ex;
	if (first + 1 != argc || cmd_parse_release(&id, argv[first]) < 0) {
		if (first < argc && first + 1 == argc)
			fprintf(stderr, "deployctl: show: '%s' is not a release number\n",
			        argv[first]);
		else
			cmd_print_help(&cmd_show, stderr);
		return EXIT_USAGE;
	}
	ctx->read_only = true; /* works on a read-only state directory */
	ex = cmd_open_store(ctx);
	if (ex != EXIT_OK)
		return ex;
	memset(&d, 0, sizeof(d));
	if (show_load(&d, ctx->store, id, &err) < 0) {
		if (err.code == ERR_NOTFOUND)
			fprintf(stderr,
			        "deployctl: no release %lld (see 'deployctl history' for the "
			        "releases recorded)\n",
			        (long long)id);
		else
			cmd_report(&err);
		show_data_release(&d);
		return err.code == ERR_NOTFOUND ? EXIT_USAGE : cmd_exit_for(err.code);
	}
	/* The release, its jobs, then its smoke checks and notifications; JSON: one object. */
	if (a.json)
		show_json(&d);
	else
		show_text(&d);
	jobs_show(ctx, id, a.json, stdout);
	show_checks(ctx->store, id, a.json);
	if (a.json)
		fputs("}\n", stdout);
	show_data_release(&d);
	return EXIT_OK;
}

const struct cmd cmd_show = {
	.name = "show",
	.run = show_run,
	.usage = "show RELEASE [--json]",
	.summary = "Show one release: its actions, snapshot (secrets as fingerprints) and jobs.",
	.opts = show_opts,
	.opts_flags = CMD_OPTS_PERMUTE | CMD_OPTS_OPERANDS,
};
