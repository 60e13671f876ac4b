/* The netlink socket every nftables conversation uses: opened with extended ACKs, closed without
 * making the caller wait for the kernel's deferred frees. */
#ifndef NLAB_NFTSOCK_H
#define NLAB_NFTSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <libmnl/libmnl.h>

#include "runtime/base/err.h"

/* A bound NETLINK_NETFILTER socket; the buffers are best effort (a batch's size, its ACKs). */
struct mnl_socket *nlab_nft_open(size_t sndbuf, size_t rcvbuf, struct nlab_err *err);
/* Close it; wrote: a batch was sent on it. Never blocks on the kernel's deferred work for what
 * it wrote (see nftsock.c). */
void nlab_nft_close(struct mnl_socket *nl, bool wrote);

#endif
