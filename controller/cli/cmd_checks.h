/*
 * cmd_checks.h - internal to the CLI: the smoke checks and notifications
 * of a release as show prints them (cmd_show_checks.c).
 */
#ifndef DEPLOYCTL_CMD_CHECKS_H
#define DEPLOYCTL_CMD_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

struct store;

/*
 * Print release id's smoke checks and notifications: text sections
 * ("smoke checks:", "notifications:"; nothing when it had none), or with
 * json the members ,"smoke":[...],"notify":[...] of the object being
 * printed. A read failure is said on stderr.
 */
void show_checks(struct store *s, int64_t id, bool json);

#endif
