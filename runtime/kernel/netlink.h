/* One rtnetlink socket, in the current netns or in the one at a path, with errors that name
 * objects. */
#ifndef NLAB_NETLINK_H
#define NLAB_NETLINK_H

#include "runtime/base/err.h"

struct nl_sock;

struct nlab_nl {
        struct nl_sock *sk;
        int nsfd;         /* the netns the socket lives in, or -1 for the caller's own */
        int syserr;       /* errno of the last NLMSG_ERROR, consumed by nlab_nl_fail */
        char extack[256]; /* the kernel's reason for it (NETLINK_EXT_ACK), may be empty */
};

/* Open a NETLINK_ROUTE socket. netns_path NULL: the calling thread's netns; otherwise the
 * thread enters that netns, creates the socket and returns to its own netns. */
struct nlab_nl *nlab_nl_open(const char *netns_path, struct nlab_err *err);
void nlab_nl_close(struct nlab_nl *nl);

/* Turn a failed libnl call (negative NLE_* code) into err as "<what>: File exists", using
 * the kernel's errno when the failure came from an ACK. err->errnum holds that errno. */
int nlab_nl_fail(struct nlab_nl *nl, int nlerr, struct nlab_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void nlab_nl_closep(struct nlab_nl **nl)
{
        nlab_nl_close(*nl);
}
#define nlab_nl_auto __attribute__((cleanup(nlab_nl_closep))) struct nlab_nl

#endif
