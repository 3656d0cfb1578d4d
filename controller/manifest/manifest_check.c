/*
 * manifest_check.c - cross-references once every manifest file is loaded:
 * depends_on targets exist and form no cycle, every network and named
 * volume a service uses is declared, no host port is published twice, and
 * a service with a fixed host port runs one replica. Also puts each
 * service's lists in the order model.h promises. Every problem is reported.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "manifest_internal.h"

/* Report "<path>: <message>" at a recorded reference. */
static void ref_error(struct manifest_ctx *c, const struct manifest_ref *r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void ref_error(struct manifest_ctx *c, const struct manifest_ref *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errlist_add(c->errs, ERR_INVALID, r->loc.file, r->loc.line, r->loc.col, "%s: %s", r->path,
	            msg);
}

static size_t service_index(const struct project *p, const char *name)
{
	size_t lo = 0, hi = p->nservices;

	/* services are sorted by now */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(p->services[mid].name, name);

		if (!cmp)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

/* Copy what the spec needs of a top-level config or secret into the service's reference. */
static void fill_file_ref(struct manifest_ctx *c, const struct manifest_ref *r)
{
	bool secret = r->kind == MANIFEST_REF_SECRET;
	const struct project_file *f =
	        secret ? model_file_find(c->p->secrets, c->p->nsecrets, r->name)
	               : model_file_find(c->p->configs, c->p->nconfigs, r->name);
	size_t si = service_index(c->p, r->service), i;
	struct service *s;

	if (!f) {
		ref_error(c, r, "%s '%s' is not declared under top-level %s",
		          secret ? "secret" : "config", r->name, secret ? "secrets" : "configs");
		return;
	}
	if (si == (size_t)-1)
		return;
	s = &c->p->services[si];
	for (i = 0; i < (secret ? s->nsecrets : s->nconfigs); i++) {
		struct svc_file_ref *ref = secret ? &s->secrets[i] : &s->configs[i];

		if (strcmp(ref->source, r->name))
			continue;
		memcpy(ref->content_hash, f->content_hash, sizeof(ref->content_hash));
		if (f->file && !f->content && !ref->host_file &&
		    !(ref->host_file = strdup(f->file)))
			manifest_nomem(c);
	}
}

/* links: the alias goes on the linked service's side of every network both share. */
static void add_link_alias(struct manifest_ctx *c, const struct manifest_ref *r)
{
	size_t si = service_index(c->p, r->service), ti = service_index(c->p, r->name), i, j, k;
	struct service *s, *t;
	bool shared = false, have;

	if (si == (size_t)-1 || ti == (size_t)-1 || si == ti)
		return; /* reported with the dependency */
	s = &c->p->services[si];
	t = &c->p->services[ti];
	for (i = 0; i < s->nnetworks; i++) {
		for (j = 0; j < t->nnetworks; j++) {
			if (strcmp(s->networks[i].name, t->networks[j].name))
				continue;
			shared = true;
			if (!strcmp(r->alias, t->name))
				continue;
			for (k = 0, have = false; k < t->networks[j].aliases.n; k++)
				have = have || !strcmp(t->networks[j].aliases.v[k], r->alias);
			if (!have && strv_push(&t->networks[j].aliases, r->alias)) {
				manifest_nomem(c);
				return;
			}
			strv_sort(&t->networks[j].aliases);
		}
	}
	if (!shared)
		ref_error(c, r, "service '%s' shares no network with '%s'", r->name, r->service);
}

/*
 * depends_on.<name>.required: false on a service left out by profiles: the
 * dependency is dropped, as Compose does. True when it was.
 */
static bool optional_dep_dropped(struct manifest_ctx *c, const struct manifest_ref *r)
{
	size_t si = service_index(c->p, r->service), i;
	struct service *s;

	if (si == (size_t)-1)
		return false;
	s = &c->p->services[si];
	for (i = 0; i < s->ndeps; i++) {
		if (strcmp(s->deps[i].service, r->name) || s->deps[i].required)
			continue;
		free(s->deps[i].service);
		memmove(&s->deps[i], &s->deps[i + 1], (s->ndeps - i - 1) * sizeof(*s->deps));
		s->ndeps--;
		return true;
	}
	return false;
}

static void check_refs(struct manifest_ctx *c)
{
	const char *profiles;
	size_t i;

	for (i = 0; i < c->nrefs; i++) {
		const struct manifest_ref *r = &c->refs[i];

		if (r->kind == MANIFEST_REF_DEP && !strcmp(r->name, r->service))
			ref_error(c, r, "service '%s' depends on itself", r->service);
		else if (r->kind == MANIFEST_REF_DEP &&
		         service_index(c->p, r->name) == (size_t)-1 &&
		         kvv_get(&c->disabled, r->name) && optional_dep_dropped(c, r))
			continue;
		else if (r->kind == MANIFEST_REF_DEP &&
		         service_index(c->p, r->name) == (size_t)-1 &&
		         (profiles = kvv_get(&c->disabled, r->name)))
			ref_error(
			        c, r,
			        "service '%s' is not enabled: it needs profile %s (apply --profile "
			        "NAME)",
			        r->name, profiles);
		else if (r->kind == MANIFEST_REF_DEP && service_index(c->p, r->name) == (size_t)-1)
			ref_error(c, r, "unknown service '%s'", r->name);
		else if (r->kind == MANIFEST_REF_CONFIG || r->kind == MANIFEST_REF_SECRET)
			fill_file_ref(c, r);
		else if (r->kind == MANIFEST_REF_LINK)
			add_link_alias(c, r);
		else if (r->kind == MANIFEST_REF_NETWORK &&
		         !model_res_find(c->p, RES_NETWORK, r->name))
			ref_error(c, r, "network '%s' is not declared under top-level networks",
			          r->name);
		else if (r->kind == MANIFEST_REF_VOLUME &&
		         !model_res_find(c->p, RES_VOLUME, r->name))
			ref_error(c, r, "volume '%s' is not declared under top-level volumes",
			          r->name);
	}
}

/* ---- dependency cycles ---- */

struct walk {
	struct manifest_ctx *c;
	unsigned char *color; /* 0 white, 1 on the stack, 2 done */
	size_t *stack;
	size_t depth;
};

static void report_cycle(struct walk *w, size_t from)
{
	const struct project *p = w->c->p;
	struct buf b;
	size_t i, start = from, n = w->depth - from;

	/* Start the cycle at its smallest name, so the message does not depend on walk order. */
	for (i = from; i < w->depth; i++)
		if (strcmp(p->services[w->stack[i]].name, p->services[w->stack[start]].name) < 0)
			start = i;
	buf_init(&b, 4096);
	for (i = 0; i <= n; i++) {
		size_t at = from + (start - from + i) % n;

		buf_printf(&b, "%s%s", i ? " -> " : "", p->services[w->stack[at]].name);
	}
	for (i = 0; i < w->c->nrefs; i++) {
		const struct manifest_ref *r = &w->c->refs[i];

		if (r->kind == MANIFEST_REF_DEPS &&
		    !strcmp(r->service, p->services[w->stack[start]].name)) {
			errlist_add(w->c->errs, ERR_INVALID, r->loc.file, r->loc.line, r->loc.col,
			            "%s: dependency cycle %s", r->path, b.ptr);
			break;
		}
	}
	buf_release(&b);
}

static void walk(struct walk *w, size_t v)
{
	const struct service *s = &w->c->p->services[v];
	size_t i, j, t;

	w->color[v] = 1;
	w->stack[w->depth++] = v;
	for (i = 0; i < s->ndeps; i++) {
		t = service_index(w->c->p, s->deps[i].service);
		if (t == (size_t)-1 || t == v)
			continue; /* reported by check_refs */
		if (w->color[t] == 1) {
			for (j = 0; j < w->depth && w->stack[j] != t; j++)
				;
			report_cycle(w, j);
		} else if (!w->color[t]) {
			walk(w, t);
		}
	}
	w->depth--;
	w->color[v] = 2;
}

static void check_cycles(struct manifest_ctx *c)
{
	struct walk w = { c, NULL, NULL, 0 };
	size_t i;

	if (!c->p->nservices)
		return;
	w.color = calloc(c->p->nservices, 1);
	w.stack = calloc(c->p->nservices, sizeof(*w.stack));
	if (!w.color || !w.stack) {
		manifest_nomem(c);
		goto out;
	}
	for (i = 0; i < c->p->nservices; i++)
		if (!w.color[i])
			walk(&w, i);
out:
	free(w.color);
	free(w.stack);
}

/* ---- ports ---- */

static bool any_ip(const char *ip)
{
	return !*ip || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::");
}

/*
 * Every host-bound port, one entry per port a reference produced: sorted by
 * (protocol, host port, any-address first, host IP), the ports that can
 * clash sit together, so the check is O(P log P) and not a comparison of
 * every pair of references (10,000 port entries took 100 s).
 */
struct port_ent {
	const struct svc_port *port;
	size_t ref;   /* index in c->refs */
	size_t order; /* the port's place among its reference's */
	bool any;     /* bound to every address */
};

#define NO_REF SIZE_MAX

static int port_ent_cmp(const void *a, const void *b)
{
	const struct port_ent *x = a, *y = b;
	int r = strcmp(x->port->protocol, y->port->protocol);

	if (r)
		return r;
	if (x->port->host_port != y->port->host_port)
		return x->port->host_port < y->port->host_port ? -1 : 1;
	if (x->any != y->any)
		return x->any ? -1 : 1;
	r = x->any ? 0 : strcmp(x->port->host_ip, y->port->host_ip);
	if (r)
		return r;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

static bool same_port(const struct port_ent *a, const struct port_ent *b)
{
	return a->port->host_port == b->port->host_port &&
	       !strcmp(a->port->protocol, b->port->protocol);
}

/* The ports of references into *out (new), host-bound ones only. */
static int port_ents(struct port_ent **out, size_t *nout, struct manifest_ctx *c)
{
	struct port_ent *v = NULL, *grown;
	size_t n = 0, alloc = 0, i, k, si;

	for (i = 0; i < c->nrefs; i++) {
		const struct manifest_ref *r = &c->refs[i];
		const struct service *s;

		if (r->kind != MANIFEST_REF_PORT ||
		    (si = service_index(c->p, r->service)) == (size_t)-1)
			continue;
		s = &c->p->services[si];
		for (k = r->index; k < r->index + r->nports && k < s->nports; k++) {
			if (!s->ports[k].host_port)
				continue;
			if (n == alloc) {
				alloc = alloc ? 2 * alloc : 64;
				grown = realloc(v, alloc * sizeof(*v));
				if (!grown) {
					free(v);
					return manifest_nomem(c);
				}
				v = grown;
			}
			v[n++] = (struct port_ent){ &s->ports[k], i, k - r->index,
				                    any_ip(s->ports[k].host_ip) };
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), port_ent_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/*
 * For each reference, the first earlier reference one of its ports clashes
 * with (first[ref], NO_REF if none) and the first of its ports that does
 * (clash[ref]). Two ports of one number and protocol clash when either
 * binds every address or both bind the same one.
 */
static void port_clashes(size_t *first, const struct port_ent **clash, const struct port_ent *v,
                         size_t n)
{
	size_t g = 0, end, i, sub, sub_min = NO_REF, all_min, any_min;

	while (g < n) {
		all_min = any_min = NO_REF;
		for (end = g; end < n && same_port(&v[g], &v[end]); end++) {
			all_min = v[end].ref < all_min ? v[end].ref : all_min;
			if (v[end].any && v[end].ref < any_min)
				any_min = v[end].ref;
		}
		for (i = g, sub = g; i < end; i++) {
			const struct port_ent *e = &v[i];
			size_t best = NO_REF, j;

			if (!e->any &&
			    (i == sub || strcmp(e->port->host_ip, v[sub].port->host_ip))) {
				/* the entries of one IP are contiguous, the earliest first */
				sub = i;
				sub_min = e->ref;
			}
			if (e->any) {
				best = all_min < e->ref ? all_min : NO_REF;
			} else {
				best = any_min < e->ref ? any_min : NO_REF;
				if (sub_min < e->ref && sub_min < best)
					best = sub_min;
			}
			j = e->ref;
			if (best == NO_REF || best > first[j] ||
			    (best == first[j] && e->order > clash[j]->order))
				continue;
			first[j] = best;
			clash[j] = e;
		}
		g = end;
	}
}

static void check_ports(struct manifest_ctx *c)
{
	struct port_ent *v = NULL;
	size_t *first = NULL, n = 0, i, k, si;
	const struct port_ent **clash = NULL;

	if (port_ents(&v, &n, c) < 0)
		return;
	first = malloc((c->nrefs + 1) * sizeof(*first));
	clash = calloc(c->nrefs + 1, sizeof(*clash));
	if (!first || !clash) {
		manifest_nomem(c);
		goto out;
	}
	for (i = 0; i < c->nrefs; i++)
		first[i] = NO_REF;
	port_clashes(first, clash, v, n);
	for (i = 0; i < c->nrefs; i++) {
		const struct manifest_ref *r = &c->refs[i];
		const struct service *s;

		if (r->kind != MANIFEST_REF_PORT)
			continue;
		if (first[i] != NO_REF)
			ref_error(c, r, "host port %u/%s is already published by %s",
			          clash[i]->port->host_port, clash[i]->port->protocol,
			          c->refs[first[i]].path);
		si = service_index(c->p, r->service);
		s = si == (size_t)-1 ? NULL : &c->p->services[si];
		if (!s || s->replicas < 2)
			continue;
		for (k = r->index; k < r->index + r->nports && k < s->nports; k++) {
			if (!s->ports[k].host_port)
				continue;
			ref_error(
			        c, r,
			        "host port %u is fixed but deploy.replicas is %u: replicas cannot "
			        "share a host port",
			        s->ports[k].host_port, s->replicas);
			break;
		}
	}
out:
	free(v);
	free(first);
	free(clash);
}

/* ---- order ---- */

static int dep_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_dep *)a)->service, ((const struct svc_dep *)b)->service);
}

static int net_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_network *)a)->name, ((const struct svc_network *)b)->name);
}

/* Two services cannot have one container_name. */
static void check_container_names(struct manifest_ctx *c)
{
	const struct project *p = c->p;
	size_t i, j;

	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		for (j = 0; s->container_name && j < i; j++) {
			const struct service *o = &p->services[j];

			if (!o->container_name || strcmp(o->container_name, s->container_name))
				continue;
			errlist_add(
			        c->errs, ERR_INVALID, s->loc.file, s->loc.line, s->loc.col,
			        "services.%s.container_name: '%s' is already the container name "
			        "of service '%s'",
			        s->name, s->container_name, o->name);
		}
	}
}

void manifest_check(struct manifest_ctx *c)
{
	size_t i;

	check_refs(c);
	check_container_names(c);
	check_cycles(c);
	check_ports(c);
	for (i = 0; i < c->p->nservices; i++) {
		struct service *s = &c->p->services[i];

		if (s->ndeps > 1)
			qsort(s->deps, s->ndeps, sizeof(*s->deps), dep_cmp);
		if (s->nnetworks > 1)
			qsort(s->networks, s->nnetworks, sizeof(*s->networks), net_cmp);
	}
}
