#include "dns/wire.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Compression pointers must strictly decrease, so this only guards against our own mistakes. */
#define MAX_POINTER_HOPS 128

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
        put16(p, (uint16_t)(v >> 16));
        put16(p + 2, (uint16_t)v);
}

int nlab_dns_parse_header(const uint8_t *buf, size_t len, struct nlab_dns_header *h)
{
        assert(buf && h);
        if (len < NLAB_DNS_HDRLEN)
                return -1;
        h->id = get16(buf);
        h->flags = get16(buf + 2);
        h->qdcount = get16(buf + 4);
        h->ancount = get16(buf + 6);
        h->nscount = get16(buf + 8);
        h->arcount = get16(buf + 10);
        return 0;
}

/* Append one label as text; bytes that would make the dotted form ambiguous become \DDD. */
static int append_label(char *out, size_t *olen, const uint8_t *label, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint8_t c = label[i];

                if (c >= 'A' && c <= 'Z')
                        c = (uint8_t)(c - 'A' + 'a');
                if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
                        if (*olen + 1 >= NLAB_DNS_NAMEBUF)
                                return -1;
                        out[(*olen)++] = (char)c;
                        continue;
                }
                if (*olen + 4 >= NLAB_DNS_NAMEBUF)
                        return -1;
                snprintf(out + *olen, 5, "\\%03u", c);
                *olen += 4;
        }
        out[*olen] = '\0';
        return 0;
}

/* The one name walker: out may be NULL to only skip. */
static int walk_name(const uint8_t *buf, size_t len, size_t *off, char *out)
{
        size_t pos = *off, end = 0, olen = 0, wirelen = 0, limit = pos;
        bool jumped = false;
        int hops = 0;

        if (out)
                out[0] = '\0';
        for (;;) {
                if (pos >= len)
                        return -1;
                uint8_t c = buf[pos];

                if ((c & 0xc0) == 0xc0) {
                        if (pos + 1 >= len)
                                return -1;
                        size_t target = (size_t)(c & 0x3f) << 8 | buf[pos + 1];
                        /* Strictly backwards, never into the header: no loop can form. */
                        if (target >= limit || target < NLAB_DNS_HDRLEN ||
                            ++hops > MAX_POINTER_HOPS)
                                return -1;
                        if (!jumped)
                                end = pos + 2;
                        jumped = true;
                        limit = target;
                        pos = target;
                        continue;
                }
                if (c & 0xc0)
                        return -1; /* 0x40 and 0x80 label types are reserved/obsolete */
                wirelen += (size_t)c + 1;
                if (wirelen > NLAB_DNS_MAXNAME)
                        return -1;
                if (c == 0) {
                        *off = jumped ? end : pos + 1;
                        return 0;
                }
                if (pos + 1 + c > len)
                        return -1;
                if (out) {
                        if (olen > 0) {
                                if (olen + 1 >= NLAB_DNS_NAMEBUF)
                                        return -1;
                                out[olen++] = '.';
                        }
                        if (append_label(out, &olen, buf + pos + 1, c) < 0)
                                return -1;
                }
                pos += 1 + (size_t)c;
        }
}

int nlab_dns_read_name(const uint8_t *buf, size_t len, size_t *off, char out[NLAB_DNS_NAMEBUF])
{
        assert(buf && off && out);
        return walk_name(buf, len, off, out);
}

int nlab_dns_skip_name(const uint8_t *buf, size_t len, size_t *off)
{
        assert(buf && off);
        return walk_name(buf, len, off, NULL);
}

int nlab_dns_next_rr(const uint8_t *buf, size_t len, size_t *off, struct nlab_dns_rr *rr)
{
        size_t pos = *off;

        assert(buf && off && rr);
        if (nlab_dns_skip_name(buf, len, &pos) < 0 || len - pos < 10)
                return -1;
        rr->type = get16(buf + pos);
        rr->rclass = get16(buf + pos + 2);
        rr->ttl_off = pos + 4;
        rr->ttl = get32(buf + pos + 4);
        rr->rdlength = get16(buf + pos + 8);
        rr->rdata_off = pos + 10;
        if (len - rr->rdata_off < rr->rdlength)
                return -1;
        *off = rr->rdata_off + rr->rdlength;
        return 0;
}

/* The OPT pseudo-RR: root owner, at most one, version and DO bit recorded. */
static int parse_opt(const uint8_t *buf, size_t start, const struct nlab_dns_rr *rr,
                     struct nlab_dns_query *q)
{
        if (q->has_edns || buf[start] != 0)
                return -1;
        q->has_edns = true;
        q->edns_size = rr->rclass < NLAB_DNS_UDPMIN ? NLAB_DNS_UDPMIN : rr->rclass;
        q->edns_version = (uint8_t)(rr->ttl >> 16);
        q->edns_do = (rr->ttl & 0x8000) != 0;
        return 0;
}

static int parse_additional(const uint8_t *buf, size_t len, size_t *off, struct nlab_dns_query *q)
{
        for (unsigned i = 0; i < q->hdr.arcount; i++) {
                struct nlab_dns_rr rr;
                size_t start = *off;

                if (nlab_dns_next_rr(buf, len, off, &rr) < 0)
                        return -1;
                if (rr.type == NLAB_DNS_T_OPT && parse_opt(buf, start, &rr, q) < 0)
                        return -1;
        }
        return 0;
}

int nlab_dns_parse_query(const uint8_t *buf, size_t len, struct nlab_dns_query *q)
{
        size_t off = NLAB_DNS_HDRLEN;

        assert(buf && q);
        memset(q, 0, sizeof(*q));
        if (nlab_dns_parse_header(buf, len, &q->hdr) < 0 || (q->hdr.flags & NLAB_DNS_F_QR))
                return NLAB_DNS_PARSE_DROP;
        if ((q->hdr.flags & NLAB_DNS_F_OPCODE) != 0)
                return NLAB_DNS_FORMERR;
        if (q->hdr.qdcount != 1 || q->hdr.ancount != 0 || q->hdr.nscount != 0)
                return NLAB_DNS_FORMERR;
        if (nlab_dns_read_name(buf, len, &off, q->qname) < 0 || len - off < 4)
                return NLAB_DNS_FORMERR;
        q->qtype = get16(buf + off);
        q->qclass = get16(buf + off + 2);
        off += 4;
        q->question_end = off;
        if (parse_additional(buf, len, &off, q) < 0 || off != len)
                return NLAB_DNS_FORMERR;
        return NLAB_DNS_PARSE_OK;
}

int nlab_dns_encode_name(const char *name, uint8_t *out, size_t cap)
{
        size_t pos = 0;
        const char *p = name;

        assert(name && out);
        while (*p) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);

                if (n == 0 || n > NLAB_DNS_MAXLABEL || pos + 1 + n + 1 > cap ||
                    pos + 1 + n + 1 > NLAB_DNS_MAXNAME)
                        return -1;
                out[pos++] = (uint8_t)n;
                memcpy(out + pos, p, n);
                pos += n;
                p += n;
                if (*p == '.')
                        p++;
        }
        if (pos + 1 > cap)
                return -1;
        out[pos++] = 0;
        return (int)pos;
}

int nlab_dns_build_query(const char *name, uint16_t id, uint8_t *buf, size_t cap)
{
        int n;

        assert(name && buf);
        if (!name[0] || cap < NLAB_DNS_HDRLEN + 4)
                return -1;
        n = nlab_dns_encode_name(name, buf + NLAB_DNS_HDRLEN, cap - NLAB_DNS_HDRLEN - 4);
        if (n < 0)
                return -1;
        memset(buf, 0, NLAB_DNS_HDRLEN);
        put16(buf, id);
        put16(buf + 2, NLAB_DNS_F_RD);
        put16(buf + 4, 1);
        put16(buf + NLAB_DNS_HDRLEN + n, NLAB_DNS_T_A);
        put16(buf + NLAB_DNS_HDRLEN + n + 2, NLAB_DNS_C_IN);
        return NLAB_DNS_HDRLEN + n + 4;
}

bool nlab_dns_ptr_to_addr(const char *qname, struct in_addr *addr)
{
        unsigned a, b, c, d;
        int n = 0;
        char buf[INET_ADDRSTRLEN];

        assert(qname && addr);
        if (sscanf(qname, "%3u.%3u.%3u.%3u.in-addr.arpa%n", &d, &c, &b, &a, &n) != 4 ||
            qname[n] != '\0' || a > 255 || b > 255 || c > 255 || d > 255)
                return false;
        /* Reject leading zeros and signs sscanf would accept: rebuild and compare. */
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u", d, c, b, a);
        if (strncmp(qname, buf, strlen(buf)) != 0)
                return false;
        addr->s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
        return true;
}

static uint8_t *reserve(struct nlab_dns_builder *b, size_t n)
{
        if (b->overflow || b->cap - b->len < n) {
                b->overflow = true;
                return NULL;
        }
        uint8_t *p = b->buf + b->len;
        b->len += n;
        return p;
}

static void write_header(struct nlab_dns_builder *b, uint16_t id, uint16_t flags, uint16_t qd,
                         uint16_t an, uint16_t ar)
{
        put16(b->buf, id);
        put16(b->buf + 2, flags);
        put16(b->buf + 4, qd);
        put16(b->buf + 6, an);
        put16(b->buf + 8, 0);
        put16(b->buf + 10, ar);
}

static uint16_t response_flags(uint16_t qflags, int rcode, bool aa)
{
        uint16_t f = NLAB_DNS_F_QR | NLAB_DNS_F_RA;

        f |= qflags & (NLAB_DNS_F_OPCODE | NLAB_DNS_F_RD | NLAB_DNS_F_CD);
        if (aa)
                f |= NLAB_DNS_F_AA;
        return (uint16_t)(f | (rcode & 0xf));
}

void nlab_dns_begin_response(struct nlab_dns_builder *b, uint8_t *buf, size_t cap,
                             const struct nlab_dns_query *q, const uint8_t *qbuf, int rcode,
                             bool authoritative)
{
        size_t qlen = q->question_end - NLAB_DNS_HDRLEN;

        assert(b && buf && q && qbuf);
        memset(b, 0, sizeof(*b));
        b->buf = buf;
        b->cap = cap;
        b->rcode = rcode;
        if (!reserve(b, NLAB_DNS_HDRLEN))
                return;
        write_header(b, q->hdr.id, response_flags(q->hdr.flags, rcode, authoritative), 1, 0, 0);
        uint8_t *p = reserve(b, qlen);
        if (!p)
                return;
        memcpy(p, qbuf + NLAB_DNS_HDRLEN, qlen);
        b->question_end = b->len;
}

/* Owner is always the question's name: a pointer to offset 12. */
static uint8_t *add_rr(struct nlab_dns_builder *b, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
        uint8_t *p = reserve(b, 12u + rdlen);

        if (!p)
                return NULL;
        put16(p, 0xc000 | NLAB_DNS_HDRLEN);
        put16(p + 2, type);
        put16(p + 4, NLAB_DNS_C_IN);
        put32(p + 6, ttl);
        put16(p + 10, rdlen);
        b->ancount++;
        return p + 12;
}

void nlab_dns_add_a(struct nlab_dns_builder *b, uint32_t ttl, struct in_addr addr)
{
        uint8_t *p = add_rr(b, NLAB_DNS_T_A, ttl, 4);

        if (p)
                memcpy(p, &addr.s_addr, 4);
}

void nlab_dns_add_ptr(struct nlab_dns_builder *b, uint32_t ttl, const char *target)
{
        uint8_t name[NLAB_DNS_MAXNAME + 1];
        int n = nlab_dns_encode_name(target, name, sizeof(name));

        if (n < 0) {
                b->overflow = true;
                return;
        }
        uint8_t *p = add_rr(b, NLAB_DNS_T_PTR, ttl, (uint16_t)n);
        if (p)
                memcpy(p, name, (size_t)n);
}

static void add_opt(struct nlab_dns_builder *b, int rcode)
{
        uint8_t *p = reserve(b, 11);

        if (!p)
                return;
        p[0] = 0;
        put16(p + 1, NLAB_DNS_T_OPT);
        put16(p + 3, NLAB_DNS_EDNSMAX);
        put32(p + 5, (uint32_t)(rcode >> 4) << 24); /* extended rcode, version 0, no DO */
        put16(p + 9, 0);
}

int nlab_dns_finish(struct nlab_dns_builder *b, const struct nlab_dns_query *q, size_t limit)
{
        uint16_t flags;

        assert(b && q);
        if (b->question_end == 0)
                return -1; /* not even the question fitted */
        if (b->overflow || b->len + (q->has_edns ? 11 : 0) > limit) {
                /* Too big for this transport: the client retries over TCP. */
                b->overflow = false;
                b->len = b->question_end;
                b->ancount = 0;
                flags = (uint16_t)(get16(b->buf + 2) | NLAB_DNS_F_TC);
                put16(b->buf + 2, flags);
        }
        if (q->has_edns)
                add_opt(b, b->rcode);
        if (b->overflow)
                return -1;
        put16(b->buf + 6, b->ancount);
        put16(b->buf + 10, q->has_edns ? 1 : 0);
        return (int)b->len;
}

int nlab_dns_build_rcode(uint8_t *buf, size_t cap, const struct nlab_dns_query *q,
                         const uint8_t *qbuf, int rcode)
{
        struct nlab_dns_builder b;

        nlab_dns_begin_response(&b, buf, cap, q, qbuf, rcode, false);
        return nlab_dns_finish(&b, q, cap);
}

int nlab_dns_build_error(uint8_t *buf, size_t cap, const struct nlab_dns_header *h, int rcode)
{
        struct nlab_dns_builder b = {.buf = buf, .cap = cap};

        assert(buf && h);
        if (cap < NLAB_DNS_HDRLEN)
                return -1;
        write_header(&b, h->id, response_flags(h->flags, rcode, false), 0, 0, 0);
        return NLAB_DNS_HDRLEN;
}

size_t nlab_dns_udp_limit(const struct nlab_dns_query *q)
{
        assert(q);
        if (!q->has_edns)
                return NLAB_DNS_UDPMIN;
        return q->edns_size > NLAB_DNS_EDNSMAX ? NLAB_DNS_EDNSMAX : q->edns_size;
}

/* Visit every RR after the question; fn may be NULL. Returns 0 if all parse. */
static int walk_rrs(const uint8_t *buf, size_t len, size_t *opt_off,
                    void (*fn)(const uint8_t *, const struct nlab_dns_rr *, void *), void *arg)
{
        struct nlab_dns_header h;
        size_t off = NLAB_DNS_HDRLEN;
        unsigned total;

        if (nlab_dns_parse_header(buf, len, &h) < 0)
                return -1;
        for (unsigned i = 0; i < h.qdcount; i++) {
                if (nlab_dns_skip_name(buf, len, &off) < 0 || len - off < 4)
                        return -1;
                off += 4;
        }
        total = (unsigned)h.ancount + h.nscount + h.arcount;
        for (unsigned i = 0; i < total; i++) {
                struct nlab_dns_rr rr;
                size_t start = off;

                if (nlab_dns_next_rr(buf, len, &off, &rr) < 0)
                        return -1;
                if (rr.type == NLAB_DNS_T_OPT && opt_off)
                        *opt_off = start;
                if (fn)
                        fn(buf, &rr, arg);
        }
        return 0;
}

static void min_ttl_fn(const uint8_t *buf, const struct nlab_dns_rr *rr, void *arg)
{
        long *min = arg;

        (void)buf;
        if (rr->type == NLAB_DNS_T_OPT)
                return;
        if (*min < 0 || (long)rr->ttl < *min)
                *min = (long)rr->ttl;
}

int nlab_dns_check_response(const uint8_t *resp, size_t len, const struct nlab_dns_query *q,
                            long *min_ttl)
{
        struct nlab_dns_header h;
        char name[NLAB_DNS_NAMEBUF];
        size_t off = NLAB_DNS_HDRLEN;

        assert(resp && q && min_ttl);
        *min_ttl = -1;
        if (nlab_dns_parse_header(resp, len, &h) < 0 || !(h.flags & NLAB_DNS_F_QR) ||
            h.id != q->hdr.id || h.qdcount != 1)
                return -1;
        if (nlab_dns_read_name(resp, len, &off, name) < 0 || len - off < 4)
                return -1;
        if (strcmp(name, q->qname) != 0 || get16(resp + off) != q->qtype ||
            get16(resp + off + 2) != q->qclass)
                return -1;
        if (walk_rrs(resp, len, NULL, min_ttl_fn, min_ttl) < 0) {
                *min_ttl = -1;
                /* A truncated answer may end mid-record; it is still the answer to relay. */
                return (h.flags & NLAB_DNS_F_TC) ? 0 : -1;
        }
        return 0;
}

static void age_fn(const uint8_t *buf, const struct nlab_dns_rr *rr, void *arg)
{
        uint32_t elapsed = *(uint32_t *)arg;
        uint8_t *p = (uint8_t *)buf + rr->ttl_off;

        if (rr->type == NLAB_DNS_T_OPT)
                return;
        put32(p, rr->ttl > elapsed ? rr->ttl - elapsed : 0);
}

int nlab_dns_age_ttls(uint8_t *buf, size_t len, uint32_t elapsed)
{
        assert(buf);
        return walk_rrs(buf, len, NULL, age_fn, &elapsed);
}

size_t nlab_dns_strip_opt(uint8_t *buf, size_t len)
{
        struct nlab_dns_header h;
        size_t opt_off = 0;

        assert(buf);
        if (nlab_dns_parse_header(buf, len, &h) < 0 || h.arcount == 0 ||
            walk_rrs(buf, len, &opt_off, NULL, NULL) < 0 || !opt_off)
                return len;
        size_t off = opt_off;
        struct nlab_dns_rr rr;
        if (nlab_dns_next_rr(buf, len, &off, &rr) < 0 || off != len)
                return len;
        put16(buf + 10, (uint16_t)(h.arcount - 1));
        return opt_off;
}

size_t nlab_dns_truncate(uint8_t *buf, size_t len)
{
        struct nlab_dns_header h;
        size_t off = NLAB_DNS_HDRLEN, opt_off = 0, opt_len = 0;
        uint8_t opt[11];

        assert(buf);
        if (nlab_dns_parse_header(buf, len, &h) < 0)
                return len < NLAB_DNS_HDRLEN ? len : NLAB_DNS_HDRLEN;
        if (walk_rrs(buf, len, &opt_off, NULL, NULL) == 0 && opt_off && len - opt_off >= 11) {
                memcpy(opt, buf + opt_off, 11);
                put16(opt + 9, 0); /* drop options: only the size and rcode matter here */
                opt_len = 11;
        }
        if (h.qdcount >= 1 && nlab_dns_skip_name(buf, len, &off) == 0 && len - off >= 4)
                off += 4;
        else
                off = NLAB_DNS_HDRLEN;
        put16(buf + 2, (uint16_t)(h.flags | NLAB_DNS_F_TC));
        put16(buf + 4, off > NLAB_DNS_HDRLEN ? 1 : 0);
        put16(buf + 6, 0);
        put16(buf + 8, 0);
        put16(buf + 10, opt_len ? 1 : 0);
        if (opt_len) {
                memcpy(buf + off, opt, opt_len);
                off += opt_len;
        }
        return off;
}
