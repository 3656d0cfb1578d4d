/*
 * reconcile_notes.c - what a plan line says beyond why: a container that
 * mounts a writable bind from git writes to a copy of its own, made for
 * this release ("bind ./data (writable: per-release copy)"), so the plan
 * says so before anything runs.
 */
#include <stdlib.h>

#include "deployctl/buf.h"
#include "reconcile_diff_internal.h"

char *reconcile_note_copies(char *reason, const struct service *s)
{
	struct buf b;
	size_t i;
	bool any = false;

	if (!reason || !s)
		return reason;
	for (i = 0; i < s->nmounts && !any; i++)
		any = s->mounts[i].type == MOUNT_BIND && s->mounts[i].content_hash[0] &&
		      !s->mounts[i].read_only;
	if (!any)
		return reason;
	buf_init(&b, 8192);
	buf_puts(&b, reason);
	for (i = 0; i < s->nmounts; i++) {
		const struct svc_mount *m = &s->mounts[i];

		if (m->type == MOUNT_BIND && m->content_hash[0] && !m->read_only)
			buf_printf(&b, "; bind %s (writable: per-release copy)",
			           m->rel ? m->rel : m->target);
	}
	free(reason);
	return buf_detach(&b);
}
