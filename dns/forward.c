/* netlab-dns: forwarding to upstream servers, with failover and a small TTL cache. */
#include "dns/serverd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

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

void nlab_dnsd_cache_clear(struct cache_entry *e)
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
                        nlab_dnsd_cache_clear(e);
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
        nlab_dnsd_cache_clear(slot);
        slot->key = strdup(key);
        slot->resp = malloc(len);
        if (!slot->key || !slot->resp) {
                nlab_dnsd_cache_clear(slot);
                return;
        }
        memcpy(slot->resp, resp, len);
        slot->len = len;
        slot->stored = now;
        slot->expires = now + (uint64_t)(ttl > CACHE_MAX_TTL ? CACHE_MAX_TTL : ttl) * 1000;
}

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
        if (len > nlab_dnsd_client_limit(o, q))
                len = nlab_dns_truncate(resp, len);
        nlab_dnsd_reply(srv, o, resp, len);
}

void nlab_dnsd_pending_free(struct nlab_dns_server *srv, struct pending *p)
{
        struct origin from = p->from;

        if (p->fd >= 0)
                close(p->fd);
        free(p->query);
        free(p->cache_key);
        memset(p, 0, sizeof(*p));
        p->fd = -1;
        srv->n_pending--;
        nlab_dnsd_tcp_resume(srv, &from);
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
            nlab_dnsd_ep_ctl(srv, EPOLL_CTL_ADD, p->fd, nlab_dnsd_tag(W_UPSTREAM, idx), EPOLLIN) <
                0)
                return -1;
        p->deadline = nlab_dnsd_now_ms() + UPSTREAM_TIMEOUT;
        return 0;
}

/* Move on to the next server, or give up with SERVFAIL. */
void nlab_dnsd_upstream_next(struct nlab_dns_server *srv, uint32_t idx)
{
        struct pending *p = &srv->pending[idx];

        while (++p->idx < p->n_up)
                if (upstream_send(srv, p, idx) == 0)
                        return;
        nlab_dnsd_reply_rcode(srv, &p->from, &p->q, p->query, NLAB_DNS_SERVFAIL);
        nlab_dnsd_pending_free(srv, p);
}

static uint8_t *make_upstream_query(const uint8_t *qbuf, size_t len, const struct origin *o,
                                    const struct nlab_dns_query *q, uint16_t id, size_t *outlen,
                                    bool *added_opt)
{
        static const uint8_t opt[11] = {0, 0, NLAB_DNS_T_OPT, NLAB_DNS_EDNSMAX >> 8, 0};
        uint8_t *m = malloc(len + sizeof(opt));

        if (!m)
                return NULL;
        memcpy(m, qbuf, len);
        put_id(m, id);
        *outlen = len;
        *added_opt = false;
        /* A TCP client wants the whole answer: ask upstream for a big UDP answer. */
        if (o->tcp >= 0 && !q->has_edns) {
                memcpy(m + len, opt, sizeof(opt));
                uint16_t ar = (uint16_t)(m[10] << 8 | m[11]) + 1;
                m[10] = (uint8_t)(ar >> 8);
                m[11] = (uint8_t)ar;
                *outlen = len + sizeof(opt);
                *added_opt = true; /* and take it out of the answer again */
        }
        return m;
}

bool nlab_dnsd_start_forward(struct nlab_dns_server *srv, const struct origin *o,
                             const struct nlab_dns_query *q, const uint8_t *qbuf, size_t len,
                             const struct nlab_dns_result *res)
{
        struct sockaddr_in up[MAX_UPSTREAMS];
        size_t n = pick_upstreams(srv, res, up), hit;
        uint64_t now = nlab_dnsd_now_ms();
        uint32_t idx;
        struct pending *p;
        char *key;

        if (n == 0) {
                nlab_dnsd_reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
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
                nlab_dnsd_reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
                return false;
        }
        p = &srv->pending[idx];
        p->used = true;
        srv->n_pending++;
        p->fd = -1;
        p->from = *o;
        p->q = *q;
        p->cache_key = key;
        memcpy(p->up, up, n * sizeof(up[0]));
        p->n_up = n;
        p->idx = 0;
        if (getrandom(&p->our_id, sizeof(p->our_id), 0) != sizeof(p->our_id))
                p->our_id = (uint16_t)now;
        p->query = make_upstream_query(qbuf, len, o, q, p->our_id, &p->qlen, &p->added_opt);
        if (!p->query) {
                nlab_dnsd_reply_rcode(srv, o, q, qbuf, NLAB_DNS_SERVFAIL);
                p->from.tcp = -1; /* nothing to resume: we answered already */
                nlab_dnsd_pending_free(srv, p);
                return false;
        }
        if (upstream_send(srv, p, idx) < 0)
                nlab_dnsd_upstream_next(srv, idx);
        return p->used; /* false if every server failed at once and we answered */
}

/* An error answer without the question (FORMERR, NOTIMP from old servers): try the next one. */
static bool upstream_refused(const uint8_t *buf, size_t len, uint16_t id)
{
        struct nlab_dns_header h;

        return nlab_dns_parse_header(buf, len, &h) == 0 && (h.flags & NLAB_DNS_F_QR) &&
               h.id == id && h.qdcount == 0 && (h.flags & NLAB_DNS_F_RCODE) != 0;
}

void nlab_dnsd_on_upstream(struct nlab_dns_server *srv, uint32_t idx)
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
                nlab_dnsd_upstream_next(srv, idx); /* refused or unreachable: next server now */
                return;
        }
        if (upstream_refused(srv->buf, (size_t)n, p->our_id)) {
                nlab_dnsd_upstream_next(srv, idx);
                return;
        }
        uq = p->q;
        uq.hdr.id = p->our_id;
        if (nlab_dns_check_response(srv->buf, (size_t)n, &uq, &ttl) < 0)
                return; /* not the answer to our question: keep waiting */
        if (p->added_opt)
                n = (ssize_t)nlab_dns_strip_opt(srv->buf, (size_t)n);
        rcode = srv->buf[3] & 0xf;
        if ((rcode == NLAB_DNS_SERVFAIL || rcode == NLAB_DNS_REFUSED) && p->idx + 1 < p->n_up) {
                nlab_dnsd_upstream_next(srv, idx);
                return;
        }
        if ((rcode == NLAB_DNS_NOERROR || rcode == NLAB_DNS_NXDOMAIN) &&
            !(srv->buf[2] & (NLAB_DNS_F_TC >> 8)))
                cache_put(srv, p->cache_key, srv->buf, (size_t)n, ttl, nlab_dnsd_now_ms());
        relay(srv, &p->from, &p->q, p->query, srv->buf, (size_t)n);
        nlab_dnsd_pending_free(srv, p);
}
