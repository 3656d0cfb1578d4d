/*
 * preflight_host.c - the host checks: files the deploy reads (bind mount
 * sources, config and secret files) exist with the right type and are
 * readable, the state directory is trusted and writable, and the disks of
 * the state directory and Docker's root have room.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/check.h"
#include "deployctl/envrules.h"
#include "preflight_internal.h"

#define FALLBACK_DOCKER_ROOT "/var/lib/docker"
/* A host path a deploy reads: exists, right type, readable. */
static bool host_path_ok(struct run *run, const struct loc *loc, const char *what, const char *path,
                         bool dir_ok)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s: %s",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path,
		                   strerror(errno));
		return false;
	}
	if (!dir_ok && !S_ISREG(st.st_mode)) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s is not a regular file",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path);
		return false;
	}
	if (access(path, R_OK) < 0) {
		preflight_item_add(run, "files", ST_FAIL, "%s:%u:%u: %s: %s cannot be read: %s",
		                   loc->file ? loc->file : "", loc->line, loc->col, what, path,
		                   strerror(errno));
		return false;
	}
	return true;
}

void preflight_files(struct run *run)
{
	const struct project *p = run->dp->project;
	char what[300];
	size_t i, k, total = 0, bad = 0;

	for (i = 0; i < p->nsecrets; i++) {
		const struct project_file *f = &p->secrets[i];

		if (f->external || !f->file || f->content)
			continue;
		snprintf(what, sizeof(what), "secrets.%s.file", f->name);
		total++;
		bad += !host_path_ok(run, &f->loc, what, f->file, false);
	}
	for (i = 0; i < p->nservices; i++) {
		const struct service *s = &p->services[i];

		for (k = 0; k < s->nmounts; k++) {
			const struct svc_mount *m = &s->mounts[k];
			struct stat st;

			if (m->type != MOUNT_BIND || !m->source || m->content_hash[0])
				continue; /* from git: materialised with the release */
			if (m->host && lstat(m->source, &st) < 0 && errno == ENOENT) {
				/* not in git and not on the host: keys, certificates, data */
				const char *base = strrchr(m->rel, '/');
				bool file = m->no_create ||
				            (strchr(base ? base : m->rel, '.') && base && base[1] &&
				             strcmp(base, "/.") && strcmp(base, "/.."));

				total++;
				bad += file;
				preflight_item_add(
				        run, "files", file ? ST_FAIL : ST_WARN,
				        "%s:%u:%u: services.%s.volumes[%zu]: %s is not in git and "
				        "missing on the host: %s %s (host directory: --host-dir or "
				        "x-deployctl.host_dir)",
				        s->loc.file ? s->loc.file : "", s->loc.line, s->loc.col,
				        s->name, k, m->rel, file ? "put it at" : "created empty at",
				        m->source);
				continue;
			}
			snprintf(what, sizeof(what), "services.%s.volumes[%zu]: bind source",
			         s->name, k);
			total++;
			bad += !host_path_ok(run, &s->loc, what, m->source, true);
		}
	}
	if (!bad)
		preflight_item_add(
		        run, "files", ST_OK,
		        "%zu host file(s) present (secrets, bind sources; env_file and configs "
		        "were read with the manifests)",
		        total);
}

void preflight_state(struct run *run)
{
	const char *dir = run->ctx->state_dir;
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	if (!dir || !*dir) {
		preflight_item_add(run, "state", ST_FAIL, "no state directory");
		return;
	}
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			preflight_item_add(run, "state", ST_FAIL, "%s is not a directory", dir);
		else if (access(dir, W_OK | X_OK) < 0)
			preflight_item_add(run, "state", ST_FAIL, "%s is not writable: %s", dir,
			                   strerror(errno));
		else
			preflight_item_add(run, "state", ST_OK, "%s is writable", dir);
		return;
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		preflight_item_add(run, "state", ST_FAIL, "%s: %s", dir, strerror(errno));
		return;
	}
	/* Not there yet: the nearest existing parent must let us create it. */
	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path)) {
		preflight_item_add(run, "state", ST_FAIL, "%s: path too long", dir);
		return;
	}
	for (;;) {
		slash = strrchr(path, '/');
		if (!slash) {
			snprintf(path, sizeof(path), ".");
		} else if (slash == path) {
			path[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR) ||
		    !strcmp(path, "/") || !strcmp(path, "."))
			break;
	}
	if (stat(path, &st) < 0)
		preflight_item_add(run, "state", ST_FAIL, "%s: %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		preflight_item_add(run, "state", ST_FAIL,
		                   "%s cannot be created: %s is not a directory", dir, path);
	else if (access(path, W_OK | X_OK) < 0)
		preflight_item_add(run, "state", ST_FAIL,
		                   "%s cannot be created: %s is not writable: %s", dir, path,
		                   strerror(errno));
	else
		preflight_item_add(run, "state", ST_OK, "%s will be created (%s is writable)", dir,
		                   path);
}

/* Free space of the file system holding path: status below under min, naming what path is. */
static void disk_free(struct run *run, const char *path, const char *what, uint64_t min,
                      enum status below, const char *knob)
{
	char have[32], want[32];
	struct statvfs vfs;
	uint64_t avail;

	if (statvfs(path, &vfs) < 0) {
		preflight_item_add(run, "disk", ST_WARN, "cannot measure free space in %s (%s): %s",
		                   path, what, strerror(errno));
		return;
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	preflight_human_size(have, sizeof(have), avail);
	preflight_human_size(want, sizeof(want), min);
	if (avail < min)
		preflight_item_add(run, "disk", below,
		                   "only %s free in %s, the %s (at least %s wanted%s%s)", have,
		                   path, what, want, *knob ? "; " : "", knob);
	else
		preflight_item_add(run, "disk", ST_OK, "%s free in %s, the %s (at least %s)", have,
		                   path, what, want);
}

/* The state directory, or its nearest existing parent while it is not there yet. */
static void state_dir_existing(char *out, size_t size, const char *dir)
{
	struct stat st;
	char *slash;

	snprintf(out, size, "%s", dir && *dir ? dir : ".");
	while (stat(out, &st) < 0 && strcmp(out, "/") && strcmp(out, ".")) {
		slash = strrchr(out, '/');
		if (!slash)
			snprintf(out, size, ".");
		else if (slash == out)
			out[1] = '\0';
		else
			*slash = '\0';
	}
}

void preflight_disk(struct run *run)
{
	const char *root = run->info.root_dir && *run->info.root_dir ? run->info.root_dir
	                                                             : FALLBACK_DOCKER_ROOT;
	uint64_t min = run->r->min_free ? run->r->min_free : CHECK_DEFAULT_MIN_FREE;
	char state[PATH_MAX];

	disk_free(run, root, "Docker data root", min, ST_FAIL, "--min-free");
	/*
	 * Only a warning: apply reserves the room its record needs before the
	 * first change (store_reserve()) and refuses the release itself when
	 * that fails, which is the exact test; this says it is getting tight.
	 */
	state_dir_existing(state, sizeof(state), run->ctx->state_dir);
	disk_free(run, state, "state directory", CHECK_STATE_MIN_FREE, ST_WARN,
	          "apply reserves its record's room before changing anything");
}
