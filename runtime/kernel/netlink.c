#include "runtime/kernel/netlink.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Copy NLMSGERR_ATTR_MSG out of an extended ACK; the TLVs follow the echoed request,
 * which is cut down to its header when the kernel capped it. */
static void copy_extack(struct nlab_nl *nl, struct nlmsgerr *e)
{
        struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
        size_t off = NLMSG_HDRLEN + sizeof(*e);
        struct nlattr *a;

        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
        while (off + NLA_HDRLEN <= h->nlmsg_len) {
                a = (struct nlattr *)((char *)h + off);
                if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
                        return;
                if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
                        snprintf(nl->extack, sizeof(nl->extack), "%.*s",
                                 (int)(a->nla_len - NLA_HDRLEN), (char *)a + NLA_HDRLEN);
                        return;
                }
                off += NLA_ALIGN(a->nla_len);
        }
}

/* libnl folds errno into coarser NLE_* codes; keep the kernel's own errno and reason. */
static int record_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
        struct nlab_nl *nl = arg;

        (void)who;
        nl->syserr = -e->error;
        nl->extack[0] = '\0';
        copy_extack(nl, e);
        return NL_STOP;
}

static int connect_socket(struct nlab_nl *nl, struct nlab_err *err)
{
        int one = 1;
        int r;

        nl->sk = nl_socket_alloc();
        if (!nl->sk)
                return nlab_err_sys(err, ENOMEM, "netlink socket");
        r = nl_connect(nl->sk, NETLINK_ROUTE);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "netlink socket: %s", nl_geterror(r));
        /* Best effort: older kernels simply give no reason text. */
        setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, record_error, nl);
        return 0;
}

/* setns affects only this thread, so entering and leaving around socket() is safe. */
static int connect_in_netns(struct nlab_nl *nl, const char *netns_path, struct nlab_err *err)
{
        int self, r;

        nl->nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (nl->nsfd < 0)
                return nlab_err_sys(err, errno, "netns %s", netns_path);
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return nlab_err_sys(err, errno, "netns of this thread");
        if (setns(nl->nsfd, CLONE_NEWNET) < 0) {
                r = nlab_err_sys(err, errno, "enter netns %s", netns_path);
                close(self);
                return r;
        }
        r = connect_socket(nl, err);
        if (setns(self, CLONE_NEWNET) < 0) {
                /* Cannot happen with a handle on our own netns; if it did, stop everything. */
                r = nlab_err_sys(err, errno, "return from netns %s", netns_path);
        }
        close(self);
        if (r < 0)
                nlab_err_prefix(err, "netns %s", netns_path);
        return r;
}

struct nlab_nl *nlab_nl_open(const char *netns_path, struct nlab_err *err)
{
        struct nlab_nl *nl;
        int r;

        nl = calloc(1, sizeof(*nl));
        if (!nl) {
                nlab_err_sys(err, ENOMEM, "netlink socket");
                return NULL;
        }
        nl->nsfd = -1;
        r = netns_path ? connect_in_netns(nl, netns_path, err) : connect_socket(nl, err);
        if (r < 0) {
                nlab_nl_close(nl);
                return NULL;
        }
        return nl;
}

void nlab_nl_close(struct nlab_nl *nl)
{
        if (!nl)
                return;
        if (nl->sk)
                nl_socket_free(nl->sk);
        if (nl->nsfd >= 0)
                close(nl->nsfd);
        free(nl);
}

/* For failures libnl found without a kernel reply. */
static int nle_to_errno(int nlerr)
{
        switch (abs(nlerr)) {
        case NLE_NOMEM:
                return ENOMEM;
        case NLE_EXIST:
                return EEXIST;
        case NLE_INVAL:
                return EINVAL;
        case NLE_RANGE:
                return ERANGE;
        case NLE_OPNOTSUPP:
                return EOPNOTSUPP;
        case NLE_OBJ_NOTFOUND:
        case NLE_NODEV:
                return ENODEV;
        case NLE_PERM:
                return EPERM;
        case NLE_NOACCESS:
                return EACCES;
        case NLE_BUSY:
                return EBUSY;
        case NLE_NOADDR:
                return EADDRNOTAVAIL;
        default:
                return 0;
        }
}

int nlab_nl_fail(struct nlab_nl *nl, int nlerr, struct nlab_err *err, const char *fmt, ...)
{
        char what[512];
        va_list ap;
        int e = 0;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        /* A recorded errno that does not match this failure is left over from an earlier one. */
        if (nl && nl->syserr && nl_syserr2nlerr(nl->syserr) == abs(nlerr))
                e = nl->syserr;
        if (e && nl->extack[0]) {
                nlab_err_sys(err, e, "%s", what);
                if (err) {
                        size_t len = strlen(err->msg);
                        snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)", nl->extack);
                }
        } else if (e || (e = nle_to_errno(nlerr))) {
                nlab_err_sys(err, e, "%s", what);
        } else {
                nlab_err_set(err, NLAB_E_SYSTEM, "%s: %s", what, nl_geterror(nlerr));
        }
        if (nl) {
                nl->syserr = 0;
                nl->extack[0] = '\0';
        }
        return -1;
}
