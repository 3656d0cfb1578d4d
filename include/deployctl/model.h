/*
 * model.h - the typed, resolved model of a project: what the manifests ask
 * for after parsing, merging, interpolation and env_file loading.
 *
 * One model serves everyone: manifest_ fills it, spec_ renders it to
 * canonical JSON (and back, for release snapshots), reconcile_ diffs two of
 * them, docker_ turns a service into a create body. All strings are owned by
 * the struct that holds them and freed by model_project_free().
 */
#ifndef DEPLOYCTL_MODEL_H
#define DEPLOYCTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A vector of owned strings. */
struct strv {
	char **v;
	size_t n;
};

/* An owned key/value pair; value is never NULL once in a model. */
struct kv {
	char *key;
	char *value;
};

/* A vector of pairs, kept sorted by key (strcmp) with unique keys. */
struct kvv {
	struct kv *v;
	size_t n;
};

/* Where a thing was written. file is borrowed from struct project.files. */
struct loc {
	const char *file;
	unsigned line; /* 1-based, 0 if unknown */
	unsigned col;
};

struct svc_port {
	char *host_ip;           /* "" for all interfaces */
	unsigned host_port;      /* 0: let Docker pick */
	unsigned host_port_end;  /* 0; or a range host_port..end Docker picks one port from */
	unsigned container_port; /* 1..65535 */
	char *protocol;          /* "tcp", "udp" or "sctp" */
	bool host_mode;          /* long syntax mode: host (Swarm: published on the task's node) */
};

enum mount_type { MOUNT_VOLUME = 0, MOUNT_BIND, MOUNT_TMPFS };

struct svc_mount {
	enum mount_type type;
	char *source; /* volume key in project.volumes (unprefixed), host path, or NULL (anonymous)
	               */
	char *target; /* absolute path in the container */
	bool read_only;
	/* Relative binds ("./conf/nginx.conf"): */
	char *rel;             /* the source as written; NULL for other mounts */
	char content_hash[65]; /* tracked in git: sha256 of the content (project.binds); else "" */
	bool host;             /* not tracked: source is a path under the project's host dir */
	bool no_create;        /* bind.create_host_path: false: a missing source is an error */
};

/*
 * A bind from git asked to be writable (content_hash set, read_only false)
 * mounts a copy of its own per spec the service is deployed with, i.e. per
 * release that changes it: <files dir>/rw/<spec hash, 16>-<content hash>.
 */
#define MODEL_BIND_COPY_FMT "%s/rw/%.16s-%s"

struct svc_network {
	char *name;          /* key in project.networks ("default" for the implicit one) */
	struct strv aliases; /* sorted */
	char *ipv4_address;  /* a fixed address on the network (its ipam subnet); NULL: any */
	char *ipv6_address;
};

enum dep_condition { DEP_STARTED = 0, DEP_HEALTHY, DEP_COMPLETED };

struct svc_dep {
	char *service;
	enum dep_condition condition;
	bool required; /* Compose's depends_on.required, default true */
};

struct svc_health {
	bool set;            /* a healthcheck key was given */
	bool disable;        /* disable: true, or test: ["NONE"] */
	struct strv test;    /* ["CMD", ...] or ["CMD-SHELL", "..."] */
	int64_t interval_ns; /* 0: Docker's default */
	int64_t timeout_ns;
	int64_t start_period_ns;
	int64_t start_interval_ns; /* read, not sent: Engine 1.41 lacks it; not hashed */
	int retries;               /* 0: Docker's default */
};

struct svc_logging {
	char *driver; /* NULL: daemon default */
	struct kvv options;
};

enum rollout_order { ROLLOUT_AUTO = 0, ROLLOUT_START_FIRST, ROLLOUT_STOP_FIRST };

/* x-deployctl.rollout: the top level is the default, a service's own wins. */
struct svc_rollout {
	int64_t timeout_ns;       /* 0: 60 s */
	enum rollout_order order; /* AUTO: stop-first when a host port is published */
	unsigned parallelism;     /* replicas replaced at once; 0: 1 */
	int64_t settle_ns;        /* without a healthcheck, running this long is up; -1: 500 ms */
	int64_t drain_ns; /* start-first: off the networks this long before the stop; -1: 3 s */
};

/* A config or secret a service mounts: service configs: / secrets: entries. */
struct svc_file_ref {
	char *source; /* key in project.configs / project.secrets */
	char *target; /* absolute path in the container (secrets default /run/secrets/<source>) */
	char *uid;    /* NULL: unset */
	char *gid;
	unsigned mode; /* 0: default (0444) */
	/* Filled from the top-level entry once loaded, so a spec snapshot is complete: */
	char content_hash[65]; /* sha256 hex of the content */
	char *host_file;       /* file secrets: the host path bind-mounted; else NULL */
};

/* One ulimits: entry; soft == hard for the single-number form. */
struct svc_ulimit {
	char *name;
	int64_t soft;
	int64_t hard;
};

/* build: the image made from a directory of the commit (not in the spec: image_id is). */
struct svc_build {
	char *context;     /* repository path of the context directory; NULL: no build */
	char *dockerfile;  /* relative to the context; NULL: "Dockerfile" */
	char *target;      /* NULL: the last stage */
	struct kvv args;   /* build args */
	struct kvv labels; /* image labels */
	char tree_id[41];  /* the context's git tree at the commit */
	char build_id[65]; /* sha256 over tree id, dockerfile, target, args, labels */
};

struct service {
	char *name;
	struct loc loc; /* of the key under services: */

	char *image;    /* reference as written (after interpolation) */
	char *image_id; /* "sha256:..." resolved locally; NULL until resolved */

	bool has_command, has_entrypoint; /* set even when the list is empty */
	struct strv command;
	struct strv entrypoint;

	struct kvv env;    /* env_file contents, then environment:, sorted */
	struct kvv labels; /* user labels, sorted */

	struct svc_port *ports;
	size_t nports;
	struct svc_mount *mounts; /* volumes:, in the order written */
	size_t nmounts;
	struct svc_network *networks; /* sorted by name; never empty after load */
	size_t nnetworks;
	struct svc_dep *deps; /* sorted by service */
	size_t ndeps;

	struct svc_health health;
	char *restart; /* "no", "always", "on-failure[:N]", "unless-stopped"; NULL: "no" */
	char *user;
	char *working_dir;
	char *hostname;
	struct strv extra_hosts; /* "host:ip", as written */
	struct strv cap_add;     /* sorted */
	struct strv cap_drop;    /* sorted */
	struct strv tmpfs;       /* "/path" or "/path:opts" */
	bool read_only;
	bool init;
	char *stop_signal;
	int64_t stop_grace_ns; /* -1: Docker's default */
	unsigned replicas;     /* deploy.replicas, default 1; 0 allowed */
	int64_t nano_cpus;     /* deploy.resources.limits.cpus * 1e9; 0: none */
	int64_t memory_bytes;  /* deploy.resources.limits.memory; 0: none */
	struct svc_logging logging;

	struct svc_file_ref *configs;
	size_t nconfigs;
	struct svc_file_ref *secrets;
	size_t nsecrets;
	char *pull_policy; /* "missing" (default when NULL), "always", "never" */

	/* Compose keys of issue 5; all default to zero / NULL / empty ("not set"). */
	char *container_name; /* fixed container name (then one replica only) */
	char *platform;       /* "linux/amd64" */
	char *network_mode;   /* "host", "none", "bridge", "service:NAME", "container:NAME";
	                       * when set, networks is empty */
	struct strv expose;   /* "80/tcp", ranges expanded, sorted, unique */
	struct kvv sysctls;
	bool stdin_open;
	bool tty;
	bool privileged;
	struct svc_ulimit *ulimits; /* sorted by name */
	size_t nulimits;
	struct strv security_opt; /* as written */
	char *pid;                /* "host", "service:NAME", "container:NAME" */
	char *ipc;                /* "host", "private", "shareable", "service:NAME", ... */
	struct strv devices;      /* "host:container:perms" (perms default "rwm") */
	struct strv dns;
	struct strv dns_search;
	struct strv dns_opt;
	int64_t shm_size;        /* bytes; 0: Docker's default */
	int64_t mem_reservation; /* bytes; 0: none */
	int64_t cpu_shares;      /* 0: Docker's default */
	struct strv group_add;
	char *domainname;
	char *runtime; /* OCI runtime (HostConfig.Runtime); NULL: the daemon's default */
	char *mac_address;
	int64_t oom_score_adj; /* -1000..1000 */
	int64_t pids_limit;    /* 0: unset; -1: unlimited */
	struct kvv storage_opt;
	struct strv volumes_from;   /* "service:NAME[:ro|:rw]" or "container:NAME[:ro|:rw]" */
	struct strv links;          /* "service:alias" as written ("svc" alone: "svc:svc") */
	struct strv external_links; /* "container:alias" */
	struct strv profiles;
	struct svc_rollout rollout; /* x-deployctl.rollout (lead) */
	/* Swarm only (x-deployctl.target: swarm); values normalised: durations in ns, as text. */
	char *deploy_mode;                 /* deploy.mode: "global"; NULL: replicated */
	struct strv placement_constraints; /* deploy.placement.constraints, as written */
	struct strv placement_prefs;       /* deploy.placement.preferences: spread descriptors */
	char *endpoint_mode;               /* deploy.endpoint_mode: "dnsrr"; NULL: vip */
	struct kvv update_config;          /* deploy.update_config: key -> value */
	struct kvv rollback_config;        /* deploy.rollback_config */
	struct kvv restart_policy;         /* deploy.restart_policy */
	char *repo_digest; /* "name@sha256:..." when known (pulled, or from a snapshot); not hashed
	                    */
	/*
	 * Secrets known by where a value came from, not by its key's name
	 * (model_secret.h): filled by manifest_ once every file is loaded, or
	 * by rollback from the snapshot. Not hashed.
	 */
	struct kvv env_from;        /* env key -> "VAR,VAR": variables interpolated into it */
	struct kvv label_from;      /* the same for labels */
	struct strv secret_env;     /* env keys interpolated from a secret variable, sorted */
	struct strv secret_labels;  /* label keys interpolated from a secret variable, sorted */
	struct strv secret_parts;   /* the values of those variables, hidden inside the values */
	struct strv vars_elsewhere; /* variables interpolated into other keys (command, ...) */
	bool secret_elsewhere;  /* one of them is secret: other fields are scrubbed when stored */
	struct strv redacted;   /* a snapshot parsed back: the fields so scrubbed ("command") */
	struct svc_build build; /* build: (image is then its tag: image: or <project>-<service>) */
};

/* One ipam.config entry of a network. */
struct net_ipam {
	char *subnet;
	char *gateway;  /* NULL: Docker picks */
	char *ip_range; /* NULL: the whole subnet */
};

/*
 * A project's top-level resources beside its services: networks: and
 * volumes:. The two kinds share one type, one loader, one Docker module and
 * one diff (a table row per kind says where they differ).
 */
enum res_kind { RES_NETWORK, RES_VOLUME, RES__COUNT };

/* A top-level network or volume: the fields both kinds have, then a network's own. */
struct project_resource {
	char *name; /* key under networks: or volumes: */
	struct loc loc;
	char *driver; /* NULL: bridge (networks), local (volumes) */
	bool external;
	char *external_name; /* name: (the Docker name, external or not); else NULL */
	struct kvv labels;
	/* networks only */
	char *ipam_driver;     /* NULL: default */
	struct net_ipam *ipam; /* ipam.config: fixed subnets */
	size_t nipam;
	bool enable_ipv6;
	bool internal;
};

/*
 * A top-level config or secret. Configs come from a file inside the
 * repository, read from git at the release's commit (content kept here);
 * secrets from a host file outside the repository or an environment
 * variable. content_hash is sha256 hex of the content, in every case.
 */
struct project_file {
	char *name;
	struct loc loc;
	char *file;        /* configs: repository-relative path; secrets: absolute host path */
	char *environment; /* secrets: the variable whose value is the content; else NULL */
	char *content;     /* configs and environment secrets: the bytes; file secrets: NULL */
	size_t content_len;
	char content_hash[65];
	bool external;
	struct strv content_vars; /* configs' content:, the variables interpolated into it */
};

/* One x-deployctl.env rule: checks on an environment variable's value. */
struct env_rule {
	char *key;
	struct loc loc;
	bool required;
	long min_length;         /* -1: none */
	long max_length;         /* -1: none */
	char *pattern;           /* POSIX extended regex, anchored by the writer; NULL: none */
	bool url;                /* value must be a URL */
	struct strv url_schemes; /* allowed schemes when url; empty: any */
	struct strv one_of;      /* allowed values; empty: any */
};

/* One file of a bind mount's content from git (a file, or a file under a directory). */
struct bind_file {
	char *path; /* inside the bound directory; NULL when the bind is this one file */
	char *content;
	size_t len;
	bool exec;
};

/* The content of a bind mount tracked in git, materialised as <files>/<content_hash>. */
struct project_bind {
	char content_hash[65];
	bool dir;
	struct bind_file *files;
	size_t nfiles;
};

/*
 * One x-deployctl.tls entry: a certificate the project serves, checked by
 * "deployctl check" (parses, not expired, matches key, covers names).
 */
struct project_tls {
	struct loc loc;
	char *cert; /* host path as written: absolute, or relative to the manifest's directory */
	char *key;  /* the private key's host path, or NULL */
	struct strv names; /* host names the certificate must cover */
};

/*
 * One x-deployctl.jobs entry: a one-off container run to completion at a
 * phase of a release (issue 12). svc holds what it shares with a service
 * (name, image, command, entrypoint, env, volumes, networks, configs,
 * secrets, user, working_dir); it is never diffed or hashed.
 */
enum job_phase { JOB_BEFORE = 0, JOB_AFTER_DEPENDENCIES, JOB_AFTER, JOB_ROLLBACK };
#define JOB_TIMEOUT_DEFAULT_NS (300LL * 1000000000LL)

struct project_job {
	struct service svc;
	enum job_phase phase;
	struct strv needs;  /* after_dependencies: services that must be up, sorted */
	int64_t timeout_ns; /* 0: JOB_TIMEOUT_DEFAULT_NS */
	char *artifact;     /* as written after interpolation ($DEPLOYCTL_* still in it); or NULL */
	bool irreversible;  /* rolling back past a release that ran it needs --force */
};

/* "before", "after_dependencies", "after", "rollback". */
const char *model_job_phase_name(enum job_phase ph);
/* The phase named s; -1 if none. */
int model_job_phase_parse(const char *s);

struct smoke_check;
struct notify_target;

struct project {
	char *name;               /* Compose project name: [a-z0-9][a-z0-9_-]* */
	struct service *services; /* sorted by name */
	size_t nservices;
	struct project_resource *networks; /* sorted; includes "default" when used */
	size_t nnetworks;
	struct project_resource *volumes; /* sorted */
	size_t nvolumes;
	struct strv secret_keys;      /* x-deployctl.secrets: env keys that are secret */
	struct project_file *configs; /* sorted by name */
	size_t nconfigs;
	struct project_file *secrets; /* sorted by name */
	size_t nsecrets;
	struct env_rule *env_rules; /* x-deployctl.env, sorted by key */
	size_t nenv_rules;
	struct strv files;          /* manifest file names; struct loc points into these */
	struct project_bind *binds; /* contents of tracked relative binds, unique by hash */
	size_t nbinds;
	char *host_dir; /* x-deployctl.host_dir; after deploy_load the absolute host directory */
	char *dotenv;   /* the project directory's .env (repository path), or NULL */
	struct project_tls *tls; /* x-deployctl.tls, in manifest order */
	size_t ntls;
	struct strv dotenv_keys;  /* the keys that .env sets, sorted */
	char *target;             /* x-deployctl.target or --target: "swarm"; NULL: containers */
	struct project_job *jobs; /* x-deployctl.jobs, sorted by name */
	size_t njobs;
	struct smoke_check *smoke; /* x-deployctl.smoke, in manifest order (smoke.h) */
	size_t nsmoke;
	struct notify_target *notify; /* x-deployctl.notify, in manifest order (smoke.h) */
	size_t nnotify;
	char *smoke_image; /* x-deployctl.smoke_image: in-network checks' default image */
};

void strv_free(struct strv *s);
/* Append a copy of str; 0 or ERR_NOMEM. */
int strv_push(struct strv *s, const char *str);
void strv_sort(struct strv *s);
/* The same strings in the same order. */
bool strv_equal(const struct strv *a, const struct strv *b);

void kvv_free(struct kvv *k);
/* Set key to a copy of value, replacing an existing key; keeps order. 0 or ERR_NOMEM. */
int kvv_set(struct kvv *k, const char *key, const char *value);
/* Borrowed value for key, or NULL. */
const char *kvv_get(const struct kvv *k, const char *key);

void model_service_release(struct service *s);
void model_project_release(struct project *p);
/* Free p and its contents; accepts NULL. */
void model_project_free(struct project *p);

/* Borrowed service by name, or NULL. */
const struct service *model_service_find(const struct project *p, const char *name);
/* The first fixed host port s publishes (two containers of s cannot both bind it), or 0. */
unsigned model_service_fixed_host_port(const struct service *s);
/* Borrowed job by name, or NULL. */
const struct project_job *model_job_find(const struct project *p, const char *name);
void model_job_release(struct project_job *j);
/* "network" or "volume" (the type column of release_resources). */
const char *model_res_noun(enum res_kind k);
/* The kind whose noun is noun, or -1. */
int model_res_kind(const char *noun);
/* Where p keeps its resources of kind k, for code that builds them: *v the array, *n the count. */
void model_resources_slot(struct project *p, enum res_kind k, struct project_resource ***v,
                          size_t **n);
/* Borrowed: the project's resources of kind k (p->networks or p->volumes), their count in *n. */
const struct project_resource *model_resources(const struct project *p, enum res_kind k, size_t *n);
/* Borrowed resource of kind k called name, or NULL. */
const struct project_resource *model_res_find(const struct project *p, enum res_kind k,
                                              const char *name);
void model_res_release(struct project_resource *r);
/* Borrowed config or secret called name among v[0..n) (p->configs, p->secrets), or NULL. */
const struct project_file *model_file_find(const struct project_file *v, size_t n,
                                           const char *name);

/*
 * Docker-side names, new strings (free()), NULL on allocation failure:
 * networks "<project>_<key>" (external: its name: or the key), volumes the
 * same, containers "<project>-<service>-<replica>" (replica from 1), or the
 * service's container_name when it has one (found by name in p).
 */
char *model_res_docker_name(const struct project *p, enum res_kind k, const char *key);
char *model_container_name(const struct project *p, const char *service, unsigned replica);

/*
 * Is this env key secret? True when listed in x-deployctl.secrets or when its
 * upper-cased name contains SECRET, PASSWORD, PASSWD, TOKEN or KEY.
 */
bool model_env_is_secret(const struct project *p, const char *key);

/*
 * The fields of struct service that the canonical spec carries, one row
 * each (controller/model/service_fields.c): spec.c renders and parses them
 * by this table, model_service_release() frees the owned ones, and the
 * reasons name them by it. A new field is a row; an SVC_CUSTOM row also
 * has its render/parse pair in spec.c (test_spec checks both sides agree).
 */
enum svc_kind { SVC_STR, SVC_STRV, SVC_KVV, SVC_BOOL, SVC_INT, SVC_CUSTOM };

/* In the spec only when not zero or empty: keys added after the first release. */
#define SVC_SPARSE 0x1u
/* SVC_STR: rendered "" when NULL, and a spec without it is refused. */
#define SVC_REQUIRED 0x2u

struct svc_field {
	const char *key;     /* in the canonical spec JSON */
	const char *compose; /* the Compose key that reasons name, when it is not key */
	enum svc_kind kind;
	unsigned flags;
	size_t offset;    /* of the member in struct service (not SVC_CUSTOM) */
	int64_t min, max; /* SVC_INT: accepted range (rendered values below min as min) */
	const char *dflt; /* SVC_STR: rendered when NULL ("no" for restart) */
};

extern const struct svc_field model_svc_fields[];
extern const size_t model_svc_nfields;

/* The row of a spec key, or NULL. */
const struct svc_field *model_svc_field(const char *key);

#endif
