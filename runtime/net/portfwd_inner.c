/* The port forwarder's inner half: runs in the lab host, connects on request, sends the socket. */
#include "runtime/net/portfwd.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/net/portfwd_wire.h"

/* A socket connecting (non-blocking: the outer half waits for it, so a target that does not
 * answer never stalls us) to the request's address, or -errno. */
static int connect_target(const struct nlab_portfwd_req *req)
{
        struct sockaddr_storage ss = {0};
        socklen_t len;
        int fd, type = req->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;

        if (req->family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

                a->sin6_family = AF_INET6;
                a->sin6_port = htons(req->port);
                memcpy(&a->sin6_addr, req->addr, 16);
                len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *)&ss;

                a->sin_family = AF_INET;
                a->sin_port = htons(req->port);
                memcpy(&a->sin_addr, req->addr, 4);
                len = sizeof(*a);
        }
        fd = socket(req->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
                int e = errno;

                close(fd);
                return -e;
        }
        return fd;
}

static int reply(int sock, uint32_t id, int fd_or_errno)
{
        struct nlab_portfwd_resp resp = {.id = id, .errnum = fd_or_errno < 0 ? -fd_or_errno : 0};
        uint8_t buf[NLAB_PORTFWD_RESP_LEN];
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } ctl = {0};
        struct iovec iov = {buf, sizeof(buf)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

        nlab_portfwd_resp_encode(&resp, buf);
        if (fd_or_errno >= 0) {
                struct cmsghdr *c;

                msg.msg_control = ctl.b;
                msg.msg_controllen = sizeof(ctl.b);
                c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd_or_errno, sizeof(int));
        }
        return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int nlab_portfwd_serve_one(int sock, struct nlab_err *err)
{
        uint8_t buf[64];
        struct nlab_portfwd_req req;
        ssize_t n;
        int fd, r;

        n = recv(sock, buf, sizeof(buf), MSG_TRUNC);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN
                           ? 1
                           : nlab_err_sys(err, errno, "port forwarder: receive request");
        if (n == 0)
                return 0;
        if (nlab_portfwd_req_decode(buf, (size_t)n, &req) < 0)
                return 1; /* not ours: no id to answer to */
        fd = connect_target(&req);
        r = reply(sock, req.id, fd);
        if (fd >= 0)
                close(fd);
        if (r < 0)
                return nlab_err_sys(err, errno, "port forwarder: send connection %u", req.id);
        return 1;
}

int nlab_portfwd_serve(int sock, struct nlab_err *err)
{
        int r;

        while ((r = nlab_portfwd_serve_one(sock, err)) > 0)
                ;
        return r;
}
