/* `netlab system reset`: undo everything netlab did for one state root. */
#ifndef NLAB_SYSTEM_H
#define NLAB_SYSTEM_H

#include "runtime/base/err.h"
#include "runtime/base/store.h"

/* Remove every container (killing shims and processes), every network's bridge, firewall
 * entries and DNS records, netlab-dns, both nftables tables, leftover netns mounts, set
 * ip_forward back to what was recorded, then empty the state root. Keeps going after a
 * failure and reports the first one. */
int nlab_system_reset(struct nlab_store *st, struct nlab_err *err);

#endif
