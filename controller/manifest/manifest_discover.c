/*
 * manifest_discover.c - which files make the project when none are named:
 * Compose's file names in its order of preference, an override file beside
 * the first, and the project directory's .env read through the source.
 * manifest_load() in manifest.c calls these before it parses anything.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* Compose's file names, in its order of preference. */
static const char *const compose_names[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
	                                     "docker-compose.yml" };
static const char *const override_names[] = { "compose.override.yaml", "compose.override.yml",
	                                      "docker-compose.override.yaml",
	                                      "docker-compose.override.yml" };

#define NAMES(a) (sizeof(a) / sizeof((a)[0]))

/* Index in list of dir/name, or -1. */
static long list_find(char **list, size_t n, const char *dir, const char *name)
{
	size_t i, dl = strlen(dir);

	for (i = 0; i < n; i++) {
		const char *f = list[i];

		if (dl && (strncmp(f, dir, dl) || f[dl] != '/'))
			continue;
		if (!strcmp(f + (dl ? dl + 1 : 0), name))
			return (long)i;
	}
	return -1;
}

/*
 * The project files of the listing of dir, as Compose picks them: moves the
 * chosen names to the front of list and sets *n to their count, or leaves
 * list alone (the disjoint-files layout) and returns false.
 */
static bool pick_compose_files(char **list, size_t *n, const char *dir, struct errlist *warns)
{
	long base = -1, over = -1, k;
	size_t i, others = 0;
	char *tmp;

	for (i = 0; i < NAMES(compose_names); i++) {
		k = list_find(list, *n, dir, compose_names[i]);
		if (k >= 0 && base < 0)
			base = k;
		else if (k >= 0)
			others++;
	}
	if (base < 0)
		return false;
	if (others && warns)
		errlist_add(warns, ERR_INVALID, list[base], 0, 0,
		            "several Compose files in '%s': using this one, as Compose does",
		            *dir ? dir : ".");
	for (i = 0; i < NAMES(override_names) && over < 0; i++)
		over = list_find(list, *n, dir, override_names[i]);
	tmp = list[0];
	list[0] = list[base];
	list[base] = tmp;
	if (over == 0)
		over = base;
	if (over > 0) {
		tmp = list[1];
		list[1] = list[over];
		list[over] = tmp;
	}
	/* the rest stay in the list (freed with it) but are not read */
	for (i = over > 0 ? 2 : 1; i < *n; i++) {
		free(list[i]);
		list[i] = NULL;
	}
	*n = over > 0 ? 2 : 1;
	return true;
}

/* The project files' names (new list), and whether they merge. Errors go to errs. */
int manifest_project_files(char ***out, size_t *nout, bool *merge, const struct source *src,
                           const struct manifest_opts *opts, struct errlist *errs,
                           struct errlist *warns)
{
	struct err e = ERR_INIT;
	const char *dir = opts->dir ? opts->dir : "manifests";
	char **list = NULL;
	size_t n = 0, i;
	int rc;

	if (opts->files && opts->files->n) {
		list = calloc(opts->files->n, sizeof(*list));
		for (i = 0; list && i < opts->files->n; i++) {
			rc = source_join(&list[i], NULL, opts->files->v[i], &e);
			if (rc) {
				source_list_free(list, opts->files->n);
				errlist_add(errs, rc, NULL, 0, 0, "-f %s: %s", opts->files->v[i],
				            e.msg);
				return rc;
			}
		}
		if (!list)
			return errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
		*out = list;
		*nout = opts->files->n;
		*merge = true;
		return 0;
	}
	rc = src->list_manifests(src->ctx, &list, &n, dir, &e);
	if (rc == ERR_NOTFOUND && !strcmp(dir, "manifests")) {
		/* no manifests/ directory: the repository root, as Compose looks there */
		err_clear(&e);
		dir = "";
		rc = src->list_manifests(src->ctx, &list, &n, dir, &e);
	}
	if (rc) {
		if (!e.code)
			err_set(&e, rc, "cannot list manifests in '%s'", dir);
		errlist_push(errs, &e);
		return rc;
	}
	*merge = pick_compose_files(list, &n, dir, warns);
	if (!*merge && !*dir) {
		source_list_free(list, n);
		/* a directory source's root is the directory given (--dir), not a repository */
		return errlist_add(errs, ERR_INVALID, NULL, 0, 0,
		                   "no compose.yaml (or compose.yml, docker-compose.yaml, "
		                   "docker-compose.yml) in %s%s%s, and no manifests/ directory",
		                   src->root ? "the directory '" : "the repository root",
		                   src->root ? src->root : "", src->root ? "'" : "");
	}
	*out = list;
	*nout = n;
	return 0;
}

/*
 * The project directory's .env (beside the first project file), read through
 * src, under the variables given (process environment and --env-file win):
 * into vars, its path into *path and its keys into keys. Absent: nothing.
 */
int manifest_dotenv_load(struct manifest_vars *vars, char **path, struct strv *keys,
                         const struct source *src, const char *first,
                         const struct manifest_opts *opts, struct errlist *errs)
{
	static const struct kvv no_vars = { NULL, 0 };
	const struct kvv *given = opts->vars ? &opts->vars->vars : &no_vars;
	struct err e = ERR_INIT;
	const char *slash = strrchr(first, '/');
	char *text = NULL;
	size_t len, i;
	int rc;

	*path = malloc(strlen(first) + 6);
	if (!*path)
		return errlist_add(errs, ERR_NOMEM, NULL, 0, 0, "out of memory");
	snprintf(*path, strlen(first) + 6, "%.*s%s.env", slash ? (int)(slash - first) : 0, first,
	         slash ? "/" : "");
	rc = src->read(src->ctx, &text, &len, *path, &e);
	if (rc == ERR_NOTFOUND) {
		free(*path);
		*path = NULL;
		return 0;
	}
	if (rc) {
		errlist_add(errs, rc, *path, 0, 0, "%s", e.msg[0] ? e.msg : "cannot read file");
		return rc;
	}
	rc = manifest_envfile_parse_vars(&vars->vars, *path, text, len, given, errs);
	free(text);
	for (i = 0; !rc && i < vars->vars.n; i++)
		rc = strv_push(keys, vars->vars.v[i].key);
	for (i = 0; !rc && i < given->n; i++)
		rc = kvv_set(&vars->vars, given->v[i].key, given->v[i].value);
	if (rc == ERR_NOMEM)
		errlist_add(errs, rc, NULL, 0, 0, "out of memory");
	return rc;
}

int manifest_dotenv_profiles(struct strv *out, const struct manifest_vars *vars,
                             const struct strv *keys, const struct manifest_opts *opts)
{
	const char *list = NULL;
	size_t i;

	if ((opts->profiles && opts->profiles->n) ||
	    (opts->vars && kvv_get(&opts->vars->vars, "COMPOSE_PROFILES")))
		return 0; /* chosen already: --profile, or the environment's (even empty) */
	for (i = 0; i < keys->n && !list; i++)
		if (!strcmp(keys->v[i], "COMPOSE_PROFILES"))
			list = kvv_get(&vars->vars, "COMPOSE_PROFILES");
	return list ? manifest_profiles_parse(out, list) : 0;
}

int manifest_profiles_parse(struct strv *out, const char *list)
{
	const char *end;
	char name[128];
	size_t len;

	for (; *list; list = *end ? end + 1 : end) {
		end = list + strcspn(list, ",");
		len = (size_t)(end - list);
		if (!len || len >= sizeof(name))
			continue;
		memcpy(name, list, len);
		name[len] = '\0';
		if (strv_push(out, name) < 0)
			return ERR_NOMEM;
	}
	return 0;
}
