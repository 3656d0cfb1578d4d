/*
 * projects.h - the controller's configuration file (projects.yml): the
 * stacks one watch or serve process keeps converged
 * (manifest/projects_conf.c, on the manifest module's YAML reader).
 *
 *   defaults: {interval: 5s, self_heal: true}
 *   projects:
 *     shop:                          # the project's name
 *       repo: https://git.example.com/shop.git
 *       branch: main                 # default: the remote's default branch
 *       manifests: deploy            # default: manifests
 *       env_files: [/etc/deployctl/shop.env]
 *       profiles: [web]
 *       interval: 10s
 *       self_heal: false
 */
#ifndef DEPLOYCTL_PROJECTS_H
#define DEPLOYCTL_PROJECTS_H

#include <stdint.h>

#include "deployctl/err.h"
#include "deployctl/model.h"

#define PROJECTS_MAX      64
#define PROJECTS_MAX_SIZE (1u << 20)

struct projects_entry {
	char *name, *repo;
	char *branch;    /* NULL: the repository's HEAD */
	char *manifests; /* NULL: "manifests" */
	struct strv env_files, profiles;
	int64_t interval_ms; /* the entry's, else defaults', else 5 s */
	bool self_heal;
};

struct projects_conf {
	struct projects_entry *v;
	size_t n;
};

/*
 * Read path into *out (initialised by the call; projects_conf_release()
 * in any case). ERR_INVALID naming file:line:col and the key path for bad
 * input ("projects.shop.interval: ..."), ERR_IO when the file cannot be
 * read.
 */
int projects_conf_load(struct projects_conf *out, const char *path, struct err *err);
void projects_conf_release(struct projects_conf *c);

#endif
