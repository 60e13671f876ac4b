/* `netlab link`: conditions (rate, delay, jitter, loss) on a running container's interface,
 * inside its network namespace. They live on the interface, so they end with the container. */
#ifndef NLAB_LINKCOND_H
#define NLAB_LINKCOND_H

#include "runtime/base/err.h"
#include "runtime/base/linkspec.h"
#include "runtime/base/store.h"
#include "runtime/kernel/qdisc.h"

/* target: CONTAINER or CONTAINER/IFACE (default eth0). */
int nlab_ctr_link_set(struct nlab_store *st, const char *target, const struct nlab_linkcond *c,
                      struct nlab_err *err);
int nlab_ctr_link_show(struct nlab_store *st, const char *target, struct nlab_qdisc_state *out,
                       struct nlab_err *err);
int nlab_ctr_link_reset(struct nlab_store *st, const char *target, struct nlab_err *err);

#endif
