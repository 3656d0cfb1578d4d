/*
 * hook.h - the git post-receive hook that turns a push to a bare
 * repository into a deploy (deploy/hook.c): installed beside any hook
 * already there (which it runs first, with the same input), removed
 * exactly, never rejecting a push.
 */
#ifndef DEPLOYCTL_HOOK_H
#define DEPLOYCTL_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

/* Marks a post-receive hook as deployctl's, so uninstall removes only its own. */
#define HOOK_MARKER "# deployctl-hook:"
/* Where an existing hook is kept and run from. */
#define HOOK_CHAINED "post-receive.deployctl-chained"

struct hook_opts {
	const char *gitdir;    /* the bare repository, absolute */
	const char *branch;    /* the deploy branch */
	const char *exe;       /* the deployctl the hook runs, absolute */
	const char *state_dir; /* absolute */
	/* more apply options (--env-file /abs/path, --manifests DIR, ...), borrowed */
	const char *const *args;
	size_t nargs;
};

/*
 * Write <gitdir>/hooks/post-receive (0755, replacing deployctl's own if
 * there), moving a foreign hook aside to HOOK_CHAINED first. *chained
 * tells whether a foreign hook is chained. ERR_INVALID if a foreign hook
 * is there and HOOK_CHAINED is taken too; ERR_IO otherwise.
 */
int hook_install(bool *chained, const struct hook_opts *o, struct err *err);
/*
 * Remove deployctl's post-receive hook and put a chained one back.
 * *restored tells whether one was. ERR_NOTFOUND if no deployctl hook is
 * installed, ERR_INVALID if the hook there is not deployctl's (left alone).
 */
int hook_uninstall(bool *restored, const char *gitdir, struct err *err);

#endif
