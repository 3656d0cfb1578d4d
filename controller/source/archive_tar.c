/*
 * archive_tar.c - the open and close of a build context's tar in memory,
 * shared by dirsrc_tar() (a directory) and gitsrc_tar() (a tree at a commit);
 * each walks its own tree between them.
 */
#include "archive_tar.h"

#include <stdlib.h>
#include <string.h>

int archive_tar_open(struct archive_tar *t, const char *dir, size_t max, struct err *err)
{
	int rc = archive_dl_load(err);

	memset(t, 0, sizeof(*t));
	if (rc)
		return rc;
	t->max = max;
	t->mem = malloc(max);
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->mem || !t->a || !t->e)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open_memory(t->a, t->mem, max, &t->used) != ARCHIVE_OK)
		return err_set(err, ERR_INVALID, "build context '%s': %s", dir,
		               archive_error_string(t->a));
	return 0;
}

/* On success *out is new (the caller frees it). */
int archive_tar_close(char **out, size_t *len, struct archive_tar *t, const char *dir,
                      struct err *err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return err_set(err, ERR_INVALID, "build context '%s' is larger than %zu bytes", dir,
		               t->max);
	*out = t->mem;
	*len = t->used;
	t->mem = NULL;
	return 0;
}

void archive_tar_release(struct archive_tar *t)
{
	if (t->e)
		archive_entry_free(t->e);
	if (t->a)
		archive_write_free(t->a);
	free(t->mem);
	memset(t, 0, sizeof(*t));
}
