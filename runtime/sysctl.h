/* Writes under /proc/sys, which always shows the caller's own netns. */
#ifndef NLAB_SYSCTL_H
#define NLAB_SYSCTL_H

#include "runtime/err.h"

/* Write value to /proc/sys/<key>, key like "net/ipv4/ip_forward". */
int nlab_sysctl_write(const char *key, const char *value, struct nlab_err *err);
/* net.ipv4.ip_forward=1 */
int nlab_sysctl_ip_forward(struct nlab_err *err);
/* net.ipv4.conf.<bridge>.route_localnet=1, so DNAT from 127.0.0.1 can leave via the bridge. */
int nlab_sysctl_route_localnet(const char *bridge, struct nlab_err *err);

#endif
