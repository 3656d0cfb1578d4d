/*
 * envrules.h - x-deployctl.env rules (required, min_length, max_length,
 * pattern, url with schemes, one_of) checked against the values a deploy
 * would use. Messages never contain a value, secret or not.
 */
#ifndef DEPLOYCTL_ENVRULES_H
#define DEPLOYCTL_ENVRULES_H

#include "deployctl/err.h"
#include "deployctl/model.h"

/*
 * Evaluate every rule of p->env_rules. A rule's key is looked up in vars
 * (the interpolation variables: --env-file values and the environment);
 * when vars lacks it, every service whose environment has the key is
 * checked with that service's value. A key set nowhere fails only when
 * required; an empty value counts as unset. Each problem is appended to
 * errs (ERR_INVALID) at the rule's location, e.g.
 *   "x-deployctl.env.JWT_SECRET: too short (12 characters, at least 32)"
 * Returns the number of problems found (0: every rule holds).
 */
int envrules_check(struct errlist *errs, const struct project *p, const struct kvv *vars);

#endif
