/*
 * cmd_opts.c - option values the commands share, parsed and refused in one
 * way: bounded numbers, release numbers, and the options of every command
 * that runs a release (apply, rollback): --parallel, --keep, --lock-wait,
 * --no-rollback, --json, -q.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "deployctl/cmd_deploy.h"
#include "deployctl/lock.h"
#include "deployctl/log.h"

int cmd_opt_uint(unsigned *out, const char *opt, const char *arg, unsigned min, unsigned max,
                 const char *unit)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = arg && *arg >= '0' && *arg <= '9' ? strtoull(arg, &end, 10) : 0;
	if (!arg || *arg < '0' || *arg > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "deployctl: %s takes %u to %u%s%s\n", opt, min, max,
		        unit ? " " : "", unit ? unit : "");
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int cmd_parse_release(int64_t *out, const char *s)
{
	long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v <= 0)
		return -1;
	*out = v;
	return 0;
}

int cmd_release_opt(struct release_opts *ro, long *lock_wait, int opt, const char *arg)
{
	struct err err = ERR_INIT;

	switch (opt) {
	case 'j':
		return cmd_opt_uint(&ro->parallel, "--parallel", arg, 1, 8, NULL) < 0 ? -1 : 1;
	case 'K':
		return cmd_opt_uint(&ro->keep, "--keep", arg, 1, 100, "releases") < 0 ? -1 : 1;
	case 'W':
		if (lock_parse_duration(lock_wait, arg, &err) < 0) {
			cmd_report(&err);
			return -1;
		}
		return 1;
	case 'N':
		ro->no_rollback = true;
		return 1;
	case 'J':
		ro->json = true;
		return 1;
	case 'q':
		/* Only errors and the final line: no plan, no progress, no warnings. */
		ro->quiet = true;
		log_set_level(LOG_LEVEL_QUIET);
		return 1;
	default:
		return 0;
	}
}
