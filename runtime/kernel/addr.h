/* IPv4 addresses on links through libnl-route. */
#ifndef NLAB_ADDR_H
#define NLAB_ADDR_H

#include <netinet/in.h>

#include "runtime/base/err.h"
#include "runtime/kernel/netlink.h"

/* Add a/prefix (with its broadcast address) to link `ifname`. EEXIST when already there. */
int nlab_addr_add(struct nlab_nl *nl, const char *ifname, struct in_addr a, unsigned prefix,
                  struct nlab_err *err);
/* Remove a/prefix from `ifname`; an address or link already gone counts as success. */
int nlab_addr_del(struct nlab_nl *nl, const char *ifname, struct in_addr a, unsigned prefix,
                  struct nlab_err *err);

#endif
