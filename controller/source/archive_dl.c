/*
 * archive_dl.c - libarchive, dlopen()ed the first time a build context is
 * made, not linked: linked, it and what it pulls in (libxml2, ICU and its
 * 30 MB data file, libstdc++, lzma, zstd, bz2, lz4, acl, nettle) were loaded
 * and relocated by every command, a quarter of the memory of a no-op apply
 * (2.4 MB of its RSS) and of its start-up, for a library that only `build:`
 * from a commit uses. DEPLOYCTL_ARCHIVE_SONAME is the library's soname,
 * read at configure time from the one the build found (CMakeLists.txt).
 */
#define ARCHIVE_DL_IMPL /* the table's own names, not the redirections */
#include "archive_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>

#ifndef DEPLOYCTL_ARCHIVE_SONAME
#define DEPLOYCTL_ARCHIVE_SONAME "libarchive.so.13"
#endif

struct archive_dl archive_dl;

static pthread_mutex_t archive_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static bool archive_dl_loaded;

int archive_dl_load(struct err *err)
{
	const char *missing = NULL;
	void *h;
	int rc = 0;

	pthread_mutex_lock(&archive_dl_lock);
	if (archive_dl_loaded)
		goto out;
	h = dlopen(DEPLOYCTL_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		rc = err_set(err, ERR_FAIL, "cannot load %s: %s", DEPLOYCTL_ARCHIVE_SONAME,
		             why ? why : "dlopen failed");
		goto out;
	}
#define ARCHIVE_DL_SYM(ret, name, args)                                                            \
	if (!missing && !(*(void **)&archive_dl.name = dlsym(h, #name)))                           \
		missing = #name;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_SYM)
#undef ARCHIVE_DL_SYM
	if (missing) {
		dlclose(h);
		rc = err_set(err, ERR_FAIL, "%s has no %s", DEPLOYCTL_ARCHIVE_SONAME, missing);
		goto out;
	}
	archive_dl_loaded = true; /* kept loaded for the process's life */
out:
	pthread_mutex_unlock(&archive_dl_lock);
	return rc;
}
