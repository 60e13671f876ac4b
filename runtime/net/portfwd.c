/* The port forwarder's outer half: listeners in the host's namespaces, relays, UDP flows. */
#include "runtime/net/portfwd.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "runtime/net/portfwd_wire.h"

/* read/write through a buffer, not splice through a pipe: splice measured no better here
 * (bench/rootless_tcp.sh) and costs two pipes, four more fds, per connection */
#define PF_BUF     (64 * 1024)
#define PF_UDP_MAX 65536

enum pf_kind { K_INNER, K_TIMER, K_LISTEN, K_CLIENT, K_TARGET, K_FLOW };

/* What an epoll event points at. */
struct pf_handle {
        enum pf_kind kind;
        void *obj;
};

/* One direction of a TCP relay: bytes read from src, not yet written to dst. */
struct pf_dir {
        char *buf;
        size_t off, len;
        bool eof, shut;
};

enum pf_state { C_WAIT, C_CONNECTING, C_OPEN };

struct pf_map;

struct pf_conn {
        struct pf_handle hc, ht;
        struct pf_map *map;
        struct pf_conn *prev, *next;
        int cfd, tfd;
        uint32_t id;
        enum pf_state state;
        bool dead;
        struct pf_dir up, down; /* client->target, target->client */
};

/* A UDP client address and the lab-host socket connected to the target on its behalf. */
struct pf_flow {
        struct pf_handle h;
        struct pf_map *map;
        struct pf_flow *prev, *next;
        struct sockaddr_storage peer;
        socklen_t peerlen;
        int fd;
        uint32_t id;
        bool dead;
        uint64_t last_ms;
        char *pending; /* the first datagram, until the socket arrives */
        size_t npending;
};

struct pf_map {
        struct nlab_port_mapping m;
        struct nlab_portfwd_req target;
        struct pf_handle h;
        int lfd;
        struct pf_conn *conns;
        struct pf_flow *flows;
        struct pf_map *next;
};

struct nlab_portfwd {
        int ep, inner, timer;
        struct pf_handle hinner, htimer;
        struct pf_map *maps;
        uint32_t next_id;
        unsigned udp_timeout_ms, live;
        bool timer_armed;
        char *dgram; /* one datagram in flight, allocated with the first UDP event */
        /* closed while an event batch may still point at them; freed after the batch */
        struct pf_conn *dead_conns;
        struct pf_flow *dead_flows;
};

static void arm_timer(struct nlab_portfwd *fwd, bool on);

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned nlab_unprivileged_port_start(void)
{
        unsigned v = 1024;
        FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");

        if (f) {
                if (fscanf(f, "%u", &v) != 1)
                        v = 1024;
                fclose(f);
        }
        return v;
}

static int ep_add(struct nlab_portfwd *fwd, int fd, uint32_t events, struct pf_handle *h)
{
        struct epoll_event ev = {.events = events, .data.ptr = h};

        return epoll_ctl(fwd->ep, EPOLL_CTL_ADD, fd, &ev);
}

struct nlab_portfwd *nlab_portfwd_new(int inner_sock, struct nlab_err *err)
{
        struct nlab_portfwd *fwd = calloc(1, sizeof(*fwd));

        if (!fwd) {
                nlab_err_sys(err, ENOMEM, "port forwarder");
                return NULL;
        }
        fwd->inner = inner_sock;
        fwd->udp_timeout_ms = 60000;
        fwd->hinner = (struct pf_handle){K_INNER, fwd};
        fwd->htimer = (struct pf_handle){K_TIMER, fwd};
        fwd->ep = epoll_create1(EPOLL_CLOEXEC);
        fwd->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (fwd->ep < 0 || fwd->timer < 0 ||
            ep_add(fwd, inner_sock, EPOLLIN | EPOLLET, &fwd->hinner) < 0 ||
            ep_add(fwd, fwd->timer, EPOLLIN, &fwd->htimer) < 0) {
                nlab_err_sys(err, errno, "port forwarder: epoll");
                if (fwd->ep >= 0)
                        close(fwd->ep);
                if (fwd->timer >= 0)
                        close(fwd->timer);
                free(fwd);
                return NULL;
        }
        return fwd;
}

int nlab_portfwd_fd(const struct nlab_portfwd *fwd)
{
        assert(fwd);
        return fwd->ep;
}

void nlab_portfwd_set_udp_timeout(struct nlab_portfwd *fwd, unsigned ms)
{
        assert(fwd);
        fwd->udp_timeout_ms = ms ? ms : 1;
        if (fwd->timer_armed) { /* the tick follows the timeout */
                arm_timer(fwd, false);
                arm_timer(fwd, true);
        }
}

unsigned nlab_portfwd_live(const struct nlab_portfwd *fwd)
{
        assert(fwd);
        return fwd->live;
}

/* ---- asking the inner half */

static int ask_inner(struct nlab_portfwd *fwd, struct pf_map *map, uint32_t *id)
{
        uint8_t buf[NLAB_PORTFWD_REQ_LEN];
        struct nlab_portfwd_req req = map->target;

        req.id = *id = ++fwd->next_id;
        nlab_portfwd_req_encode(&req, buf);
        return send(fwd->inner, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -1 : 0;
}

/* ---- TCP connections */

static void set_rst(int fd)
{
        struct linger l = {1, 0};

        if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Close both ends; reset passes a reset on (linger 0 sends RST instead of FIN). */
static void conn_close(struct nlab_portfwd *fwd, struct pf_conn *c, bool reset)
{
        if (c->dead)
                return;
        if (reset) {
                set_rst(c->cfd);
                set_rst(c->tfd);
        }
        close(c->cfd);
        if (c->tfd >= 0)
                close(c->tfd);
        c->cfd = c->tfd = -1;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->map->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->dead = true;
        c->next = fwd->dead_conns;
        fwd->dead_conns = c;
        fwd->live--;
}

/* Move what src has to dst until one would block. -1: a reset or error, pass it on. */
static int pump(int src, int dst, struct pf_dir *d)
{
        for (;;) {
                while (d->off < d->len) {
                        ssize_t w = send(dst, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);

                        if (w < 0)
                                return errno == EAGAIN || errno == EINTR ? 0 : -1;
                        d->off += (size_t)w;
                }
                d->off = d->len = 0;
                if (d->eof) {
                        if (!d->shut && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
                                return -1;
                        d->shut = true;
                        return 0;
                }
                ssize_t n = recv(src, d->buf, PF_BUF, 0);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -1;
                if (n == 0)
                        d->eof = true;
                d->len = (size_t)n;
        }
}

static void conn_pump(struct nlab_portfwd *fwd, struct pf_conn *c)
{
        if (pump(c->cfd, c->tfd, &c->up) < 0 || pump(c->tfd, c->cfd, &c->down) < 0) {
                conn_close(fwd, c, true);
                return;
        }
        if (c->up.shut && c->down.shut)
                conn_close(fwd, c, false);
}

static void conn_target_event(struct nlab_portfwd *fwd, struct pf_conn *c, uint32_t events)
{
        int e = 0;
        socklen_t len = sizeof(e);

        if (c->state == C_OPEN) {
                conn_pump(fwd, c);
                return;
        }
        if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
                conn_close(fwd, c, true); /* refused or unreachable: the client sees a reset */
                return;
        }
        if (!(events & EPOLLOUT))
                return;
        c->up.buf = malloc(PF_BUF);
        c->down.buf = malloc(PF_BUF);
        if (!c->up.buf || !c->down.buf) {
                conn_close(fwd, c, true);
                return;
        }
        c->state = C_OPEN;
        conn_pump(fwd, c);
}

static void conn_got_socket(struct nlab_portfwd *fwd, struct pf_conn *c, int fd, int errnum)
{
        if (errnum || fd < 0) {
                conn_close(fwd, c, true);
                return;
        }
        c->tfd = fd;
        c->state = C_CONNECTING;
        /* adding polls the socket once, so one already connected reports EPOLLOUT at once */
        if (ep_add(fwd, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->ht) < 0)
                conn_close(fwd, c, true);
}

static void tcp_accept(struct nlab_portfwd *fwd, struct pf_map *map)
{
        for (;;) {
                int fd = accept4(map->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct pf_conn *c;

                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return; /* EAGAIN; or out of fds: the backlog waits for the next one */
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        set_rst(fd);
                        close(fd);
                        continue;
                }
                *c = (struct pf_conn){.hc = {K_CLIENT, c},
                                      .ht = {K_TARGET, c},
                                      .map = map,
                                      .cfd = fd,
                                      .tfd = -1,
                                      .next = map->conns};
                if (map->conns)
                        map->conns->prev = c;
                map->conns = c;
                fwd->live++;
                if (ep_add(fwd, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->hc) < 0 ||
                    ask_inner(fwd, map, &c->id) < 0)
                        conn_close(fwd, c, true);
        }
}

/* ---- UDP flows */

static void arm_timer(struct nlab_portfwd *fwd, bool on)
{
        unsigned step = fwd->udp_timeout_ms / 4 + 1;
        struct itimerspec its = {0};

        if (on == fwd->timer_armed)
                return;
        if (on) {
                its.it_interval.tv_sec = step / 1000;
                its.it_interval.tv_nsec = (long)(step % 1000) * 1000000;
                its.it_value = its.it_interval;
        }
        timerfd_settime(fwd->timer, 0, &its, NULL);
        fwd->timer_armed = on;
}

static void flow_close(struct nlab_portfwd *fwd, struct pf_flow *f)
{
        if (f->dead)
                return;
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
        free(f->pending);
        f->pending = NULL;
        if (f->prev)
                f->prev->next = f->next;
        else
                f->map->flows = f->next;
        if (f->next)
                f->next->prev = f->prev;
        f->dead = true;
        f->next = fwd->dead_flows;
        fwd->dead_flows = f;
        fwd->live--;
}

static struct pf_flow *flow_find(struct pf_map *map, const struct sockaddr_storage *peer,
                                 socklen_t len)
{
        for (struct pf_flow *f = map->flows; f; f = f->next)
                if (f->peerlen == len && memcmp(&f->peer, peer, len) == 0)
                        return f;
        return NULL;
}

static struct pf_flow *flow_new(struct nlab_portfwd *fwd, struct pf_map *map,
                                const struct sockaddr_storage *peer, socklen_t len)
{
        struct pf_flow *f = calloc(1, sizeof(*f));

        if (!f)
                return NULL;
        *f = (struct pf_flow){.h = {K_FLOW, f},
                              .map = map,
                              .peer = *peer,
                              .peerlen = len,
                              .fd = -1,
                              .next = map->flows};
        if (map->flows)
                map->flows->prev = f;
        map->flows = f;
        fwd->live++;
        arm_timer(fwd, true);
        if (ask_inner(fwd, map, &f->id) < 0) {
                flow_close(fwd, f);
                return NULL;
        }
        return f;
}

static void udp_from_clients(struct nlab_portfwd *fwd, struct pf_map *map, char *buf)
{
        for (;;) {
                struct sockaddr_storage peer;
                socklen_t len = sizeof(peer);
                ssize_t n = recvfrom(map->lfd, buf, PF_UDP_MAX, 0, (struct sockaddr *)&peer, &len);
                struct pf_flow *f;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                f = flow_find(map, &peer, len);
                if (!f && !(f = flow_new(fwd, map, &peer, len)))
                        continue;
                f->last_ms = now_ms();
                if (f->fd >= 0) {
                        send(f->fd, buf, (size_t)n, MSG_NOSIGNAL); /* UDP: a drop is allowed */
                        continue;
                }
                free(f->pending); /* still waiting for the socket: keep only the newest */
                f->pending = malloc((size_t)n + 1);
                f->npending = f->pending ? (size_t)n : 0;
                if (f->pending)
                        memcpy(f->pending, buf, (size_t)n);
        }
}

static void udp_to_client(struct pf_flow *f, char *buf)
{
        for (;;) {
                ssize_t n = recv(f->fd, buf, PF_UDP_MAX, 0);

                if (n < 0) {
                        if (errno == EINTR || errno == ECONNREFUSED)
                                continue; /* an ICMP error from the target: keep the flow */
                        return;
                }
                f->last_ms = now_ms();
                sendto(f->map->lfd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&f->peer,
                       f->peerlen);
        }
}

static void flow_got_socket(struct nlab_portfwd *fwd, struct pf_flow *f, int fd, int errnum)
{
        if (errnum || fd < 0) {
                flow_close(fwd, f);
                return;
        }
        f->fd = fd;
        if (ep_add(fwd, fd, EPOLLIN | EPOLLET, &f->h) < 0) {
                flow_close(fwd, f);
                return;
        }
        if (f->pending)
                send(fd, f->pending, f->npending, MSG_NOSIGNAL);
        free(f->pending);
        f->pending = NULL;
}

static void expire_flows(struct nlab_portfwd *fwd)
{
        uint64_t now = now_ms(), ticks;
        bool any = false;

        if (read(fwd->timer, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                return;
        for (struct pf_map *map = fwd->maps; map; map = map->next) {
                struct pf_flow *next;

                for (struct pf_flow *f = map->flows; f; f = next) {
                        next = f->next;
                        if (now - f->last_ms >= fwd->udp_timeout_ms)
                                flow_close(fwd, f);
                        else
                                any = true;
                }
        }
        arm_timer(fwd, any);
}

/* ---- answers from the inner half */

static void deliver(struct nlab_portfwd *fwd, uint32_t id, int fd, int errnum)
{
        for (struct pf_map *map = fwd->maps; map; map = map->next) {
                for (struct pf_conn *c = map->conns; c; c = c->next)
                        if (c->state == C_WAIT && c->id == id) {
                                conn_got_socket(fwd, c, fd, errnum);
                                return;
                        }
                for (struct pf_flow *f = map->flows; f; f = f->next)
                        if (f->fd < 0 && f->id == id) {
                                flow_got_socket(fwd, f, fd, errnum);
                                return;
                        }
        }
        if (fd >= 0)
                close(fd); /* its connection is gone already */
}

/* One answer; 1 handled, 0 nothing more now, -1 the inner half is gone. */
static int inner_answer(struct nlab_portfwd *fwd)
{
        uint8_t buf[64];
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {buf, sizeof(buf)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.b,
                             .msg_controllen = sizeof(ctl.b)};
        struct nlab_portfwd_resp resp;
        int fd = -1;
        ssize_t n = recvmsg(fwd->inner, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -1;
        if (n == 0)
                return -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if (nlab_portfwd_resp_decode(buf, (size_t)n, &resp) < 0 || (msg.msg_flags & MSG_CTRUNC)) {
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        deliver(fwd, resp.id, fd, resp.errnum);
        return 1;
}

/* ---- dispatch */

static void reap(struct nlab_portfwd *fwd)
{
        while (fwd->dead_conns) {
                struct pf_conn *c = fwd->dead_conns;

                fwd->dead_conns = c->next;
                free(c->up.buf);
                free(c->down.buf);
                free(c);
        }
        while (fwd->dead_flows) {
                struct pf_flow *f = fwd->dead_flows;

                fwd->dead_flows = f->next;
                free(f);
        }
}

static int handle(struct nlab_portfwd *fwd, struct pf_handle *h, uint32_t events, char *buf,
                  struct nlab_err *err)
{
        int r;

        switch (h->kind) {
        case K_INNER:
                while ((r = inner_answer(fwd)) > 0)
                        ;
                if (r < 0)
                        return nlab_err_set(err, NLAB_E_SYSTEM,
                                            "port forwarder: the lab host's half has gone");
                break;
        case K_TIMER:
                expire_flows(fwd);
                break;
        case K_LISTEN: {
                struct pf_map *map = h->obj;

                if (map->m.proto == IPPROTO_UDP)
                        udp_from_clients(fwd, map, buf);
                else
                        tcp_accept(fwd, map);
                break;
        }
        case K_CLIENT: {
                struct pf_conn *c = h->obj;

                if (!c->dead && c->state == C_OPEN)
                        conn_pump(fwd, c);
                break;
        }
        case K_TARGET: {
                struct pf_conn *c = h->obj;

                if (!c->dead)
                        conn_target_event(fwd, c, events);
                break;
        }
        case K_FLOW: {
                struct pf_flow *f = h->obj;

                if (!f->dead)
                        udp_to_client(f, buf);
                break;
        }
        }
        return 0;
}

int nlab_portfwd_dispatch(struct nlab_portfwd *fwd, struct nlab_err *err)
{
        struct epoll_event evs[64];
        int n, r = 0;

        assert(fwd);
        n = epoll_wait(fwd->ep, evs, 64, 0);
        if (n < 0)
                return errno == EINTR ? 0 : nlab_err_sys(err, errno, "port forwarder: epoll_wait");
        for (int i = 0; i < n && r == 0; i++) {
                struct pf_handle *h = evs[i].data.ptr;

                if ((h->kind == K_LISTEN || h->kind == K_FLOW) && !fwd->dgram &&
                    !(fwd->dgram = malloc(PF_UDP_MAX)))
                        return nlab_err_sys(err, ENOMEM, "port forwarder");
                r = handle(fwd, h, evs[i].events, fwd->dgram, err);
        }
        reap(fwd);
        return r;
}

/* ---- listeners */

/* Why a bind failed, in the user's words: the sysctl for a privileged port, the holder of a taken
 * one (the same check root mode makes before it publishes). */
static int bind_error(const struct nlab_port_mapping *m, int e, struct nlab_err *err)
{
        unsigned start = nlab_unprivileged_port_start();
        char label[64];

        nlab_port_label(m, label, sizeof(label));
        if (e == EACCES && m->host_port < start)
                return nlab_err_set(
                    err, NLAB_E_INVALID,
                    "%s: ports below %u are privileged "
                    "(net.ipv4.ip_unprivileged_port_start = %u): choose a host port "
                    ">= %u, or as root run `sysctl "
                    "net.ipv4.ip_unprivileged_port_start=%u`",
                    label, start, start, start, m->host_port);
        if (e == EADDRINUSE) {
                if (nlab_port_check_host("/proc", m->host_ip, m->host_port, m->proto, err) < 0)
                        return -1;
                return nlab_err_set(err, NLAB_E_CONFLICT, "%s is already in use", label);
        }
        return nlab_err_sys(err, e, "%s: bind", label);
}

static int try_bind(int family, const struct nlab_port_mapping *m, int *out)
{
        struct sockaddr_storage ss = {0};
        socklen_t len;
        int one = 1, zero = 0, e;
        int fd = socket(
            family,
            (m->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

                a->sin6_family = AF_INET6;
                a->sin6_port = htons(m->host_port);
                a->sin6_addr = in6addr_any;
                len = sizeof(*a);
                /* one socket takes both families, like Docker's two listeners */
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *)&ss;

                a->sin_family = AF_INET;
                a->sin_port = htons(m->host_port);
                if (m->host_ip[0] && inet_pton(AF_INET, m->host_ip, &a->sin_addr) != 1) {
                        close(fd);
                        return -EINVAL;
                }
                len = sizeof(*a);
        }
        if (m->proto == IPPROTO_TCP)
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
            (m->proto == IPPROTO_TCP && listen(fd, SOMAXCONN) < 0)) {
                e = errno;
                close(fd);
                return -e;
        }
        *out = fd;
        return 0;
}

static int open_listener(const struct nlab_port_mapping *m, int *out, struct nlab_err *err)
{
        int r = -EAFNOSUPPORT;

        if (!m->host_ip[0])
                r = try_bind(AF_INET6, m, out);
        /* no IPv6 in this namespace: the IPv4 any address alone */
        if (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL)
                r = try_bind(AF_INET, m, out);
        return r < 0 ? bind_error(m, -r, err) : 0;
}

int nlab_portfwd_probe(const struct nlab_port_mapping *m, struct nlab_err *err)
{
        int fd;

        assert(m);
        if (open_listener(m, &fd, err) < 0)
                return -1;
        close(fd);
        return 0;
}

static struct pf_map *find_map(struct nlab_portfwd *fwd, const struct nlab_port_mapping *m,
                               struct pf_map ***link)
{
        struct pf_map **p;

        for (p = &fwd->maps; *p; p = &(*p)->next)
                if ((*p)->m.proto == m->proto && (*p)->m.host_port == m->host_port &&
                    strcmp((*p)->m.host_ip, m->host_ip) == 0) {
                        if (link)
                                *link = p;
                        return *p;
                }
        return NULL;
}

static int parse_target(const char *ip, uint16_t port, int proto, struct nlab_portfwd_req *t,
                        struct nlab_err *err)
{
        memset(t, 0, sizeof(*t));
        t->proto = proto;
        t->port = port;
        if (inet_pton(AF_INET, ip, t->addr) == 1)
                t->family = AF_INET;
        else if (inet_pton(AF_INET6, ip, t->addr) == 1)
                t->family = AF_INET6;
        else
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "port forward target '%s': not an IPv4 or IPv6 address", ip);
        return 0;
}

int nlab_portfwd_add(struct nlab_portfwd *fwd, const struct nlab_port_mapping *m,
                     const char *target_ip, struct nlab_err *err)
{
        struct pf_map *map;
        char label[64];

        assert(fwd && m && target_ip);
        nlab_port_label(m, label, sizeof(label));
        if (m->host_port == 0 || m->ctr_port == 0 ||
            (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP))
                return nlab_err_set(err, NLAB_E_INVALID, "%s: host and container port must be set",
                                    label);
        if (find_map(fwd, m, NULL))
                return nlab_err_set(err, NLAB_E_CONFLICT, "%s is already published", label);
        map = calloc(1, sizeof(*map));
        if (!map)
                return nlab_err_sys(err, ENOMEM, "%s", label);
        map->m = *m;
        map->h = (struct pf_handle){K_LISTEN, map};
        if (parse_target(target_ip, m->ctr_port, m->proto, &map->target, err) < 0 ||
            open_listener(m, &map->lfd, err) < 0) {
                free(map);
                return -1;
        }
        if (ep_add(fwd, map->lfd, EPOLLIN | EPOLLET, &map->h) < 0) {
                nlab_err_sys(err, errno, "%s: epoll", label);
                close(map->lfd);
                free(map);
                return -1;
        }
        map->next = fwd->maps;
        fwd->maps = map;
        return 0;
}

static void map_free(struct nlab_portfwd *fwd, struct pf_map *map)
{
        while (map->conns)
                conn_close(fwd, map->conns, false);
        while (map->flows)
                flow_close(fwd, map->flows);
        close(map->lfd);
        free(map);
        reap(fwd);
}

int nlab_portfwd_remove(struct nlab_portfwd *fwd, const struct nlab_port_mapping *m,
                        struct nlab_err *err)
{
        struct pf_map **link, *map;
        char label[64];

        assert(fwd && m);
        map = find_map(fwd, m, &link);
        if (!map) {
                nlab_port_label(m, label, sizeof(label));
                return nlab_err_set(err, NLAB_E_NOTFOUND, "%s is not published", label);
        }
        *link = map->next;
        map_free(fwd, map);
        return 0;
}

void nlab_portfwd_free(struct nlab_portfwd *fwd)
{
        if (!fwd)
                return;
        while (fwd->maps) {
                struct pf_map *map = fwd->maps;

                fwd->maps = map->next;
                map_free(fwd, map);
        }
        close(fwd->inner);
        close(fwd->timer);
        close(fwd->ep);
        free(fwd->dgram);
        free(fwd);
}
