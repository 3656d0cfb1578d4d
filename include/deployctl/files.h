/*
 * files.h - config and environment-secret contents on the host, where
 * containers bind-mount them read-only: <dir>/<content_hash>.
 */
#ifndef DEPLOYCTL_FILES_H
#define DEPLOYCTL_FILES_H

#include "deployctl/err.h"
#include "deployctl/model.h"

/*
 * Write every config's and environment secret's content of p to
 * <dir>/<content_hash> unless that file exists already: dir is created
 * (mode 0700) when missing; configs are 0444, secrets 0400; each file is
 * written under a temporary name and renamed, so a reader never sees half
 * a file. File secrets (host paths) are mounted as they are and not
 * copied. Bind mounts tracked in git (project.binds) are written the same
 * way: a file 0444, a directory as a tree (files 0444, executables 0555)
 * renamed into place whole. The host paths of untracked relative binds are
 * created as directories when missing (as Docker does), never removed.
 * Content never appears in a message. 0, ERR_IO (err names the path) or
 * ERR_NOMEM.
 */
int files_materialize(const struct project *p, const char *dir, struct err *err);

/*
 * Before any container mounts them: every config and environment secret
 * that a service of p mounts is present in dir and holds exactly the
 * content its name (sha256) says; a file changed outside deployctl, or
 * missing (a rollback needs what an earlier apply wrote), is ERR_IO naming
 * the service and file. An existing file is checked the same way by
 * files_materialize().
 */
int files_verify(const struct project *p, const char *dir, struct err *err);

/*
 * Before a container of s with spec_hash is created: each bind of s from
 * git asked to be writable has its copy <dir>/rw/<spec hash>-<content hash>
 * (MODEL_BIND_COPY_FMT), made from <dir>/<content hash> (files 0644,
 * executables 0755) when missing and left as it is when present — it holds
 * what that release's containers wrote (files_rw.c). 0, ERR_IO.
 */
int files_bind_copies(const char *dir, const struct service *s, const char *spec_hash,
                      struct err *err);

#endif
