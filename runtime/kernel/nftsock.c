#include "runtime/kernel/nftsock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct mnl_socket *nlab_nft_open(size_t sndbuf, size_t rcvbuf, struct nlab_err *err)
{
        struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
        int one = 1, snd = (int)sndbuf, rcv = (int)rcvbuf;

        if (!nl)
                return nlab_err_sys(err, errno, "nftables: netlink socket"), NULL;
        /* the kernel's reason for a refusal, and ACKs without a copy of our message */
        mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
        /* best effort: a big batch must fit in one sendmsg and its ACKs in the receive queue */
        setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd));
        setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int e = errno;

                mnl_socket_close(nl);
                return nlab_err_sys(err, e, "nftables: netlink bind"), NULL;
        }
        return nl;
}

/* Every committed nftables transaction is freed after an RCU grace period, and releasing any
 * nftables socket while such frees are pending waits for them (nf_tables flushes its destroy
 * work on NETLINK_URELEASE): several ms per close, 10-20 ms on a busy machine, on every start and
 * stop. Whatever we sent is committed and acknowledged by now, so a grandchild that holds only
 * the socket takes the last reference, and that wait, after we let go of ours. A socket that only
 * read committed nothing, so it closes in place: no fork for a get or a dump. */
void nlab_nft_close(struct mnl_socket *nl, bool wrote)
{
        int fd = mnl_socket_get_fd(nl), gate[2] = {-1, -1};
        pid_t child = -1;
        char c;

        if (!wrote) {
                mnl_socket_close(nl);
                return;
        }
        if (pipe2(gate, O_CLOEXEC) == 0)
                child = fork();
        if (child == 0) {
                if (fork() == 0) {
                        unsigned lo = (unsigned)(fd < gate[0] ? fd : gate[0]);
                        unsigned hi = (unsigned)(fd < gate[0] ? gate[0] : fd);

                        /* no lock, pipe or terminal of the caller's may outlive it here */
                        close_range(0, lo - 1, 0);
                        close_range(lo + 1, hi - 1, 0);
                        close_range(hi + 1, ~0u, 0);
                        while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                                ;
                        _exit(0); /* the socket's last reference goes here */
                }
                _exit(0);
        }
        if (child > 0)
                waitpid(child, NULL, 0);
        mnl_socket_close(nl);
        if (gate[0] >= 0) {
                close(gate[0]);
                close(gate[1]); /* the grandchild may go now: ours is closed */
        }
}
