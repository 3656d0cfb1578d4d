/*
 * archive_tar.h - a build context's tar in memory, as dirsrc_tar() and
 * gitsrc_tar() both write one (archive_tar.c): libarchive loaded, a pax
 * writer into a buffer of at most max bytes, an entry to reuse, and the
 * close that hands the bytes over. Internal to source/.
 */
#ifndef DEPLOYCTL_ARCHIVE_TAR_H
#define DEPLOYCTL_ARCHIVE_TAR_H

#include <stddef.h>

#include "archive_dl.h"

struct archive_tar {
	struct archive *a;
	struct archive_entry *e;
	char *mem;   /* the tar's bytes (max of them) */
	size_t max;  /* the context's limit */
	size_t used; /* written so far */
};

/*
 * Open t for the context dir (for messages), at most max bytes. 0 or an
 * error; archive_tar_release() t either way.
 */
int archive_tar_open(struct archive_tar *t, const char *dir, size_t max, struct err *err);
/*
 * Finish t: *out (new, taken from t) and *len hold the tar, or the error
 * "build context 'dir' is larger than max bytes".
 */
int archive_tar_close(char **out, size_t *len, struct archive_tar *t, const char *dir,
                      struct err *err);
/* Free what t holds (any of it may be NULL). */
void archive_tar_release(struct archive_tar *t);

#endif
