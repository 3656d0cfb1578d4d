/*
 * daemon_internal.h - what the daemon's files share. The per-project
 * counters behind /metrics and their renderer live in deploy/metrics.c
 * (include/deployctl/metrics.h), shared with `deployctl metrics`.
 */
#ifndef DEPLOYCTL_DAEMON_INTERNAL_H
#define DEPLOYCTL_DAEMON_INTERNAL_H

#include "deployctl/metrics.h"

#endif
