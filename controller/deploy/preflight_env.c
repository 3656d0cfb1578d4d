/*
 * preflight_env.c - the environment checks: env rules (x-deployctl.env)
 * against the values the manifests set, the project's .env, and each
 * --env-file (not inside the repository, or at least not tracked, and not
 * readable by others when it holds secret keys). No item quotes a value.
 */
#define _XOPEN_SOURCE 700 /* realpath() */

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/check.h"
#include "deployctl/envrules.h"
#include "deployctl/out.h"
#include "preflight_internal.h"

void preflight_env_rules(struct run *run)
{
	const struct project *p = run->dp->project;
	struct errlist *errs;

	if (!p->nenv_rules) {
		preflight_item_add(run, "env", ST_OK, "no rules (x-deployctl.env)");
		return;
	}
	errs = calloc(1, sizeof(*errs));
	if (!errs) {
		run->rc = ERR_NOMEM;
		return;
	}
	errlist_init(errs);
	if (envrules_check(errs, p, &run->dp->vars.vars) == 0) {
		char keys[512];
		size_t i, used = 0;

		keys[0] = '\0';
		for (i = 0; i < p->nenv_rules &&
		            out_list_add(keys, sizeof(keys), &used, i == 0, p->env_rules[i].key);
		     i++)
			;
		preflight_item_add(run, "env", ST_OK, "%zu rule(s) satisfied (x-deployctl.env: %s)",
		                   p->nenv_rules, keys);
	}
	errlist_sort(errs);
	preflight_add_list(run, "env", ST_FAIL, errs);
	free(errs);
}

/*
 * Is the env file inside g's working tree, and tracked there? *inside and
 * *tracked; a file outside (or a repository that cannot say) is neither.
 */
static void env_file_in_repo(bool *inside, bool *tracked, struct gitsrc *g, const char *file)
{
	char *real = realpath(file, NULL), *top = realpath(gitsrc_path(g), NULL);
	struct err err = ERR_INIT;
	size_t n;

	*inside = *tracked = false;
	if (real && top) {
		n = strlen(top);
		while (n > 1 && top[n - 1] == '/')
			n--;
		if (!strncmp(real, top, n) && real[n] == '/') {
			*inside = true;
			if (gitsrc_tracked(tracked, g, real + n + 1, &err) < 0)
				*tracked = false;
		}
	}
	free(real);
	free(top);
}

/*
 * The secret keys (model_env_is_secret) an env file sets, "A, B", into out;
 * "" when none (or when it cannot be read: its other check says so).
 */
static void secret_keys(char *out, size_t size, struct run *run, const char *file)
{
	struct manifest_vars mv;
	struct err err = ERR_INIT;
	size_t i, len = 0;

	out[0] = '\0';
	manifest_vars_init(&mv);
	if (manifest_vars_load_file(&mv, file, &err) == 0) {
		for (i = 0; i < mv.vars.n; i++) {
			const char *k = mv.vars.v[i].key;

			if (model_env_is_secret(run->dp->project, k) &&
			    !out_list_add(out, size, &len, len == 0, k))
				break;
		}
	}
	manifest_vars_release(&mv);
}

/* A .env in the repository is committed configuration: it must not set a secret. */
void preflight_dotenv(struct run *run)
{
	const struct project *p = run->dp->project;
	char keys[256];
	size_t i, len = 0;

	if (!p || !p->dotenv)
		return;
	keys[0] = '\0';
	for (i = 0; i < p->dotenv_keys.n && len < sizeof(keys) - 4; i++)
		if (model_env_is_secret(p, p->dotenv_keys.v[i]))
			out_list_add(keys, sizeof(keys), &len, len == 0, p->dotenv_keys.v[i]);
	if (*keys)
		preflight_item_add(
		        run, "dotenv", ST_FAIL,
		        "%s is in the repository and sets secret keys (%s): put them in an "
		        "--env-file outside the repository",
		        p->dotenv, keys);
	else
		preflight_item_add(run, "dotenv", ST_OK, "%s: %zu variable(s), no secret keys",
		                   p->dotenv, p->dotenv_keys.n);
}

void preflight_env_files(struct run *run)
{
	const struct deploy_opts *o = run->o;
	struct gitsrc *own = NULL, *g = run->dp->git;
	struct err err = ERR_INIT;
	unsigned k, bad = 0;
	char keys[256];

	if (!o->nenv_files) {
		preflight_item_add(run, "env-file", ST_OK, "none given (--env-file)");
		return;
	}
	if (!g && gitsrc_open(&own, o->dir ? o->dir : o->repo ? o->repo : ".", "HEAD", &err) == 0)
		g = own;
	for (k = 0; k < o->nenv_files; k++) {
		const char *f = o->env_files[k];
		bool inside = false, tracked = false;
		struct stat st;

		if (stat(f, &st) < 0) {
			preflight_item_add(run, "env-file", ST_FAIL, "%s: %s", f, strerror(errno));
			bad++;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			preflight_item_add(run, "env-file", ST_FAIL, "%s is not a regular file", f);
			bad++;
			continue;
		}
		if (g)
			env_file_in_repo(&inside, &tracked, g, f);
		if (tracked) {
			secret_keys(keys, sizeof(keys), run, f);
			if (*keys)
				preflight_item_add(
				        run, "env-file", ST_FAIL,
				        "%s is tracked in the git repository and sets secret keys (%s): "
				        "keep secrets outside the repository",
				        f, keys);
			else
				preflight_item_add(
				        run, "env-file", ST_WARN,
				        "%s is tracked in the git repository (no secret keys in it): "
				        "keep secrets outside the repository",
				        f);
			bad++;
		} else if (inside) {
			preflight_item_add(
			        run, "env-file", ST_WARN,
			        "%s is inside the repository's working tree (not tracked): keep "
			        "secrets outside it",
			        f);
			bad++;
		}
		if (st.st_mode & 044) {
			preflight_item_add(run, "env-file", ST_WARN,
			                   "%s is readable by group or others (chmod 600)", f);
			bad++;
		} else if (st.st_mode & 033) {
			preflight_item_add(run, "env-file", ST_WARN,
			                   "%s is writable by group or others (chmod 600)", f);
			bad++;
		}
	}
	if (!bad)
		preflight_item_add(run, "env-file", ST_OK,
		                   "%u file(s) outside the repository, mode 600", o->nenv_files);
	gitsrc_free(own);
}
