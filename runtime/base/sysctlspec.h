/* --sysctl KEY=VALUE: which kernel parameters a container may set (Docker's namespaced keys). */
#ifndef NLAB_SYSCTLSPEC_H
#define NLAB_SYSCTLSPEC_H

#include <stddef.h>

#include "runtime/base/err.h"

/* Whose network namespace the container uses: net.* keys are only for its own. */
enum nlab_sysctl_netns {
        NLAB_SYSCTL_NET_OWN,
        NLAB_SYSCTL_NET_HOST,   /* --network host */
        NLAB_SYSCTL_NET_JOINED, /* --network container:NAME */
};

/* Validate one KEY=VALUE as Docker and runc do; the error names the key and what is accepted. */
int nlab_sysctl_check(const char *spec, enum nlab_sysctl_netns net, struct nlab_err *err);
/* Split a checked spec: the key in dotted form into key, its path under /proc/sys into path
 * ("net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; a key written with '/' keeps its dots, as
 * in "net/ipv4/conf/eth0.100/rp_filter"). Returns the value, or NULL if a buffer is too small. */
const char *nlab_sysctl_split(const char *spec, char *key, size_t ksize, char *path, size_t psize);

#endif
