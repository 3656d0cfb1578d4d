/*
 * projects_conf.c - projects.yml, the controller's list of stacks, read
 * with the manifest module's YAML tree (positions kept, duplicate keys
 * refused) and checked key by key: every error names file:line:col and
 * the key path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/projects.h"
#include "manifest_internal.h"
#include "manifest_node.h"

#define DEFAULT_INTERVAL_MS 5000

static int bad(struct err *err, const struct mnode *n, const char *path, const char *what)
{
	return err_set_at(err, ERR_INVALID, n->file, n->line, n->col, "%s: %s", path, what);
}

static int scalar(char **out, const struct mnode *n, const char *path, struct err *err)
{
	if (n->type != MNODE_SCALAR || mnode_is_null(n) || !*n->value)
		return bad(err, n, path, "expected a non-empty string");
	*out = strdup(n->value);
	return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

static int boolean(bool *out, const struct mnode *n, const char *path, struct err *err)
{
	if (n->type == MNODE_SCALAR && n->plain && !strcmp(n->value, "true"))
		*out = true;
	else if (n->type == MNODE_SCALAR && n->plain && !strcmp(n->value, "false"))
		*out = false;
	else
		return bad(err, n, path, "expected true or false");
	return 0;
}

/* "500ms", "5s", "2m", "1h": at least 1 ms, at most a day. */
static int duration(int64_t *out, const struct mnode *n, const char *path, struct err *err)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	unsigned long long v;
	char *end;
	size_t i;

	if (n->type != MNODE_SCALAR || n->value[0] < '0' || n->value[0] > '9')
		return bad(err, n, path, "expected a duration such as 5s, 500ms or 2m");
	errno = 0;
	v = strtoull(n->value, &end, 10);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit) && !errno && v <= 86400000ULL / units[i].ms &&
		    v > 0) {
			*out = (int64_t)v * units[i].ms;
			return 0;
		}
	return bad(err, n, path, "expected a duration from 1ms to 24h, such as 5s, 500ms or 2m");
}

static int strings(struct strv *out, const struct mnode *n, const char *path, struct err *err)
{
	char item[300];
	size_t i;

	if (n->type != MNODE_SEQ)
		return bad(err, n, path, "expected a list of strings");
	for (i = 0; i < n->n; i++) {
		const struct mnode *s = n->items[i];

		snprintf(item, sizeof(item), "%s[%zu]", path, i);
		if (s->type != MNODE_SCALAR || !*s->value)
			return bad(err, s, item, "expected a non-empty string");
		if (strv_push(out, s->value) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int entry(struct projects_entry *e, const struct mnode *key, const struct mnode *m,
                 int64_t interval, bool heal, struct err *err)
{
	char path[300], sub[400];
	size_t i;
	int rc = 0;

	snprintf(path, sizeof(path), "projects.%s", key->value);
	e->interval_ms = interval;
	e->self_heal = heal;
	e->name = strdup(key->value);
	if (!e->name)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (!manifest_name_ok(key->value))
		return bad(err, key, path,
		           "not a project name (letters, digits, '_', '.' and '-', starting with a "
		           "letter or digit)");
	if (m->type != MNODE_MAP)
		return bad(err, m, path, "expected a mapping with at least repo:");
	for (i = 0; i < m->n && rc == 0; i++) {
		const char *k = m->keys[i]->value;
		const struct mnode *v = m->items[i];

		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (!strcmp(k, "repo"))
			rc = scalar(&e->repo, v, sub, err);
		else if (!strcmp(k, "branch"))
			rc = scalar(&e->branch, v, sub, err);
		else if (!strcmp(k, "manifests"))
			rc = scalar(&e->manifests, v, sub, err);
		else if (!strcmp(k, "env_files"))
			rc = strings(&e->env_files, v, sub, err);
		else if (!strcmp(k, "profiles"))
			rc = strings(&e->profiles, v, sub, err);
		else if (!strcmp(k, "interval"))
			rc = duration(&e->interval_ms, v, sub, err);
		else if (!strcmp(k, "self_heal"))
			rc = boolean(&e->self_heal, v, sub, err);
		else
			rc = bad(
			        err, m->keys[i], sub,
			        "unknown key (repo, branch, manifests, env_files, profiles, interval, "
			        "self_heal)");
	}
	if (rc == 0 && !e->repo)
		rc = bad(err, key, path, "repo: is required");
	if (rc == 0 && e->env_files.n > 8)
		rc = bad(err, key, path, "at most 8 env_files");
	return rc;
}

static int read_file(char **out, size_t *len, const char *path, struct err *err)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t n;

	if (!f)
		return err_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	text = malloc(PROJECTS_MAX_SIZE + 1);
	if (!text) {
		fclose(f);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	n = fread(text, 1, PROJECTS_MAX_SIZE + 1, f);
	fclose(f);
	if (n > PROJECTS_MAX_SIZE) {
		free(text);
		return err_set(err, ERR_INVALID, "'%s' is larger than %u bytes", path,
		               PROJECTS_MAX_SIZE);
	}
	text[n] = '\0';
	*out = text;
	*len = n;
	return 0;
}

int projects_conf_load(struct projects_conf *out, const char *path, struct err *err)
{
	const struct mnode *defaults, *projects;
	struct mnode *root = NULL;
	int64_t interval = DEFAULT_INTERVAL_MS;
	bool heal = false;
	char *text = NULL;
	size_t len = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_file(&text, &len, path, err);
	if (rc == 0)
		rc = mnode_parse(&root, path, text, len, err);
	if (rc < 0)
		goto out;
	if (!root || root->type != MNODE_MAP) {
		rc = err_set_at(err, ERR_INVALID, path, root ? root->line : 1, root ? root->col : 1,
		                "expected a mapping with projects:");
		goto out;
	}
	for (i = 0; i < root->n; i++)
		if (strcmp(root->keys[i]->value, "projects") &&
		    strcmp(root->keys[i]->value, "defaults")) {
			rc = bad(err, root->keys[i], root->keys[i]->value,
			         "unknown top-level key (projects, defaults)");
			goto out;
		}
	defaults = mnode_get(root, "defaults");
	for (i = 0; defaults && i < defaults->n && rc == 0; i++) {
		const char *k = defaults->type == MNODE_MAP ? defaults->keys[i]->value : "";
		char sub[300];

		snprintf(sub, sizeof(sub), "defaults.%s", k);
		if (!strcmp(k, "interval"))
			rc = duration(&interval, defaults->items[i], sub, err);
		else if (!strcmp(k, "self_heal"))
			rc = boolean(&heal, defaults->items[i], sub, err);
		else
			rc = bad(err, defaults->type == MNODE_MAP ? defaults->keys[i] : defaults,
			         defaults->type == MNODE_MAP ? sub : "defaults",
			         defaults->type == MNODE_MAP ? "unknown key (interval, self_heal)"
			                                     : "expected a mapping");
	}
	if (rc < 0)
		goto out;
	projects = mnode_get(root, "projects");
	if (!projects || projects->type != MNODE_MAP || !projects->n) {
		rc = bad(err, projects ? projects : root, "projects",
		         "expected a mapping of one or more projects");
		goto out;
	}
	if (projects->n > PROJECTS_MAX) {
		rc = bad(err, projects, "projects", "more than 64 projects");
		goto out;
	}
	out->v = calloc(projects->n, sizeof(*out->v));
	if (!out->v) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < projects->n && rc == 0; i++) {
		out->n++;
		rc = entry(&out->v[i], projects->keys[i], projects->items[i], interval, heal, err);
	}
out:
	mnode_free(root);
	free(text);
	if (rc < 0)
		projects_conf_release(out);
	return rc;
}

void projects_conf_release(struct projects_conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].repo);
		free(c->v[i].branch);
		free(c->v[i].manifests);
		strv_free(&c->v[i].env_files);
		strv_free(&c->v[i].profiles);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
