/*
 * smoke_net.h - smoke checks from inside a project network
 * (deploy/smoke_net.c): each attempt a one-off container (oneoff.h) on the
 * check's network running curl, its output read as the response.
 */
#ifndef DEPLOYCTL_SMOKE_NET_H
#define DEPLOYCTL_SMOKE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "deployctl/httpc.h"
#include "deployctl/oneoff.h"
#include "deployctl/smoke.h"

/* Where in-network checks run: the one-off runner's context, borrowed pointers. */
struct smoke_net {
	struct oneoff oo; /* oo.docker NULL: in-network checks fail, needing Docker */
	bool quiet;       /* no "smoke NAME: pulling IMAGE" line */
	unsigned seq;     /* containers made, for unique names */
};

/*
 * One attempt of in-network check k: out filled (release it) as
 * httpc_request() fills it, want the response header to keep, max_body
 * the body bytes kept. 0 when a response came; ERR_IO with why when none
 * did (curl's message; "no answer within N ms"), or the runner's error
 * (image pull, network, container).
 */
int smoke_net_request(struct httpc_resp *out, struct smoke_net *sn, const struct smoke_check *k,
                      const char *want, size_t max_body, struct err *err);

/*
 * curl -i's output (len bytes of text) into out: the last response head's
 * status (1xx heads skipped) and header want (NULL: none), the body after
 * it, cut at max_body. 0, ERR_INVALID when text holds no status line, or
 * ERR_NOMEM. Pure: unit-tested.
 */
int smoke_net_parse(struct httpc_resp *out, const char *text, size_t len, const char *want,
                    size_t max_body);

/*
 * plan: a note for each in-network check's image that is not present and
 * that no service or job pulls already (apply will pull it; plan never
 * does). Nothing for an empty plan.
 */
struct deploy;
struct ctx;
void smoke_net_print_planned(const struct deploy *dp, struct ctx *ctx, FILE *f);

#endif
