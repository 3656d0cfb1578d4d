/*
 * preflight_tls.c - the "tls" items of "deployctl check": every certificate
 * the project lists in x-deployctl.tls or a service mounts (configs,
 * secrets, bind-mounted .pem/.crt/.cer/.key files and directories) parses,
 * is valid now and for more than TLS_WARN_DAYS, matches its private key,
 * covers the names listed, and its key file is not readable by group or
 * others. Parsing is util/tls.c's; a key is never quoted.
 */
#define _XOPEN_SOURCE 700 /* realpath() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deployctl/buf.h"
#include "deployctl/tls.h"
#include "preflight_internal.h"

#define TLS_WARN_DAYS 14
#define TLS_FILE_MAX  (1u << 20) /* bytes of one certificate or key file */
#define TLS_DIR_MAX   64         /* files looked at in one bind-mounted directory */
#define MSG_MAX       4000

struct tls_run {
	struct run *run;
	int64_t now;
	struct strv seen; /* real paths already checked */
	size_t n;         /* items added */
};

/* A host file of a certificate or key. */
struct hostfile {
	char *data;
	size_t len;
	mode_t mode;
	char why[128]; /* why it could not be read */
};

static bool tls_ext(const char *path)
{
	static const char *const exts[] = { ".pem", ".crt", ".cer", ".key" };
	size_t n = strlen(path), i, e;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (n > e && !strcasecmp(path + n - e, exts[i]))
			return true;
	}
	return false;
}

static void hostfile_release(struct hostfile *h)
{
	if (h->data)
		memset(h->data, 0, h->len); /* it may hold a private key */
	free(h->data);
	h->data = NULL;
	h->len = 0;
}

/* Read path into h; false with h->why set when it cannot be. */
static bool hostfile_read(struct hostfile *h, const char *path)
{
	struct stat st;
	ssize_t got;
	int fd;

	memset(h, 0, sizeof(*h));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(h->why, sizeof(h->why), "%s", strerror(errno));
		goto fail;
	}
	h->mode = st.st_mode;
	if (!S_ISREG(st.st_mode)) {
		snprintf(h->why, sizeof(h->why), "not a regular file");
		goto fail;
	}
	if ((uint64_t)st.st_size > TLS_FILE_MAX) {
		snprintf(h->why, sizeof(h->why), "larger than %u bytes", TLS_FILE_MAX);
		goto fail;
	}
	h->data = malloc((size_t)st.st_size + 1);
	if (!h->data) {
		snprintf(h->why, sizeof(h->why), "out of memory");
		goto fail;
	}
	while (h->len < (size_t)st.st_size &&
	       (got = read(fd, h->data + h->len, (size_t)st.st_size - h->len)) > 0)
		h->len += (size_t)got;
	h->data[h->len] = '\0';
	close(fd);
	return true;
fail:
	if (fd >= 0)
		close(fd);
	hostfile_release(h);
	return false;
}

/* Has path been checked already? Marks it checked. */
static bool seen_before(struct tls_run *t, const char *path)
{
	char *real = realpath(path, NULL);
	const char *key = real ? real : path;
	size_t i;
	bool hit = false;

	for (i = 0; i < t->seen.n && !hit; i++)
		hit = !strcmp(t->seen.v[i], key);
	if (!hit && strv_push(&t->seen, key) < 0)
		t->run->rc = ERR_NOMEM;
	free(real);
	return hit;
}

static void ymd(char *out, size_t size, int64_t unix_time)
{
	time_t tt = (time_t)unix_time;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, size, "@%lld", (long long)unix_time);
}

/* One finding: the worst status wins, texts joined by "; ". */
struct finding {
	struct buf msg;
	enum status st;
};

static void say(struct finding *f, enum status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void say(struct finding *f, enum status st, const char *fmt, ...)
{
	va_list ap;

	if (st > f->st)
		f->st = st;
	if (f->msg.len)
		buf_puts(&f->msg, "; ");
	va_start(ap, fmt);
	buf_vprintf(&f->msg, fmt, ap);
	va_end(ap);
}

static void finish(struct tls_run *t, struct finding *f)
{
	preflight_item_add(t->run, "tls", f->st, "%s", f->msg.ptr);
	buf_release(&f->msg);
	t->n++;
}

static void key_mode(struct finding *f, const char *path, mode_t mode)
{
	if (mode & 044)
		say(f, ST_FAIL, "key mode %03o lets group or others read it (chmod 600 %s)",
		    (unsigned)(mode & 0777), path);
	else
		say(f, ST_OK, "key mode %03o", (unsigned)(mode & 0777));
}

static void dates(struct finding *f, const struct tls_cert *c, int64_t now)
{
	int64_t nb = tls_cert_not_before(c), na = tls_cert_not_after(c);
	char when[40];
	long days;

	ymd(when, sizeof(when), na);
	if (na <= now) {
		days = (long)((now - na) / 86400);
		say(f, ST_FAIL, "expired %s (%ld day(s) ago)", when, days);
	} else if (nb > now) {
		ymd(when, sizeof(when), nb);
		say(f, ST_FAIL, "not valid before %s", when);
	} else {
		days = (long)((na - now) / 86400);
		say(f, days < TLS_WARN_DAYS ? ST_WARN : ST_OK, "expires %s (in %ld day(s)%s)", when,
		    days, days < TLS_WARN_DAYS ? ", renew it" : "");
	}
}

static void names(struct finding *f, const struct tls_cert *c, const struct strv *want)
{
	char have[512], missing[512];
	size_t i, used = 0;

	missing[0] = '\0';
	for (i = 0; want && i < want->n; i++) {
		int w;

		if (tls_cert_covers(c, want->v[i]))
			continue;
		w = snprintf(missing + used, sizeof(missing) - used, "%s%s", used ? ", " : "",
		             want->v[i]);
		if (w < 0 || (size_t)w >= sizeof(missing) - used)
			break;
		used += (size_t)w;
	}
	tls_cert_names(have, sizeof(have), c);
	if (*missing)
		say(f, ST_FAIL, "does not cover %s (subjectAltName: %s)", missing,
		    *have ? have : "none");
	else if (want && want->n)
		say(f, ST_OK, "covers %zu name(s)", want->n);
	else
		say(f, ST_OK, "names %s", *have ? have : "none (no subjectAltName)");
}

/*
 * One certificate: where it is declared, the file shown, its bytes, and
 * optionally the names to cover and the key to match (key_pem NULL: none;
 * key_mode_ok false: the key is not a host file with a mode).
 */
struct cert_in {
	const char *where, *shown;
	const char *pem;
	size_t len;
	const struct strv *names;
	const char *key_shown, *key_pem;
	size_t key_len;
	bool key_has_mode;
	mode_t key_mode;
};

static void check_cert(struct tls_run *t, const struct cert_in *in)
{
	struct finding f = { .st = ST_OK };
	struct tls_cert *c = NULL;
	struct err err = ERR_INIT;
	char subject[256];

	buf_init(&f.msg, MSG_MAX);
	buf_printf(&f.msg, "%s: %s: ", in->where, in->shown);
	if (tls_cert_parse(&c, in->pem, in->len, &err) < 0) {
		f.st = ST_FAIL;
		buf_printf(&f.msg, "not a usable certificate: %s", err.msg);
		finish(t, &f);
		return;
	}
	tls_cert_subject(subject, sizeof(subject), c);
	buf_puts(&f.msg, *subject ? subject : "(empty subject)");
	if (tls_cert_count(c) > 1)
		buf_printf(&f.msg, " (+%zu chain certificate(s))", tls_cert_count(c) - 1);
	dates(&f, c, t->now);
	names(&f, c, in->names);
	if (in->key_pem) {
		err_clear(&err);
		if (tls_key_check(c, in->key_pem, in->key_len, &err) < 0)
			say(&f, ST_FAIL, "key %s: %s", in->key_shown, err.msg);
		else
			say(&f, ST_OK, "key %s matches", in->key_shown);
		if (in->key_has_mode)
			key_mode(&f, in->key_shown, in->key_mode);
	}
	tls_cert_free(c);
	finish(t, &f);
}

/* "dir/of/manifest.yml" + "./ssl/x.pem" against the host directory of the manifests. */
static void resolve(char *out, size_t size, struct run *run, const struct loc *loc, const char *p)
{
	const struct deploy_opts *o = run->o;
	const char *base = o->dir                ? o->dir
	                   : run->dp->git        ? gitsrc_path(run->dp->git)
	                   : o->repo && *o->repo ? o->repo
	                                         : ".";
	const char *file = loc->file ? loc->file : "", *slash = strrchr(file, '/');
	int dirlen = slash ? (int)(slash - file) : 0, baselen = (int)strlen(base);
	char *real;

	if (p[0] == '/') {
		snprintf(out, size, "%s", p);
		return;
	}
	while (!strncmp(p, "./", 2))
		p += 2;
	while (baselen > 1 && base[baselen - 1] == '/')
		baselen--;
	if (dirlen)
		snprintf(out, size, "%.*s/%.*s/%s", baselen, base, dirlen, file, p);
	else
		snprintf(out, size, "%.*s/%s", baselen, base, p);
	real = realpath(out, NULL); /* shown as the host knows it, when it exists */
	if (real && strlen(real) < size)
		memcpy(out, real, strlen(real) + 1);
	free(real);
}

/* An x-deployctl.tls entry. */
static void check_listed(struct tls_run *t, size_t i)
{
	const struct project_tls *e = &t->run->dp->project->tls[i];
	char where[64], cert[PATH_MAX], key[PATH_MAX];
	struct hostfile cf, kf = { 0 };
	struct cert_in in = { .where = where, .shown = cert, .names = &e->names };

	snprintf(where, sizeof(where), "x-deployctl.tls[%zu]", i);
	resolve(cert, sizeof(cert), t->run, &e->loc, e->cert);
	seen_before(t, cert);
	if (!hostfile_read(&cf, cert)) {
		preflight_item_add(t->run, "tls", ST_FAIL, "%s (%s:%u:%u): %s: %s", where,
		                   e->loc.file ? e->loc.file : "", e->loc.line, e->loc.col, cert,
		                   cf.why);
		t->n++;
		return;
	}
	in.pem = cf.data;
	in.len = cf.len;
	if (e->key) {
		resolve(key, sizeof(key), t->run, &e->loc, e->key);
		seen_before(t, key);
		in.key_shown = key;
		if (!hostfile_read(&kf, key)) {
			preflight_item_add(t->run, "tls", ST_FAIL, "%s: %s: key %s: %s", where,
			                   cert, key, kf.why);
			t->n++;
			goto out;
		}
		in.key_pem = kf.data;
		in.key_len = kf.len;
		in.key_has_mode = true;
		in.key_mode = kf.mode;
	} else if (tls_pem_has_key(cf.data, cf.len)) {
		in.key_shown = cert;
		in.key_pem = cf.data;
		in.key_len = cf.len;
		in.key_has_mode = true;
		in.key_mode = cf.mode;
	}
	check_cert(t, &in);
out:
	hostfile_release(&kf);
	hostfile_release(&cf);
}

/* Bytes a service mounts (a config or environment secret): a certificate, or a key. */
static void check_bytes(struct tls_run *t, const char *where, const char *shown, const char *pem,
                        size_t len, bool from_repo)
{
	struct cert_in in = { .where = where, .shown = shown, .pem = pem, .len = len };

	if (tls_pem_has_key(pem, len) && from_repo) {
		preflight_item_add(t->run, "tls", ST_FAIL,
		                   "%s: %s holds a private key, and configs come from the "
		                   "repository: make it a secret with a file outside it",
		                   where, shown);
		t->n++;
		return;
	}
	if (!tls_pem_has_cert(pem, len))
		return;
	if (tls_pem_has_key(pem, len)) {
		in.key_shown = shown;
		in.key_pem = pem;
		in.key_len = len;
	}
	check_cert(t, &in);
}

/* A host file a service mounts: checked when it holds a certificate or a key. */
static void check_host(struct tls_run *t, const char *where, const char *path)
{
	struct hostfile h;
	struct finding f = { .st = ST_OK };

	if (seen_before(t, path))
		return;
	if (!hostfile_read(&h, path)) {
		preflight_item_add(t->run, "tls", ST_WARN, "%s: %s: cannot be read: %s", where,
		                   path, h.why);
		t->n++;
		return;
	}
	if (tls_pem_has_cert(h.data, h.len)) {
		struct cert_in in = { .where = where, .shown = path, .pem = h.data, .len = h.len };

		if (tls_pem_has_key(h.data, h.len)) {
			in.key_shown = path;
			in.key_pem = h.data;
			in.key_len = h.len;
			in.key_has_mode = true;
			in.key_mode = h.mode;
		}
		check_cert(t, &in);
	} else if (tls_pem_has_key(h.data, h.len)) {
		buf_init(&f.msg, MSG_MAX);
		buf_printf(&f.msg, "%s: %s: private key (no certificate in it)", where, path);
		key_mode(&f, path, h.mode);
		finish(t, &f);
	}
	hostfile_release(&h);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A bind-mounted directory: its .pem/.crt/.cer/.key files (not recursive). */
static void check_dir(struct tls_run *t, const char *where, const char *dir)
{
	struct strv files = { 0 };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i;

	if (!d)
		return; /* the "files" item reports a missing source */
	while ((de = readdir(d)) && files.n < TLS_DIR_MAX)
		if (de->d_name[0] != '.' && tls_ext(de->d_name) &&
		    strv_push(&files, de->d_name) < 0)
			t->run->rc = ERR_NOMEM;
	closedir(d);
	if (files.n > 1)
		qsort(files.v, files.n, sizeof(*files.v), name_cmp);
	for (i = 0; i < files.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files.v[i]);
		check_host(t, where, path);
	}
	strv_free(&files);
}

static void check_service(struct tls_run *t, const struct service *s)
{
	const struct project *p = t->run->dp->project;
	char where[300], shown[600];
	struct stat st;
	size_t k;

	for (k = 0; k < s->nconfigs; k++) {
		const struct project_file *f =
		        model_file_find(p->configs, p->nconfigs, s->configs[k].source);

		if (!f || !f->content)
			continue;
		snprintf(where, sizeof(where), "services.%s.configs[%zu]", s->name, k);
		snprintf(shown, sizeof(shown), "configs.%s%s%s%s", f->name, f->file ? " (" : "",
		         f->file ? f->file : "", f->file ? ")" : "");
		check_bytes(t, where, shown, f->content, f->content_len, true);
	}
	for (k = 0; k < s->nsecrets; k++) {
		const struct project_file *f =
		        model_file_find(p->secrets, p->nsecrets, s->secrets[k].source);

		if (!f)
			continue;
		snprintf(where, sizeof(where), "services.%s.secrets[%zu]", s->name, k);
		if (f->file && tls_ext(f->file)) {
			check_host(t, where, f->file);
		} else if (f->content) {
			snprintf(shown, sizeof(shown), "secrets.%s", f->name);
			check_bytes(t, where, shown, f->content, f->content_len, false);
		}
	}
	for (k = 0; k < s->nmounts; k++) {
		const char *src = s->mounts[k].source;

		if (s->mounts[k].type != MOUNT_BIND || !src || stat(src, &st) < 0)
			continue;
		snprintf(where, sizeof(where), "services.%s.volumes[%zu]", s->name, k);
		if (S_ISDIR(st.st_mode))
			check_dir(t, where, src);
		else if (tls_ext(src))
			check_host(t, where, src);
	}
}

void preflight_tls(struct run *run, int64_t now)
{
	const struct project *p = run->dp->project;
	struct tls_run t = { .run = run, .now = now };
	size_t i;

	for (i = 0; i < p->ntls; i++)
		check_listed(&t, i);
	for (i = 0; i < p->nservices; i++)
		check_service(&t, &p->services[i]);
	if (!t.n)
		preflight_item_add(run, "tls", ST_OK,
		                   "no certificates listed (x-deployctl.tls) or mounted (configs, "
		                   "secrets, bind mounts)");
	strv_free(&t.seen);
}
