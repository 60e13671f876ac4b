/* `netlab info`: what a state root holds and what the host offers netlab. */
#ifndef NLAB_SYSINFO_H
#define NLAB_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/ctr/cgroup.h"
#include "runtime/base/err.h"
#include "runtime/base/store.h"

struct nlab_sysinfo {
        size_t containers, running, paused, stopped, images;
        enum nlab_cgroup_layout cgroup;
        bool seccomp; /* the kernel has seccomp (a Seccomp: line in /proc/self/status) */
        int nft;      /* 1: table inet netlab present, 0: absent, -1: nftables did not answer */
        char kernel[65], arch[65], hostname[65], os[128];
        long cpus;
        unsigned long long mem_total; /* bytes */
};

/* Counts come from the root's records (a dead shim is reconciled first, as for ps). */
int nlab_sysinfo_get(struct nlab_store *st, struct nlab_sysinfo *out, struct nlab_err *err);

#endif
