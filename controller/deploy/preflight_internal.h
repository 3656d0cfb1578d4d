/*
 * preflight_internal.h - what the preflight files share: one run of the
 * checks, how an item is added (preflight_item.c), and the checks each file
 * gives preflight.c's check_run(). Not for use outside deploy/.
 */
#ifndef DEPLOYCTL_PREFLIGHT_INTERNAL_H
#define DEPLOYCTL_PREFLIGHT_INTERNAL_H

#include <stdbool.h>

#include "deployctl/check.h"
#include "deployctl/docker.h"

enum status { ST_OK, ST_WARN, ST_FAIL };

/* What the checks share during one run. */
struct run {
	struct check_report *r;
	struct ctx *ctx;
	struct deploy *dp;
	const struct deploy_opts *o;
	unsigned flags;
	struct docker_info info;
	bool docker_ok;
	bool loaded; /* dp->project is usable */
	int rc;      /* ERR_NOMEM once an item could not be added */
};

/* Append one item (message printf-style, at most 4 KiB); sets run->rc on ERR_NOMEM. */
void preflight_item_add(struct run *run, const char *name, enum status st, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* A struct err as an item, location first. */
void preflight_item_err(struct run *run, const char *name, enum status st, const struct err *e);
/* Every error of l as an item. */
void preflight_add_list(struct run *run, const char *name, enum status st, const struct errlist *l);
/* "12.3 GiB" */
void preflight_human_size(char *out, size_t size, uint64_t bytes);

/* The "env", "dotenv" and "env-file" items (preflight_env.c). */
void preflight_env_rules(struct run *run);
void preflight_dotenv(struct run *run);
void preflight_env_files(struct run *run);
/* The "ports" items (preflight_ports.c). */
void preflight_ports(struct run *run);
/* The "files", "state" and "disk" items (preflight_host.c). */
void preflight_files(struct run *run);
void preflight_state(struct run *run);
void preflight_disk(struct run *run);

/*
 * The "tls" items (preflight_tls.c): every certificate listed in
 * x-deployctl.tls or mounted by a service (configs, secrets, bind mounts
 * with a .pem/.crt/.cer/.key file, or a bind-mounted directory holding
 * them), one item per certificate, checked at unix time now.
 */
void preflight_tls(struct run *run, int64_t now);

/*
 * The "images" items of job and in-network smoke check images, "notify"
 * and "smoke" (preflight_release.c); not in apply's preflight.
 */
void preflight_release(struct run *run);

/* preflight_swarm.c: a Swarm target needs a manager. */
void preflight_swarm(struct run *run);

#endif
