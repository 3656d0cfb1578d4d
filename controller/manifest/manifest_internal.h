/*
 * manifest_internal.h - internal to the manifest module (controller/manifest/),
 * from the bottom up: the scalar and reporting helpers and the loop over a
 * collection (manifest_scalar.c), the key table reader (manifest_table.c),
 * the service key table (manifest_keys.c) and the readers of keys with
 * their own shape (manifest_service*.c), configs and secrets
 * (manifest_files.c), extends (manifest_extends.c), the cross-reference
 * checks (manifest_check.c), and the build context they share with the
 * loader on top (manifest.c). Nothing outside the module includes it.
 */
#ifndef DEPLOYCTL_MANIFEST_INTERNAL_H
#define DEPLOYCTL_MANIFEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deployctl/buf.h"
#include "deployctl/err.h"
#include "deployctl/manifest.h"
#include "deployctl/model.h"
#include "deployctl/source.h"
#include "manifest_node.h"

/* Limits on what one project may hold. */
#define MANIFEST_MAX_SERVICES 1000
#define MANIFEST_MAX_TOTAL    (16u << 20) /* bytes of all project files of one project */
#define MANIFEST_MAX_PORTS    4096        /* per service, after range expansion */
#define MANIFEST_PATH_MAX     256         /* key paths in messages are cut beyond this */
/*
 * Bytes that extends (the base's scalars, per service extending it) and
 * env_file (each file, per service reading it) copy into a project's
 * services, all together: a few lines must not become gigabytes of model.
 */
#define MANIFEST_MAX_COPIED (64u << 20)

/* A reference from a service to something checked once everything is loaded. */
enum manifest_ref_kind {
	MANIFEST_REF_DEP = 0,   /* depends_on entry: name is the target service */
	MANIFEST_REF_DEPS,      /* the depends_on key itself (where cycles are reported) */
	MANIFEST_REF_NETWORK,   /* networks entry: name is the network key */
	MANIFEST_REF_VOLUME,    /* named volume source: name is the volume key */
	MANIFEST_REF_PORT,      /* ports entry: index is the first svc_port it produced */
	MANIFEST_REF_LINK,      /* links entry: name is the linked service, alias its alias */
	MANIFEST_REF_CONFIG,    /* configs entry: name is the top-level config */
	MANIFEST_REF_SECRET,    /* secrets entry: name is the top-level secret */
	MANIFEST_REF_JOB_NEEDS, /* x-deployctl.jobs.<job>.needs entry: name is the service */
};

struct manifest_ref {
	enum manifest_ref_kind kind;
	char *service; /* the service holding the reference */
	char *name;    /* NULL for MANIFEST_REF_PORT / MANIFEST_REF_DEPS */
	char *path;    /* key path for messages, "services.web.depends_on[0]" */
	struct loc loc;
	size_t index; /* MANIFEST_REF_PORT: first port index; count in nports */
	size_t nports;
	char *alias; /* MANIFEST_REF_LINK: the alias; else NULL */
};

/* A manifest file's tree, or another file read for extends: {file: ...}. */
struct manifest_tree {
	char *name; /* borrowed (project files) or owned (extends files), as owned says */
	struct mnode *root;
	bool owned;
};

/* The variables an included file is interpolated with (manifest_include_opts.c). */
struct manifest_incvars {
	char *file;
	struct kvv vars;
};

struct manifest_ctx {
	struct project *p;
	const struct source *src; /* may be NULL: env_file is then an error */
	const struct kvv *vars;   /* never NULL (an empty kvv when none given) */
	struct errlist *errs;
	struct errlist *warns; /* may be NULL */
	int fatal;             /* first failure that is not the input's fault (NOMEM, IO, GIT) */
	struct manifest_ref *refs;
	size_t nrefs;
	const struct strv *profiles;      /* active profiles; may be NULL */
	struct kvv disabled;              /* services left out by profiles -> their profiles */
	struct kvv dirs;                  /* file -> its project directory, when not its own */
	struct manifest_incvars *incvars; /* included files' variables (env_file) */
	size_t nincvars;
	struct manifest_tree *trees; /* every manifest, then files read for extends */
	size_t ntrees;
	size_t nmanifests;    /* trees[0..nmanifests) are the manifest files */
	size_t nproject;      /* of which [0..nproject) are not included ones */
	struct strv warned;   /* variables already warned about as not set */
	struct mnode **spare; /* files listed but not parts: named by extends or include: */
	size_t nspare;
	struct svc_rollout rollout;          /* top-level x-deployctl.rollout, when rollout_n */
	const struct mnode *rollout_n;       /* where it is set (borrowed from trees); NULL: not */
	const struct mnode *rollout_order_n; /* its order: key, or NULL */
	/*
	 * Where a value came from, so one interpolated from a secret variable
	 * is secret too: while from is set, manifest_pairs() and environment:
	 * record under each key the variables that went into its value.
	 */
	struct kvv *from;
	struct strv *used_vars; /* manifest_string() appends to it when set */
	size_t copied;          /* bytes charged against MANIFEST_MAX_COPIED */
};

/* Add "<path>: <message>" at n's position (or at no position when n is NULL). */
void manifest_error(struct manifest_ctx *c, const struct mnode *n, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void manifest_warn(struct manifest_ctx *c, const struct mnode *n, const char *path, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
/* Record an allocation failure (reported once). Returns ERR_NOMEM. */
int manifest_nomem(struct manifest_ctx *c);
/*
 * Charge bytes that what ("extends", "env_file") copies into the project
 * against MANIFEST_MAX_COPIED; past it, an error at n. 0 or ERR_INVALID.
 */
int manifest_charge(struct manifest_ctx *c, const struct mnode *n, const char *path,
                    const char *what, size_t bytes);

/* "base.key" / "base[i]" into out (cut at size). Returns out. */
const char *manifest_path_key(char *out, size_t size, const char *base, const char *key);
const char *manifest_path_index(char *out, size_t size, const char *base, size_t i);

/*
 * Quote n's text as written in the file (never the interpolated value), cut
 * to a readable length with control characters replaced, for messages.
 */
const char *manifest_quote(char *out, size_t size, const struct mnode *n);

/* Report "expected a <want>, got a <type>" unless n has that type. 0 or ERR_INVALID. */
int manifest_expect(struct manifest_ctx *c, const struct mnode *n, enum mnode_type want,
                    const char *path);

/*
 * When c->from is set: remember under key the variables in used ("A,B";
 * "" for none, replacing what an earlier value of key recorded). used is
 * released. 0 or ERR_NOMEM.
 */
int manifest_note_from(struct manifest_ctx *c, const char *key, struct strv *used);

/*
 * After every file is loaded (x-deployctl.secrets is known): each env key
 * and label whose value was interpolated from a secret variable
 * (model_env_is_secret() of the variable's name) joins s->secret_env or
 * s->secret_labels, and the variable's value s->secret_parts. 0 or ERR_NOMEM.
 */
int manifest_mark_interpolated_secrets(struct manifest_ctx *c);

/*
 * A scalar's value after interpolation; *out is new. Null, sequences and
 * mappings are errors. Errors are reported; returns 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_string(struct manifest_ctx *c, char **out, const struct mnode *n, const char *path);
/* true/false (also True/TRUE/False/FALSE), after interpolation. */
int manifest_bool(struct manifest_ctx *c, bool *out, const struct mnode *n, const char *path);
/* A decimal integer in [0, max], after interpolation. */
int manifest_uint(struct manifest_ctx *c, uint64_t *out, const struct mnode *n, const char *path,
                  uint64_t max);
/* A Compose duration ("1m30s"), after interpolation. */
int manifest_duration(struct manifest_ctx *c, int64_t *out, const struct mnode *n,
                      const char *path);
/*
 * A list of strings (or, with allow_single, one string) appended to out.
 * Every item is reported on its own; returns 0 or the first failure.
 */
int manifest_strings(struct manifest_ctx *c, struct strv *out, const struct mnode *n,
                     const char *path, bool allow_single);
/*
 * labels-style pairs: a mapping (null and scalar values; null -> "") or a
 * list of "key=value" ("key" alone -> ""), into out.
 */
int manifest_pairs(struct manifest_ctx *c, struct kvv *out, const struct mnode *n,
                   const char *path);

/*
 * The loop over a collection (manifest_scalar.c). manifest_each_item()
 * expects a sequence at path and calls fn for each item with its path
 * ("path[i]"); manifest_each_entry() expects a mapping and calls fn for
 * each entry (its key node and value) with its path ("path.key"). Every
 * call runs (so every problem is reported) but ERR_NOMEM ends the walk at
 * once; returns 0 or the first failure.
 */
typedef int (*manifest_item_fn)(struct manifest_ctx *c, void *arg, const struct mnode *item,
                                const char *path);
typedef int (*manifest_entry_fn)(struct manifest_ctx *c, void *arg, const struct mnode *key,
                                 const struct mnode *val, const char *path);
int manifest_each_item(struct manifest_ctx *c, const struct mnode *v, const char *path,
                       manifest_item_fn fn, void *arg);
int manifest_each_entry(struct manifest_ctx *c, const struct mnode *v, const char *path,
                        manifest_entry_fn fn, void *arg);
/* Either form: a mapping by fn_entry, a sequence by fn_item ("expected a mapping or a sequence").
 */
int manifest_each(struct manifest_ctx *c, const struct mnode *v, const char *path,
                  manifest_entry_fn fn_entry, manifest_item_fn fn_item, void *arg);

/* Remember a reference for manifest_check(). Takes nothing; copies the strings. */
int manifest_ref_add(struct manifest_ctx *c, enum manifest_ref_kind kind, const char *service,
                     const char *name, const char *path, const struct mnode *n);

/* Is name a valid service / network / volume key: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool manifest_name_ok(const char *name);

/*
 * A scalar's value (as manifest_string) into *dst, freeing what *dst held;
 * on failure *dst is left alone. 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_set_string(struct manifest_ctx *c, char **dst, const struct mnode *v,
                        const char *path);

/*
 * Service keys parsed in manifest_service_net.c, called from the key table in
 * manifest_service.c. Each reads the value v of services.<name>.<key> (path)
 * into s, reports every problem and returns 0 or the first failure
 * (ERR_INVALID, or ERR_NOMEM at once).
 *   ports:    short ("[ip:][host[-hi]:]cont[-hi][/proto]") and long forms
 *             onto s->ports (ranges expanded), with a MANIFEST_REF_PORT each.
 *   volumes:  short ("[src:]target[:ro|rw]") and long forms onto s->mounts,
 *             with a MANIFEST_REF_VOLUME for each named volume.
 *   tmpfs:    a path or a list of absolute paths onto s->tmpfs.
 *   networks: a list of names or a mapping of name -> {aliases} onto
 *             s->networks, with a MANIFEST_REF_NETWORK each.
 */
int manifest_key_ports(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path);
int manifest_key_volumes(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                         const char *path);
int manifest_key_tmpfs(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                       const char *path);
int manifest_key_networks(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                          const char *path);
/* Append a mount to s (copies the strings). 0 or ERR_NOMEM. */
int manifest_mount_add(struct manifest_ctx *c, struct service *s, enum mount_type type,
                       const char *source, const char *target, bool ro);
/*
 * A bind whose source is relative (rel, to v's file) (manifest_binds.c): a
 * path tracked at the commit becomes a read-only mount of its content
 * (project.binds, hashed into the spec); an untracked one a path under the
 * project's host directory (svc_mount.host); with a directory source, the
 * path under that directory. 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_bind_relative(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                           const char *path, const char *rel, const char *target, bool ro);

/*
 * Add network name to s (name checked, duplicates refused) and remember the
 * reference; *out is then the new entry (borrowed from s), else NULL.
 * at and path place the messages.
 */
int manifest_network_add(struct manifest_ctx *c, struct service *s, const struct mnode *at,
                         const char *path, const char *name, struct svc_network **out);

/* One service key's reader: v is the value of services.<name>.<key> at path. */
typedef int (*manifest_key_fn)(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                               const char *path);

/*
 * The service keys (manifest_keys.c): one row per Compose key. The plain
 * kinds are read by manifest_read_key() into the field at offset of
 * struct service; MK_CUSTOM rows name their reader.
 */
enum manifest_key_kind {
	MK_STRING = 0, /* char *; valid() accepts the value, else "<what> "v": <hint>" */
	MK_BOOL,       /* bool */
	MK_DURATION,   /* int64_t nanoseconds */
	MK_BYTES,      /* int64_t bytes ("512m") */
	MK_INT,        /* int64_t in [min, max] */
	MK_STRINGS,    /* struct strv */
	MK_PAIRS,      /* struct kvv: a mapping or a list of "key=value" */
	MK_MAP,        /* a nested mapping read by the table sub */
	MK_CUSTOM,     /* fn reads it (tables read into a struct service only) */
	MK_FIELD,      /* field reads it into the field at offset (any struct) */
	MK_SKIP,       /* accepted and not kept (descriptive only) */
	MK_LATER,      /* read before or after the key loop (extends, env_file, ...) */
	MK_IGNORED,    /* warned about with why */
	MK_REFUSED,    /* an error with why */
};

enum manifest_key_flags {
	MKF_SINGLE = 1 << 0,   /* MK_STRINGS: one string is a list of one */
	MKF_SORT = 1 << 1,     /* MK_STRINGS: order has no meaning; sorted */
	MKF_MAP = 1 << 2,      /* MK_PAIRS: the mapping form only */
	MKF_NULL_OK = 1 << 3,  /* MK_PAIRS: null is an empty set */
	MKF_DROP_BAD = 1 << 4, /* MK_STRING: an invalid value is dropped, not kept */
	MKF_FROM = 1 << 5,     /* MK_PAIRS (labels): note where each value came from */
	MKF_WARN = 1 << 8,     /* once read, warned about with why (at the key) */
	MKF_EMPTY_OK = 1 << 9, /* MK_STRING: "" (an unset ${VAR:-}) is the key left out */
	/*
	 * On a table's NULL row, what manifest_read_map() does with the whole
	 * map: MKF_NULL_OK, null is an empty map; MKF_NO_EXT, x- keys are
	 * unknown here too; MKF_FIRST, the first failing key ends the read.
	 * The NULL row's why, when set, is the error for a key not in the
	 * table (at the key's own path) instead of "unknown key"; else its
	 * what and hint make it "unknown <what> 'k'<hint>" (what: "key").
	 */
	MKF_NO_EXT = 1 << 6,
	MKF_FIRST = 1 << 7,
};

struct manifest_key;
struct manifest_render;

/*
 * An MK_FIELD row's reader: v (the value of key, at path) into field, the
 * row's field in the struct being read; k is the row (its min, max, what
 * and hint are the reader's to use). Problems are reported; 0,
 * ERR_INVALID or ERR_NOMEM.
 */
typedef int (*manifest_field_fn)(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                                 const struct mnode *key, const struct mnode *v, const char *path);

/*
 * A service key's renderer for `deployctl config` (manifest_render_keys.c): adds
 * key k of s to the mapping map, or nothing when it is unset. Allocation
 * failures are recorded in r.
 */
typedef void (*manifest_render_fn)(struct manifest_render *r, struct mnode *map,
                                   const struct service *s, const struct manifest_key *k);

struct manifest_key {
	const char *key; /* NULL ends a table */
	enum manifest_key_kind kind;
	size_t offset; /* of the field in struct service */
	manifest_key_fn fn;
	manifest_field_fn field; /* MK_FIELD */
	bool (*valid)(const char *value);
	const char *what, *hint;        /* MK_STRING: the message when valid() refuses */
	const char *why;                /* MK_IGNORED, MK_REFUSED */
	int64_t min, max;               /* MK_INT */
	unsigned flags;                 /* enum manifest_key_flags */
	const struct manifest_key *sub; /* MK_MAP */
	manifest_render_fn render;      /* NULL: rendered from offset as kind says */
};

/* The table of services.<name> keys (borrowed, NULL-terminated; manifest_keys.c). */
const struct manifest_key *manifest_service_keys(void);
/* The row for key in table, or NULL (this and the readers below: manifest_table.c). */
const struct manifest_key *manifest_key_find(const struct manifest_key *table, const char *key);
/*
 * Read v (the value of key, at path) into obj (a struct service, or the
 * struct whose fields the table's offsets name) as row k says; every
 * problem is reported. 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_read_key(struct manifest_ctx *c, const struct manifest_key *k, void *obj,
                      const struct mnode *key, const struct mnode *v, const char *path);
/*
 * Read the mapping v by table into obj: each key by its row, x- keys
 * skipped, any other key an error ("unknown key"); the table's NULL row
 * may say otherwise (enum manifest_key_flags). 0 or the first failure.
 */
int manifest_read_map(struct manifest_ctx *c, const struct manifest_key *table, void *obj,
                      const struct mnode *v, const char *path);
/*
 * MK_FIELD readers shared by the service table and deploy.resources
 * (manifest_service.c): a number of CPUs into the nano CPUs at field, and a
 * size into the bytes at field, each agreeing with the key k->what names
 * (manifest_agree()); a cpus row without what only checks the value.
 */
int manifest_read_cpus(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                       const struct mnode *key, const struct mnode *v, const char *path);
int manifest_read_size_agreed(struct manifest_ctx *c, void *field, const struct manifest_key *k,
                              const struct mnode *key, const struct mnode *v, const char *path);
/* A decimal integer in [min, max] (sign allowed), after interpolation. */
int manifest_int(struct manifest_ctx *c, int64_t *out, const struct mnode *v, const char *path,
                 int64_t min, int64_t max);
/* A size ("512m", "1g") after interpolation. */
int manifest_bytes(struct manifest_ctx *c, int64_t *out, const struct mnode *v, const char *path);
/* Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 128. */
bool manifest_container_name_ok(const char *name);

/*
 * The readers of the keys with shapes of their own, named by the table:
 * manifest_service.c (command, entrypoint, extra_hosts, depends_on,
 * healthcheck, deploy), manifest_service_host.c (the rest) and
 * manifest_service_net.c (ports, volumes, tmpfs, networks, above).
 */
#define MANIFEST_KEY_FN(name)                                                                      \
	int manifest_key_##name(struct manifest_ctx *c, struct service *s, const struct mnode *v,  \
	                        const char *path)
MANIFEST_KEY_FN(command);
MANIFEST_KEY_FN(entrypoint);
MANIFEST_KEY_FN(extra_hosts);
MANIFEST_KEY_FN(depends_on);
MANIFEST_KEY_FN(healthcheck);
MANIFEST_KEY_FN(deploy);
MANIFEST_KEY_FN(pull_policy);
MANIFEST_KEY_FN(profiles);
MANIFEST_KEY_FN(expose);
MANIFEST_KEY_FN(ulimits);
MANIFEST_KEY_FN(devices);
MANIFEST_KEY_FN(volumes_from);
MANIFEST_KEY_FN(links);
MANIFEST_KEY_FN(external_links);
MANIFEST_KEY_FN(configs);
MANIFEST_KEY_FN(secrets);

/*
 * Compose's merge rules on node trees (manifest_merge.c). Each returns a new
 * tree (mnode_free()), or NULL when out of memory; the inputs are borrowed.
 *   manifest_node_copy:     a deep copy without tags or !reset entries:
 *                           what the readers get, once merging is done.
 *   manifest_merge_file:    over (a later project file or document) merged
 *                           onto base (NULL: nothing yet), top level; the
 *                           tags are kept for the next merge.
 *   manifest_merge_service: a service merged onto the service it extends
 *                           (the extends key itself dropped).
 */
struct mnode *manifest_node_copy(const struct mnode *src);
struct mnode *manifest_merge_file(const struct mnode *base, const struct mnode *over);
struct mnode *manifest_merge_service(const struct mnode *base, const struct mnode *over);

/*
 * The project files as trees (manifest_include.c). manifest_tree_from_text
 * parses one file (name borrowed, must outlive the tree) and merges its
 * documents into *out (new, tags kept; NULL for an empty file). manifest_drop_referenced
 * moves from roots to c->spare the files another root names in extends:
 * {file: } or include:, for the layout of several disjoint files.
 * manifest_include appends the tree of every top-level include: entry of
 * roots (recursively) to *roots (taken from c->spare, or read through
 * c->src, their names then added to c->p->files). Problems are reported;
 * 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_tree_from_text(struct manifest_ctx *c, struct mnode **out, const char *name,
                            const char *text, size_t len);
int manifest_drop_referenced(struct manifest_ctx *c, struct mnode **roots, size_t *n);
int manifest_include(struct manifest_ctx *c, struct mnode ***roots, size_t *n);

/*
 * The directory n's relative paths are resolved against (repository path,
 * "" at the top), new (NULL: out of memory): its file's project directory
 * as recorded in c->dirs, else the file's own directory.
 */
char *manifest_base_dir(struct manifest_ctx *c, const struct mnode *n);
/*
 * rel joined to dir (source_join()) into *out (new), a bad path reported
 * at v. 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_join(struct manifest_ctx *c, char **out, const char *dir, const char *rel,
                  const struct mnode *v, const char *path);
/* A file read through c->src failed with rc: not the input's fault ones become c->fatal. */
void manifest_read_failed(struct manifest_ctx *c, int rc);
/* Files 1..n-1 of the project, merged, resolve against the first's directory. */
int manifest_project_dirs(struct manifest_ctx *c, size_t n);
/*
 * An include: entry (entry; its files paths, at path): the project directory
 * of its files (project_directory, default that of the first file) and their
 * variables (the project's, then env_file's or the project directory's .env
 * for keys not set). 0, ERR_INVALID (reported), ERR_NOMEM.
 */
int manifest_include_options(struct manifest_ctx *c, const struct mnode *entry,
                             const struct mnode *paths, const char *path);
/* The variables the tree root is interpolated with (borrowed): its include's, or c->vars. */
const struct kvv *manifest_tree_vars(const struct manifest_ctx *c, const struct mnode *root);
void manifest_incvars_free(struct manifest_ctx *c);

/*
 * Rendering the model back to Compose (manifest_render*.c). The helpers add
 * one entry to map (key NULL: append to a sequence) and return it
 * (borrowed), or NULL when the value is unset (NULL string) or on a failure
 * (recorded in r->nomem; a NULL map is accepted and adds nothing).
 */
struct manifest_render {
	const struct project *p;
	const struct hash_key *k; /* the key secrets are fingerprinted with */
	bool nomem;
};
struct mnode *manifest_render_str(struct manifest_render *r, struct mnode *map, const char *key,
                                  const char *v);
struct mnode *manifest_render_num(struct manifest_render *r, struct mnode *map, const char *key,
                                  int64_t v);
struct mnode *manifest_render_bool(struct manifest_render *r, struct mnode *map, const char *key,
                                   bool v);
struct mnode *manifest_render_map(struct manifest_render *r, struct mnode *parent, const char *key);
struct mnode *manifest_render_seq(struct manifest_render *r, struct mnode *parent, const char *key);
/* A list of strings (left out when empty, unless always). */
void manifest_render_list(struct manifest_render *r, struct mnode *map, const char *key,
                          const struct strv *v, bool always);
void manifest_render_duration(struct manifest_render *r, struct mnode *map, const char *key,
                              int64_t ns);
/* A mapping of pairs under key (left out when empty). */
void manifest_render_pairs(struct manifest_render *r, struct mnode *map, const char *key,
                           const struct kvv *v);
/* A new scalar; plain means printed bare (numbers, booleans, null). NULL when out of memory. */
struct mnode *manifest_render_scalar(struct manifest_render *r, const char *v, bool plain);
/* A new empty mapping or sequence. NULL when out of memory. */
struct mnode *manifest_render_node(struct manifest_render *r, enum mnode_type type);
/* Append val (taken, may be NULL after a failure) to seq, or under key to a map. */
struct mnode *manifest_render_put(struct manifest_render *r, struct mnode *parent, const char *key,
                                  struct mnode *val);
/*
 * Print the tree (manifest_render_tree.c): a mapping as block YAML at
 * indent ind (inline_first: its first key follows a "- " already printed),
 * or any node as JSON at indent ind. 0 or ERR_NOMEM.
 */
int manifest_print_yaml_map(struct buf *b, const struct mnode *n, unsigned ind, bool inline_first);
int manifest_print_json_node(struct buf *b, const struct mnode *n, unsigned ind);

/* The renderers the key table names. */
#define MANIFEST_RENDER_FN(name)                                                                   \
	void manifest_render_##name(struct manifest_render *r, struct mnode *map,                  \
	                            const struct service *s, const struct manifest_key *k)
MANIFEST_RENDER_FN(strv);   /* the struct strv at k->offset */
MANIFEST_RENDER_FN(string); /* the char * at k->offset */
MANIFEST_RENDER_FN(command);
MANIFEST_RENDER_FN(entrypoint);
MANIFEST_RENDER_FN(environment);
MANIFEST_RENDER_FN(labels);
MANIFEST_RENDER_FN(ports);
MANIFEST_RENDER_FN(volumes);
MANIFEST_RENDER_FN(networks);
MANIFEST_RENDER_FN(depends_on);
MANIFEST_RENDER_FN(healthcheck);
MANIFEST_RENDER_FN(deploy);
MANIFEST_RENDER_FN(configs);
MANIFEST_RENDER_FN(secrets);
MANIFEST_RENDER_FN(ulimits);
MANIFEST_RENDER_FN(build);
MANIFEST_RENDER_FN(none); /* rendered by another row (cpus, mem_limit: under deploy) */

/*
 * services.<name>.build (manifest_build.c): the context directory of the
 * commit (relative to the manifest), dockerfile, target, args, labels; the
 * image becomes image: or "<project>-<service>". 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_build(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                   const char *path);

/*
 * After every key of services.<name> (val) is read: cross-key checks
 * (network_mode against networks and ports, container_name against
 * replicas, build with or without image) and the implicit dependencies of
 * links, volumes_from and service:NAME modes. 0 or ERR_NOMEM.
 */
int manifest_service_finish(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                            const struct mnode *val, const char *spath);

/*
 * Add a dependency of s on name. With implicit, an existing dependency on
 * name is kept silently (links, volumes_from, network_mode service:NAME);
 * otherwise a second one is an error. 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_dep_add(struct manifest_ctx *c, struct service *s, const struct mnode *at,
                     const char *path, const char *name, enum dep_condition cond, bool required,
                     bool implicit);

/* Can c be part of a variable name ([A-Za-z0-9_]; manifest_vars.c)? */
bool manifest_var_name_char(char c);
/* Length of the variable name at s, at most max (0 if none). */
size_t manifest_var_name_len(const char *s, size_t max);
/* Print fmt into errmsg (when given); returns ERR_INVALID. */
int manifest_msg_set(char *errmsg, size_t errsize, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Two keys that name one setting (mem_limit and deploy's memory, cpus and
 * deploy's cpus): n into *dst unless the other key (named other) already
 * set a different value, which is reported. 0 or ERR_INVALID.
 */
int manifest_agree(struct manifest_ctx *c, int64_t *dst, int64_t n, const struct mnode *v,
                   const char *path, const char *other);

/* "0.5", "2" -> nano CPUs (at most 4096 CPUs). 0 or -1. */
int manifest_parse_cpus(int64_t *out, const char *s);

/*
 * Top-level configs:, secrets: (manifest_files.c) into c->p->configs and
 * c->p->secrets, and x-deployctl.env rules into c->p->env_rules. Config
 * files are read through c->src relative to the manifest's directory;
 * secret files from the host (absolute paths only, hashed, not kept).
 * Every problem is reported; 0 or ERR_NOMEM.
 */
int manifest_load_configs(struct manifest_ctx *c, const struct mnode *n);
int manifest_load_secrets(struct manifest_ctx *c, const struct mnode *n);
int manifest_load_env_rules(struct manifest_ctx *c, const struct mnode *n, const char *path);
/* x-deployctl.tls (manifest_tls.c): a list of {cert, key, names}; 0 or ERR_NOMEM (errors reported).
 */
int manifest_load_tls(struct manifest_ctx *c, const struct mnode *n, const char *path);
/*
 * One top-level resource of kind k (a network or a volume) from v at path
 * into r (manifest_resource.c): driver, external, the Docker-side name,
 * labels, and for a network internal, ipam and enable_ipv6. Problems are
 * reported; 0 or ERR_NOMEM.
 */
int manifest_load_resource(struct manifest_ctx *c, const struct mnode *v, const char *path,
                           enum res_kind k, struct project_resource *r);
/* The top-level x-deployctl: block (manifest_xdeployctl.c); 0 or ERR_NOMEM (errors reported). */
int manifest_load_x_deployctl(struct manifest_ctx *c, const struct mnode *n);
/*
 * The project files (manifest_discover.c): opts' names, or Compose's
 * default file and its override in the source's directory; *out is a new
 * list of *nout names, *merge whether they merge. Errors go to errs.
 */
int manifest_project_files(char ***out, size_t *nout, bool *merge, const struct source *src,
                           const struct manifest_opts *opts, struct errlist *errs,
                           struct errlist *warns);
/*
 * The project directory's .env beside first, read through src, under the
 * variables given in opts (manifest_discover.c): into vars, its path into
 * *path (new; NULL when there is none) and its keys into keys.
 */
int manifest_dotenv_load(struct manifest_vars *vars, char **path, struct strv *keys,
                         const struct source *src, const char *first,
                         const struct manifest_opts *opts, struct errlist *errs);
/*
 * The profiles the .env's COMPOSE_PROFILES (comma-separated) turns on, into
 * out, when nothing else chose any (no --profile, no $COMPOSE_PROFILES):
 * Compose reads its COMPOSE_* settings from the .env too. 0 or ERR_NOMEM.
 */
int manifest_dotenv_profiles(struct strv *out, const struct manifest_vars *vars,
                             const struct strv *keys, const struct manifest_opts *opts);
/*
 * x-deployctl.smoke and x-deployctl.notify (manifest_smoke.c): lists of
 * checks and of notification targets; 0 or ERR_NOMEM (errors reported).
 * manifest_smoke_finish(), once every file is loaded, checks that each
 * check's URL points at a port a service publishes on this host.
 */
int manifest_load_smoke(struct manifest_ctx *c, const struct mnode *n, const char *path);
int manifest_load_notify(struct manifest_ctx *c, const struct mnode *n, const char *path);
/* Also builds in-network checks' URLs and picks their images: 0 or ERR_NOMEM. */
int manifest_smoke_finish(struct manifest_ctx *c);

/*
 * A list of maps each read by a key table (manifest_list.c): x-deployctl.
 * smoke, notify and tls. manifest_read_list() grows *items (an array of
 * elements of size bytes, *n of them) by one zeroed element per entry, at
 * most max, sets the struct loc at loc_offset, calls init (defaults; may
 * be NULL), reads the map through keys (offsets into the element), then
 * finish (may be NULL) with read_rc, the table read's result. 0 or
 * ERR_NOMEM; every problem is reported.
 */
struct manifest_list {
	void **items;
	size_t *n;
	size_t size, max, loc_offset;
	const char *what; /* "more than 64 <what>" */
	const struct manifest_key *keys;
	void (*init)(void *elem);
	int (*finish)(struct manifest_ctx *c, void *elem, const struct mnode *v, const char *path,
	              int read_rc);
};
int manifest_read_list(struct manifest_ctx *c, const struct manifest_list *l, const struct mnode *n,
                       const char *path);
struct manifest_render;
/* x-deployctl.smoke and .notify of r->p into the mapping x (config); nothing when unset. */
void manifest_render_smoke(struct manifest_render *r, struct mnode *x);
/* v with every one of secrets (may be NULL) hidden, rendered under key (manifest_smoke.c). */
void manifest_render_scrubbed(struct manifest_render *r, struct mnode *map, const char *key,
                              const char *v, const struct strv *secrets);
/* Sort configs, secrets and env rules, and refuse a name defined twice. */
void manifest_files_finish(struct manifest_ctx *c);

/*
 * Resolve services.<name>.extends (manifest_extends.c): *out is a new tree
 * (mnode_free()) of the service merged over its bases as Compose merges
 * (mappings merge, sequences append, unique resources by key, commands
 * override), or NULL when val has no extends:. tree is the index in
 * c->trees of the file holding val. Problems (unknown base, cycle, bad
 * file) are reported; returns 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_extends_resolve(struct manifest_ctx *c, struct mnode **out, size_t tree,
                             const struct mnode *key, const struct mnode *val);

/*
 * A service's env_file (one path or a list) and environment (a mapping or
 * KEY=VALUE list) at path, into env (manifest_service_env.c). Problems are
 * reported, never quoting a value; 0, ERR_INVALID or ERR_NOMEM.
 */
int manifest_service_env_files(struct manifest_ctx *c, struct kvv *env, const struct mnode *v,
                               const char *path);
int manifest_service_environment(struct manifest_ctx *c, struct kvv *env, const struct mnode *v,
                                 const char *path);

/*
 * x-deployctl.jobs (manifest_jobs.c): manifest_load_jobs() reads the
 * mapping n (at path) into c->p->jobs, each key by the job key table (the
 * service readers reused for image, command, volumes, networks, ...);
 * manifest_jobs_finish(), once every file is loaded, sorts them, puts the
 * jobs without networks on "default", refuses needs: naming no service and
 * fills their configs' and secrets' hashes. 0 or ERR_NOMEM; problems reported.
 */
int manifest_load_jobs(struct manifest_ctx *c, const struct mnode *n, const char *path);
int manifest_jobs_finish(struct manifest_ctx *c);
/*
 * x-deployctl.jobs back to Compose for `config` (manifest_jobs.c), under
 * root's x-deployctl (made when missing); the shared keys by the service
 * key table's renderers, through manifest_render_row() (manifest_render.c:
 * one row k of s, as its kind or renderer says; unset values left out).
 */
void manifest_render_jobs(struct manifest_render *r, struct mnode *root);
void manifest_render_row(struct manifest_render *r, struct mnode *map, const struct manifest_key *k,
                         const struct service *s);
/* Does a job use the implicit "default" network (manifest_jobs.c)? */
bool manifest_jobs_use_default(const struct project *p);

/* Build s from the mapping val under services.<name> (key is the name's node). */
int manifest_service_build(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                           const struct mnode *val);

/*
 * x-deployctl.rollout (manifest_service_rollout.c). A service starts with
 * manifest_rollout_init() (every field unset: timeout 0, order AUTO,
 * parallelism 0, settle -1); manifest_rollout_read() sets the fields the
 * mapping v at path holds (timeout, order, parallelism >= 1, settle) and
 * reports unknown keys. manifest_rollout_default() reads the top-level one
 * into c->rollout (a second one is an error); manifest_service_x_deployctl()
 * reads services.<name>.x-deployctl (only rollout: is known). After every
 * key of a service, manifest_rollout_check() refuses start-first with a
 * fixed host port (reported at order_n, path); manifest_rollout_finish(),
 * once every file is loaded, fills each service's unset fields from the
 * top-level default and checks the order it inherits. 0, ERR_INVALID or
 * ERR_NOMEM where an int is returned.
 */
void manifest_rollout_init(struct svc_rollout *r);
int manifest_rollout_read(struct manifest_ctx *c, struct svc_rollout *out, const struct mnode *v,
                          const char *path);
int manifest_rollout_default(struct manifest_ctx *c, const struct mnode *v, const char *path);
int manifest_service_x_deployctl(struct manifest_ctx *c, struct service *s, const struct mnode *v,
                                 const char *path);
void manifest_rollout_check(struct manifest_ctx *c, const struct service *s,
                            const struct mnode *order_n, const char *path);
void manifest_rollout_finish(struct manifest_ctx *c);

/*
 * Cross-reference checks on the whole project (after every file is loaded):
 * depends_on targets and cycles, declared networks and volumes, host port
 * conflicts. Every problem is reported to c->errs.
 */
void manifest_check(struct manifest_ctx *c);

/*
 * manifest_service_swarm.c: the deploy: keys only Swarm has (the deploy key
 * table in manifest_service.c names them); refused unless target is swarm.
 */
int manifest_deploy_swarm(struct manifest_ctx *c, struct service *s, const struct mnode *key,
                          const struct mnode *v, const char *kpath);

#endif
