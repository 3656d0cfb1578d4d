/*
 * manifest_binds.c - relative bind mounts ("./conf/nginx.conf:/etc/nginx/nginx.conf"),
 * resolved like Compose against the manifest's directory, and then as the
 * source says: with a directory source (--dir) the path under that
 * directory; from git, a path tracked at the commit (a file, or a directory
 * read whole) is content, kept in project.binds under its sha256 and mounted
 * read-only from the state directory (as configs are), so an edit rolls the
 * service and a rollback finds the old copy (asked for writes, ":rw" or
 * read_only: false, each release writes to a copy of its own, which a
 * rollback mounts again); a path not tracked (keys,
 * data) is a host path under the project's host directory, resolved by the
 * deploy layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deployctl/buf.h"
#include "deployctl/hash.h"
#include "manifest_internal.h"

/* The bind content with this hash, if the project holds it already (several mounts, one copy). */
static bool bind_known(const struct project *p, const char *hash)
{
	size_t i;

	for (i = 0; i < p->nbinds; i++)
		if (!strcmp(p->binds[i].content_hash, hash))
			return true;
	return false;
}

/* Take b (its files) into the project unless its hash is there; b is emptied either way. */
static int bind_keep(struct manifest_ctx *c, struct project_bind *b)
{
	struct project_bind *nb;
	size_t i;

	if (bind_known(c->p, b->content_hash)) {
		for (i = 0; i < b->nfiles; i++) {
			free(b->files[i].path);
			free(b->files[i].content);
		}
		free(b->files);
		b->files = NULL;
		b->nfiles = 0;
		return 0;
	}
	nb = realloc(c->p->binds, (c->p->nbinds + 1) * sizeof(*nb));
	if (!nb)
		return manifest_nomem(c);
	c->p->binds = nb;
	nb[c->p->nbinds++] = *b;
	b->files = NULL;
	b->nfiles = 0;
	return 0;
}

static int bind_file_add(struct project_bind *b, char *path, char *content, size_t len, bool exec)
{
	struct bind_file *nf = realloc(b->files, (b->nfiles + 1) * sizeof(*nf));

	if (!nf)
		return ERR_NOMEM;
	b->files = nf;
	nf[b->nfiles++] =
	        (struct bind_file){ .path = path, .content = content, .len = len, .exec = exec };
	return 0;
}

/*
 * A tracked directory: every file read at the commit; the hash covers each
 * file's path (inside the directory), mode and content hash, in path order.
 */
static int bind_dir(struct manifest_ctx *c, struct project_bind *b, const struct mnode *v,
                    const char *path, const char *full)
{
	struct err e = ERR_INIT;
	struct source_entry *list = NULL;
	struct hash_ctx *h = hash_ctx_new();
	char fh[HASH_HEX_LEN + 1], *text = NULL, *inner;
	size_t n = 0, i, len, skip = strlen(full) + 1;
	int rc;

	if (!h)
		return manifest_nomem(c);
	rc = c->src->list_tree(c->src->ctx, &list, &n, full, &e);
	for (i = 0; !rc && i < n; i++) {
		rc = c->src->read(c->src->ctx, &text, &len, list[i].path, &e);
		if (rc)
			break;
		inner = strdup(list[i].path + skip);
		if (!inner || bind_file_add(b, inner, text, len, list[i].exec)) {
			free(inner);
			free(text);
			rc = ERR_NOMEM;
			break;
		}
		hash_sha256_hex(fh, text, len);
		hash_ctx_add(h, inner, strlen(inner) + 1);
		hash_ctx_add(h, list[i].exec ? "x" : "-", 1);
		hash_ctx_add(h, fh, HASH_HEX_LEN);
		text = NULL;
	}
	hash_ctx_final(b->content_hash, h);
	source_entries_free(list, n);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		manifest_error(c, v, path, "bind source '%s': %s", full, e.msg);
		if (rc == ERR_IO || rc == ERR_GIT)
			c->fatal = c->fatal ? c->fatal : rc;
		return ERR_INVALID;
	}
	b->dir = true;
	return 0;
}

/* The tracked content at full into b; ERR_NOTFOUND when git does not track it. */
static int bind_content(struct manifest_ctx *c, struct project_bind *b, const struct mnode *v,
                        const char *path, const char *full)
{
	struct err e = ERR_INIT;
	char *text = NULL;
	size_t len;
	int rc = c->src->read(c->src->ctx, &text, &len, full, &e);

	if (rc == 0) {
		hash_sha256_hex(b->content_hash, text, len);
		if (bind_file_add(b, NULL, text, len, false)) {
			free(text);
			return manifest_nomem(c);
		}
		return 0;
	}
	if (rc == ERR_NOTFOUND)
		return rc;
	if (rc == ERR_INVALID && c->src->list_tree && strstr(e.msg, "is not a file"))
		return bind_dir(c, b, v, path, full);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	manifest_error(c, v, path, "bind source '%s': %s", full, e.msg);
	if (rc == ERR_IO || rc == ERR_GIT)
		c->fatal = c->fatal ? c->fatal : rc;
	return ERR_INVALID;
}

/* Does the entry ask for writes in so many words (":rw", read_only: false)? */
static bool asks_writes(const struct mnode *v)
{
	const struct mnode *ro = mnode_get(v, "read_only");
	const char *opts;

	if (v->type == MNODE_MAP)
		return ro && ro->type == MNODE_SCALAR && !strcmp(ro->value, "false");
	opts = v->type == MNODE_SCALAR ? strrchr(v->value, ':') : NULL;
	return opts && strstr(opts, "rw") && !strchr(opts, '/');
}

int manifest_bind_relative(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                           const char *path, const char *rel, const char *target, bool ro)
{
	struct project_bind b = { .dir = false };
	struct err e = ERR_INIT;
	struct svc_mount *m;
	char *dir = manifest_base_dir(c, v), *full = NULL;
	struct buf host;
	int rc;

	if (!dir)
		return manifest_nomem(c);
	if (c->src && c->src->root) {
		/*
		 * A directory (--dir): a host path, relative to the manifest's
		 * directory under it as Compose resolves it, "../" included.
		 */
		buf_init(&host, 4096);
		rc = buf_printf(&host, "%s/%s", c->src->root + 1, dir);
		free(dir);
		rc = rc ? ERR_NOMEM : source_join(&full, host.ptr, rel, &e);
		buf_release(&host);
		buf_init(&host, 4096);
		rc = rc ? rc : buf_printf(&host, "/%s", full) ? ERR_NOMEM : 0;
		if (!rc)
			rc = manifest_mount_add(c, s, MOUNT_BIND, host.ptr, target, ro);
		buf_release(&host);
		if (rc && rc != ERR_NOMEM) {
			manifest_error(c, v, path, "bind source '%s': %s", rel, e.msg);
			free(full);
			return ERR_INVALID;
		}
		goto done;
	}
	rc = source_join(&full, dir, rel, &e);
	free(dir);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc) {
		manifest_error(c, v, path, "bind source '%s': %s", rel, e.msg);
		return ERR_INVALID;
	}
	if (!c->src) {
		manifest_error(c, v, path, "relative bind mounts cannot be read here");
		free(full);
		return ERR_INVALID;
	}
	rc = bind_content(c, &b, v, path, full);
	if (rc == ERR_NOTFOUND) {
		/* not in git: the host's, under the project's host directory */
		rc = manifest_mount_add(c, s, MOUNT_BIND, full, target, ro);
		if (!rc)
			s->mounts[s->nmounts - 1].host = true;
		goto done;
	}
	/* asked for writes: each release mounts its own copy of the content (files_rw.c) */
	if (!rc)
		rc = manifest_mount_add(c, s, MOUNT_BIND, full, target, !asks_writes(v));
	if (!rc) {
		m = &s->mounts[s->nmounts - 1];
		memcpy(m->content_hash, b.content_hash, sizeof(m->content_hash));
		rc = bind_keep(c, &b);
	}
	for (size_t i = 0; i < b.nfiles; i++) {
		free(b.files[i].path);
		free(b.files[i].content);
	}
	free(b.files);
done:
	free(full);
	if (rc == ERR_NOMEM)
		return manifest_nomem(c);
	if (rc)
		return rc;
	m = &s->mounts[s->nmounts - 1];
	m->rel = strdup(rel);
	return m->rel ? 0 : manifest_nomem(c);
}
