/* netlab-dns: listeners, query dispatch, control socket and the event loop. */
#include "dns/serverd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/state.h"
#include "runtime/base/unixsock.h"

uint64_t nlab_dnsd_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int nlab_dnsd_ep_ctl(struct nlab_dns_server *srv, int op, int fd, uint64_t t, uint32_t events)
{
        struct epoll_event ev = {.events = events, .data.u64 = t};

        return epoll_ctl(srv->epfd, op, fd, &ev);
}

void nlab_dnsd_log(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("netlab-dns: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static int bind_socket(int type, struct in_addr addr, uint16_t port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr};
        int one = 1;
        int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        /*
         * FREEBIND: the gateway address may not be configured on the bridge yet. PKTINFO: each
         * query tells which link it came in on (TCP: through IP_PKTOPTIONS after accept).
         */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            (type == SOCK_STREAM && listen(fd, 64) < 0)) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

/* The host's own IPv4 addresses, kept for telling the host's queries from its containers'. */
static void keep_local_addrs(struct nlab_dns_server *srv, const struct ifaddrs *ifs)
{
        size_t n = 0;

        for (const struct ifaddrs *a = ifs; a; a = a->ifa_next)
                n += a->ifa_addr && a->ifa_addr->sa_family == AF_INET;
        if (n > srv->local_cap) {
                struct in_addr *v = realloc(srv->local, n * sizeof(*v));

                if (!v)
                        return; /* the old list stays: at worst the host gets REFUSED */
                srv->local = v;
                srv->local_cap = n;
        }
        srv->n_local = 0;
        for (const struct ifaddrs *a = ifs; a; a = a->ifa_next)
                if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET)
                        srv->local[srv->n_local++] =
                            ((const struct sockaddr_in *)a->ifa_addr)->sin_addr;
}

/* Match each listener to the link holding its gateway address: the bridge its clients are on. */
static void read_links(struct nlab_dns_server *srv)
{
        struct ifaddrs *ifs;

        if (getifaddrs(&ifs) < 0)
                return;
        keep_local_addrs(srv, ifs);
        for (uint32_t i = 0; i < MAX_LISTENERS; i++) {
                struct listener *l = &srv->listeners[i];

                if (!l->used)
                        continue;
                l->ifindex = 0;
                for (struct ifaddrs *a = ifs; a && !l->ifindex; a = a->ifa_next) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *)a->ifa_addr;

                        if (sin && sin->sin_family == AF_INET &&
                            sin->sin_addr.s_addr == l->addr.s_addr)
                                l->ifindex = (int)if_nametoindex(a->ifa_name);
                }
        }
        freeifaddrs(ifs);
}

static bool is_local(const struct nlab_dns_server *srv, struct in_addr a)
{
        for (size_t i = 0; i < srv->n_local; i++)
                if (srv->local[i].s_addr == a.s_addr)
                        return true;
        return false;
}

/* Drain the kernel's address news; if there was any, match the bridges again. */
static bool link_events(struct nlab_dns_server *srv)
{
        char buf[8192]; /* contents do not matter: any news means read the links again */
        bool any = false;

        for (;;) {
                ssize_t n = recv(srv->nlfd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n < 0 && errno == ENOBUFS) {
                        any = true; /* we missed some: reading everything covers them */
                        continue;
                }
                if (n <= 0)
                        break;
                any = true;
        }
        if (any)
                read_links(srv);
        return any;
}

static bool on_bridge(struct nlab_dns_server *srv, const struct listener *l, int ifindex)
{
        if (ifindex <= 0)
                return false;
        /* A bridge made again, or an address added, may be news not read yet. */
        return ifindex == l->ifindex || (link_events(srv) && ifindex == l->ifindex);
}

enum arrival nlab_dnsd_arrival(struct nlab_dns_server *srv, uint32_t idx, int ifindex,
                               struct in_addr src)
{
        /* The host's own queries show lo or the bridge holding the address they were sent to. */
        if (ifindex != LO_IFINDEX && !on_bridge(srv, &srv->listeners[idx], ifindex))
                return ARRIVAL_FOREIGN;
        /*
         * A source that is one of the host's addresses is the host: the kernel drops such a
         * packet coming from outside as a martian (unless accept_local, which netlab never sets).
         */
        return is_local(srv, src) ? ARRIVAL_HOST : ARRIVAL_NETWORK;
}

int nlab_dnsd_pktinfo_ifindex(struct msghdr *mh)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                struct in_pktinfo pi;

                if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO ||
                    c->cmsg_len < CMSG_LEN(sizeof(pi)))
                        continue;
                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                return pi.ipi_ifindex;
        }
        return 0;
}

/* Its TCP connections go too: their queries would otherwise be scoped by a reused slot. */
static void close_listener(struct nlab_dns_server *srv, uint32_t idx)
{
        struct listener *l = &srv->listeners[idx];

        if (!l->used)
                return;
        close(l->udp);
        close(l->tcp);
        l->used = false;
        l->gen++;
        for (uint32_t i = 0; srv->n_tcp && i < MAX_TCP; i++)
                if (srv->tcp[i].used && srv->tcp[i].listener == (int)idx)
                        nlab_dnsd_tcp_close(srv, i);
}

static int open_listener(struct nlab_dns_server *srv, uint32_t idx, struct nlab_dns_network n,
                         char *msg, size_t msglen)
{
        struct listener *l = &srv->listeners[idx];
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &n.gateway, ip, sizeof(ip));
        l->udp = bind_socket(SOCK_DGRAM, n.gateway, srv->cfg.port);
        l->tcp = l->udp < 0 ? -1 : bind_socket(SOCK_STREAM, n.gateway, srv->cfg.port);
        if (l->tcp < 0) {
                snprintf(msg, msglen, "network %s: listen on %s:%u: %s", n.name, ip, srv->cfg.port,
                         strerror(errno));
                if (l->udp >= 0)
                        close(l->udp);
                return -1;
        }
        snprintf(l->net, sizeof(l->net), "%s", n.name);
        l->addr = n.gateway;
        l->used = true;
        nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, l->udp, nlab_dnsd_tag(W_UDP, idx), EPOLLIN);
        nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, l->tcp, nlab_dnsd_tag(W_TCP_LISTEN, idx), EPOLLIN);
        return 0;
}

static bool network_has_listener(struct nlab_dns_server *srv, struct nlab_dns_network n)
{
        for (size_t i = 0; i < MAX_LISTENERS; i++) {
                struct listener *l = &srv->listeners[i];

                if (l->used && strcmp(l->net, n.name) == 0 && l->addr.s_addr == n.gateway.s_addr)
                        return true;
        }
        return false;
}

static bool listener_wanted(struct nlab_dns_server *srv, const struct listener *l)
{
        size_t n = nlab_dns_store_network_count(srv->store);

        for (size_t i = 0; i < n; i++) {
                struct nlab_dns_network net = nlab_dns_store_network_at(srv->store, i);

                if (strcmp(l->net, net.name) == 0 && l->addr.s_addr == net.gateway.s_addr)
                        return true;
        }
        return false;
}

/* Make the listeners match the store's networks. Returns 0, or -1 if one could not bind. */
static int sync_listeners(struct nlab_dns_server *srv, char *msg, size_t msglen)
{
        size_t n = nlab_dns_store_network_count(srv->store);
        int r = 0;

        for (uint32_t i = 0; i < MAX_LISTENERS; i++)
                if (srv->listeners[i].used && !listener_wanted(srv, &srv->listeners[i]))
                        close_listener(srv, i);
        for (size_t i = 0; i < n; i++) {
                struct nlab_dns_network net = nlab_dns_store_network_at(srv->store, i);
                uint32_t slot = 0;

                if (network_has_listener(srv, net))
                        continue;
                while (slot < MAX_LISTENERS && srv->listeners[slot].used)
                        slot++;
                if (slot == MAX_LISTENERS) {
                        snprintf(msg, msglen, "network %s: too many networks", net.name);
                        r = -1;
                        continue;
                }
                if (open_listener(srv, slot, net, msg, msglen) < 0)
                        r = -1;
        }
        read_links(srv); /* a network told again may have a new bridge */
        return r;
}

void nlab_dnsd_reply(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *data,
                     size_t len)
{
        if (o->tcp >= 0) {
                struct tcpconn *c = &srv->tcp[o->tcp];

                if (c->used && c->gen == o->tcp_gen)
                        nlab_dnsd_tcp_queue(srv, (uint32_t)o->tcp, data, len);
                return;
        }
        if (!srv->listeners[o->listener].used || srv->listeners[o->listener].gen != o->listener_gen)
                return;
        sendto(srv->listeners[o->listener].udp, data, len, MSG_DONTWAIT,
               (const struct sockaddr *)&o->client, sizeof(o->client));
}

size_t nlab_dnsd_client_limit(const struct origin *o, const struct nlab_dns_query *q)
{
        return o->tcp >= 0 ? NLAB_DNS_MAXMSG : nlab_dns_udp_limit(q);
}

void nlab_dnsd_reply_rcode(struct nlab_dns_server *srv, const struct origin *o,
                           const struct nlab_dns_query *q, const uint8_t *qbuf, int rcode)
{
        int n = nlab_dns_build_rcode(srv->out, sizeof(srv->out), q, qbuf, rcode);

        if (n > 0)
                nlab_dnsd_reply(srv, o, srv->out, (size_t)n);
}

static void reply_local(struct nlab_dns_server *srv, const struct origin *o,
                        const struct nlab_dns_query *q, const uint8_t *qbuf,
                        const struct nlab_dns_result *res)
{
        struct nlab_dns_builder b;
        int rcode = res->verdict == NLAB_DNS_V_NXDOMAIN ? NLAB_DNS_NXDOMAIN : NLAB_DNS_NOERROR;
        int n;

        nlab_dns_begin_response(&b, srv->out, sizeof(srv->out), q, qbuf, rcode, true);
        if (res->verdict == NLAB_DNS_V_ANSWER && res->is_ptr)
                nlab_dns_add_ptr(&b, NLAB_DNS_LOCAL_TTL, res->ptr);
        for (size_t i = 0; res->verdict == NLAB_DNS_V_ANSWER && i < res->n_addrs; i++)
                nlab_dns_add_a(&b, NLAB_DNS_LOCAL_TTL, res->addrs[i]);
        n = nlab_dns_finish(&b, q, nlab_dnsd_client_limit(o, q));
        if (n > 0)
                nlab_dnsd_reply(srv, o, srv->out, (size_t)n);
}

/* Returns true if the answer will come later (forwarded). */
bool nlab_dnsd_answer(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *buf,
                      size_t len)
{
        struct nlab_dns_query q;
        struct nlab_dns_result res;
        int r = nlab_dns_parse_query(buf, len, &q);

        if (r == NLAB_DNS_PARSE_DROP)
                return false;
        if (r != NLAB_DNS_PARSE_OK) {
                int n = nlab_dns_build_error(srv->out, sizeof(srv->out), &q.hdr, r);
                if (n > 0)
                        nlab_dnsd_reply(srv, o, srv->out, (size_t)n);
                return false;
        }
        if (q.has_edns && q.edns_version > 0) {
                nlab_dnsd_reply_rcode(srv, o, &q, buf, NLAB_DNS_BADVERS);
                return false;
        }
        if (q.qclass != NLAB_DNS_C_IN && q.qclass != NLAB_DNS_T_ANY) {
                nlab_dnsd_reply_rcode(srv, o, &q, buf, NLAB_DNS_REFUSED);
                return false;
        }
        struct nlab_dns_asker who = {o->client.sin_addr, srv->listeners[o->listener].net, o->host};
        nlab_dns_lookup(srv->store, &who, q.qname, q.qtype, &res);
        if (res.verdict == NLAB_DNS_V_REFUSED) {
                nlab_dnsd_reply_rcode(srv, o, &q, buf, NLAB_DNS_REFUSED);
                return false;
        }
        if (res.verdict != NLAB_DNS_V_FORWARD) {
                reply_local(srv, o, &q, buf, &res);
                return false;
        }
        return nlab_dnsd_start_forward(srv, o, &q, buf, len, &res);
}

/* A query from another link gets REFUSED without a lookup, so nothing is ever forwarded for it. */
static void refuse(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *buf,
                   size_t len)
{
        struct nlab_dns_query q;

        if (nlab_dns_parse_query(buf, len, &q) == NLAB_DNS_PARSE_OK)
                nlab_dnsd_reply_rcode(srv, o, &q, buf, NLAB_DNS_REFUSED);
}

static void on_udp(struct nlab_dns_server *srv, uint32_t idx)
{
        struct listener *l = &srv->listeners[idx];
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        } ctl;

        for (int i = 0; i < UDP_BATCH && l->used; i++) {
                struct origin o = {.listener = (int)idx, .listener_gen = l->gen, .tcp = -1};
                struct iovec iov = {srv->buf, sizeof(srv->buf)};
                struct msghdr mh = {.msg_name = &o.client,
                                    .msg_namelen = sizeof(o.client),
                                    .msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = ctl.buf,
                                    .msg_controllen = sizeof(ctl.buf)};
                ssize_t n = recvmsg(l->udp, &mh, 0);
                enum arrival a;

                if (n < 0)
                        return;
                if (mh.msg_namelen != sizeof(o.client) || o.client.sin_family != AF_INET)
                        continue;
                a = nlab_dnsd_arrival(srv, idx, nlab_dnsd_pktinfo_ifindex(&mh), o.client.sin_addr);
                o.host = a == ARRIVAL_HOST;
                if (a == ARRIVAL_FOREIGN)
                        refuse(srv, &o, srv->buf, (size_t)n);
                else
                        nlab_dnsd_answer(srv, &o, srv->buf, (size_t)n);
        }
}

static int apply_control(struct nlab_dns_server *srv, const char *line, char *msg, size_t msglen)
{
        if (strncmp(line, "network ", 8) == 0) {
                if (nlab_dns_state_load_network(srv->store, srv->dnsdir, line + 8, msg, msglen) < 0)
                        return -1;
                return sync_listeners(srv, msg, msglen);
        }
        if (strncmp(line, "container ", 10) == 0)
                return nlab_dns_state_load_container(srv->store, srv->dnsdir, line + 10, msg,
                                                     msglen);
        if (strcmp(line, "ping") == 0)
                return 0;
        snprintf(msg, msglen, "unknown request");
        return -1;
}

static void stop_serving(struct nlab_dns_server *srv)
{
        /* Let go of names and ports before saying "ok", so a new daemon can start at once. */
        for (uint32_t i = 0; i < MAX_LISTENERS; i++)
                close_listener(srv, i);
        unlink(srv->sockpath);
        unlink(srv->pidpath);
        if (srv->pidfd >= 0)
                close(srv->pidfd);
        srv->pidfd = -1;
        srv->stop = true;
}

static void on_control(struct nlab_dns_server *srv)
{
        struct timeval tv = {.tv_sec = 1};
        char line[CONTROL_LINE], msg[1024], resp[1100];
        size_t len = 0;
        int fd = accept4(srv->ctlfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
                return;
        /* Only the CLI talks here (mode 0600), one short line; a 1 s bound keeps us safe. */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (len < sizeof(line) - 1) {
                ssize_t n = recv(fd, line + len, sizeof(line) - 1 - len, 0);

                if (n <= 0)
                        break;
                len += (size_t)n;
                if (memchr(line, '\n', len))
                        break;
        }
        line[len] = '\0';
        char *nl = strchr(line, '\n');
        if (!nl) {
                close(fd);
                return;
        }
        *nl = '\0';
        msg[0] = '\0';
        if (apply_control(srv, line, msg, sizeof(msg)) < 0)
                snprintf(resp, sizeof(resp), "error %s\n", msg);
        else
                snprintf(resp, sizeof(resp), "ok\n");
        if (nlab_dns_store_network_count(srv->store) == 0)
                stop_serving(srv);
        send(fd, resp, strlen(resp), MSG_NOSIGNAL);
        close(fd);
}

static int take_pidfile(struct nlab_dns_server *srv, char *msg, size_t msglen)
{
        char pid[32];
        int n;

        srv->pidfd = open(srv->pidpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (srv->pidfd < 0) {
                snprintf(msg, msglen, "open %s: %s", srv->pidpath, strerror(errno));
                return -1;
        }
        if (flock(srv->pidfd, LOCK_EX | LOCK_NB) < 0) {
                snprintf(msg, msglen, "another netlab-dns holds %s", srv->pidpath);
                return 1;
        }
        n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
        if (ftruncate(srv->pidfd, 0) < 0 || pwrite(srv->pidfd, pid, (size_t)n, 0) != n) {
                snprintf(msg, msglen, "write %s: %s", srv->pidpath, strerror(errno));
                return -1;
        }
        return 0;
}

static int open_control(struct nlab_dns_server *srv, char *msg, size_t msglen)
{
        struct sockaddr_un sa;
        int dir_fd, e;

        unlink(srv->sockpath); /* a stale socket of a killed daemon; we hold the lock */
        if (nlab_unix_addr(srv->sockpath, &sa, &dir_fd) < 0) {
                snprintf(msg, msglen, "control socket %s: %s", srv->sockpath, strerror(errno));
                return -1;
        }
        srv->ctlfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        e = srv->ctlfd < 0 || fchmod(srv->ctlfd, 0600) < 0 ||
                    bind(srv->ctlfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    listen(srv->ctlfd, 16) < 0
                ? errno
                : 0;
        if (dir_fd >= 0)
                close(dir_fd);
        if (e) {
                snprintf(msg, msglen, "control socket %s: %s", srv->sockpath, strerror(e));
                return -1;
        }
        return nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, srv->ctlfd, nlab_dnsd_tag(W_CONTROL, 0),
                                EPOLLIN);
}

/* Address news only: a bridge made again gets its gateway again, and veths carry no address. */
static int open_link_events(struct nlab_dns_server *srv)
{
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR};

        srv->nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (srv->nlfd < 0 || bind(srv->nlfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -1;
        return nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, srv->nlfd, nlab_dnsd_tag(W_LINKS, 0), EPOLLIN);
}

static int open_signals(struct nlab_dns_server *srv)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        srv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (srv->sigfd < 0)
                return -1;
        return nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, srv->sigfd, nlab_dnsd_tag(W_SIGNAL, 0),
                                EPOLLIN);
}

static int make_paths(struct nlab_dns_server *srv, char *msg, size_t msglen)
{
        const char *root = srv->cfg.root;

        if ((size_t)snprintf(srv->dnsdir, sizeof(srv->dnsdir), "%s/dns", root) >=
                sizeof(srv->dnsdir) ||
            (size_t)snprintf(srv->pidpath, sizeof(srv->pidpath), "%s/dns/netlab-dns.pid", root) >=
                sizeof(srv->pidpath) ||
            (size_t)snprintf(srv->sockpath, sizeof(srv->sockpath), "%s/dns/control.sock", root) >=
                sizeof(srv->sockpath)) {
                snprintf(msg, msglen, "state root %s: path too long", root);
                return -1;
        }
        if (mkdir(srv->dnsdir, 0755) < 0 && errno != EEXIST) {
                snprintf(msg, msglen, "mkdir %s: %s", srv->dnsdir, strerror(errno));
                return -1;
        }
        return 0;
}

int nlab_dns_server_new(const struct nlab_dns_server_config *cfg, struct nlab_dns_server **out,
                        char *msg, size_t msglen)
{
        struct nlab_dns_server *srv = calloc(1, sizeof(*srv));
        int r;

        *out = NULL;
        if (!srv)
                return -1;
        srv->cfg = *cfg;
        srv->epfd = srv->ctlfd = srv->sigfd = srv->pidfd = srv->nlfd = -1;
        srv->store = nlab_dns_store_new();
        srv->pending = calloc(MAX_PENDING, sizeof(*srv->pending));
        if (!srv->store || !srv->pending || make_paths(srv, msg, msglen) < 0)
                goto fail;
        r = take_pidfile(srv, msg, msglen);
        if (r != 0) {
                nlab_dns_server_free(srv);
                return r;
        }
        srv->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (srv->epfd < 0 || open_signals(srv) < 0 || open_link_events(srv) < 0)
                goto fail;
        if (nlab_dns_state_load_all(srv->store, srv->dnsdir, msg, msglen) > 0)
                nlab_dnsd_log("skipped a bad record: %s", msg);
        if (sync_listeners(srv, msg, msglen) < 0)
                nlab_dnsd_log("%s", msg);
        if (open_control(srv, msg, msglen) < 0)
                goto fail;
        *out = srv;
        return 0;
fail:
        if (!msg[0])
                snprintf(msg, msglen, "start: %s", strerror(errno));
        nlab_dns_server_free(srv);
        return -1;
}

static void on_signal(struct nlab_dns_server *srv)
{
        struct signalfd_siginfo si;
        char msg[1024];

        while (read(srv->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo != SIGHUP) {
                        stop_serving(srv);
                        continue;
                }
                /* HUP: rebuild everything from the state root. */
                nlab_dns_store_free(srv->store);
                srv->store = nlab_dns_store_new();
                if (!srv->store) {
                        stop_serving(srv);
                        return;
                }
                nlab_dns_state_load_all(srv->store, srv->dnsdir, msg, sizeof(msg));
                if (sync_listeners(srv, msg, sizeof(msg)) < 0)
                        nlab_dnsd_log("%s", msg);
        }
}

static int next_timeout(struct nlab_dns_server *srv, uint64_t now)
{
        uint64_t next = now + 1000;

        for (size_t i = 0; srv->n_pending && i < MAX_PENDING; i++)
                if (srv->pending[i].used && srv->pending[i].deadline < next)
                        next = srv->pending[i].deadline;
        for (size_t i = 0; srv->n_tcp && i < MAX_TCP; i++)
                if (srv->tcp[i].used && srv->tcp[i].deadline < next)
                        next = srv->tcp[i].deadline;
        return next <= now ? 0 : (int)(next - now);
}

static void expire(struct nlab_dns_server *srv, uint64_t now)
{
        for (uint32_t i = 0; srv->n_pending && i < MAX_PENDING; i++)
                if (srv->pending[i].used && srv->pending[i].deadline <= now)
                        nlab_dnsd_upstream_next(srv, i);
        for (uint32_t i = 0; srv->n_tcp && i < MAX_TCP; i++)
                if (srv->tcp[i].used && !srv->tcp[i].busy && srv->tcp[i].deadline <= now)
                        nlab_dnsd_tcp_close(srv, i);
}

static void dispatch(struct nlab_dns_server *srv, const struct epoll_event *ev)
{
        uint32_t idx = (uint32_t)ev->data.u64;

        switch ((enum watch_kind)(ev->data.u64 >> 32)) {
        case W_UDP:
                on_udp(srv, idx);
                break;
        case W_TCP_LISTEN:
                nlab_dnsd_on_accept(srv, idx);
                break;
        case W_TCP_CONN:
                nlab_dnsd_on_tcp(srv, idx, ev->events);
                break;
        case W_UPSTREAM:
                nlab_dnsd_on_upstream(srv, idx);
                break;
        case W_CONTROL:
                on_control(srv);
                break;
        case W_SIGNAL:
                on_signal(srv);
                break;
        case W_LINKS:
                link_events(srv);
                break;
        }
}

int nlab_dns_server_run(struct nlab_dns_server *srv)
{
        struct epoll_event evs[64];

        if (nlab_dns_store_network_count(srv->store) == 0)
                stop_serving(srv); /* started with nothing to serve */
        while (!srv->stop) {
                int n = epoll_wait(srv->epfd, evs, 64, next_timeout(srv, nlab_dnsd_now_ms()));

                if (n < 0 && errno != EINTR)
                        return -1;
                for (int i = 0; i < n && !srv->stop; i++)
                        dispatch(srv, &evs[i]);
                expire(srv, nlab_dnsd_now_ms());
        }
        return 0;
}

void nlab_dns_server_free(struct nlab_dns_server *srv)
{
        if (!srv)
                return;
        for (uint32_t i = 0; i < MAX_LISTENERS; i++)
                close_listener(srv, i);
        for (uint32_t i = 0; i < MAX_TCP; i++)
                if (srv->tcp[i].used)
                        nlab_dnsd_tcp_close(srv, i);
        for (size_t i = 0; srv->pending && i < MAX_PENDING; i++) {
                if (!srv->pending[i].used)
                        continue;
                srv->pending[i].from.tcp = -1;
                nlab_dnsd_pending_free(srv, &srv->pending[i]);
        }
        for (size_t i = 0; i < CACHE_SLOTS; i++)
                nlab_dnsd_cache_clear(&srv->cache[i]);
        free(srv->pending);
        free(srv->local);
        nlab_dns_store_free(srv->store);
        if (srv->ctlfd >= 0)
                close(srv->ctlfd);
        if (srv->sigfd >= 0)
                close(srv->sigfd);
        if (srv->nlfd >= 0)
                close(srv->nlfd);
        if (srv->epfd >= 0)
                close(srv->epfd);
        if (srv->pidfd >= 0)
                close(srv->pidfd);
        free(srv);
}
