#include "runtime/base/pktfmt.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns/wire.h"

/* The line being written; once full, further output is dropped and the result says so. */
struct line {
        char *buf;
        size_t size, len;
        bool cut;
};

/* The bytes left to read: every header reader checks its length against this first. */
struct span {
        const uint8_t *p;
        size_t n;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
        va_list ap;
        int w;

        if (l->cut)
                return;
        va_start(ap, fmt);
        w = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
        va_end(ap);
        if (w < 0 || (size_t)w >= l->size - l->len) {
                l->len = l->size - 1;
                l->cut = true;
                return;
        }
        l->len += (size_t)w;
}

static uint16_t rd16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool take(struct span *s, size_t n)
{
        if (s->n < n)
                return false;
        s->p += n;
        s->n -= n;
        return true;
}

static const char *const icmp_names[] = {
    [0] = "echo-reply",           [3] = "dest-unreachable",
    [4] = "source-quench",        [5] = "redirect",
    [8] = "echo-request",         [9] = "router-advertisement",
    [10] = "router-solicitation", [11] = "time-exceeded",
    [12] = "parameter-problem",   [13] = "timestamp-request",
    [14] = "timestamp-reply",
};

static const char *const unreach_codes[] = {
    "net-unreachable",      "host-unreachable",    "protocol-unreachable", "port-unreachable",
    "frag-needed",          "source-route-failed", "net-unknown",          "host-unknown",
    "host-isolated",        "net-prohibited",      "host-prohibited",      "net-tos-unreachable",
    "host-tos-unreachable", "admin-prohibited",
};

const char *nlab_pkt_icmp_name(uint8_t type)
{
        return type < sizeof(icmp_names) / sizeof(icmp_names[0]) ? icmp_names[type] : NULL;
}

int nlab_pkt_icmp_type(const char *name)
{
        size_t i;

        for (i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
                if (icmp_names[i] && !strcmp(icmp_names[i], name))
                        return (int)i;
        return -1;
}

static const char *icmp6_name(uint8_t type)
{
        switch (type) {
        case 1:
                return "dest-unreachable";
        case 2:
                return "packet-too-big";
        case 3:
                return "time-exceeded";
        case 128:
                return "echo-request";
        case 129:
                return "echo-reply";
        case 133:
                return "router-solicitation";
        case 134:
                return "router-advertisement";
        case 135:
                return "neighbor-solicitation";
        case 136:
                return "neighbor-advertisement";
        case 143:
                return "mld2-report";
        default:
                return NULL;
        }
}

static const char *dns_type_name(uint16_t t)
{
        switch (t) {
        case NLAB_DNS_T_A:
                return "A";
        case NLAB_DNS_T_NS:
                return "NS";
        case NLAB_DNS_T_CNAME:
                return "CNAME";
        case NLAB_DNS_T_SOA:
                return "SOA";
        case NLAB_DNS_T_PTR:
                return "PTR";
        case NLAB_DNS_T_MX:
                return "MX";
        case NLAB_DNS_T_TXT:
                return "TXT";
        case NLAB_DNS_T_AAAA:
                return "AAAA";
        case NLAB_DNS_T_ANY:
                return "ANY";
        default:
                return NULL;
        }
}

static const char *rcode_name(unsigned rc)
{
        static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                            "NXDOMAIN", "NOTIMP",  "REFUSED"};

        return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : NULL;
}

static void put_qtype(struct line *l, uint16_t t)
{
        const char *n = dns_type_name(t);

        if (n)
                put(l, "%s", n);
        else
                put(l, "TYPE%u", t);
}

/* The answers of a response: A and AAAA addresses, CNAME and PTR targets, other types by name. */
static void put_answers(struct line *l, const uint8_t *m, size_t n, size_t off, unsigned count)
{
        char name[NLAB_DNS_NAMEBUF], addr[NLAB_PKT_ADDRLEN];
        struct nlab_dns_rr rr;
        unsigned i;

        for (i = 0; i < count; i++) {
                if (nlab_dns_next_rr(m, n, &off, &rr) < 0) {
                        put(l, " [bad answer]");
                        return;
                }
                put(l, i ? ", " : " ->");
                if (rr.type == NLAB_DNS_T_A && rr.rdlength == 4) {
                        inet_ntop(AF_INET, m + rr.rdata_off, addr, sizeof(addr));
                        put(l, " %s", addr);
                } else if (rr.type == NLAB_DNS_T_AAAA && rr.rdlength == 16) {
                        inet_ntop(AF_INET6, m + rr.rdata_off, addr, sizeof(addr));
                        put(l, " %s", addr);
                } else if (rr.type == NLAB_DNS_T_CNAME || rr.type == NLAB_DNS_T_PTR) {
                        size_t o = rr.rdata_off;

                        if (nlab_dns_read_name(m, n, &o, name) < 0)
                                put(l, " %s [bad name]", dns_type_name(rr.type));
                        else
                                put(l, " %s %s", dns_type_name(rr.type), name);
                } else {
                        put(l, " ");
                        put_qtype(l, rr.type);
                }
        }
}

/* A DNS message (UDP payload, or a TCP segment after its 2-byte length). false: not DNS. */
static bool put_dns(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        char qname[NLAB_DNS_NAMEBUF] = "";
        struct nlab_dns_header h;
        uint16_t qtype = 0;
        size_t off = NLAB_DNS_HDRLEN;
        const char *rc;

        if (nlab_dns_parse_header(s.p, s.n, &h) < 0)
                return false;
        if (h.qdcount >= 1) {
                if (nlab_dns_read_name(s.p, s.n, &off, qname) < 0 || s.n - off < 4)
                        return false;
                qtype = rd16(s.p + off);
                off += 4;
        }
        pkt->proto = NLAB_PKT_DNS;
        pkt->dns_response = h.flags & NLAB_DNS_F_QR;
        pkt->dns_qtype = qtype;
        snprintf(pkt->dns_qname, sizeof(pkt->dns_qname), "%s", qname);
        put(l, "DNS %s 0x%04x ", pkt->dns_response ? "response" : "query", h.id);
        put_qtype(l, qtype);
        put(l, " %s?", qname[0] ? qname : ".");
        if (!pkt->dns_response)
                return true;
        rc = rcode_name(h.flags & NLAB_DNS_F_RCODE);
        if ((h.flags & NLAB_DNS_F_RCODE) != NLAB_DNS_NOERROR) {
                if (rc)
                        put(l, " %s", rc);
                else
                        put(l, " rcode %u", h.flags & NLAB_DNS_F_RCODE);
        }
        /* the question was read above, so off is past it when qdcount is 1 */
        if (h.qdcount <= 1)
                put_answers(l, s.p, s.n, off, h.ancount);
        return true;
}

static void put_icmp(struct line *l, struct span s, struct nlab_pkt *pkt, bool v6)
{
        const char *name;

        if (s.n < 4) {
                put(l, "ICMP [cut]");
                return;
        }
        pkt->proto = NLAB_PKT_ICMP;
        pkt->icmp_type = s.p[0];
        pkt->icmp_code = s.p[1];
        name = v6 ? icmp6_name(s.p[0]) : nlab_pkt_icmp_name(s.p[0]);
        put(l, v6 ? "ICMP6 " : "ICMP ");
        if (name)
                put(l, "%s", name);
        else
                put(l, "type %u", s.p[0]);
        if (!v6 && s.p[0] == 3 && s.p[1] < sizeof(unreach_codes) / sizeof(unreach_codes[0]))
                put(l, " %s", unreach_codes[s.p[1]]);
        else if (s.p[1])
                put(l, " code %u", s.p[1]);
        /* echo carries id and sequence in the rest of the header */
        if (s.n >= 8 &&
            ((!v6 && (s.p[0] == 0 || s.p[0] == 8)) || (v6 && s.p[0] >= 128 && s.p[0] <= 129)))
                put(l, " id %u seq %u", rd16(s.p + 4), rd16(s.p + 6));
}

static void put_tcp(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        static const struct {
                uint8_t bit;
                char c;
        } flags[] = {{NLAB_TCP_SYN, 'S'},
                     {NLAB_TCP_FIN, 'F'},
                     {NLAB_TCP_RST, 'R'},
                     {NLAB_TCP_PSH, 'P'},
                     {NLAB_TCP_ACK, '.'}};
        size_t hlen, i;
        char f[8];
        size_t nf = 0;

        if (s.n < 20) {
                put(l, "TCP [cut]");
                return;
        }
        pkt->proto = NLAB_PKT_TCP;
        pkt->sport = rd16(s.p);
        pkt->dport = rd16(s.p + 2);
        pkt->tcp_flags = s.p[13];
        for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (s.p[13] & flags[i].bit)
                        f[nf++] = flags[i].c;
        f[nf] = '\0';
        hlen = (size_t)(s.p[12] >> 4) * 4;
        put(l, "TCP %u > %u [%s] seq %u", pkt->sport, pkt->dport, f, rd32(s.p + 4));
        if (s.p[13] & NLAB_TCP_ACK)
                put(l, " ack %u", rd32(s.p + 8));
        put(l, " win %u", rd16(s.p + 14));
        if (hlen < 20 || !take(&s, hlen)) {
                put(l, " [bad header length]");
                return;
        }
        /* DNS over TCP: a 2-byte length, then the message; only a segment that starts one */
        if ((pkt->sport == 53 || pkt->dport == 53) && s.n > 2 && take(&s, 2)) {
                struct nlab_pkt dns = *pkt;
                struct line sub = *l;

                put(&sub, ", ");
                if (put_dns(&sub, s, &dns)) {
                        *l = sub;
                        *pkt = dns;
                }
        }
}

static void put_udp(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        if (s.n < 8) {
                put(l, "UDP [cut]");
                return;
        }
        pkt->proto = NLAB_PKT_UDP;
        pkt->sport = rd16(s.p);
        pkt->dport = rd16(s.p + 2);
        put(l, "UDP %u > %u", pkt->sport, pkt->dport);
        take(&s, 8);
        if (pkt->sport == 53 || pkt->dport == 53) {
                struct nlab_pkt dns = *pkt;
                struct line sub = *l;

                put(&sub, ", ");
                if (put_dns(&sub, s, &dns)) {
                        *l = sub;
                        *pkt = dns;
                        return;
                }
        }
        put(l, ", length %zu", s.n);
}

/* The transport header of an IP packet whose payload s starts at it. */
static void put_transport(struct line *l, struct span s, uint8_t proto, struct nlab_pkt *pkt)
{
        pkt->ipproto = proto;
        switch (proto) {
        case IPPROTO_ICMP:
                put_icmp(l, s, pkt, false);
                break;
        case IPPROTO_ICMPV6:
                put_icmp(l, s, pkt, true);
                break;
        case IPPROTO_TCP:
                put_tcp(l, s, pkt);
                break;
        case IPPROTO_UDP:
                put_udp(l, s, pkt);
                break;
        case IPPROTO_IGMP:
                put(l, "IGMP, length %zu", s.n);
                break;
        default:
                put(l, "proto %u, length %zu", proto, s.n);
        }
}

static void put_ipv4(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        size_t hlen, total;
        uint16_t frag;
        uint8_t proto;

        if (s.n < 20 || s.p[0] >> 4 != 4) {
                put(l, "IP [cut]");
                return;
        }
        hlen = (size_t)(s.p[0] & 0x0f) * 4;
        total = rd16(s.p + 2);
        pkt->family = AF_INET;
        inet_ntop(AF_INET, s.p + 12, pkt->src, sizeof(pkt->src));
        inet_ntop(AF_INET, s.p + 16, pkt->dst, sizeof(pkt->dst));
        put(l, "IP %s > %s: ", pkt->src, pkt->dst);
        if (hlen < 20 || hlen > s.n || total < hlen) {
                put(l, "[bad header length]");
                return;
        }
        frag = rd16(s.p + 6);
        proto = s.p[9];
        /* the Ethernet frame may carry padding past the IP packet: trust the smaller length */
        if (total < s.n)
                s.n = total;
        take(&s, hlen);
        if (frag & 0x1fff) {
                put(l, "fragment offset %u, proto %u", (frag & 0x1fff) * 8, proto);
                return;
        }
        put_transport(l, s, proto, pkt);
}

static void put_ipv6(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        size_t plen;
        uint8_t next;

        if (s.n < 40 || s.p[0] >> 4 != 6) {
                put(l, "IP6 [cut]");
                return;
        }
        pkt->family = AF_INET6;
        inet_ntop(AF_INET6, s.p + 8, pkt->src, sizeof(pkt->src));
        inet_ntop(AF_INET6, s.p + 24, pkt->dst, sizeof(pkt->dst));
        put(l, "IP6 %s > %s: ", pkt->src, pkt->dst);
        plen = rd16(s.p + 4);
        next = s.p[6];
        take(&s, 40);
        if (plen < s.n)
                s.n = plen;
        /* hop-by-hop options (MLD reports carry them): skip one, as its length says */
        if (next == 0) {
                if (s.n < 8) {
                        put(l, "[cut options]");
                        return;
                }
                next = s.p[0];
                if (!take(&s, (size_t)(s.p[1] + 1) * 8)) {
                        put(l, "[cut options]");
                        return;
                }
        }
        put_transport(l, s, next, pkt);
}

static void put_mac(struct line *l, const uint8_t *m)
{
        put(l, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put_arp(struct line *l, struct span s, struct nlab_pkt *pkt)
{
        uint16_t op;

        /* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4 */
        if (s.n < 28 || rd16(s.p) != 1 || rd16(s.p + 2) != 0x0800 || s.p[4] != 6 || s.p[5] != 4) {
                put(l, "ARP [not Ethernet/IPv4 or cut]");
                return;
        }
        pkt->proto = NLAB_PKT_ARP;
        op = rd16(s.p + 6);
        inet_ntop(AF_INET, s.p + 14, pkt->src, sizeof(pkt->src));
        inet_ntop(AF_INET, s.p + 24, pkt->dst, sizeof(pkt->dst));
        if (op == 1) {
                put(l, "ARP who-has %s tell %s", pkt->dst, pkt->src);
        } else if (op == 2) {
                pkt->arp_reply = true;
                put(l, "ARP %s is-at ", pkt->src);
                put_mac(l, s.p + 8);
        } else {
                put(l, "ARP op %u", op);
        }
}

static void put_network(struct line *l, struct span s, uint16_t etype, size_t len,
                        struct nlab_pkt *pkt)
{
        switch (etype) {
        case 0x0800:
                put_ipv4(l, s, pkt);
                break;
        case 0x86dd:
                put_ipv6(l, s, pkt);
                break;
        case 0x0806:
                put_arp(l, s, pkt);
                break;
        default:
                put(l, "ethertype 0x%04x, length %zu", etype, len);
        }
}

/* s starts after the Ethernet header. */
static void put_ether(struct line *l, struct span s, size_t len, struct nlab_pkt *pkt)
{
        uint16_t etype = rd16(s.p - 2);

        /* 802.1Q and QinQ tags: skip them to the real type */
        while (etype == 0x8100 || etype == 0x88a8) {
                if (!take(&s, 4)) {
                        put(l, "[cut VLAN tag]");
                        return;
                }
                etype = rd16(s.p - 2);
        }
        put_network(l, s, etype, len, pkt);
}

int nlab_pkt_decode(const uint8_t *frame, size_t caplen, size_t len, int linktype,
                    struct nlab_pkt *pkt, char *out, size_t outsize)
{
        struct line l = {out, outsize, 0, false};
        struct span s = {frame, caplen};
        struct nlab_pkt local;

        if (!pkt)
                pkt = &local;
        memset(pkt, 0, sizeof(*pkt));
        if (!out || outsize == 0)
                return -1;
        out[0] = '\0';
        if (linktype == NLAB_PKT_LINK_RAW)
                put_network(&l, s, caplen && frame[0] >> 4 == 6 ? 0x86dd : 0x0800, len, pkt);
        else if (linktype != NLAB_PKT_LINK_ETHER)
                put(&l, "link type %d, length %zu", linktype, len);
        else if (!take(&s, 14))
                put(&l, "[cut Ethernet header]");
        else
                put_ether(&l, s, len, pkt);
        if (caplen < len)
                put(&l, " [captured %zu of %zu]", caplen, len);
        return l.cut ? -1 : 0;
}

static const char *const proto_words[] = {
    [NLAB_PKT_ARP] = "arp", [NLAB_PKT_ICMP] = "icmp", [NLAB_PKT_TCP] = "tcp",
    [NLAB_PKT_UDP] = "udp", [NLAB_PKT_DNS] = "dns",
};
static const char *const tcp_words[] = {"syn", "syn-ack", "rst", "fin"};
static const char *const dns_words[] = {"query", "response"};
static const char *const arp_words[] = {"who-has", "is-at"};

static int word_index(const char *w, const char *const *words, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (words[i] && !strcmp(words[i], w))
                        return (int)i;
        return -1;
}

#define WORDS(a) (a), sizeof(a) / sizeof((a)[0])

/* The second word of a pattern; -1 with why when it does not fit the protocol. */
static int parse_what(const struct nlab_pkt_pattern *pt, const char *w, char *why, size_t size)
{
        int k = -1;

        switch (pt->proto) {
        case NLAB_PKT_ICMP:
                k = nlab_pkt_icmp_type(w);
                if (k < 0)
                        snprintf(why, size,
                                 "ICMP type \"%s\": echo-request, echo-reply, dest-unreachable, "
                                 "time-exceeded, redirect, ...",
                                 w);
                return k;
        case NLAB_PKT_TCP:
                k = word_index(w, WORDS(tcp_words));
                break;
        case NLAB_PKT_DNS:
                k = word_index(w, WORDS(dns_words));
                break;
        case NLAB_PKT_ARP:
                k = word_index(w, WORDS(arp_words));
                break;
        default:
                break;
        }
        if (k < 0)
                snprintf(why, size, "\"%s\" after %s: %s", w, proto_words[pt->proto],
                         pt->proto == NLAB_PKT_TCP   ? "syn, syn-ack, rst or fin"
                         : pt->proto == NLAB_PKT_DNS ? "query or response, then the name"
                         : pt->proto == NLAB_PKT_ARP ? "who-has or is-at"
                                                     : "nothing may follow udp");
        return k;
}

int nlab_pkt_pattern_parse(char *const *words, size_t n, struct nlab_pkt_pattern *pt, size_t *bad,
                           char *why, size_t size)
{
        int k;

        memset(pt, 0, sizeof(*pt));
        pt->what = -1;
        *bad = 0;
        if (n == 0) {
                snprintf(why, size, "missing the packet: icmp, tcp, udp, dns or arp");
                return -1;
        }
        k = word_index(words[0], WORDS(proto_words));
        if (k <= 0) {
                snprintf(why, size, "unknown protocol \"%s\": icmp, tcp, udp, dns or arp",
                         words[0]);
                return -1;
        }
        pt->proto = (enum nlab_pkt_proto)k;
        if (n == 1)
                return 0;
        *bad = 1;
        pt->what = parse_what(pt, words[1], why, size);
        if (pt->what < 0)
                return -1;
        if (n == 2)
                return 0;
        *bad = 2;
        if (pt->proto != NLAB_PKT_DNS || n > 3 || strlen(words[2]) >= sizeof(pt->name)) {
                snprintf(why, size, "unexpected \"%s\" (only dns takes a name after %s)", words[2],
                         words[1]);
                return -1;
        }
        snprintf(pt->name, sizeof(pt->name), "%s", words[2]);
        return 0;
}

static bool tcp_kind(int what, uint8_t f)
{
        switch (what) {
        case 0:
                return (f & NLAB_TCP_SYN) && !(f & NLAB_TCP_ACK);
        case 1:
                return (f & NLAB_TCP_SYN) && (f & NLAB_TCP_ACK);
        case 2:
                return f & NLAB_TCP_RST;
        default:
                return f & NLAB_TCP_FIN;
        }
}

/* A DNS name as asked ("web" matches "web" and "web." but not "www"), any letter case. */
static bool same_name(const char *want, const char *got)
{
        size_t n = strlen(want);

        if (n && want[n - 1] == '.')
                n--;
        return strlen(got) == n && !strncasecmp(want, got, n);
}

bool nlab_pkt_pattern_match(const struct nlab_pkt_pattern *pt, const struct nlab_pkt *p)
{
        switch (pt->proto) {
        case NLAB_PKT_ICMP:
                return p->proto == NLAB_PKT_ICMP && p->ipproto == IPPROTO_ICMP &&
                       (pt->what < 0 || p->icmp_type == pt->what);
        case NLAB_PKT_TCP:
                return p->ipproto == IPPROTO_TCP && p->proto != NLAB_PKT_OTHER &&
                       (pt->what < 0 || tcp_kind(pt->what, p->tcp_flags));
        case NLAB_PKT_UDP:
                return p->ipproto == IPPROTO_UDP && p->proto != NLAB_PKT_OTHER;
        case NLAB_PKT_DNS:
                return p->proto == NLAB_PKT_DNS &&
                       (pt->what < 0 || p->dns_response == (pt->what == 1)) &&
                       (!pt->name[0] || same_name(pt->name, p->dns_qname));
        case NLAB_PKT_ARP:
                return p->proto == NLAB_PKT_ARP &&
                       (pt->what < 0 || p->arp_reply == (pt->what == 1));
        default:
                return false;
        }
}

void nlab_pkt_pattern_format(const struct nlab_pkt_pattern *pt, char *out, size_t size)
{
        const char *what = NULL;

        if (pt->what >= 0) {
                if (pt->proto == NLAB_PKT_ICMP)
                        what = nlab_pkt_icmp_name((uint8_t)pt->what);
                else if (pt->proto == NLAB_PKT_TCP)
                        what = tcp_words[pt->what];
                else if (pt->proto == NLAB_PKT_DNS)
                        what = dns_words[pt->what];
                else if (pt->proto == NLAB_PKT_ARP)
                        what = arp_words[pt->what];
        }
        snprintf(out, size, "%s%s%s%s%s",
                 pt->proto < sizeof(proto_words) / sizeof(proto_words[0]) && proto_words[pt->proto]
                     ? proto_words[pt->proto]
                     : "?",
                 what ? " " : "", what ? what : "", pt->name[0] ? " " : "", pt->name);
}
