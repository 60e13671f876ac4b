/* Link conditions as the kernel's queueing disciplines, through libnl-route: tbf for a rate,
 * netem for delay, jitter and loss, and netem at the root with tbf as its child when both are
 * asked for (the layout of iproute2's tc-netem(8) "rate control" example). */
#ifndef NLAB_QDISC_H
#define NLAB_QDISC_H

#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/base/linkspec.h"
#include "runtime/kernel/netlink.h"

struct nl_msg;

/* What an interface's root holds: conditions netlab understands, or another discipline. */
struct nlab_qdisc_state {
        struct nlab_linkcond cond; /* set == 0: none */
        char other[32];            /* the root's kind when it is neither tbf, netem nor default */
};

/* The requests for c on ifindex, built and not sent (the unit tests read them): *root replaces
 * the root with handle root_handle (netem, or tbf for a rate alone); *child, or NULL, adds tbf
 * under netem. The caller frees both with nlmsg_free. */
int nlab_qdisc_build(const struct nlab_linkcond *c, int ifindex, uint32_t root_handle,
                     struct nl_msg **root, struct nl_msg **child, struct nlab_err *err);
/* The root handle a request replacing current_root uses: a fresh one, so the kernel builds the
 * new discipline before it swaps it in, and the old one stays when that fails. */
uint32_t nlab_qdisc_next_handle(uint32_t current_root);

/* Replace ifname's conditions with c. A kernel without sch_netem fails with the old conditions
 * untouched; a failure after the swap leaves the interface without conditions, never half. */
int nlab_qdisc_apply(struct nlab_nl *nl, const char *ifname, const struct nlab_linkcond *c,
                     struct nlab_err *err);
int nlab_qdisc_read(struct nlab_nl *nl, const char *ifname, struct nlab_qdisc_state *out,
                    struct nlab_err *err);
/* Back to the kernel's default discipline; nothing set counts as success. */
int nlab_qdisc_reset(struct nlab_nl *nl, const char *ifname, struct nlab_err *err);

#endif
