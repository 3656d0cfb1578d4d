/*
 * manifest.h - Compose-format YAML to the typed model (model.h).
 *
 * manifest_parse.c: libyaml events to a node tree with positions, anchors
 * and merge keys resolved (the only place that includes <yaml.h>).
 * manifest.c: node tree to model, with interpolation and env_file loading.
 * manifest_check.c: cross-references (depends_on targets, networks,
 * volumes, dependency cycles), every problem reported.
 */
#ifndef DEPLOYCTL_MANIFEST_H
#define DEPLOYCTL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"
#include "deployctl/hash.h"
#include "deployctl/model.h"
#include "deployctl/source.h"

/* Variables for ${VAR} interpolation: --env-file values overlaid by the process environment. */
struct manifest_vars {
	struct kvv vars;
};

void manifest_vars_init(struct manifest_vars *v);
void manifest_vars_release(struct manifest_vars *v);
/*
 * Read an env file (KEY=VALUE lines; '#' comments; blank lines; optional
 * "export "; single/double quoted values; no interpolation inside) from the
 * filesystem into v, replacing keys already set. Errors carry file:line.
 */
int manifest_vars_load_file(struct manifest_vars *v, const char *path, struct err *err);
/* Overlay environ on v (process environment wins, as in Compose). */
int manifest_vars_load_environ(struct manifest_vars *v, char **environ_);

/*
 * Parse the body of an env file (from any source) into out, in the same
 * syntax as manifest_vars_load_file. name is used in error locations.
 */
int manifest_envfile_parse(struct kvv *out, const char *name, const char *text, size_t len,
                           struct errlist *errs);
/*
 * The same, interpolating ${VAR} in unquoted and double-quoted values (not
 * single-quoted ones) from vars, then the keys set earlier in the file, as
 * Compose does for env_file and .env; vars NULL: no interpolation. Keys may
 * hold '.' and '-' after the first character.
 */
int manifest_envfile_parse_vars(struct kvv *out, const char *name, const char *text, size_t len,
                                const struct kvv *vars, struct errlist *errs);

struct manifest_opts {
	const char *dir;          /* manifests directory in the source, e.g. "manifests" */
	const char *project_name; /* overrides top-level name: when not NULL */
	const struct strv *files; /* -f: project files (repository paths), merged; NULL: discover */
	const char *default_name; /* the repository's directory name, when nothing names it */
	bool merge;               /* manifest_load_texts: merge the files (else disjoint parts) */
	const struct manifest_vars *vars;
	const struct strv
	        *profiles; /* --profile: services with profiles: run only if one is active */
	/* not NULL: on success, the services profiles left out -> "'a' or 'b'" (kvv_free) */
	struct kvv *disabled;
};

/*
 * Load the project from src as Compose finds it: the -f files
 * (opts->files) merged in order; else in opts->dir (the repository root when
 * the default "manifests" is absent) compose.yaml, compose.yml,
 * docker-compose.yaml or docker-compose.yml (the first present) with
 * compose.override.yaml (.yml, docker-compose.override.*) merged onto it;
 * else, in opts->dir only, every *.yml / *.yaml as disjoint parts (a file
 * another names in extends: {file:} or include: is not a part). Then
 * include:, interpolation, env_files read through src, and the checks.
 * Project name: opts->project_name, $COMPOSE_PROJECT_NAME, top-level name:,
 * opts->default_name normalised as Compose does. On success *out is new
 * (model_project_free()) and errs is empty. On failure returns ERR_INVALID
 * (or ERR_NOTFOUND / ERR_IO / ERR_GIT from src) with every problem in errs,
 * each with file:line:col and a message that starts with the key path:
 *   "services.api.ports[0]: invalid port \"80800\""
 * Warnings (ignored keys) are not errors; they go to warns when not NULL.
 */
int manifest_load(struct project **out, const struct source *src, const struct manifest_opts *opts,
                  struct errlist *errs, struct errlist *warns);

/*
 * Load from in-memory documents (for unit tests and for manifest_load
 * itself): names[i] is the file name used in locations, texts[i] its body;
 * merged in order with opts->merge, else disjoint parts.
 * env_file paths are read through src (may be NULL: then env_file is an error).
 */
int manifest_load_texts(struct project **out, const char *const *names, const char *const *texts,
                        size_t n, const struct source *src, const struct manifest_opts *opts,
                        struct errlist *errs, struct errlist *warns);

/*
 * The names of a COMPOSE_PROFILES value (comma-separated) appended to out,
 * empty names and names of 128 bytes or more skipped. 0 or ERR_NOMEM.
 */
int manifest_profiles_parse(struct strv *out, const char *list);

enum manifest_format { MANIFEST_YAML = 0, MANIFEST_JSON };

/*
 * The resolved project p as Compose (block YAML, or JSON), for `deployctl
 * config`: keys sorted, every default left out, ports, volumes and
 * depends_on in their long forms, secret environment values as their
 * fingerprints, configs and secrets by source (never content). *out new.
 * 0 or ERR_NOMEM.
 */
int manifest_render(char **out, const struct hash_key *k, const struct project *p,
                    enum manifest_format fmt, struct err *err);

/*
 * Interpolate one string as Compose does: ${VAR}, ${VAR:-d}, ${VAR-d},
 * ${VAR:?msg}, ${VAR?msg}, $VAR, $$ -> $. *out is new. On error returns
 * ERR_INVALID with a message in errmsg (no location).
 */
int manifest_interpolate(char **out, const char *in, const struct kvv *vars, char *errmsg,
                         size_t errsize);

/*
 * The same, and what it used: the names of the variables whose values went
 * into *out appended to used (once each), and the names expanded without a
 * value or a default to unset. Either may be NULL.
 */
int manifest_interpolate_track(char **out, struct strv *used, struct strv *unset, const char *in,
                               const struct kvv *vars, char *errmsg, size_t errsize);

/*
 * Split a shell-style command string into words (single and double quotes,
 * backslash escapes), as Compose does for command: and entrypoint: strings.
 */
int manifest_shell_split(struct strv *out, const char *in, char *errmsg, size_t errsize);

/* Parse "1m30s", "10s", "500ms", "2h" into nanoseconds; 0 or ERR_INVALID. */
int manifest_parse_duration(int64_t *out, const char *s);
/* Parse "512m", "1g", "1024", "1.5gb" into bytes; 0 or ERR_INVALID. */
int manifest_parse_bytes(int64_t *out, const char *s);

#endif
