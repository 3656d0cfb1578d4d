/*
 * spec_resource.h - a network's or volume's settings as JSON, kept in a
 * release's snapshot beside its Docker name (release_resources.spec), so a
 * rollback that has to create the network again (after `down`, or once it
 * was removed) gives it the subnets, gateway, driver and flags the release
 * had, not Docker's defaults.
 */
#ifndef DEPLOYCTL_SPEC_RESOURCE_H
#define DEPLOYCTL_SPEC_RESOURCE_H

#include "deployctl/err.h"
#include "deployctl/model.h"

/* n's driver, ipam, internal, enable_ipv6 and labels as compact JSON; *out new. ERR_NOMEM. */
int spec_network_render(char **out, const struct project_resource *n, struct err *err);

/*
 * The settings of json (as spec_network_render wrote it) into n, whose name
 * and external fields are left alone. ERR_INVALID when json is malformed.
 */
int spec_network_parse(struct project_resource *n, const char *json, struct err *err);

/* v's driver and labels as compact JSON; *out new. ERR_NOMEM. */
int spec_volume_render(char **out, const struct project_resource *v, struct err *err);

/* The settings of json (spec_volume_render) into v. ERR_INVALID when malformed. */
int spec_volume_parse(struct project_resource *v, const char *json, struct err *err);

#endif
