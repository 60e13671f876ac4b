/* netlab-dns: DNS over TCP, length-prefixed, answered one query at a time in order. */
#include "dns/serverd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void nlab_dnsd_tcp_queue(struct nlab_dns_server *srv, uint32_t idx, const uint8_t *data, size_t len)
{
        struct tcpconn *c = &srv->tcp[idx];
        size_t need = c->outlen + 2 + len;

        if (need > c->outcap) {
                size_t cap = need < 4096 ? 4096 : need * 2;
                uint8_t *p = realloc(c->out, cap);

                if (!p)
                        return; /* the client times out and retries */
                c->out = p;
                c->outcap = cap;
        }
        c->out[c->outlen] = (uint8_t)(len >> 8);
        c->out[c->outlen + 1] = (uint8_t)len;
        memcpy(c->out + c->outlen + 2, data, len);
        c->outlen += 2 + len;
}

void nlab_dnsd_tcp_close(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];
        uint32_t gen = c->gen;

        close(c->fd);
        free(c->in);
        free(c->out);
        memset(c, 0, sizeof(*c));
        c->gen = gen + 1;
        srv->n_tcp--;
}

static void tcp_update_events(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];
        uint32_t ev = 0;

        if (!c->busy && !c->eof && c->inlen < TCP_IN_MAX && c->outlen < TCP_OUT_MAX)
                ev |= EPOLLIN;
        if (c->outlen)
                ev |= EPOLLOUT;
        if (ev != c->events) {
                nlab_dnsd_ep_ctl(srv, EPOLL_CTL_MOD, c->fd, nlab_dnsd_tag(W_TCP_CONN, idx), ev);
                c->events = ev;
        }
}

/* Answer the complete messages in the input, one at a time so answers keep their order. */
static void tcp_process(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];

        c->in_process = true;
        while (!c->busy && c->inlen >= 2 && c->outlen < TCP_OUT_MAX) {
                size_t mlen = (size_t)c->in[0] << 8 | c->in[1];
                struct origin o = {.listener = c->listener,
                                   .listener_gen = srv->listeners[c->listener].gen,
                                   .tcp = (int)idx,
                                   .tcp_gen = c->gen,
                                   .host = c->host};

                if (mlen < NLAB_DNS_HDRLEN) {
                        c->inlen = 0; /* shorter than a header: no client, just a way to hold on */
                        c->eof = true;
                        break;
                }
                if (c->inlen < 2 + mlen)
                        break;
                o.client.sin_family = AF_INET;
                o.client.sin_addr = c->peer;
                /* Take the message out first: answering may come back here through resume. */
                memcpy(srv->buf, c->in + 2, mlen);
                memmove(c->in, c->in + 2 + mlen, c->inlen - 2 - mlen);
                c->inlen -= 2 + mlen;
                c->deadline = nlab_dnsd_now_ms() + TCP_QUERY_MS; /* only whole queries earn time */
                c->busy = true;
                c->busy = nlab_dnsd_answer(srv, &o, srv->buf, mlen);
        }
        c->in_process = false;
        if (c->inlen == 0) {
                free(c->in); /* idle connections hold no 64 KiB buffer */
                c->in = NULL;
        }
}

static void tcp_flush(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];

        while (c->outlen) {
                ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                c->outlen = 0, c->eof = true;
                        break;
                }
                memmove(c->out, c->out + n, c->outlen - (size_t)n);
                c->outlen -= (size_t)n;
        }
}

/* After queued answers: flush, go on with buffered queries, close a finished connection. */
static void tcp_settle(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];

        tcp_process(srv, idx);
        tcp_flush(srv, idx);
        if (c->eof && !c->busy && c->outlen == 0) {
                nlab_dnsd_tcp_close(srv, idx);
                return;
        }
        tcp_update_events(srv, idx);
}

void nlab_dnsd_tcp_resume(struct nlab_dns_server *srv, const struct origin *o)
{
        struct tcpconn *c;

        if (o->tcp < 0)
                return;
        c = &srv->tcp[o->tcp];
        if (!c->used || c->gen != o->tcp_gen || !c->busy)
                return;
        c->busy = false;
        if (c->in_process)
                return; /* answered at once; tcp_process goes on by itself */
        c->deadline = nlab_dnsd_now_ms() + TCP_QUERY_MS;
        tcp_settle(srv, (uint32_t)o->tcp);
}

void nlab_dnsd_on_tcp(struct nlab_dns_server *srv, uint32_t idx, uint32_t events)
{
        struct tcpconn *c;

        if (idx >= MAX_TCP || !srv->tcp[idx].used)
                return;
        c = &srv->tcp[idx];
        if (events & (EPOLLHUP | EPOLLERR)) {
                /* Reported whatever we ask for: closing now is the only way not to spin. */
                nlab_dnsd_tcp_close(srv, idx);
                return;
        }
        if ((events & EPOLLIN) && !c->eof && !c->busy && c->inlen < TCP_IN_MAX) {
                ssize_t n;

                if (!c->in)
                        c->in = malloc(TCP_IN_MAX);
                n = c->in ? recv(c->fd, c->in + c->inlen, TCP_IN_MAX - c->inlen, 0) : 0;
                if (n > 0)
                        c->inlen += (size_t)n; /* trickled bytes never move the deadline */
                else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        c->eof = true;
        }
        if (c->eof && c->inlen >= 2 && c->inlen < 2 + ((size_t)c->in[0] << 8 | c->in[1]))
                c->inlen = 0; /* a length prefix whose body never comes */
        tcp_settle(srv, idx);
}

/* The link the connection's packets came in on, remembered by the kernel at accept. */
static int tcp_arrival_ifindex(int fd)
{
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        } ctl;
        socklen_t len = sizeof(ctl.buf);
        struct msghdr mh = {.msg_control = ctl.buf};

        if (getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS, ctl.buf, &len) < 0)
                return 0;
        mh.msg_controllen = len;
        return nlab_dnsd_pktinfo_ifindex(&mh);
}

static size_t conns_of(const struct nlab_dns_server *srv, struct in_addr peer)
{
        size_t n = 0;

        for (size_t i = 0; i < MAX_TCP; i++)
                n += srv->tcp[i].used && srv->tcp[i].peer.s_addr == peer.s_addr;
        return n;
}

/* Only a client of the listener's network (or the host) within its quota gets a slot. */
static bool tcp_admit(struct nlab_dns_server *srv, uint32_t idx, int fd,
                      const struct sockaddr_in *peer, bool *host)
{
        enum arrival a;

        if (peer->sin_family != AF_INET || conns_of(srv, peer->sin_addr) >= TCP_PER_CLIENT)
                return false;
        a = nlab_dnsd_arrival(srv, idx, tcp_arrival_ifindex(fd), peer->sin_addr);
        *host = a == ARRIVAL_HOST;
        return a == ARRIVAL_HOST ||
               (a == ARRIVAL_NETWORK &&
                nlab_dns_store_is_endpoint(srv->store, peer->sin_addr, srv->listeners[idx].net));
}

/* All slots taken: the idle connection nearest its deadline goes, so a newcomer always gets in. */
static uint32_t tcp_evict(struct nlab_dns_server *srv)
{
        uint32_t victim = MAX_TCP;

        for (uint32_t i = 0; i < MAX_TCP; i++)
                if (srv->tcp[i].used && !srv->tcp[i].busy &&
                    (victim == MAX_TCP || srv->tcp[i].deadline < srv->tcp[victim].deadline))
                        victim = i;
        if (victim < MAX_TCP)
                nlab_dnsd_tcp_close(srv, victim);
        return victim;
}

void nlab_dnsd_on_accept(struct nlab_dns_server *srv, uint32_t idx)
{
        struct listener *l = &srv->listeners[idx];

        for (int i = 0; i < 16 && l->used; i++) {
                struct sockaddr_in peer;
                socklen_t alen = sizeof(peer);
                int fd =
                    accept4(l->tcp, (struct sockaddr *)&peer, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
                uint32_t slot = 0;
                bool host = false;

                if (fd < 0)
                        return;
                if (!tcp_admit(srv, idx, fd, &peer, &host)) {
                        close(fd); /* over quota or not a client: nothing to say */
                        continue;
                }
                while (slot < MAX_TCP && srv->tcp[slot].used)
                        slot++;
                if (slot == MAX_TCP)
                        slot = tcp_evict(srv);
                if (slot == MAX_TCP) {
                        close(fd); /* every slot waits on upstream: the client retries */
                        continue;
                }
                struct tcpconn *c = &srv->tcp[slot];
                c->used = true;
                srv->n_tcp++;
                c->fd = fd;
                c->listener = (int)idx;
                c->host = host;
                c->peer = peer.sin_addr;
                c->deadline = nlab_dnsd_now_ms() + TCP_QUERY_MS;
                c->events = EPOLLIN;
                nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, fd, nlab_dnsd_tag(W_TCP_CONN, slot), EPOLLIN);
        }
}
