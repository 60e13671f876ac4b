/* IPv4 routes through libnl-route. */
#ifndef NLAB_ROUTE_H
#define NLAB_ROUTE_H

#include <netinet/in.h>
#include <stddef.h>

#include "runtime/base/cidr.h"
#include "runtime/base/err.h"
#include "runtime/kernel/netlink.h"

/* default via gateway dev ifname, in the main table. EEXIST when a default route exists. */
int nlab_route_add_default(struct nlab_nl *nl, struct in_addr gateway, const char *ifname,
                           struct nlab_err *err);

/* Destinations of the unicast IPv4 routes in the main table, except the default route: the
 * subnets a new network must not overlap. Malloc'ed array the caller frees. */
int nlab_route_list_v4(struct nlab_nl *nl, struct nlab_subnet **out, size_t *n,
                       struct nlab_err *err);

#endif
