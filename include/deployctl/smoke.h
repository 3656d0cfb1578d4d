/*
 * smoke.h - what a release checks and tells once it has rolled out, as the
 * project model holds it: x-deployctl.smoke (HTTP checks against the
 * deployed stack) and x-deployctl.notify (webhooks or a command told of
 * the release's outcome). Read by manifest/manifest_smoke.c, recorded with
 * each release by store/store_smoke.c, run by deploy/smoke.c and
 * deploy/notify.c. Freed with the project (model_smoke_release()).
 */
#ifndef DEPLOYCTL_SMOKE_H
#define DEPLOYCTL_SMOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/model.h"

/* Bounds of a check (docs/smoke.md). */
#define SMOKE_MAX_CHECKS      64
#define SMOKE_MAX_ATTEMPTS    30
#define SMOKE_MAX_TIMEOUT_NS  (60LL * 1000000000LL)
#define SMOKE_MAX_INTERVAL_NS (60LL * 1000000000LL)
#define NOTIFY_MAX_TARGETS    16
/* The HTTP client image of an in-network check without image: or x-deployctl.smoke_image. */
#define SMOKE_IMAGE_DEFAULT "curlimages/curl:8.11.1"

struct smoke_check {
	struct loc loc;     /* the entry */
	struct loc url_loc; /* its url: value */
	struct loc net_loc; /* its service: (or network:) value */
	char *name;
	char *url;    /* interpolated: http(s)://127.0.0.1|localhost:PORT/..., or in-network
	               * http(s)://SERVICE:PORT/... (built from service:, port:, path:) */
	char *method; /* "GET" unless set */
	int64_t expect_status;
	char *body_contains; /* or NULL */
	char *header;        /* "Name: value" expected in the response, or NULL */
	int64_t timeout_ns;  /* one attempt */
	int64_t retries;     /* attempts, at least 1 */
	int64_t interval_ns; /* between attempts */
	/*
	 * In-network checks (service: or network:, for a service that publishes
	 * no port): each attempt is a one-off container of image on network,
	 * running `curl -sS -i --max-time N URL` (deploy/smoke_net.c). NULL
	 * network: the check runs on this host.
	 */
	char *service; /* the service checked (service:), or NULL */
	char *network; /* the project network key the container joins */
	char *image;   /* image:, x-deployctl.smoke_image, or SMOKE_IMAGE_DEFAULT */
	char *path;    /* path: (with service: and port:, the URL's path); load only */
	int64_t port;  /* port: (with service:); load only */
};

enum notify_format { NOTIFY_SLACK = 0, NOTIFY_JSON, NOTIFY_COMMAND };

/* The outcomes a target is told of. */
enum notify_on {
	NOTIFY_ON_SUCCEEDED = 1 << 0,
	NOTIFY_ON_FAILED = 1 << 1,
	NOTIFY_ON_ROLLED_BACK = 1 << 2,
	NOTIFY_ON_INTERRUPTED = 1 << 3,
	NOTIFY_ON_ALL = 0xf,
};

struct notify_target {
	struct loc loc;
	/* Where the URL is: never the URL itself, which is a credential. */
	char *url_env;       /* a variable of the env files or the environment */
	char *url_file;      /* a host file holding it */
	struct strv command; /* NOTIFY_COMMAND: argv, the payload on its stdin */
	enum notify_format format;
	unsigned on; /* enum notify_on bits */
};

/* What one check did (deploy/smoke.c), as recorded with the release. */
struct smoke_result {
	/*
	 * Set by the caller before smoke_run(), with reason: the check fails
	 * without a request (on demand, a check whose recorded text holds a
	 * scrubbed secret).
	 */
	bool not_run;
	bool ran;
	bool passed;
	long status;       /* the last response's status, 0 if none came */
	unsigned attempts; /* requests made */
	double duration_s; /* from the first request to the verdict */
	char reason[512];  /* why it failed (scrubbed); "" when it passed */
};

/* What telling one target did (deploy/notify.c). */
struct notify_result {
	const char *event;   /* the release's status it was told of */
	const char *outcome; /* "sent", "failed" or "skipped" (not for this outcome; no URL) */
	unsigned attempts;
	double duration_s;
	char detail[512]; /* HTTP status or why not (scrubbed) */
};

/* Free the smoke checks and notify targets of p. */
void model_smoke_release(struct project *p);

/* "slack", "json", "command"; and back (-1 when unknown). */
const char *notify_format_name(enum notify_format f);
int notify_format_parse(const char *s);
/* The bit of a release status name ("succeeded", ...), 0 when none. */
unsigned notify_on_bit(const char *status);
/* "succeeded,failed,..." of bits into out (size >= 64). Returns out. */
const char *notify_on_format(char *out, size_t size, unsigned bits);
/* The reverse of notify_on_format; unknown words are ignored. */
unsigned notify_on_parse(const char *s);

#endif
