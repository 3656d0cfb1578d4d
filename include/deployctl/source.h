/*
 * source.h - where manifests are read from: a git commit (gitsrc) or a plain
 * directory (dirsrc, for local trials). The manifest loader only sees this.
 */
#ifndef DEPLOYCTL_SOURCE_H
#define DEPLOYCTL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "deployctl/err.h"

/* Limits on input, so a runaway repository fails instead of eating memory. */
#define SOURCE_MAX_FILE  (4u << 20)
#define SOURCE_MAX_FILES 256

/* A file under a directory at the commit (source->list_tree). */
struct source_entry {
	char *path; /* repository-relative */
	bool exec;  /* the executable bit */
};

#define SOURCE_MAX_TREE 4096 /* files under one directory */

struct source {
	void *ctx;
	/* "git" or "dir" */
	const char *kind;
	/*
	 * Read path (relative to the repository root, '/'-separated, already
	 * checked not to escape it) into *out (new, free()), NUL-terminated,
	 * *len without the NUL. ERR_NOTFOUND when absent; ERR_INVALID when the
	 * path escapes the root or is not a regular file (symlinks included).
	 */
	int (*read)(void *ctx, char **out, size_t *len, const char *path, struct err *err);
	/*
	 * List the regular files directly in dir whose name ends in .yml or
	 * .yaml, sorted, as repository-relative paths (new strings in a new
	 * array, free each and the array); dir "" is the root. ERR_NOTFOUND
	 * when dir is absent; ERR_INVALID when such a name is a symlink or
	 * another non-regular file (skipping it would drop its services
	 * without a word).
	 */
	int (*list_manifests)(void *ctx, char ***out, size_t *n, const char *dir, struct err *err);
	/*
	 * Every file under dir, recursively, sorted by path (*out new, free
	 * with source_entries_free()). ERR_NOTFOUND when dir is absent,
	 * ERR_INVALID when it is not a directory, holds a symlink or a
	 * submodule, or more than SOURCE_MAX_TREE files. NULL for a directory
	 * source, whose paths are host paths (root).
	 */
	int (*list_tree)(void *ctx, struct source_entry **out, size_t *n, const char *dir,
	                 struct err *err);
	const char *root; /* directory sources: the directory as given; git: NULL */
	/* The git tree id (40 hex) of dir at the commit; NULL for a directory source. */
	int (*tree_id)(void *ctx, char out[41], const char *dir, struct err *err);
};

void source_entries_free(struct source_entry *v, size_t n);

/* Is a file name a manifest's (ends in .yml or .yaml)? Both sources list by this rule. */
bool source_is_manifest_name(const char *name);

/* Free a list returned by list_manifests. */
void source_list_free(char **list, size_t n);

/*
 * Reject a repository-relative path that is absolute or has a ".." element.
 * Returns 0 or ERR_INVALID (err filled without location).
 */
int source_check_path(const char *path, struct err *err);

/*
 * Normalise "a/./b//c" to "a/b/c" (new, free()); joins base dir and rel
 * first when base is not NULL. ERR_INVALID if the result escapes the root.
 */
int source_join(char **out, const char *base, const char *rel, struct err *err);
/* source_join() of a directory: the repository root itself is "." (build: .). */
int source_join_dir(char **out, const char *base, const char *rel, struct err *err);

/* A directory source (for --dir). dir is the root; borrowed, must outlive it. */
struct dirsrc;
int dirsrc_new(struct dirsrc **out, const char *root, struct err *err);
void dirsrc_free(struct dirsrc *d);
/* Fill s with d's callbacks; d must outlive s. */
void dirsrc_source(struct source *s, struct dirsrc *d);
/*
 * "dir:" + sha256 over every manifest and env_file read through d so far
 * (paths and contents, in read order); new, free(). Call after loading.
 */
char *dirsrc_content_id(struct dirsrc *d);

/*
 * A build context in a directory source (dirsrc_tree.c): the id of root/dir
 * (40 hex of a sha256 over its entries' paths, types, modes and contents,
 * in path order), standing in for git's tree id; ERR_NOTFOUND, ERR_INVALID
 * (not a directory, too many files), ERR_IO.
 */
int dirsrc_tree_id(char out[41], const char *root, const char *dir, struct err *err);
/*
 * root/dir as a tar archive, as gitsrc_tar() makes one from a commit
 * (sorted, mtime 0, modes 0644 / 0755, symlinks kept); *out new, at most
 * max bytes. ERR_NOTFOUND, ERR_INVALID (too large), ERR_IO.
 */
int dirsrc_tar(char **out, size_t *len, const char *root, const char *dir, size_t max,
               struct err *err);

#endif
