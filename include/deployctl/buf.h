/*
 * buf.h - growable NUL-terminated strings with git's strbuf invariants
 * (ptr never NULL after init, always terminated) plus a size cap.
 */
#ifndef DEPLOYCTL_BUF_H
#define DEPLOYCTL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t cap; /* maximum len; 0 means BUF_DEFAULT_CAP */
	int toobig; /* set once an append was refused for the cap */
};

#define BUF_DEFAULT_CAP (64u << 20)

void buf_init(struct buf *b, size_t cap);
/* Free the contents and re-init (keeping cap). */
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Append; return 0 or ERR_NOMEM (allocation failed or cap exceeded). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the string to the caller (new, free()), leaving b empty. */
char *buf_detach(struct buf *b);

/*
 * Offset of the first byte of s[0..len) that is not valid UTF-8 as JSON
 * (and so Docker) takes it: no overlong forms, surrogates or code points
 * above U+10FFFF. len when all of it is valid.
 */
size_t buf_utf8_invalid(const char *s, size_t len);

#endif
