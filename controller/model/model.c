/*
 * model.c - the project model's containers (strv, kvv), lifetimes, lookups,
 * Docker-side names and the secret-key rule.
 */
#include "deployctl/model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/err.h"
#include "deployctl/smoke.h"

void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int strv_push(struct strv *s, const char *str)
{
	char **v;
	char *copy = strdup(str);

	if (!copy)
		return ERR_NOMEM;
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return ERR_NOMEM;
	}
	v[s->n++] = copy;
	s->v = v;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), str_cmp);
}

bool strv_equal(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

void kvv_free(struct kvv *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

/* Index of key, or where it would go (*found 0). */
static size_t kvv_search(const struct kvv *k, const char *key, int *found)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->v[mid].key, key);

		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

int kvv_set(struct kvv *k, const char *key, const char *value)
{
	int found;
	size_t i = kvv_search(k, key, &found);
	char *v = strdup(value), *kc;
	struct kv *nv;

	if (!v)
		return ERR_NOMEM;
	if (found) {
		free(k->v[i].value);
		k->v[i].value = v;
		return 0;
	}
	kc = strdup(key);
	nv = kc ? realloc(k->v, (k->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(kc);
		free(v);
		return ERR_NOMEM;
	}
	k->v = nv;
	memmove(&k->v[i + 1], &k->v[i], (k->n - i) * sizeof(*nv));
	k->v[i].key = kc;
	k->v[i].value = v;
	k->n++;
	return 0;
}

const char *kvv_get(const struct kvv *k, const char *key)
{
	int found;
	size_t i = kvv_search(k, key, &found);

	return found ? k->v[i].value : NULL;
}

static void model_file_refs_free(struct svc_file_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].source);
		free(v[i].target);
		free(v[i].uid);
		free(v[i].gid);
		free(v[i].host_file);
	}
	free(v);
}

static void model_files_free(struct project_file *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].file);
		free(v[i].environment);
		if (v[i].content)
			memset(v[i].content, 0, v[i].content_len);
		free(v[i].content);
		strv_free(&v[i].content_vars);
	}
	free(v);
}

void model_service_release(struct service *s)
{
	size_t i;

	/* The spec's own fields, by the table; then what has a shape of its own. */
	for (i = 0; i < model_svc_nfields; i++) {
		void *m = (char *)s + model_svc_fields[i].offset;

		switch (model_svc_fields[i].kind) {
		case SVC_STR:
			free(*(char **)m);
			break;
		case SVC_STRV:
			strv_free(m);
			break;
		case SVC_KVV:
			kvv_free(m);
			break;
		case SVC_BOOL:
		case SVC_INT:
		case SVC_CUSTOM:
			break;
		}
	}
	free(s->repo_digest);
	free(s->pull_policy);
	strv_free(&s->command);
	strv_free(&s->entrypoint);
	kvv_free(&s->env);
	kvv_free(&s->labels);
	kvv_free(&s->env_from);
	kvv_free(&s->label_from);
	strv_free(&s->secret_env);
	strv_free(&s->secret_labels);
	strv_free(&s->secret_parts);
	strv_free(&s->vars_elsewhere);
	strv_free(&s->redacted);
	for (i = 0; i < s->nports; i++) {
		free(s->ports[i].host_ip);
		free(s->ports[i].protocol);
	}
	free(s->ports);
	for (i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].source);
		free(s->mounts[i].target);
		free(s->mounts[i].rel);
	}
	{
		free(s->build.context);
		free(s->build.dockerfile);
		free(s->build.target);
		kvv_free(&s->build.args);
		kvv_free(&s->build.labels);
	}
	free(s->mounts);
	for (i = 0; i < s->nnetworks; i++) {
		free(s->networks[i].name);
		strv_free(&s->networks[i].aliases);
		free(s->networks[i].ipv4_address);
		free(s->networks[i].ipv6_address);
	}
	free(s->networks);
	for (i = 0; i < s->ndeps; i++)
		free(s->deps[i].service);
	free(s->deps);
	strv_free(&s->health.test);
	free(s->logging.driver);
	kvv_free(&s->logging.options);
	model_file_refs_free(s->configs, s->nconfigs);
	model_file_refs_free(s->secrets, s->nsecrets);
	for (i = 0; i < s->nulimits; i++)
		free(s->ulimits[i].name);
	free(s->ulimits);
	strv_free(&s->links);
	strv_free(&s->profiles);
	memset(s, 0, sizeof(*s));
	s->stop_grace_ns = -1;
	s->replicas = 1;
}

void model_project_release(struct project *p)
{
	size_t i, j;

	free(p->name);
	free(p->target);
	for (i = 0; i < p->nservices; i++)
		model_service_release(&p->services[i]);
	free(p->services);
	for (i = 0; i < p->nnetworks; i++)
		model_res_release(&p->networks[i]);
	free(p->networks);
	for (i = 0; i < p->nvolumes; i++)
		model_res_release(&p->volumes[i]);
	free(p->volumes);
	strv_free(&p->secret_keys);
	for (i = 0; i < p->nbinds; i++) {
		for (j = 0; j < p->binds[i].nfiles; j++) {
			free(p->binds[i].files[j].path);
			free(p->binds[i].files[j].content);
		}
		free(p->binds[i].files);
	}
	free(p->binds);
	free(p->host_dir);
	free(p->dotenv);
	strv_free(&p->dotenv_keys);
	model_files_free(p->configs, p->nconfigs);
	model_files_free(p->secrets, p->nsecrets);
	for (i = 0; i < p->nenv_rules; i++) {
		free(p->env_rules[i].key);
		free(p->env_rules[i].pattern);
		strv_free(&p->env_rules[i].url_schemes);
		strv_free(&p->env_rules[i].one_of);
	}
	free(p->env_rules);
	for (i = 0; i < p->ntls; i++) {
		free(p->tls[i].cert);
		free(p->tls[i].key);
		strv_free(&p->tls[i].names);
	}
	free(p->tls);
	for (i = 0; i < p->njobs; i++)
		model_job_release(&p->jobs[i]);
	free(p->jobs);
	model_smoke_release(p);
	strv_free(&p->files);
	memset(p, 0, sizeof(*p));
}

void model_project_free(struct project *p)
{
	if (!p)
		return;
	model_project_release(p);
	free(p);
}

const struct service *model_service_find(const struct project *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nservices; i++)
		if (!strcmp(p->services[i].name, name))
			return &p->services[i];
	return NULL;
}

unsigned model_service_fixed_host_port(const struct service *s)
{
	size_t i;

	for (i = 0; i < s->nports; i++)
		if (s->ports[i].host_port)
			return s->ports[i].host_port;
	return 0;
}

const struct project_job *model_job_find(const struct project *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->njobs; i++)
		if (!strcmp(p->jobs[i].svc.name, name))
			return &p->jobs[i];
	return NULL;
}

void model_job_release(struct project_job *j)
{
	model_service_release(&j->svc);
	strv_free(&j->needs);
	free(j->artifact);
	memset(j, 0, sizeof(*j));
}

static const char *const job_phases[] = { "before", "after_dependencies", "after", "rollback" };

const char *model_job_phase_name(enum job_phase ph)
{
	return (unsigned)ph < 4 ? job_phases[ph] : "?";
}

int model_job_phase_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, job_phases[i]))
			return i;
	return -1;
}

const char *model_res_noun(enum res_kind k)
{
	return k == RES_NETWORK ? "network" : "volume";
}

int model_res_kind(const char *noun)
{
	return !strcmp(noun, "network") ? RES_NETWORK : !strcmp(noun, "volume") ? RES_VOLUME : -1;
}

void model_resources_slot(struct project *p, enum res_kind k, struct project_resource ***v,
                          size_t **n)
{
	*v = k == RES_NETWORK ? &p->networks : &p->volumes;
	*n = k == RES_NETWORK ? &p->nnetworks : &p->nvolumes;
}

const struct project_resource *model_resources(const struct project *p, enum res_kind k, size_t *n)
{
	*n = k == RES_NETWORK ? p->nnetworks : p->nvolumes;
	return k == RES_NETWORK ? p->networks : p->volumes;
}

const struct project_resource *model_res_find(const struct project *p, enum res_kind k,
                                              const char *name)
{
	size_t i, n;
	const struct project_resource *v = model_resources(p, k, &n);

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

void model_res_release(struct project_resource *r)
{
	size_t j;

	free(r->name);
	free(r->driver);
	free(r->external_name);
	free(r->ipam_driver);
	for (j = 0; j < r->nipam; j++) {
		free(r->ipam[j].subnet);
		free(r->ipam[j].gateway);
		free(r->ipam[j].ip_range);
	}
	free(r->ipam);
	kvv_free(&r->labels);
}

const struct project_file *model_file_find(const struct project_file *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static char *model_join(const char *a, const char *sep, const char *b)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, sep, b);
	return s;
}

char *model_res_docker_name(const struct project *p, enum res_kind k, const char *key)
{
	const struct project_resource *r = model_res_find(p, k, key);

	if (r && r->external_name)
		return strdup(r->external_name);
	if (r && r->external)
		return strdup(key);
	return model_join(p->name, "_", key);
}

char *model_container_name(const struct project *p, const char *service, unsigned replica)
{
	const struct service *svc = model_service_find(p, service);
	size_t n = strlen(p->name) + strlen(service) + 16;
	char *s;

	if (svc && svc->container_name)
		return strdup(svc->container_name);
	s = malloc(n);

	if (s)
		snprintf(s, n, "%s-%s-%u", p->name, service, replica);
	return s;
}

bool model_env_is_secret(const struct project *p, const char *key)
{
	static const char *const words[] = { "SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY" };
	char up[256];
	size_t i;

	if (p) {
		for (i = 0; i < p->secret_keys.n; i++)
			if (!strcmp(p->secret_keys.v[i], key))
				return true;
	}
	for (i = 0; key[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)key[i]);
	up[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(up, words[i]))
			return true;
	return false;
}
