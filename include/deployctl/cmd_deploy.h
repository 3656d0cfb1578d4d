/*
 * cmd_deploy.h - what apply and plan share: load the manifests at a commit
 * (or a directory), validate everything, observe Docker, and diff.
 */
#ifndef DEPLOYCTL_CMD_DEPLOY_H
#define DEPLOYCTL_CMD_DEPLOY_H

#include <stdint.h>

#include "deployctl/cmd.h"
#include "deployctl/gitsrc.h"
#include "deployctl/manifest.h"
#include "deployctl/reconcile.h"
#include "deployctl/source.h"

struct deploy_opts {
	const char *repo;      /* --repo, default "." */
	const char *ref;       /* --ref, default "HEAD" */
	const char *dir;       /* --dir: deploy an uncommitted directory instead */
	const char *manifests; /* --manifests, default "manifests" */
	const char *project;   /* --project */
#define DEPLOY_MAX_ENV_FILES 8
	const char *env_files[DEPLOY_MAX_ENV_FILES]; /* --env-file, repeatable; later wins */
	unsigned nenv_files;
	struct strv profiles;    /* --profile, repeatable; released by deploy_opts_release() */
	struct strv files;       /* -f/--file, repeatable: project files replacing discovery */
	bool adopt;              /* --adopt: take over containers another state database made */
	const char *host_dir;    /* --host-dir: where untracked relative bind sources live */
	const char *state_dir;   /* a state directory other than ctx's (watch: per project) */
	const char *docker_host; /* a Docker host other than ctx's */
	bool allow_empty;        /* --allow-empty: manifests without services remove them all */
	const char *target;      /* --target: "swarm" or "docker"; NULL: the manifests' */
};

struct deploy {
	struct manifest_vars vars;   /* --env-file files and the environment */
	bool dirty;                  /* the working tree has uncommitted manifest changes */
	bool from_snapshot;          /* the project was rebuilt from a release (rollback) */
	bool no_pull;                /* plan: never pull; images apply would pull go to pulls */
	struct strv pulls;           /* "image X: not present, apply will pull it", per image */
	bool adopt_foreign;          /* --adopt: foreign containers are replaced, not refused */
	struct store_identity owner; /* this state database (deploy_observe()) */
	bool *adopt;                 /* per container: foreign, to be taken over; NULL if none */
	const char *state_dir;       /* set by the caller before deploy_load (host_dir default) */
	struct strv env_profiles;    /* $COMPOSE_PROFILES, when no --profile is given */
	bool may_build;          /* apply: images with build: may be built (never plan, check) */
	bool json_events;        /* apply --json: pulls and builds are JSON events on stdout */
	char (*build_tags)[256]; /* per service: the tag that says "built from this context" */
	struct gitsrc *git;
	struct dirsrc *dirsrc;
	struct source src;
	const char *source_kind; /* "git" or "dir" */
	char *source_id;         /* commit SHA, or "dir:<sha256>" */
	char *ref;               /* what was asked for */
	struct project *project;
	char (*hashes)[HASH_HEX_LEN + 1];
	struct docker_container *containers;
	size_t ncontainers;
	struct docker_resource *networks;
	size_t nnetworks;
	struct docker_resource *volumes;
	size_t nvolumes;
	int64_t prev_release; /* latest release of the project, 0 if none */
	struct strv prev_services, prev_networks, prev_volumes;
	struct kvv network_ids; /* network key -> Docker ID, for creates */
	struct plan plan;
	struct deploy_swarm *swarm; /* target swarm: what deploy/swarm.c observed; else NULL */
};

void deploy_opts_release(struct deploy_opts *o);

/*
 * Load and validate the manifests (no printing): problems go to errs,
 * warnings to warns. A set that defines no service (enabled) is a problem
 * unless o->allow_empty: it would remove every service of the project. Returns 0; ERR_INVALID with
 * errs filled (or err set for a bad --env-file); or another code with err set (git, I/O).
 */
int deploy_load(struct deploy *dp, const struct deploy_opts *o, struct errlist *errs,
                struct errlist *warns, struct err *err);

/*
 * deploy_load(), printing the warnings and every error on stderr; returns
 * an exit status (EXIT_USAGE for a bad manifest).
 */
int deploy_load_print(struct deploy *dp, const struct deploy_opts *o);

/*
 * Everything before the first mutation: load and validate the manifests,
 * connect to Docker, resolve images, open the store, list containers (and
 * networks/volumes when the diff needs them), and diff. Errors are printed;
 * returns an enum exit_code. dp is released by deploy_release() in any case.
 */
int deploy_prepare(struct deploy *dp, struct ctx *ctx, const struct deploy_opts *o);
void deploy_release(struct deploy *dp);

/*
 * The second half of deploy_prepare(), for a dp whose project is already
 * loaded (from manifests, or from a release snapshot for rollback).
 */
int deploy_observe(struct deploy *dp, struct ctx *ctx);

/*
 * The reconcile_old_spec_fn of apply, plan and the watcher (arg: the struct
 * ctx): the redacted spec service had in release (its decimal id), from the
 * state database; *out new. ERR_NOTFOUND for a release that is no number.
 */
int deploy_old_spec(void *arg, char **out, const char *release, const char *service);

/*
 * plan: is the pull of image said already, by a service's note in dp->pulls
 * or by one of the first njobs jobs of dp->project (rollback jobs never pull
 * at apply)? So that the notes of jobs and smoke checks name it once.
 */
bool deploy_pull_noted(const struct deploy *dp, size_t njobs, const char *image);

/* How release_run() records and runs a prepared plan. */
struct release_opts {
	const char *kind;    /* "apply" or "rollback" */
	int64_t rollback_of; /* rollback: the release returned to */
	unsigned parallel;
	bool no_rollback; /* a failed gate leaves things as they are (debugging) */
	unsigned keep;    /* releases whose retained containers are kept; 0: 3 */
	bool json, quiet;
	double t0; /* clock_mono() when the command started */
};

/*
 * Run dp's plan as a recorded release: snapshot, actions gated on health,
 * automatic rollback on a failed gate, outcome, pruning of old retained
 * containers. With an empty plan, says "no changes" and records nothing.
 * Returns an exit status.
 */
int release_run(struct deploy *dp, struct ctx *ctx, const struct release_opts *ro);
/*
 * Who deploys: $DEPLOYCTL_USER, $SUDO_USER, the login name, $USER, or the
 * user of the process; new string.
 */
char *deploy_who(void);

/*
 * down (deploy/down.c): dp->project a new empty project named project,
 * dp's source, ref and prev_release those of the project's latest release
 * (none: empty), from_snapshot set. 0, or ERR_NOMEM / ERR_STORE with err set.
 */
int deploy_down_begin(struct deploy *dp, struct ctx *ctx, const char *project, struct err *err);

/*
 * A rollback pins the project: the commit it rolled back from is not
 * deployed again unless forced. Prints why apply refuses it and returns
 * EXIT_USAGE; else EXIT_OK. With cleared (apply), a pin on another commit
 * is cleared and *cleared is its release (0 if none); plan passes NULL:
 * it only says what apply would do.
 */
int deploy_check_pin(int64_t *cleared, struct ctx *ctx, const struct deploy *dp, bool force);

/*
 * Images of services with build: (deploy/build.c). deploy_build_refs points
 * refs[i] of each such service at its build tag ("<repo>:b-<build id>"), so
 * the one image list call finds an unchanged build; deploy_build_missing
 * builds the ones not found (dp->may_build; else a plan says what would be
 * built and hashes a placeholder ID), filling ids[i]. Returns an exit
 * status; a failed build is reported (step and output) and changes nothing.
 */
int deploy_build_refs(struct deploy *dp, const char **refs);
int deploy_build_missing(struct deploy *dp, struct ctx *ctx, char **ids);

/* Print the plan: human lines, or JSON. */
void deploy_print_plan(const struct deploy *dp, bool json, FILE *f);

#endif
