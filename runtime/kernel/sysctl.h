/* Writes under /proc/sys, which always shows the caller's own netns. */
#ifndef NLAB_SYSCTL_H
#define NLAB_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"

/* Write value to /proc/sys/<key>, key like "net/ipv4/ip_forward". */
int nlab_sysctl_write(const char *key, const char *value, struct nlab_err *err);
/* net.ipv4.ip_forward=1 */
int nlab_sysctl_ip_forward(struct nlab_err *err);
/* net.ipv4.conf.<bridge>.route_localnet=1, so DNAT from 127.0.0.1 can leave via the bridge. */
int nlab_sysctl_route_localnet(const char *bridge, struct nlab_err *err);

/* Read /proc/sys/<key> into buf, without the trailing newline. */
int nlab_sysctl_read(const char *key, char *buf, size_t size, struct nlab_err *err);

/* Is there a /proc/sys entry for the dotted key ("net.ipv4.ip_forward")? 1 yes; 0 no, with near
 * set to the closest dotted name beside it or ""; -1 for a malformed key. A per-interface key
 * (net.ipv4.conf.eth0.x) is looked up under "default", since the container's links are not here. */
int nlab_sysctl_exists(const char *dotted, char *near, size_t size);

/* Forwarding as found: the first call for a state root records ip_forward as it is now in
 * <root>/host/ip_forward (before netlab turns it on); every call says whether it was off. */
int nlab_forward_record(const char *root, bool *was_off, struct nlab_err *err);
/* Put ip_forward back to the recorded value and drop the record; no record is success. */
int nlab_forward_restore(const char *root, struct nlab_err *err);

#endif
