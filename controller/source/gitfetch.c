/*
 * gitfetch.c - remote repositories (https, ssh, git, file URLs) fetched with
 * libgit2 into a bare, objects-only cache under the state directory, so
 * the rest of deployctl reads a remote exactly as it reads a local bare
 * repository. Credentials come from ssh-agent, a key file or a token named
 * by the environment; they are never taken from the command line and
 * never written anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/gitsrc.h"
#include "deployctl/hash.h"

/* libgit2 asks again after a refused credential: stop after a few. */
#define GITFETCH_MAX_CRED_TRIES 3
#define GITFETCH_TOKEN_MAX      4096

bool gitsrc_is_remote(const char *s)
{
	const char *colon, *slash;

	if (!s)
		return false;
	if (strstr(s, "://"))
		return true;
	/* scp-like "user@host:path" (git's rule: a colon before any slash) */
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	return colon && colon != s && (!slash || colon < slash) && strchr(s, '@') &&
	       strchr(s, '@') < colon;
}

/* A URL's "user:password@" would put a secret on the command line and in logs. */
static int gitfetch_check_url(const char *url, struct err *err)
{
	const char *p = strstr(url, "://"), *at, *end, *colon;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon)
		return err_set(err, ERR_INVALID,
		               "the repository URL carries a password; give it in "
		               "$DEPLOYCTL_GIT_TOKEN_FILE or $DEPLOYCTL_GIT_TOKEN instead");
	return 0;
}

/* The token from $DEPLOYCTL_GIT_TOKEN_FILE (first line) or $DEPLOYCTL_GIT_TOKEN; new or NULL. */
static char *gitfetch_token(void)
{
	const char *file = getenv("DEPLOYCTL_GIT_TOKEN_FILE"), *env = getenv("DEPLOYCTL_GIT_TOKEN");
	char line[GITFETCH_TOKEN_MAX];
	FILE *f;

	if (file && *file) {
		f = fopen(file, "re");
		if (!f)
			return NULL;
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		return line[0] ? strdup(line) : NULL;
	}
	return env && *env ? strdup(env) : NULL;
}

struct gitfetch_cred {
	unsigned tries;
	bool agent_tried, key_tried, token_tried;
};

/* No (more) credentials to offer: say which were refused, or where to put some. */
static int gitfetch_refused(const struct gitfetch_cred *c, unsigned int allowed)
{
	const char *msg;

	if (c->key_tried)
		msg = "the server refused the key in $DEPLOYCTL_GIT_SSH_KEY";
	else if (c->agent_tried)
		msg = "the server refused the keys of the ssh-agent ($SSH_AUTH_SOCK)";
	else if (c->token_tried)
		msg = "the server refused the token ($DEPLOYCTL_GIT_TOKEN_FILE or $DEPLOYCTL_GIT_TOKEN)";
	else if (allowed & GIT_CREDENTIAL_SSH_KEY)
		msg = "authentication required: set $DEPLOYCTL_GIT_SSH_KEY to a key file, or run an "
		      "ssh-agent";
	else
		msg = "authentication required: set $DEPLOYCTL_GIT_TOKEN_FILE (or "
		      "$DEPLOYCTL_GIT_TOKEN)";
	git_error_set_str(GIT_ERROR_SSH, msg);
	return GIT_EAUTH;
}

static int gitfetch_credentials(git_credential **out, const char *url, const char *user_from_url,
                                unsigned int allowed, void *payload)
{
	struct gitfetch_cred *c = payload;
	const char *key = getenv("DEPLOYCTL_GIT_SSH_KEY");
	const char *pass = getenv("DEPLOYCTL_GIT_SSH_PASSPHRASE");
	const char *user = getenv("DEPLOYCTL_GIT_USERNAME");
	char *token, pub[4096];
	int rc;

	(void)url;
	if (++c->tries > GITFETCH_MAX_CRED_TRIES)
		return gitfetch_refused(c, allowed);
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_from_url ? user_from_url : "git");
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *u = user_from_url ? user_from_url : user && *user ? user : "git";

		if (key && *key && c->tries <= 2) {
			c->key_tried = true;
			snprintf(pub, sizeof(pub), "%s.pub", key);
			return git_credential_ssh_key_new(out, u, access(pub, R_OK) ? NULL : pub,
			                                  key, pass ? pass : "");
		}
		if (!c->agent_tried && getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK")) {
			c->agent_tried = true;
			return git_credential_ssh_key_from_agent(out, u);
		}
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		token = gitfetch_token();
		if (!token)
			return gitfetch_refused(c, allowed);
		c->token_tried = true;
		rc = git_credential_userpass_plaintext_new(out,
		                                           user && *user   ? user
		                                           : user_from_url ? user_from_url
		                                                           : "deployctl",
		                                           token);
		/* the token lives in libgit2's credential only as long as the request */
		memset(token, 0, strlen(token));
		free(token);
		return rc;
	}
	return gitfetch_refused(c, allowed);
}

static int gitfetch_fail(struct err *err, const char *url, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(err, ERR_GIT, "cannot %s '%s': %s", what, url,
	               e && e->message ? e->message : "libgit2 error");
}

/* mkdir -p for the cache's two levels, 0700 like the state directory. */
static int gitfetch_mkdir(const char *path, struct err *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_set(err, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

/* One fetch per cache at a time (a push hook and a watcher may meet here). */
static int gitfetch_lock(int *fd_out, const char *path, struct err *err)
{
	char lock[4200];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot open '%s': %s", lock, strerror(errno));
	while (fcntl(fd, F_SETLKW, &fl) < 0) {
		if (errno != EINTR) {
			close(fd);
			return err_set(err, ERR_IO, "cannot lock '%s': %s", lock, strerror(errno));
		}
	}
	*fd_out = fd;
	return 0;
}

int gitsrc_cache_path(char **out, const char *url, const char *state_dir, struct err *err)
{
	char hex[HASH_HEX_LEN + 1];
	struct buf b;

	hash_sha256_hex(hex, url, strlen(url));
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s/repos/%.16s.git", state_dir, hex) < 0) {
		buf_release(&b);
		return err_set(err, ERR_INVALID, "state directory path is too long");
	}
	*out = buf_detach(&b);
	return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

static int gitfetch_run(git_repository *repo, const char *url, struct err *err)
{
	static char heads[] = "+refs/heads/*:refs/heads/*", tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { heads, tags };
	git_strarray refspecs = { specs, 2 };
	git_remote_create_options ro;
	git_remote_callbacks cb;
	git_fetch_options fo;
	struct gitfetch_cred cred = { 0 };
	git_remote *remote = NULL;
	git_buf head = { 0 };
	int rc;

	/* An https remote needs the CA bundle that start-up left unparsed. */
	if (gitsrc_tls_load() < 0)
		return gitfetch_fail(err, url, "load the CA certificates for");
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	cb.credentials = gitfetch_credentials;
	cb.payload = &cred;
	fo.callbacks = cb;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	/*
	 * Anonymous, and the URL as given: no url.<base>.insteadOf rewriting from
	 * whatever git config the host has (the fetch is the same on every host).
	 */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &ro) < 0) {
		rc = gitfetch_fail(err, url, "use remote");
		goto out;
	}
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0) {
		rc = gitfetch_fail(err, url, "reach");
		goto out;
	}
	/* The remote's default branch becomes the cache's HEAD. */
	if (git_remote_default_branch(&head, remote) < 0)
		git_error_clear();
	if (git_remote_download(remote, &refspecs, &fo) < 0 ||
	    git_remote_update_tips(remote, &cb, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, NULL) < 0) {
		rc = gitfetch_fail(err, url, "fetch");
		goto out;
	}
	if (head.ptr && git_repository_set_head(repo, head.ptr) < 0)
		git_error_clear();
	rc = 0;
out:
	if (remote)
		git_remote_disconnect(remote);
	git_buf_dispose(&head);
	git_remote_free(remote);
	return rc;
}

int gitsrc_fetch(char **path_out, const char *url, const char *state_dir, struct err *err)
{
	git_repository *repo = NULL;
	char *path = NULL, *repos = NULL;
	int rc, fd = -1;

	gitsrc_global_init();
	rc = gitfetch_check_url(url, err);
	if (rc < 0)
		return rc;
	rc = gitsrc_cache_path(&path, url, state_dir, err);
	if (rc < 0)
		goto out;
	repos = strdup(path);
	if (!repos) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	*strrchr(repos, '/') = '\0';
	rc = gitfetch_mkdir(state_dir, err);
	if (rc == 0)
		rc = gitfetch_mkdir(repos, err);
	if (rc == 0)
		rc = gitfetch_lock(&fd, path, err);
	if (rc < 0)
		goto out;
	if (git_repository_open_bare(&repo, path) < 0) {
		git_error_clear();
		if (git_repository_init(&repo, path, 1) < 0) {
			rc = gitfetch_fail(err, path, "create the cache");
			goto out;
		}
	}
	rc = gitfetch_run(repo, url, err);
	if (rc < 0)
		goto out;
	*path_out = path;
	path = NULL;
out:
	git_repository_free(repo);
	if (fd >= 0)
		close(fd);
	free(repos);
	free(path);
	return rc;
}

/* ref's commit in repo, as 40 hex digits into sha_out; where names repo in messages. */
static int resolve_commit(char *sha_out, git_repository *repo, const char *ref, const char *where,
                          struct err *err)
{
	git_object *obj = NULL, *commit = NULL;
	int rc;

	rc = git_revparse_single(&obj, repo, ref);
	if (rc < 0) {
		rc = err_set(err, rc == GIT_ENOTFOUND ? ERR_NOTFOUND : ERR_GIT,
		             "ref '%s' not found in '%s'", ref, where);
		goto out;
	}
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = err_set(err, ERR_INVALID, "ref '%s' does not name a commit", ref);
		goto out;
	}
	git_oid_tostr(sha_out, GIT_OID_HEXSZ + 1, git_object_id(commit));
	rc = 0;
out:
	git_object_free(commit);
	git_object_free(obj);
	return rc;
}

int gitsrc_resolve(char *sha_out, const char *path, const char *ref, struct err *err)
{
	git_repository *repo = NULL;
	int rc;

	gitsrc_global_init();
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 &&
	    git_repository_open_bare(&repo, path) < 0)
		rc = err_set(err, ERR_NOTFOUND, "'%s' is not a git repository", path);
	else
		rc = resolve_commit(sha_out, repo, ref, path, err);
	git_repository_free(repo);
	return rc;
}

int gitsrc_bare_info(char **gitdir_out, char **branch_out, const char *path, struct err *err)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	const char *target;
	char *gitdir = NULL, *branch = NULL;
	int rc;

	gitsrc_global_init();
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		rc = err_set(err, ERR_NOTFOUND, "'%s' is not a git repository", path);
		goto out;
	}
	if (!git_repository_is_bare(repo)) {
		rc = err_set(err, ERR_INVALID,
		             "'%s' is not a bare repository (a push hook belongs in the repository "
		             "pushed to)",
		             path);
		goto out;
	}
	gitdir = strdup(git_repository_path(repo));
	/* HEAD of a bare repository names the default branch, even before its first commit. */
	if (git_reference_lookup(&head, repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    (target = git_reference_symbolic_target(head)) && !strncmp(target, "refs/heads/", 11))
		branch = strdup(target + 11);
	else
		branch = strdup("main");
	if (!gitdir || !branch) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* libgit2 ends the path with '/'; the hook and messages want none. */
	if (strlen(gitdir) > 1 && gitdir[strlen(gitdir) - 1] == '/')
		gitdir[strlen(gitdir) - 1] = '\0';
	*gitdir_out = gitdir;
	*branch_out = branch;
	gitdir = branch = NULL;
	rc = 0;
out:
	git_error_clear();
	free(gitdir);
	free(branch);
	git_reference_free(head);
	git_repository_free(repo);
	return rc;
}

struct gitsrc_refs {
	git_repository *repo;
};

int gitsrc_refs_open(struct gitsrc_refs **out, const char *path, struct err *err)
{
	struct gitsrc_refs *r = calloc(1, sizeof(*r));

	if (!r)
		return err_set(err, ERR_NOMEM, "out of memory");
	gitsrc_global_init();
	if (git_repository_open_ext(&r->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		free(r);
		return err_set(err, ERR_NOTFOUND, "'%s' is not a git repository", path);
	}
	*out = r;
	return 0;
}

void gitsrc_refs_free(struct gitsrc_refs *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	free(r);
}

int gitsrc_refs_resolve(char *sha_out, struct gitsrc_refs *r, const char *ref, struct err *err)
{
	/* libgit2 re-reads loose refs and packed-refs when they change; new packs on a miss */
	return resolve_commit(sha_out, r->repo, ref, git_repository_path(r->repo), err);
}
