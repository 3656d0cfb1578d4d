/*
 * err.h - the one error convention: functions return 0 or a negative ERR_*
 * and fill the caller's struct err; the first error set wins.
 */
#ifndef DEPLOYCTL_ERR_H
#define DEPLOYCTL_ERR_H

#include <stddef.h>

enum err_code {
	ERR_FAIL = -1,     /* nothing more specific applies */
	ERR_NOMEM = -2,    /* allocation failed */
	ERR_NOTFOUND = -3, /* a named ref, file, container or release does not exist */
	ERR_INVALID = -4,  /* bad manifest or argument: the user must fix the input */
	ERR_DOCKER = -5,   /* Engine API refused, or the transport failed */
	ERR_GIT = -6,      /* libgit2 failed */
	ERR_STORE = -7,    /* SQLite failed */
	ERR_IO = -8,       /* file or socket I/O failed */
	ERR_UNREACHABLE =
	        -9,        /* Docker does not answer, or not as the Engine API (garbage, timeout) */
	ERR_BUSY = -10,    /* another deployctl holds the state lock */
	ERR_STOPPED = -11, /* SIGINT or SIGTERM asked the run to stop (sig_pending()) */
};

struct err {
	int code;      /* 0, or one of enum err_code */
	char src[256]; /* manifest path or "<ref>:<path>"; "" if none */
	unsigned line; /* 1-based; 0 if none */
	unsigned col;  /* 1-based; 0 if none */
	char msg[512]; /* one line, lower case, no final period */
};

#define ERR_INIT                                                                                   \
	{                                                                                          \
		0                                                                                  \
	}

/* Set e (unless already set) and return code. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with a location: src is a file name, line/col 1-based (0: unknown). */
int err_set_at(struct err *e, int code, const char *src, unsigned line, unsigned col,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Format "src:line:col: msg" (or just "msg") into buf; returns buf. */
const char *err_format(char *buf, size_t size, const struct err *e);
void err_clear(struct err *e);

/*
 * A bounded list of errors, for checks that report every problem of a run
 * instead of stopping at the first (manifest validation).
 */
#define ERRLIST_MAX 64
struct errlist {
	struct err items[ERRLIST_MAX];
	size_t n;       /* stored, <= ERRLIST_MAX */
	size_t dropped; /* errors beyond ERRLIST_MAX, counted only */
};

void errlist_init(struct errlist *l);
/* Append an error at a location; returns ERR_INVALID-style code given. */
int errlist_add(struct errlist *l, int code, const char *src, unsigned line, unsigned col,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Append a copy of e. */
void errlist_push(struct errlist *l, const struct err *e);
/* Sort by (src, line, col), stable, so output reads top to bottom. */
void errlist_sort(struct errlist *l);

#endif
