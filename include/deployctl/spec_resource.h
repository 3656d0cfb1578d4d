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

/*
 * r's settings as compact JSON with sorted keys, *out new: driver and
 * labels, and for a network (k) ipam, ipam_driver, internal, enable_ipv6.
 * ERR_NOMEM.
 */
int spec_resource_render(char **out, enum res_kind k, const struct project_resource *r,
                         struct err *err);

/*
 * The settings of json (as spec_resource_render wrote it for kind k) into
 * r, whose name and external fields are left alone. ERR_INVALID when json
 * is malformed.
 */
int spec_resource_parse(struct project_resource *r, enum res_kind k, const char *json,
                        struct err *err);

#endif
