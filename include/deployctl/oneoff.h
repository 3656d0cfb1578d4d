/*
 * oneoff.h - one-off containers of a release (deploy/oneoff.c): the
 * runner that release jobs (deploy/jobs.c) and in-network smoke checks
 * (deploy/smoke_net.c) share. A one-off container is labelled with the
 * project, the release, this state database's owner labels and LABEL_JOB
 * (never LABEL_SERVICE, so reconcile, prune, status and ps never take it
 * for a service); it is run to completion within a timeout, its output
 * read, and removed.
 */
#ifndef DEPLOYCTL_ONEOFF_H
#define DEPLOYCTL_ONEOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "deployctl/docker.h"
#include "deployctl/model.h"

/* Where one-off containers run and who owns them; every pointer borrowed. */
struct oneoff {
	struct docker *docker;
	const struct project *project;
	const char *release; /* LABEL_RELEASE of the containers */
	const char *owner, *owner_host, *owner_state;
	struct kvv *network_ids; /* Docker network IDs by key; oneoff_networks() adds to it */
	const char *files_dir;   /* configs and env secrets (files.h); may be NULL */
};

/*
 * s's image present locally, else pulled (said on stdout as "WHO: pulling
 * IMAGE" unless quiet; who e.g. "job backup"); s->image_id set to the local
 * ID. 0 or an error (ERR_DOCKER with the registry's message).
 */
int oneoff_image(struct oneoff *o, struct service *s, const char *who, bool quiet, struct err *err);
/* The Docker IDs of s's networks into o->network_ids, looked up once. 0 or an error. */
int oneoff_networks(struct oneoff *o, const struct service *s, struct err *err);

/* What one run came to. */
struct oneoff_outcome {
	int exit_code; /* -1 when it never exited (not started, timed out) */
	bool timed_out;
	double took;  /* seconds from create to the verdict */
	char *output; /* the last lines of stdout and stderr, new; NULL when none */
};
/*
 * Create the container name of s with LABEL_JOB = label, start it, wait
 * for it at most timeout_ns (then it is killed: ERR_FAIL "timed out after
 * Ns and was killed"; ERR_STOPPED after SIGINT/SIGTERM), read its last
 * log_lines lines of output into out->output, and remove it, whatever
 * happened. 0 when it exited (any code: see out->exit_code) or an error.
 */
int oneoff_run(struct oneoff_outcome *out, struct oneoff *o, const struct service *s,
               const char *name, const char *label, int64_t timeout_ns, unsigned log_lines,
               struct err *err);
void oneoff_outcome_release(struct oneoff_outcome *out);

/*
 * One-off containers of the project left by a run that was killed,
 * removed: only this state database's own (its owner label; the caller
 * holds the state lock), others named in the log and left alone.
 */
void oneoff_remove_leftovers(struct oneoff *o);

#endif
