/*
 * udiff.h - a unified diff of two texts, line by line (udiff.c), for
 * "deployctl diff" to show how a config file changed between releases.
 */
#ifndef DEPLOYCTL_UDIFF_H
#define DEPLOYCTL_UDIFF_H

#include <stddef.h>

#include "deployctl/buf.h"

/* Lines per side beyond which (after the common head and tail) no diff is computed. */
#define UDIFF_MAX_LINES 4000

/*
 * Append to out the unified diff ("--- a_label", "+++ b_label", "@@ -l,n
 * +l,n @@" hunks with `context` lines around changes) turning a into b.
 * Nothing is appended when they are equal. A missing final newline is
 * marked "\ No newline at end of file", as diff(1) does. ERR_INVALID when
 * the changed middle has more than UDIFF_MAX_LINES lines on a side, else 0
 * or ERR_NOMEM.
 */
int udiff(struct buf *out, const char *a, size_t alen, const char *b, size_t blen,
          const char *a_label, const char *b_label, unsigned context);

#endif
