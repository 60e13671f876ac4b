/* What `netlab doctor` asks the kernel: the host's IPv4 routes and addresses with their
 * interfaces, and which link and qdisc kinds work, found by trying them in a throwaway netns. */
#ifndef NLAB_DOCTOR_PROBE_H
#define NLAB_DOCTOR_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/cidr.h"
#include "runtime/base/err.h"

/* A route's destination or an address's subnet, on one interface of the caller's netns. */
struct nlab_hostnet {
        struct nlab_subnet sub;
        struct in_addr addr; /* the address itself (is_addr), else the route's destination */
        bool is_addr;
        char ifname[16];
};

/* Unicast routes of the main table (not the default route) and every address but loopback's.
 * Malloc'ed array the caller frees. */
int nlab_hostnet_list(struct nlab_hostnet **out, size_t *n, struct nlab_err *err);

enum nlab_kfeat_id {
        NLAB_KF_BRIDGE,
        NLAB_KF_VETH,
        NLAB_KF_VXLAN,
        NLAB_KF_TBF,
        NLAB_KF_NETEM,
        NLAB_KF_N,
};

struct nlab_kfeat {
        bool have[NLAB_KF_N];
        int errnum[NLAB_KF_N]; /* why one failed (EOPNOTSUPP, ENOENT, ...) */
        int netns_errno;       /* no throwaway netns could be made: nothing was tried */
};

/* "bridge", "sch_netem": the module that provides the feature. */
const char *nlab_kfeat_module(enum nlab_kfeat_id id);
/* "bridge", "netem": the kind as the kernel names it. */
const char *nlab_kfeat_name(enum nlab_kfeat_id id);
/* Create each kind once in a new network namespace of a child process, which exits with it:
 * nothing is left in the caller's netns whatever happens. Without CAP_SYS_ADMIN the child makes
 * a user namespace first. */
int nlab_kfeat_probe(struct nlab_kfeat *out, struct nlab_err *err);

#endif
