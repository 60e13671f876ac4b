/* Reaching the state root's supervisor (netlab-shim, shim/): connect to it, or start it under
 * <root>/shim.lock, and hand it a container. */
#ifndef NLAB_SHIMSUP_H
#define NLAB_SHIMSUP_H

#include "runtime/base/err.h"
#include "runtime/ctr/shimwire.h"

struct nlab_shim_sup {
        int fd;       /* the connection: the supervisor stays while it is open */
        int pidns_fd; /* its pid namespace, where a start's shim is forked */
        int pid;      /* as our /proc numbers it */
        unsigned long long start;
};

/* bin: the netlab-shim binary; netlab: ours, which the supervisor runs for teardowns. */
int nlab_shim_sup_connect(const char *root, const char *bin, const char *netlab,
                          struct nlab_shim_sup *s, struct nlab_err *err);
void nlab_shim_sup_close(struct nlab_shim_sup *s);
/* End the state root's supervisor, if one runs, and so every process still in its pid namespace
 * (for `system reset`, after the containers it knows of are removed). */
void nlab_shim_sup_stop(const char *root);
/* Send one registration with its fds (-1: none) and wait for the supervisor's ack; -1 with
 * errno on failure. */
int nlab_shim_sup_register(int fd, const struct nlab_shim_reg *reg, int out_fd, int stdin_fd);

#endif
