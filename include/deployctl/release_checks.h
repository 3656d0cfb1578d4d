/*
 * release_checks.h - what a release does around its rollout besides the
 * rollout (deploy/): the smoke checks it must pass once every action
 * succeeded (deploy/smoke.c; a failure fails the release and undoes it as
 * a failed health gate does), and the notifications of its outcome
 * (deploy/notify.c; a failure there never fails anything).
 */
#ifndef DEPLOYCTL_RELEASE_CHECKS_H
#define DEPLOYCTL_RELEASE_CHECKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "deployctl/err.h"
#include "deployctl/model.h"
#include "deployctl/smoke.h"
#include "deployctl/smoke_net.h"

/*
 * Run every smoke check of p in order, each up to its retries, results[i]
 * for p->smoke[i] (caller array, zeroed). A check that fails stops the run
 * (the later ones are not run: ran false) unless keep_going. 0 when all passed; ERR_FAIL
 * with err "smoke check 'NAME' failed after N attempt(s): REASON", or
 * ERR_STOPPED after SIGINT/SIGTERM. Reasons are scrubbed of secrets.
 * net: where in-network checks (network set) run; NULL fails them.
 */
struct smoke_net;
int smoke_run(struct smoke_result *results, const struct project *p, const struct strv *secrets,
              struct smoke_net *net, bool keep_going, struct err *err);
/* One line per check that ran: "smoke NAME: passed (200, 1 attempt, 0.01s)". */
void smoke_print(FILE *f, const struct project *p, const struct smoke_result *results);

/* The outcome a notification tells. Strings borrowed; any may be NULL. */
struct notify_event {
	const char *project;
	int64_t release;
	const char *kind;   /* "apply", "rollback", ... */
	const char *status; /* "succeeded", "failed", "rolled_back", "interrupted" */
	const char *source_kind, *commit, *subject, *ref;
	const char *who, *host;
	double duration_s;        /* < 0: unknown */
	const char *reason;       /* why it did not succeed */
	const char *failed_check; /* the smoke check that failed it */
};

/*
 * The payload for format f (slack: {"text": ...}; json and command: one
 * object), every string scrubbed of secrets first; *out new. 0 or ERR_NOMEM.
 */
int notify_payload(char **out, enum notify_format f, const struct notify_event *ev,
                   const struct strv *secrets);

/*
 * Tell each target of p that asked for ev->status: POST the payload to the
 * URL read from url_env (vars first, then the environment) or url_file,
 * or run the command with it on stdin. Every target at once, each up to 3
 * tries with back-off within NOTIFY_TARGET_BUDGET_MS, so the whole takes
 * about that at most; results[i] for p->notify[i] (caller array). The URLs
 * join secrets (so no message shows one). Returns how many targets failed
 * (an unset url_env is skipped, not failed).
 */
#define NOTIFY_TARGET_BUDGET_MS 4500
unsigned notify_send(struct notify_result *results, const struct project *p,
                     const struct notify_event *ev, const struct kvv *vars, struct strv *secrets);
/*
 * The URL of target t into *url (new): url_env read from vars, then the
 * environment, or url_file's first line; NULL with why in detail (never
 * quoting the URL: it is a credential) when unset, unreadable or not
 * http(s)://. check uses it to say whether a target is resolvable.
 */
void notify_target_url(char **url, const struct notify_target *t, const struct kvv *vars,
                       char *detail, size_t size);
/* Say on f what notify_send() could not do (one line per target that failed). */
void notify_print_failures(FILE *f, const struct project *p, const struct notify_result *results);

/*
 * The checks of one release run (deploy/release_checks.c), between
 * release_run() and the rollout: release_checks_init() prepares them for
 * p (borrowed, outlives rc); release_checks_verify() is the rollout's
 * verify hook (reconcile_opts.verify) running the smoke checks;
 * release_checks_finish() records the smoke outcomes and tells the
 * notify targets of the release's outcome, recording that too; a failure
 * of either is said on stderr, never returned.
 */
struct store;
struct release_checks {
	const struct project *p;
	struct strv secrets; /* every secret of p, and the webhook URLs once read */
	bool secrets_unknown;
	struct smoke_result *smoke;   /* p->nsmoke */
	struct notify_result *notify; /* p->nnotify */
	bool smoke_ran;
	const char *failed_check; /* borrowed from p */
	struct smoke_net net;     /* where in-network checks run (release_checks_net()) */
};
int release_checks_init(struct release_checks *rc, const struct project *p);
/*
 * The in-network checks of release (release_label) run as the release's
 * one-off containers: Docker, owner labels and network IDs of dp (borrowed,
 * outlive rc); quiet: no pull lines. The verify hook first removes what a
 * killed run left (the state lock is held).
 */
struct ctx;
struct deploy;
void release_checks_net(struct release_checks *rc, struct ctx *ctx, struct deploy *dp,
                        const char *release_label, const char *files_dir, bool quiet);
int release_checks_verify(void *rc, struct err *err);
void release_checks_finish(struct release_checks *rc, struct store *store,
                           const struct notify_event *ev, const struct kvv *vars);
void release_checks_release(struct release_checks *rc);

/*
 * Tell the targets of every interrupted release that was never told
 * (found when the state lock is taken): its definitions from the store,
 * URLs from the environment only. Failures are said on stderr.
 */
void release_checks_tell_interrupted(struct store *store);

#endif
