/*
 * manifest_include_opts.c - the directory relative paths are resolved
 * against, and an include: entry's project_directory and env_file.
 *
 * Compose resolves a relative path (bind, build context, env_file, config,
 * include) against the project directory: that of the first project file
 * for every file merged into the project (an override in another directory
 * included), an included file's project_directory (default: the directory
 * of its first file) for what it includes, and a file's own directory
 * otherwise (extends). An included file is interpolated with the project's
 * variables, and those of its env_file (default: .env in its project
 * directory) that the project does not set.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

/* The directory part of file ("" at the top), new. */
static char *dir_of(const char *file)
{
	const char *slash = strrchr(file ? file : "", '/');

	return slash ? strndup(file, (size_t)(slash - file)) : strdup("");
}

char *manifest_base_dir(struct manifest_ctx *c, const struct mnode *n)
{
	const char *dir = n && n->file ? kvv_get(&c->dirs, n->file) : NULL;

	return dir ? strdup(dir) : dir_of(n ? n->file : NULL);
}

int manifest_join(struct manifest_ctx *c, char **out, const char *dir, const char *rel,
                  const struct mnode *v, const char *path)
{
	struct err e = ERR_INIT;
	int rc = source_join(out, dir, rel, &e);

	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		manifest_error(c, v, path, "%s", e.msg);
		return ERR_INVALID;
	}
	return 0;
}

void manifest_read_failed(struct manifest_ctx *c, int rc)
{
	if ((rc == ERR_NOMEM || rc == ERR_IO || rc == ERR_GIT) && !c->fatal)
		c->fatal = rc;
}

int manifest_project_dirs(struct manifest_ctx *c, size_t n)
{
	char *first = n ? dir_of(c->p->files.v[0]) : NULL;
	size_t i;
	int rc = 0;

	if (n && !first)
		return manifest_nomem(c);
	for (i = 1; i < n && !rc; i++)
		rc = kvv_set(&c->dirs, c->p->files.v[i], first) ? manifest_nomem(c) : 0;
	free(first);
	return rc;
}

const struct kvv *manifest_tree_vars(const struct manifest_ctx *c, const struct mnode *root)
{
	size_t i;

	for (i = 0; root && root->file && i < c->nincvars; i++)
		if (!strcmp(c->incvars[i].file, root->file))
			return &c->incvars[i].vars;
	return c->vars;
}

void manifest_incvars_free(struct manifest_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nincvars; i++) {
		free(c->incvars[i].file);
		kvv_free(&c->incvars[i].vars);
	}
	free(c->incvars);
	c->incvars = NULL;
	c->nincvars = 0;
}

/* rel (relative to base) as a repository path into *out; errors at at. */
static int resolve(struct manifest_ctx *c, char **out, const char *base, const struct mnode *at,
                   const char *path)
{
	struct err e = ERR_INIT;
	int rc;

	if (at->type != MNODE_SCALAR) {
		manifest_error(c, at, path, "must be a string");
		return ERR_INVALID;
	}
	rc = at->value[0] == '/' ? ERR_INVALID : source_join(out, base, at->value, &e);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc)
		manifest_error(c, at, path, "%s",
		               at->value[0] == '/' ? "must be a path relative to the manifest"
		                                   : e.msg);
	return rc;
}

/* The variables of env file full (missing: an error when required) onto vars, unset keys only. */
static int env_add(struct manifest_ctx *c, struct kvv *vars, const char *full,
                   const struct mnode *at, const char *path, bool required)
{
	struct err e = ERR_INIT;
	struct kvv got = { NULL, 0 };
	char *text = NULL;
	size_t len, i;
	int rc = c->src ? c->src->read(c->src->ctx, &text, &len, full, &e) : ERR_NOTFOUND;

	if (rc == ERR_NOTFOUND && !required)
		return 0;
	if (rc) {
		manifest_error(c, at, path, "env file '%s': %s", full,
		               rc == ERR_NOTFOUND ? "not found in the repository" : e.msg);
		return ERR_INVALID;
	}
	rc = manifest_envfile_parse_vars(&got, full, text, len, c->vars, c->errs);
	free(text);
	for (i = 0; !rc && i < got.n; i++)
		if (!kvv_get(vars, got.v[i].key) && kvv_set(vars, got.v[i].key, got.v[i].value))
			rc = ERR_NOMEM;
	kvv_free(&got);
	return rc == ERR_NOMEM ? manifest_nomem(c) : rc;
}

/* The variables for the files of one include: entry: the project's, then its env files'. */
static int include_vars(struct manifest_ctx *c, const struct strv *files, const char *pd,
                        const struct mnode *envn, const char *base, const char *path)
{
	struct manifest_incvars *grown;
	struct err e = ERR_INIT;
	struct kvv vars = { NULL, 0 };
	char kpath[MANIFEST_PATH_MAX], *full = NULL;
	size_t i, n = envn ? (envn->type == MNODE_SEQ ? envn->n : 1) : 1;
	int rc = 0;

	for (i = 0; i < c->vars->n && !rc; i++)
		rc = kvv_set(&vars, c->vars->v[i].key, c->vars->v[i].value) ? manifest_nomem(c) : 0;
	manifest_path_key(kpath, sizeof(kpath), path, "env_file");
	for (i = 0; i < n && !rc; i++) {
		const struct mnode *f = envn && envn->type == MNODE_SEQ ? envn->items[i] : envn;

		rc = f ? resolve(c, &full, base, f, kpath) : source_join(&full, pd, ".env", &e);
		if (!rc)
			rc = env_add(c, &vars, full, f ? f : envn, kpath, f != NULL);
		free(full);
		full = NULL;
	}
	for (i = 0; i < files->n && !rc; i++) {
		grown = realloc(c->incvars, (c->nincvars + 1) * sizeof(*grown));
		if (!grown) {
			rc = manifest_nomem(c);
			break;
		}
		c->incvars = grown;
		grown[c->nincvars].file = strdup(files->v[i]);
		grown[c->nincvars].vars = (struct kvv){ NULL, 0 };
		if (!grown[c->nincvars].file) {
			rc = manifest_nomem(c);
			break;
		}
		for (size_t k = 0; k < vars.n && !rc; k++)
			rc = kvv_set(&grown[c->nincvars].vars, vars.v[k].key, vars.v[k].value)
			             ? ERR_NOMEM
			             : 0;
		c->nincvars++;
		if (rc)
			rc = manifest_nomem(c);
	}
	kvv_free(&vars);
	return rc;
}

int manifest_include_options(struct manifest_ctx *c, const struct mnode *entry,
                             const struct mnode *paths, const char *path)
{
	const struct mnode *pdn =
	        entry->type == MNODE_MAP ? mnode_get(entry, "project_directory") : NULL;
	const struct mnode *envn = entry->type == MNODE_MAP ? mnode_get(entry, "env_file") : NULL;
	struct strv files = { NULL, 0 };
	char *base = manifest_base_dir(c, entry), *pd = NULL, *full = NULL;
	size_t i, n = paths->type == MNODE_SEQ ? paths->n : 1;
	char kpath[MANIFEST_PATH_MAX];
	int rc = base ? 0 : manifest_nomem(c);

	for (i = 0; i < n && !rc; i++) {
		const struct mnode *f = paths->type == MNODE_SEQ ? paths->items[i] : paths;
		struct err e = ERR_INIT;

		/* a bad path is reported where the file is read (include_read) */
		if (f->type != MNODE_SCALAR || f->value[0] == '/' ||
		    source_join(&full, base, f->value, &e))
			continue;
		if (strv_push(&files, full))
			rc = manifest_nomem(c);
		free(full);
		full = NULL;
	}
	manifest_path_key(kpath, sizeof(kpath), path, "project_directory");
	if (!rc && pdn)
		rc = resolve(c, &pd, base, pdn, kpath);
	else if (!rc)
		rc = (pd = dir_of(files.n ? files.v[0] : NULL)) ? 0 : manifest_nomem(c);
	for (i = 0; i < files.n && !rc; i++)
		rc = kvv_set(&c->dirs, files.v[i], pd) ? manifest_nomem(c) : 0;
	if (!rc && c->src)
		rc = include_vars(c, &files, pd, envn, base, path);
	strv_free(&files);
	free(base);
	free(pd);
	return rc;
}
