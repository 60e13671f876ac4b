#include "dns/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dns/records.h"
#include "dns/state.h"
#include "dns/wire.h"

#define MAX_LISTENERS    256
#define MAX_NETNAME      128
#define MAX_TCP          64
#define MAX_PENDING      256
#define MAX_UPSTREAMS    8
#define CACHE_SLOTS      128
#define CACHE_MAX_TTL    3600
#define CACHE_MAX_LEN    4096
#define UPSTREAM_TIMEOUT 1000 /* ms per server before trying the next */
#define TCP_IDLE         10000
#define TCP_OUT_MAX      (256 * 1024)
#define TCP_IN_MAX       (2 + NLAB_DNS_MAXMSG)
#define UDP_BATCH        64
#define CONTROL_LINE     512

enum watch_kind { W_UDP = 1, W_TCP_LISTEN, W_TCP_CONN, W_UPSTREAM, W_CONTROL, W_SIGNAL };

struct listener {
        bool used;
        char net[MAX_NETNAME + 1];
        struct in_addr addr;
        int udp, tcp;
};

struct tcpconn {
        bool used, busy, eof, in_process;
        uint32_t gen; /* tells a reply for a closed connection from one for its successor */
        int fd, listener;
        uint32_t events;
        struct in_addr peer;
        uint8_t *in, *out;
        size_t inlen, outlen, outcap;
        uint64_t deadline;
};

/* Where a query came from, so the answer goes back the same way. */
struct origin {
        int listener;
        int tcp; /* -1 for UDP */
        uint32_t tcp_gen;
        struct sockaddr_in client;
};

struct pending {
        bool used;
        int fd;
        struct origin from;
        struct nlab_dns_query q; /* the client's query, with the client's id */
        uint8_t *query;          /* what goes upstream, with our id */
        size_t qlen;
        uint16_t our_id;
        struct sockaddr_in up[MAX_UPSTREAMS];
        size_t n_up, idx;
        uint64_t deadline;
        char *cache_key;
};

struct cache_entry {
        char *key;
        uint8_t *resp;
        size_t len;
        uint64_t stored, expires;
};

struct host_upstreams {
        bool loaded;
        struct stat st;
        struct in_addr addrs[MAX_UPSTREAMS];
        size_t n;
};

struct nlab_dns_server {
        struct nlab_dns_server_config cfg;
        char dnsdir[PATH_MAX], pidpath[PATH_MAX];
        char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
        int epfd, ctlfd, sigfd, pidfd;
        bool stop;
        struct nlab_dns_store *store;
        struct listener listeners[MAX_LISTENERS];
        struct tcpconn tcp[MAX_TCP];
        struct pending *pending;
        struct cache_entry cache[CACHE_SLOTS];
        struct host_upstreams host;
        uint8_t buf[NLAB_DNS_MAXMSG + 1];
        uint8_t out[NLAB_DNS_MAXMSG + 1];
};

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t tag(enum watch_kind k, uint32_t idx)
{
        return (uint64_t)k << 32 | idx;
}

static int ep_ctl(struct nlab_dns_server *srv, int op, int fd, uint64_t t, uint32_t events)
{
        struct epoll_event ev = {.events = events, .data.u64 = t};

        return epoll_ctl(srv->epfd, op, fd, &ev);
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("netlab-dns: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* ---- listeners ---- */

static int bind_socket(int type, struct in_addr addr, uint16_t port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr};
        int one = 1;
        int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        /* FREEBIND: the gateway address may not be configured on the bridge yet. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            (type == SOCK_STREAM && listen(fd, 64) < 0)) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

static void close_listener(struct listener *l)
{
        if (!l->used)
                return;
        close(l->udp);
        close(l->tcp);
        l->used = false;
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
        ep_ctl(srv, EPOLL_CTL_ADD, l->udp, tag(W_UDP, idx), EPOLLIN);
        ep_ctl(srv, EPOLL_CTL_ADD, l->tcp, tag(W_TCP_LISTEN, idx), EPOLLIN);
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

        for (size_t i = 0; i < MAX_LISTENERS; i++)
                if (srv->listeners[i].used && !listener_wanted(srv, &srv->listeners[i]))
                        close_listener(&srv->listeners[i]);
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
        return r;
}

/* ---- replies ---- */

static void tcp_update_events(struct nlab_dns_server *srv, uint32_t idx);

static void tcp_queue(struct nlab_dns_server *srv, uint32_t idx, const uint8_t *data, size_t len)
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

static void reply(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *data,
                  size_t len)
{
        if (o->tcp >= 0) {
                struct tcpconn *c = &srv->tcp[o->tcp];

                if (c->used && c->gen == o->tcp_gen)
                        tcp_queue(srv, (uint32_t)o->tcp, data, len);
                return;
        }
        if (!srv->listeners[o->listener].used)
                return;
        sendto(srv->listeners[o->listener].udp, data, len, MSG_DONTWAIT,
               (const struct sockaddr *)&o->client, sizeof(o->client));
}

static size_t client_limit(const struct origin *o, const struct nlab_dns_query *q)
{
        return o->tcp >= 0 ? NLAB_DNS_MAXMSG : nlab_dns_udp_limit(q);
}

static void reply_rcode(struct nlab_dns_server *srv, const struct origin *o,
                        const struct nlab_dns_query *q, const uint8_t *qbuf, int rcode)
{
        int n = nlab_dns_build_rcode(srv->out, sizeof(srv->out), q, qbuf, rcode);

        if (n > 0)
                reply(srv, o, srv->out, (size_t)n);
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
        n = nlab_dns_finish(&b, q, client_limit(o, q));
        if (n > 0)
                reply(srv, o, srv->out, (size_t)n);
}

/* ---- upstream servers ---- */

static bool usable_upstream(struct nlab_dns_server *srv, struct in_addr a)
{
        uint32_t h = ntohl(a.s_addr);

        /* Loopback means the host's own stub, which containers cannot reach; ours would loop. */
        return h != 0 && (h >> 24) != 127 && !nlab_dns_store_is_own_address(srv->store, a);
}

static void read_host_upstreams(struct nlab_dns_server *srv)
{
        struct host_upstreams *h = &srv->host;
        char line[512], word[64], addr[64];
        struct stat st;
        FILE *f;

        if (stat(srv->cfg.resolv_conf, &st) < 0) {
                h->loaded = false;
                h->n = 0;
                return;
        }
        if (h->loaded && st.st_ino == h->st.st_ino && st.st_dev == h->st.st_dev &&
            st.st_size == h->st.st_size && st.st_mtim.tv_sec == h->st.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == h->st.st_mtim.tv_nsec)
                return;
        h->n = 0;
        h->st = st;
        h->loaded = true;
        f = fopen(srv->cfg.resolv_conf, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f) && h->n < MAX_UPSTREAMS) {
                struct in_addr a;

                if (sscanf(line, " %63s %63s", word, addr) == 2 &&
                    strcmp(word, "nameserver") == 0 && inet_pton(AF_INET, addr, &a) == 1)
                        h->addrs[h->n++] = a;
        }
        fclose(f);
}

/* The servers this query goes to, own and loopback addresses left out. */
static size_t pick_upstreams(struct nlab_dns_server *srv, const struct nlab_dns_result *res,
                             struct sockaddr_in *up)
{
        struct in_addr cand[MAX_UPSTREAMS];
        size_t n = 0, k = 0;

        if (res->upstreams) {
                for (size_t i = 0; i < res->n_upstreams && n < MAX_UPSTREAMS; i++)
                        if (inet_pton(AF_INET, res->upstreams[i], &cand[n]) == 1)
                                n++;
        } else {
                read_host_upstreams(srv);
                n = srv->host.n;
                memcpy(cand, srv->host.addrs, n * sizeof(cand[0]));
        }
        for (size_t i = 0; i < n; i++) {
                if (!usable_upstream(srv, cand[i]))
                        continue;
                up[k] = (struct sockaddr_in){.sin_family = AF_INET,
                                             .sin_port = htons(srv->cfg.upstream_port),
                                             .sin_addr = cand[i]};
                k++;
        }
        return k;
}

/* ---- cache ---- */

static char *cache_key(const struct nlab_dns_query *q, const struct sockaddr_in *up, size_t n)
{
        size_t len = strlen(q->qname) + 32 + n * 9;
        char *key = malloc(len);
        size_t off;

        if (!key)
                return NULL;
        off = (size_t)snprintf(key, len, "%s/%u/%u/%d", q->qname, q->qtype, q->qclass, q->has_edns);
        for (size_t i = 0; i < n && off < len; i++)
                off += (size_t)snprintf(key + off, len - off, "/%08x", up[i].sin_addr.s_addr);
        return key;
}

static void cache_clear(struct cache_entry *e)
{
        free(e->key);
        free(e->resp);
        memset(e, 0, sizeof(*e));
}

/* A fresh copy of a cached answer, aged, into srv->out; returns its length or 0. */
static size_t cache_get(struct nlab_dns_server *srv, const char *key, uint64_t now)
{
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
                struct cache_entry *e = &srv->cache[i];

                if (!e->key || strcmp(e->key, key) != 0)
                        continue;
                if (now >= e->expires) {
                        cache_clear(e);
                        return 0;
                }
                memcpy(srv->out, e->resp, e->len);
                nlab_dns_age_ttls(srv->out, e->len, (uint32_t)((now - e->stored) / 1000));
                return e->len;
        }
        return 0;
}

static void cache_put(struct nlab_dns_server *srv, const char *key, const uint8_t *resp, size_t len,
                      long ttl, uint64_t now)
{
        struct cache_entry *slot = &srv->cache[0];

        if (!key || ttl <= 0 || len > CACHE_MAX_LEN)
                return;
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
                struct cache_entry *e = &srv->cache[i];

                if (!e->key || now >= e->expires || strcmp(e->key, key) == 0) {
                        slot = e;
                        break;
                }
                if (e->expires < slot->expires)
                        slot = e;
        }
        cache_clear(slot);
        slot->key = strdup(key);
        slot->resp = malloc(len);
        if (!slot->key || !slot->resp) {
                cache_clear(slot);
                return;
        }
        memcpy(slot->resp, resp, len);
        slot->len = len;
        slot->stored = now;
        slot->expires = now + (uint64_t)(ttl > CACHE_MAX_TTL ? CACHE_MAX_TTL : ttl) * 1000;
}

/* ---- forwarding ---- */

static void tcp_resume(struct nlab_dns_server *srv, const struct origin *o);

static void put_id(uint8_t *buf, uint16_t id)
{
        buf[0] = (uint8_t)(id >> 8);
        buf[1] = (uint8_t)id;
}

/* Send the answer to the client: its id, its question's letter case, its size limit. */
static void relay(struct nlab_dns_server *srv, const struct origin *o,
                  const struct nlab_dns_query *q, const uint8_t *qbuf, uint8_t *resp, size_t len)
{
        size_t qlen = q->question_end - NLAB_DNS_HDRLEN;
        size_t off = NLAB_DNS_HDRLEN;

        put_id(resp, q->hdr.id);
        if (nlab_dns_skip_name(resp, len, &off) == 0 && off + 4 == q->question_end && qbuf)
                memcpy(resp + NLAB_DNS_HDRLEN, qbuf + NLAB_DNS_HDRLEN, qlen);
        if (len > client_limit(o, q))
                len = nlab_dns_truncate(resp, len);
        reply(srv, o, resp, len);
}

static void pending_free(struct nlab_dns_server *srv, struct pending *p)
{
        struct origin from = p->from;

        if (p->fd >= 0)
                close(p->fd);
        free(p->query);
        free(p->cache_key);
        memset(p, 0, sizeof(*p));
        p->fd = -1;
        tcp_resume(srv, &from);
}

static int upstream_send(struct nlab_dns_server *srv, struct pending *p, uint32_t idx)
{
        if (p->fd >= 0)
                close(p->fd);
        p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->fd < 0)
                return -1;
        /* A connected socket per query: random source port, and ICMP errors come back to us. */
        if (connect(p->fd, (struct sockaddr *)&p->up[p->idx], sizeof(p->up[0])) < 0 ||
            send(p->fd, p->query, p->qlen, 0) < 0 ||
            ep_ctl(srv, EPOLL_CTL_ADD, p->fd, tag(W_UPSTREAM, idx), EPOLLIN) < 0)
                return -1;
        p->deadline = now_ms() + UPSTREAM_TIMEOUT;
        return 0;
}

/* Move on to the next server, or give up with SERVFAIL. */
static void upstream_next(struct nlab_dns_server *srv, uint32_t idx)
{
        struct pending *p = &srv->pending[idx];

        while (++p->idx < p->n_up)
                if (upstream_send(srv, p, idx) == 0)
                        return;
        reply_rcode(srv, &p->from, &p->q, p->query, NLAB_DNS_SERVFAIL);
        pending_free(srv, p);
}

static uint8_t *make_upstream_query(const uint8_t *qbuf, size_t len, const struct origin *o,
                                    const struct nlab_dns_query *q, uint16_t id, size_t *outlen)
{
        static const uint8_t opt[11] = {0, 0, NLAB_DNS_T_OPT, NLAB_DNS_EDNSMAX >> 8, 0};
        uint8_t *m = malloc(len + sizeof(opt));

        if (!m)
                return NULL;
        memcpy(m, qbuf, len);
        put_id(m, id);
        *outlen = len;
        /* A TCP client wants the whole answer: ask upstream for a big UDP answer. */
        if (o->tcp >= 0 && !q->has_edns) {
                memcpy(m + len, opt, sizeof(opt));
                uint16_t ar = (uint16_t)(m[10] << 8 | m[11]) + 1;
                m[10] = (uint8_t)(ar >> 8);
                m[11] = (uint8_t)ar;
                *outlen = len + sizeof(opt);
        }
        return m;
}

static bool start_forward(struct nlab_dns_server *srv, const struct origin *o,
                          const struct nlab_dns_query *q, const uint8_t *qbuf, size_t len,
                          const struct nlab_dns_result *res)
{
        struct sockaddr_in up[MAX_UPSTREAMS];
        size_t n = pick_upstreams(srv, res, up), hit;
        uint64_t now = now_ms();
        uint32_t idx;
        struct pending *p;
        char *key;

        if (n == 0) {
                reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
                return false;
        }
        key = cache_key(q, up, n);
        hit = key ? cache_get(srv, key, now) : 0;
        if (hit) {
                free(key);
                relay(srv, o, q, qbuf, srv->out, hit);
                return false;
        }
        for (idx = 0; idx < MAX_PENDING && srv->pending[idx].used; idx++)
                ;
        if (idx == MAX_PENDING) {
                free(key);
                reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
                return false;
        }
        p = &srv->pending[idx];
        p->used = true;
        p->fd = -1;
        p->from = *o;
        p->q = *q;
        p->cache_key = key;
        memcpy(p->up, up, n * sizeof(up[0]));
        p->n_up = n;
        p->idx = 0;
        if (getrandom(&p->our_id, sizeof(p->our_id), 0) != sizeof(p->our_id))
                p->our_id = (uint16_t)now;
        p->query = make_upstream_query(qbuf, len, o, q, p->our_id, &p->qlen);
        if (!p->query) {
                reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
                p->from.tcp = -1; /* nothing to resume: we answered already */
                pending_free(srv, p);
                return false;
        }
        if (upstream_send(srv, p, idx) < 0)
                upstream_next(srv, idx);
        return p->used; /* false if every server failed at once and we answered */
}

static void on_upstream(struct nlab_dns_server *srv, uint32_t idx)
{
        struct pending *p;
        struct nlab_dns_query uq;
        ssize_t n;
        long ttl;
        int rcode;

        if (idx >= MAX_PENDING || !srv->pending[idx].used)
                return;
        p = &srv->pending[idx];
        n = recv(p->fd, srv->buf, sizeof(srv->buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0) {
                upstream_next(srv, idx); /* refused or unreachable: next server now */
                return;
        }
        uq = p->q;
        uq.hdr.id = p->our_id;
        if (nlab_dns_check_response(srv->buf, (size_t)n, &uq, &ttl) < 0)
                return; /* not the answer to our question: keep waiting */
        rcode = srv->buf[3] & 0xf;
        if ((rcode == NLAB_DNS_SERVFAIL || rcode == NLAB_DNS_REFUSED) && p->idx + 1 < p->n_up) {
                upstream_next(srv, idx);
                return;
        }
        if ((rcode == NLAB_DNS_NOERROR || rcode == NLAB_DNS_NXDOMAIN) &&
            !(srv->buf[2] & (NLAB_DNS_F_TC >> 8)))
                cache_put(srv, p->cache_key, srv->buf, (size_t)n, ttl, now_ms());
        relay(srv, &p->from, &p->q, p->query, srv->buf, (size_t)n);
        pending_free(srv, p);
}

/* ---- queries ---- */

/* Returns true if the answer will come later (forwarded). */
static bool answer(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *buf,
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
                        reply(srv, o, srv->out, (size_t)n);
                return false;
        }
        if (q.has_edns && q.edns_version > 0) {
                reply_rcode(srv, o, &q, buf, NLAB_DNS_BADVERS);
                return false;
        }
        if (q.qclass != NLAB_DNS_C_IN && q.qclass != NLAB_DNS_T_ANY) {
                reply_rcode(srv, o, &q, buf, NLAB_DNS_REFUSED);
                return false;
        }
        nlab_dns_lookup(srv->store, o->client.sin_addr, srv->listeners[o->listener].net, q.qname,
                        q.qtype, &res);
        if (res.verdict != NLAB_DNS_V_FORWARD) {
                reply_local(srv, o, &q, buf, &res);
                return false;
        }
        return start_forward(srv, o, &q, buf, len, &res);
}

static void on_udp(struct nlab_dns_server *srv, uint32_t idx)
{
        struct listener *l = &srv->listeners[idx];

        for (int i = 0; i < UDP_BATCH && l->used; i++) {
                struct origin o = {.listener = (int)idx, .tcp = -1};
                socklen_t alen = sizeof(o.client);
                ssize_t n = recvfrom(l->udp, srv->buf, sizeof(srv->buf), 0,
                                     (struct sockaddr *)&o.client, &alen);

                if (n < 0)
                        return;
                if (alen != sizeof(o.client) || o.client.sin_family != AF_INET)
                        continue;
                answer(srv, &o, srv->buf, (size_t)n);
        }
}

/* ---- TCP ---- */

static void tcp_close(struct nlab_dns_server *srv, uint32_t idx)
{
        struct tcpconn *c = &srv->tcp[idx];
        uint32_t gen = c->gen;

        close(c->fd);
        free(c->in);
        free(c->out);
        memset(c, 0, sizeof(*c));
        c->gen = gen + 1;
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
                ep_ctl(srv, EPOLL_CTL_MOD, c->fd, tag(W_TCP_CONN, idx), ev);
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
                struct origin o = {.listener = c->listener, .tcp = (int)idx, .tcp_gen = c->gen};

                if (c->inlen < 2 + mlen)
                        break;
                o.client.sin_family = AF_INET;
                o.client.sin_addr = c->peer;
                /* Take the message out first: answering may come back here through resume. */
                memcpy(srv->buf, c->in + 2, mlen);
                memmove(c->in, c->in + 2 + mlen, c->inlen - 2 - mlen);
                c->inlen -= 2 + mlen;
                c->busy = true;
                c->busy = answer(srv, &o, srv->buf, mlen);
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
                tcp_close(srv, idx);
                return;
        }
        tcp_update_events(srv, idx);
}

static void tcp_resume(struct nlab_dns_server *srv, const struct origin *o)
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
        c->deadline = now_ms() + TCP_IDLE;
        tcp_settle(srv, (uint32_t)o->tcp);
}

static void on_tcp(struct nlab_dns_server *srv, uint32_t idx, uint32_t events)
{
        struct tcpconn *c = &srv->tcp[idx];

        if (idx >= MAX_TCP || !c->used)
                return;
        if (events & (EPOLLHUP | EPOLLERR)) {
                /* Reported whatever we ask for: closing now is the only way not to spin. */
                tcp_close(srv, idx);
                return;
        }
        if ((events & EPOLLIN) && !c->eof && !c->busy && c->inlen < TCP_IN_MAX) {
                ssize_t n;

                if (!c->in)
                        c->in = malloc(TCP_IN_MAX);
                n = c->in ? recv(c->fd, c->in + c->inlen, TCP_IN_MAX - c->inlen, 0) : 0;
                if (n > 0) {
                        c->inlen += (size_t)n;
                        c->deadline = now_ms() + TCP_IDLE;
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        c->eof = true;
                }
        }
        if (c->eof && c->inlen >= 2 && c->inlen < 2 + ((size_t)c->in[0] << 8 | c->in[1]))
                c->inlen = 0; /* a length prefix whose body never comes */
        tcp_settle(srv, idx);
}

static void on_accept(struct nlab_dns_server *srv, uint32_t idx)
{
        struct listener *l = &srv->listeners[idx];

        for (int i = 0; i < 16 && l->used; i++) {
                struct sockaddr_in peer;
                socklen_t alen = sizeof(peer);
                int fd =
                    accept4(l->tcp, (struct sockaddr *)&peer, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
                uint32_t slot = 0;

                if (fd < 0)
                        return;
                while (slot < MAX_TCP && srv->tcp[slot].used)
                        slot++;
                if (slot == MAX_TCP || peer.sin_family != AF_INET) {
                        close(fd); /* full: the client retries */
                        continue;
                }
                struct tcpconn *c = &srv->tcp[slot];
                c->used = true;
                c->fd = fd;
                c->listener = (int)idx;
                c->peer = peer.sin_addr;
                c->deadline = now_ms() + TCP_IDLE;
                c->events = EPOLLIN;
                ep_ctl(srv, EPOLL_CTL_ADD, fd, tag(W_TCP_CONN, slot), EPOLLIN);
        }
}

/* ---- control socket ---- */

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
        for (size_t i = 0; i < MAX_LISTENERS; i++)
                close_listener(&srv->listeners[i]);
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

/* ---- setup and loop ---- */

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
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        memcpy(sa.sun_path, srv->sockpath, sizeof(sa.sun_path));
        unlink(srv->sockpath); /* a stale socket of a killed daemon; we hold the lock */
        srv->ctlfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (srv->ctlfd < 0 || fchmod(srv->ctlfd, 0600) < 0 ||
            bind(srv->ctlfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(srv->ctlfd, 16) < 0) {
                snprintf(msg, msglen, "control socket %s: %s", srv->sockpath, strerror(errno));
                return -1;
        }
        return ep_ctl(srv, EPOLL_CTL_ADD, srv->ctlfd, tag(W_CONTROL, 0), EPOLLIN);
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
        return ep_ctl(srv, EPOLL_CTL_ADD, srv->sigfd, tag(W_SIGNAL, 0), EPOLLIN);
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
        srv->epfd = srv->ctlfd = srv->sigfd = srv->pidfd = -1;
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
        if (srv->epfd < 0 || open_signals(srv) < 0)
                goto fail;
        if (nlab_dns_state_load_all(srv->store, srv->dnsdir, msg, msglen) > 0)
                logmsg("skipped a bad record: %s", msg);
        if (sync_listeners(srv, msg, msglen) < 0)
                logmsg("%s", msg);
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
                        logmsg("%s", msg);
        }
}

static int next_timeout(struct nlab_dns_server *srv, uint64_t now)
{
        uint64_t next = now + 1000;

        for (size_t i = 0; i < MAX_PENDING; i++)
                if (srv->pending[i].used && srv->pending[i].deadline < next)
                        next = srv->pending[i].deadline;
        for (size_t i = 0; i < MAX_TCP; i++)
                if (srv->tcp[i].used && srv->tcp[i].deadline < next)
                        next = srv->tcp[i].deadline;
        return next <= now ? 0 : (int)(next - now);
}

static void expire(struct nlab_dns_server *srv, uint64_t now)
{
        for (uint32_t i = 0; i < MAX_PENDING; i++)
                if (srv->pending[i].used && srv->pending[i].deadline <= now)
                        upstream_next(srv, i);
        for (uint32_t i = 0; i < MAX_TCP; i++)
                if (srv->tcp[i].used && !srv->tcp[i].busy && srv->tcp[i].deadline <= now)
                        tcp_close(srv, i);
}

static void dispatch(struct nlab_dns_server *srv, const struct epoll_event *ev)
{
        uint32_t idx = (uint32_t)ev->data.u64;

        switch ((enum watch_kind)(ev->data.u64 >> 32)) {
        case W_UDP:
                on_udp(srv, idx);
                break;
        case W_TCP_LISTEN:
                on_accept(srv, idx);
                break;
        case W_TCP_CONN:
                on_tcp(srv, idx, ev->events);
                break;
        case W_UPSTREAM:
                on_upstream(srv, idx);
                break;
        case W_CONTROL:
                on_control(srv);
                break;
        case W_SIGNAL:
                on_signal(srv);
                break;
        }
}

int nlab_dns_server_run(struct nlab_dns_server *srv)
{
        struct epoll_event evs[64];

        if (nlab_dns_store_network_count(srv->store) == 0)
                stop_serving(srv); /* started with nothing to serve */
        while (!srv->stop) {
                int n = epoll_wait(srv->epfd, evs, 64, next_timeout(srv, now_ms()));

                if (n < 0 && errno != EINTR)
                        return -1;
                for (int i = 0; i < n && !srv->stop; i++)
                        dispatch(srv, &evs[i]);
                expire(srv, now_ms());
        }
        return 0;
}

void nlab_dns_server_free(struct nlab_dns_server *srv)
{
        if (!srv)
                return;
        for (size_t i = 0; i < MAX_LISTENERS; i++)
                close_listener(&srv->listeners[i]);
        for (uint32_t i = 0; i < MAX_TCP; i++)
                if (srv->tcp[i].used)
                        tcp_close(srv, i);
        for (size_t i = 0; srv->pending && i < MAX_PENDING; i++) {
                if (!srv->pending[i].used)
                        continue;
                srv->pending[i].from.tcp = -1;
                pending_free(srv, &srv->pending[i]);
        }
        for (size_t i = 0; i < CACHE_SLOTS; i++)
                cache_clear(&srv->cache[i]);
        free(srv->pending);
        nlab_dns_store_free(srv->store);
        if (srv->ctlfd >= 0)
                close(srv->ctlfd);
        if (srv->sigfd >= 0)
                close(srv->sigfd);
        if (srv->epfd >= 0)
                close(srv->epfd);
        if (srv->pidfd >= 0)
                close(srv->pidfd);
        free(srv);
}
