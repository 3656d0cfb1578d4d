/*
 * preflight_item.c - how a preflight check reports: one item per problem
 * (printf-style, bounded), a struct err or a list of them as items, and
 * sizes as people read them. Every other preflight file is above it.
 */
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
#include "preflight_internal.h"

#define ITEM_MAX 4096 /* bytes of one message */

void preflight_item_add(struct run *run, const char *name, enum status st, const char *fmt, ...)
{
	struct check_report *r = run->r;
	struct check_item *v;
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, ITEM_MAX);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0 && !b.toobig)
		goto nomem;
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	r->v = v;
	v = &r->v[r->n];
	v->name = strdup(name);
	v->message = buf_detach(&b);
	if (!v->name || !v->message) {
		free(v->name);
		free(v->message);
		goto nomem;
	}
	v->ok = st != ST_FAIL;
	v->warn = st == ST_WARN;
	r->n++;
	return;
nomem:
	buf_release(&b);
	run->rc = ERR_NOMEM;
}

/* A struct err as an item, location first. */
void preflight_item_err(struct run *run, const char *name, enum status st, const struct err *e)
{
	char line[1024];

	preflight_item_add(run, name, st, "%s", err_format(line, sizeof(line), e));
}

/* "12.3 GiB" */
void preflight_human_size(char *out, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

void preflight_add_list(struct run *run, const char *name, enum status st, const struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		preflight_item_err(run, name, st, &l->items[i]);
	if (l->dropped)
		preflight_item_add(run, name, st, "... and %zu more", l->dropped);
}
