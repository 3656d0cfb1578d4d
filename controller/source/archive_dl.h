/*
 * archive_dl.h - libarchive, loaded on first use (see archive_dl.c). After
 * this header, the archive_*() calls that gitsrc.c makes go through the
 * table that archive_dl_load() fills; call it before the first of them.
 */
#ifndef DEPLOYCTL_ARCHIVE_DL_H
#define DEPLOYCTL_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "deployctl/err.h"

#define ARCHIVE_DL_FUNCS(X)                                                                        \
	X(struct archive *, archive_write_new, (void))                                             \
	X(int, archive_write_free, (struct archive *))                                             \
	X(int, archive_write_set_format_pax_restricted, (struct archive *))                        \
	X(int, archive_write_set_bytes_in_last_block, (struct archive *, int))                     \
	X(int, archive_write_open_memory, (struct archive *, void *, size_t, size_t *))            \
	X(int, archive_write_header, (struct archive *, struct archive_entry *))                   \
	X(la_ssize_t, archive_write_data, (struct archive *, const void *, size_t))                \
	X(int, archive_write_close, (struct archive *))                                            \
	X(int, archive_errno, (struct archive *))                                                  \
	X(const char *, archive_error_string, (struct archive *))                                  \
	X(struct archive_entry *, archive_entry_new, (void))                                       \
	X(void, archive_entry_free, (struct archive_entry *))                                      \
	X(struct archive_entry *, archive_entry_clear, (struct archive_entry *))                   \
	X(void, archive_entry_set_pathname, (struct archive_entry *, const char *))                \
	X(void, archive_entry_set_mtime, (struct archive_entry *, time_t, long))                   \
	X(void, archive_entry_set_filetype, (struct archive_entry *, unsigned int))                \
	X(void, archive_entry_set_perm, (struct archive_entry *, __LA_MODE_T))                     \
	X(void, archive_entry_set_size, (struct archive_entry *, la_int64_t))                      \
	X(void, archive_entry_set_symlink, (struct archive_entry *, const char *))

struct archive_dl {
#define ARCHIVE_DL_MEMBER(ret, name, args) ret(*name) args;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_MEMBER)
#undef ARCHIVE_DL_MEMBER
};
extern struct archive_dl archive_dl;

/* Load libarchive once: 0, or ERR_FAIL with the loader's message in err. */
int archive_dl_load(struct err *err);

#ifndef ARCHIVE_DL_IMPL
#define archive_write_new                       (archive_dl.archive_write_new)
#define archive_write_free                      (archive_dl.archive_write_free)
#define archive_write_set_format_pax_restricted (archive_dl.archive_write_set_format_pax_restricted)
#define archive_write_set_bytes_in_last_block   (archive_dl.archive_write_set_bytes_in_last_block)
#define archive_write_open_memory               (archive_dl.archive_write_open_memory)
#define archive_write_header                    (archive_dl.archive_write_header)
#define archive_write_data                      (archive_dl.archive_write_data)
#define archive_write_close                     (archive_dl.archive_write_close)
#define archive_errno                           (archive_dl.archive_errno)
#define archive_error_string                    (archive_dl.archive_error_string)
#define archive_entry_new                       (archive_dl.archive_entry_new)
#define archive_entry_free                      (archive_dl.archive_entry_free)
#define archive_entry_clear                     (archive_dl.archive_entry_clear)
#define archive_entry_set_pathname              (archive_dl.archive_entry_set_pathname)
#define archive_entry_set_mtime                 (archive_dl.archive_entry_set_mtime)
#define archive_entry_set_filetype              (archive_dl.archive_entry_set_filetype)
#define archive_entry_set_perm                  (archive_dl.archive_entry_set_perm)
#define archive_entry_set_size                  (archive_dl.archive_entry_set_size)
#define archive_entry_set_symlink               (archive_dl.archive_entry_set_symlink)
#endif

#endif
