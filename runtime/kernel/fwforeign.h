/* Other firewalls on the host that would silently drop netlab's forwarded traffic. */
#ifndef NLAB_FWFOREIGN_H
#define NLAB_FWFOREIGN_H

#include <stddef.h>

#include "runtime/base/err.h"

/* One line naming what would drop netlab's traffic and the fix, or "" when nothing does: a base
 * chain at the forward hook with policy drop in another table (Docker's `ip filter FORWARD`
 * through iptables-nft, firewalld, ufw), and whether br_netfilter sends bridged traffic there. */
int nlab_fw_foreign(char *msg, size_t size, struct nlab_err *err);

#endif
