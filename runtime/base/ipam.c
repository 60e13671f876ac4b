#include "runtime/base/ipam.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(unsigned prefix)
{
        return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static uint32_t h(struct in_addr a)
{
        return ntohl(a.s_addr);
}

static struct in_addr addr_of(uint32_t host_order)
{
        struct in_addr a = {.s_addr = htonl(host_order)};

        return a;
}

static const char *ntoa(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
        return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

bool nlab_subnet_contains(const struct nlab_subnet *s, struct in_addr a)
{
        return (h(a) & mask_of(s->prefix)) == h(s->net);
}

/* Two prefixes overlap exactly when the shorter one contains the other's network. */
bool nlab_subnet_overlaps(const struct nlab_subnet *a, const struct nlab_subnet *b)
{
        unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;

        return (h(a->net) & mask_of(p)) == (h(b->net) & mask_of(p));
}

struct in_addr nlab_subnet_broadcast(const struct nlab_subnet *s)
{
        return addr_of(h(s->net) | ~mask_of(s->prefix));
}

static int check_size(const struct nlab_subnet *s, struct nlab_err *err)
{
        char c[NLAB_CIDR_STRLEN];

        if (s->prefix > 30)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "subnet %s is too small: a gateway and one container need "
                                    "a /30 or larger",
                                    nlab_cidr_format(s, c));
        return 0;
}

int nlab_subnet_gateway(const struct nlab_subnet *s, struct in_addr *gw, struct nlab_err *err)
{
        if (check_size(s, err) < 0)
                return -1;
        *gw = addr_of(h(s->net) + 1);
        return 0;
}

/* Names what `a` is in the subnet when it may not be handed out, else NULL. */
static const char *reserved_role(const struct nlab_pool *p, struct in_addr a)
{
        if (h(a) == h(p->subnet.net))
                return "the network address";
        if (h(a) == h(nlab_subnet_broadcast(&p->subnet)))
                return "the broadcast address";
        if (h(a) == h(p->gateway))
                return "the gateway";
        return NULL;
}

int nlab_pool_check(const struct nlab_pool *p, struct nlab_err *err)
{
        char ip[INET_ADDRSTRLEN], c[NLAB_CIDR_STRLEN], r[NLAB_CIDR_STRLEN];
        const char *role;

        assert(p);
        if (check_size(&p->subnet, err) < 0)
                return -1;
        if (!nlab_subnet_contains(&p->subnet, p->gateway))
                return nlab_err_set(err, NLAB_E_INVALID, "gateway %s is outside subnet %s",
                                    ntoa(p->gateway, ip), nlab_cidr_format(&p->subnet, c));
        /* reserved_role() tests network and broadcast before the gateway itself. */
        role = reserved_role(p, p->gateway);
        if (role && strcmp(role, "the gateway"))
                return nlab_err_set(err, NLAB_E_INVALID, "gateway %s is %s of subnet %s",
                                    ntoa(p->gateway, ip), role, nlab_cidr_format(&p->subnet, c));
        if (p->has_range &&
            (p->range.prefix < p->subnet.prefix || !nlab_subnet_contains(&p->subnet, p->range.net)))
                return nlab_err_set(err, NLAB_E_INVALID, "ip-range %s is outside subnet %s",
                                    nlab_cidr_format(&p->range, r),
                                    nlab_cidr_format(&p->subnet, c));
        return 0;
}

int nlab_ipam_check_static(const struct nlab_pool *p, struct in_addr a, struct nlab_err *err)
{
        char ip[INET_ADDRSTRLEN], c[NLAB_CIDR_STRLEN];
        const char *role;

        assert(p);
        if (!nlab_subnet_contains(&p->subnet, a))
                return nlab_err_set(err, NLAB_E_INVALID, "address %s is outside subnet %s",
                                    ntoa(a, ip), nlab_cidr_format(&p->subnet, c));
        role = reserved_role(p, a);
        if (role)
                return nlab_err_set(err, NLAB_E_INVALID, "address %s is %s of subnet %s",
                                    ntoa(a, ip), role, nlab_cidr_format(&p->subnet, c));
        return 0;
}

/* Ranges a bridge subnet must not touch: the kernel treats these addresses specially (never
 * routed, never forwarded, or delivered to every host), so a lab on them breaks the host. */
static const struct {
        const char *cidr, *why;
} unusable[] = {
    {"0.0.0.0/8", "\"this network\" (0.0.0.0/8)"},
    {"127.0.0.0/8", "loopback (127.0.0.0/8)"},
    {"169.254.0.0/16", "link-local (169.254.0.0/16)"},
    {"224.0.0.0/4", "multicast (224.0.0.0/4)"},
    {"240.0.0.0/4", "reserved and broadcast (240.0.0.0/4, 255.255.255.255)"},
};

int nlab_subnet_check_usable(const struct nlab_subnet *s, struct nlab_err *err)
{
        char c[NLAB_CIDR_STRLEN];

        assert(s);
        nlab_cidr_format(s, c);
        if (s->prefix == 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid subnet %s: it covers every IPv4 address; use a "
                                    "private range such as 10.89.0.0/24 or 172.18.0.0/16",
                                    c);
        for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
                struct nlab_subnet r;

                if (nlab_cidr_parse(unusable[i].cidr, &r, NULL) == 0 && nlab_subnet_overlaps(s, &r))
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "invalid subnet %s: it overlaps the %s range; use a "
                                            "private range such as 10.89.0.0/24 or "
                                            "172.18.0.0/16",
                                            c, unusable[i].why);
        }
        return 0;
}

static int exhausted(const struct nlab_pool *p, struct nlab_err *err)
{
        char c[NLAB_CIDR_STRLEN], r[NLAB_CIDR_STRLEN];

        if (p->has_range)
                return nlab_err_set(
                    err, NLAB_E_CONFLICT, "no free address in ip-range %s of subnet %s",
                    nlab_cidr_format(&p->range, r), nlab_cidr_format(&p->subnet, c));
        return nlab_err_set(err, NLAB_E_CONFLICT, "no free address in subnet %s",
                            nlab_cidr_format(&p->subnet, c));
}

int nlab_ipam_alloc(const struct nlab_pool *p, struct in_addr hint, nlab_ipam_claim_fn claim,
                    void *ctx, struct in_addr *out, struct nlab_err *err)
{
        const struct nlab_subnet *win;
        uint64_t size, start = 0, i;
        struct in_addr a;
        int r;

        assert(p && claim && out);
        win = p->has_range ? &p->range : &p->subnet;
        size = (uint64_t)1 << (32 - win->prefix);
        if (nlab_subnet_contains(win, hint))
                start = h(hint) - h(win->net);
        for (i = 0; i < size; i++) {
                a = addr_of(h(win->net) + (uint32_t)((start + i) % size));
                if (reserved_role(p, a) || !nlab_subnet_contains(&p->subnet, a))
                        continue;
                r = claim(ctx, a, err);
                if (r < 0)
                        return r;
                if (r == 0) {
                        *out = a;
                        return 0;
                }
        }
        return exhausted(p, err);
}

/* Docker's default address pools, minus 172.17.0.0/16 which the default bridge owns. */
static int nth_pool(unsigned i, struct nlab_subnet *out)
{
        if (i < 14) {
                out->net = addr_of((172u << 24) | ((18u + i) << 16));
                out->prefix = 16;
                return 0;
        }
        i -= 14;
        if (i < 16) {
                out->net = addr_of((192u << 24) | (168u << 16) | ((i * 16u) << 8));
                out->prefix = 20;
                return 0;
        }
        return -1;
}

int nlab_ipam_pick_pool(const struct nlab_subnet *used, size_t n_used, struct nlab_subnet *out,
                        struct nlab_err *err)
{
        struct nlab_subnet cand;
        unsigned i;
        size_t j;

        assert(out && (used || n_used == 0));
        for (i = 0; nth_pool(i, &cand) == 0; i++) {
                for (j = 0; j < n_used; j++)
                        if (nlab_subnet_overlaps(&cand, &used[j]))
                                break;
                if (j == n_used) {
                        *out = cand;
                        return 0;
                }
        }
        return nlab_err_set(err, NLAB_E_CONFLICT,
                            "all predefined address pools have been fully subnetted");
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int nlab_mac_parse(const char *s, uint8_t mac[6], struct nlab_err *err)
{
        int i, hi, lo;

        assert(s && mac);
        if (strlen(s) != 17)
                goto bad;
        for (i = 0; i < 6; i++) {
                hi = hexval(s[i * 3]);
                lo = hexval(s[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != s[2]))
                        goto bad;
                mac[i] = (uint8_t)(hi << 4 | lo);
        }
        if (s[2] != ':' && s[2] != '-')
                goto bad;
        if (mac[0] & 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid MAC address \"%s\": a multicast address cannot be "
                                    "assigned to an interface",
                                    s);
        if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid MAC address \"%s\": all zero", s);
        return 0;
bad:
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid MAC address \"%s\": expected six hex pairs like "
                            "02:42:ac:11:00:02",
                            s);
}

char *nlab_mac_format(const uint8_t mac[6], char *buf)
{
        snprintf(buf, NLAB_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
        return buf;
}

void nlab_mac_from_ip(struct in_addr a, uint8_t mac[6])
{
        mac[0] = 0x02;
        mac[1] = 0x42;
        memcpy(mac + 2, &a.s_addr, 4); /* network order: 172.17.0.2 -> ac:11:00:02 */
}
