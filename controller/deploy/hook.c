/*
 * hook.c - deployctl's post-receive hook: a short sh script that, for a
 * push to the deploy branch, runs one apply of the pushed commit and
 * prints its outcome (git relays it to the pusher as "remote: ..."). The
 * push is already accepted when post-receive runs, and the script always
 * exits 0, so a failed deploy is reported, never a rejected push. A hook
 * already there is moved aside and run first with the same input.
 */
#include "deployctl/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/buf.h"

#define HOOK_MAX_SIZE (64u << 10)

/* 'value' for sh, with ' written as '\'' */
static int hook_quote(struct buf *b, const char *s)
{
	int rc = buf_putc(b, '\'');

	for (; rc == 0 && *s; s++)
		rc = *s == '\'' ? buf_puts(b, "'\\''") : buf_putc(b, *s);
	return rc ? rc : buf_putc(b, '\'');
}

static int hook_script(struct buf *b, const struct hook_opts *o)
{
	size_t i;
	int rc;

	rc = buf_printf(b, "#!/bin/sh\n" HOOK_MARKER " installed by 'deployctl hook install'; "
	                   "'deployctl hook uninstall' removes it\n"
	                   "# and puts back the hook it chained (hooks/" HOOK_CHAINED "), if any.\n"
	                   "# A push to the deploy branch runs one apply of the pushed commit and\n"
	                   "# prints its outcome; a failed deploy never rejects the push.\n"
	                   "hooks=$(cd \"$(dirname \"$0\")\" && pwd)\n"
	                   "input=$(cat)\n"
	                   "if [ -x \"$hooks/" HOOK_CHAINED "\" ]; then\n"
	                   "\tprintf '%%s\\n' \"$input\" | \"$hooks/" HOOK_CHAINED "\" \"$@\"\n"
	                   "fi\n"
	                   "unset GIT_DIR GIT_WORK_TREE GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY "
	                   "GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
	                   "branch=");
	rc = rc ? rc : hook_quote(b, o->branch);
	rc = rc ? rc
	        : buf_puts(b, "\nprintf '%s\\n' \"$input\" | while read -r old new ref; do\n"
	                      "\t[ \"$ref\" = \"refs/heads/$branch\" ] || continue\n"
	                      "\tcase $new in *[!0]*) ;; *) echo \"deployctl: $branch was "
	                      "deleted; nothing deployed\"; continue ;; esac\n"
	                      "\techo \"deployctl: deploying $branch at $new\"\n\t");
	rc = rc ? rc : hook_quote(b, o->exe);
	rc = rc ? rc : buf_puts(b, " --state ");
	rc = rc ? rc : hook_quote(b, o->state_dir);
	rc = rc ? rc : buf_puts(b, " apply --repo ");
	rc = rc ? rc : hook_quote(b, o->gitdir);
	rc = rc ? rc : buf_puts(b, " --ref \"$new\"");
	for (i = 0; rc == 0 && i < o->nargs; i++) {
		rc = buf_putc(b, ' ');
		rc = rc ? rc : hook_quote(b, o->args[i]);
	}
	rc = rc ? rc
	        : buf_puts(b, " 2>&1\n"
	                      "\tst=$?\n"
	                      "\tif [ \"$st\" = 0 ]; then\n"
	                      "\t\techo \"deployctl: $branch at $new is deployed\"\n"
	                      "\telse\n"
	                      "\t\techo \"deployctl: deploy of $branch at $new FAILED (exit $st); "
	                      "the push is kept, see 'deployctl history'\"\n"
	                      "\tfi\n"
	                      "done\n"
	                      "exit 0\n");
	return rc;
}

static int hook_path(char *out, size_t size, const char *gitdir, const char *name)
{
	return (size_t)snprintf(out, size, "%s/hooks/%s", gitdir, name) < size ? 0 : -1;
}

/* Is the file at path deployctl's hook? *exists tells whether there is one. */
static int hook_is_ours(bool *ours, bool *exists, const char *path, struct err *err)
{
	char head[512];
	size_t n;
	FILE *f = fopen(path, "re");

	*ours = *exists = false;
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return err_set(err, ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	}
	*exists = true;
	n = fread(head, 1, sizeof(head) - 1, f);
	head[n] = '\0';
	fclose(f);
	*ours = strstr(head, "\n" HOOK_MARKER) != NULL;
	return 0;
}

int hook_install(bool *chained, const struct hook_opts *o, struct err *err)
{
	char path[4096], old[4096], tmp[4200], dir[4096];
	struct buf b;
	bool ours, exists, chained_exists = false, dummy;
	int fd = -1, rc;

	buf_init(&b, HOOK_MAX_SIZE);
	if (hook_path(path, sizeof(path), o->gitdir, "post-receive") < 0 ||
	    hook_path(old, sizeof(old), o->gitdir, HOOK_CHAINED) < 0 ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/hooks", o->gitdir) >= sizeof(dir)) {
		rc = err_set(err, ERR_INVALID, "repository path is too long");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.deployctl-tmp", path);
	if (hook_script(&b, o) < 0) {
		rc = err_set(err, ERR_INVALID, "hook script too long");
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = err_set(err, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	rc = hook_is_ours(&ours, &exists, path, err);
	if (rc == 0)
		rc = hook_is_ours(&dummy, &chained_exists, old, err);
	if (rc < 0)
		goto out;
	if (exists && !ours) {
		if (chained_exists) {
			rc = err_set(err, ERR_INVALID,
			             "'%s' is not deployctl's and '%s' is taken: nothing changed",
			             path, old);
			goto out;
		}
		if (rename(path, old) < 0) {
			rc = err_set(err, ERR_IO, "cannot move '%s' aside: %s", path,
			             strerror(errno));
			goto out;
		}
		chained_exists = true;
	}
	/* Written beside and renamed over, so git never runs half a hook. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, b.ptr, b.len) != (ssize_t)b.len || fchmod(fd, 0755) < 0 ||
	    close(fd) < 0) {
		rc = err_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = err_set(err, ERR_IO, "cannot install '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	*chained = chained_exists;
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

int hook_uninstall(bool *restored, const char *gitdir, struct err *err)
{
	char path[4096], old[4096];
	bool ours, exists, chained = false, dummy;
	int rc;

	if (hook_path(path, sizeof(path), gitdir, "post-receive") < 0 ||
	    hook_path(old, sizeof(old), gitdir, HOOK_CHAINED) < 0)
		return err_set(err, ERR_INVALID, "repository path is too long");
	rc = hook_is_ours(&ours, &exists, path, err);
	if (rc == 0)
		rc = hook_is_ours(&dummy, &chained, old, err);
	if (rc < 0)
		return rc;
	if (!exists)
		return err_set(err, ERR_NOTFOUND, "no post-receive hook in '%s/hooks'", gitdir);
	if (!ours)
		return err_set(err, ERR_INVALID, "'%s' is not deployctl's hook: left alone", path);
	if (chained) {
		if (rename(old, path) < 0)
			return err_set(err, ERR_IO, "cannot put '%s' back: %s", old,
			               strerror(errno));
	} else if (unlink(path) < 0) {
		return err_set(err, ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
	}
	*restored = chained;
	return 0;
}
