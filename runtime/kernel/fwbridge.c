#include "runtime/kernel/fwbridge.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "runtime/kernel/endpoint.h"
#include "runtime/kernel/firewall.h"

/* nft's datatype ids (see firewall.c), so `nft list table bridge netlab` reads well */
#define DT_ETHERADDR 9
#define DT_IPADDR    7
#define DT_IFNAME    41
#define DT_CAT(a, b) (((a) << 6) | (b))

#define MAC_SLOT 8 /* a 6-byte MAC takes two 4-byte registers in a concatenation */

static const char *const chain_text[] = {
    "add chain bridge netlab forward { type filter hook forward priority -200; policy accept; }",
    "add chain bridge netlab prerouting { type filter hook prerouting priority -200; policy "
    "accept; }",
};

static int push_chain(struct nlab_fwb *b, const char *name, uint32_t hook, const char *text,
                      struct nlab_err *err)
{
        struct nftnl_chain *ch = nftnl_chain_alloc();
        char what[64];

        if (ch) {
                nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NLAB_FW_TABLE);
                nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
                nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
                nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook);
                nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, -200);
                nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        snprintf(what, sizeof(what), "nftables chain bridge %s", name);
        return nlab_fwb_push(b, NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, NLM_F_CREATE, NLAB_FWB_CHAIN, ch,
                             what, text, err);
}

static const struct nlab_fwb_set sets[] = {
    {NFPROTO_BRIDGE, "noicc_ports", DT_IFNAME, IFNAMSIZ, 0, 0, 0, "type ifname", {0, 0}},
    {NFPROTO_BRIDGE,
     "port_mac",
     DT_CAT(DT_IFNAME, DT_ETHERADDR),
     IFNAMSIZ + MAC_SLOT,
     0,
     0,
     0,
     "type ifname . ether_addr",
     {0, 0}},
    /* a port's own addresses: a hash set, so an update costs the same at 1000 ports as at 1 */
    {NFPROTO_BRIDGE,
     "port_addr",
     DT_CAT(DT_IFNAME, DT_IPADDR),
     IFNAMSIZ + 4,
     0,
     0,
     0,
     "type ifname . ipv4_addr",
     {0, 0}},
    /* subnets a router port may forward from: nftables clones an interval set on every change,
     * so only these (few) go here */
    {NFPROTO_BRIDGE,
     "port_ip",
     DT_CAT(DT_IFNAME, DT_IPADDR),
     IFNAMSIZ + 4,
     0,
     0,
     NFT_SET_INTERVAL | NFT_SET_CONCAT,
     "type ifname . ipv4_addr; flags interval",
     {IFNAMSIZ, 4}},
};

int nlab_fwbridge_build_objects(struct nlab_fwb *b, struct nlab_err *err)
{
        assert(b);
        if (push_chain(b, "forward", NF_INET_FORWARD, chain_text[0], err) < 0 ||
            push_chain(b, "prerouting", NF_INET_PRE_ROUTING, chain_text[1], err) < 0)
                return -1;
        /* ids apart from the inet sets' (1..n) in the same batch */
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                if (nlab_fwb_push_set(b, NLAB_FW_TABLE, &sets[i], 100 + (uint32_t)i, NLM_F_CREATE,
                                      err) < 0)
                        return -1;
        return 0;
}

/* meta mark & NLAB_FW_DNAT_MARK != 0 accept. With br_netfilter a published port reached from the
 * same icc=false bridge is DNAT'd and then bridged; let it pass like Docker. */
static int build_published(struct nftnl_rule *r)
{
        uint32_t zero = 0;

        if (nlab_fwr_meta(r, NFT_META_MARK, NFT_REG_1) < 0 ||
            nlab_fwr_bitwise(r, NFT_REG_1, NLAB_FW_DNAT_MARK, 0) < 0 ||
            nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero)) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

static int ifname_in(struct nftnl_rule *r, uint32_t key, const char *set, int invert)
{
        if (nlab_fwr_meta(r, key, NFT_REG_1) < 0)
                return -1;
        return nlab_fwr_lookup(r, NFT_REG_1, set, 0, 0, invert);
}

/* iifname @noicc_ports oifname @noicc_ports drop: container to container on an icc=false bridge,
 * whatever addresses the frame claims. A port belongs to one bridge, so both ends are on it. */
static int build_noicc(struct nftnl_rule *r)
{
        if (ifname_in(r, NFT_META_IIFNAME, "noicc_ports", 0) < 0 ||
            ifname_in(r, NFT_META_OIFNAME, "noicc_ports", 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

/* iifname != "nl*" accept: the rest is about frames from container ports, known or not, so a
 * port without elements (a rebuilt, emptied table) sends nothing rather than anything */
static int build_not_port(struct nftnl_rule *r)
{
        if (nlab_fwr_meta(r, NFT_META_IIFNAME, NFT_REG_1) < 0 ||
            nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, NLAB_ENDPOINT_PREFIX,
                         sizeof(NLAB_ENDPOINT_PREFIX) - 1) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

/* iifname . <field> in/not in @set: the ifname fills registers 1-4, the field follows */
static int port_lookup(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
                       const char *set, int invert)
{
        if (nlab_fwr_meta(r, NFT_META_IIFNAME, NFT_REG_1) < 0 ||
            nlab_fwr_payload(r, base, off, len, NFT_REG32_04) < 0)
                return -1;
        return nlab_fwr_lookup(r, NFT_REG_1, set, 0, 0, invert);
}

static int ether_type(struct nftnl_rule *r, uint16_t type)
{
        uint16_t be = htons(type);

        if (nlab_fwr_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, NFT_REG_1) < 0)
                return -1;
        return nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &be, sizeof(be));
}

/* iifname . ether saddr != @port_mac drop */
static int build_ether_saddr(struct nftnl_rule *r)
{
        if (port_lookup(r, NFT_PAYLOAD_LL_HEADER, 6, 6, "port_mac", 1) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

/* ether type arp iifname . arp saddr ether != @port_mac drop (ARP sender hardware address) */
static int build_arp_sha(struct nftnl_rule *r)
{
        if (ether_type(r, 0x0806) < 0 ||
            port_lookup(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 6, "port_mac", 1) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

/* ether type arp iifname . arp saddr ip @set accept (ARP sender protocol address) */
static int arp_spa_in(struct nftnl_rule *r, const char *set)
{
        if (ether_type(r, 0x0806) < 0 ||
            port_lookup(r, NFT_PAYLOAD_NETWORK_HEADER, 14, 4, set, 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

/* ether type ip iifname . ip saddr @set accept */
static int ip_saddr_in(struct nftnl_rule *r, const char *set)
{
        if (ether_type(r, 0x0800) < 0 ||
            port_lookup(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, set, 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

static int build_arp_addr(struct nftnl_rule *r)
{
        return arp_spa_in(r, "port_addr");
}

static int build_ip_addr(struct nftnl_rule *r)
{
        return ip_saddr_in(r, "port_addr");
}

static int build_arp_net(struct nftnl_rule *r)
{
        return arp_spa_in(r, "port_ip");
}

static int build_ip_net(struct nftnl_rule *r)
{
        return ip_saddr_in(r, "port_ip");
}

/* everything else from a container port: a claimed address it does not own, IPv6, VLAN tags */
static int build_drop(struct nftnl_rule *r)
{
        return nlab_fwr_verdict(r, NF_DROP);
}

struct rule_spec {
        const char *chain;
        int (*build)(struct nftnl_rule *r);
        const char *nft;
};

static const struct rule_spec rules[] = {
    {"forward", build_published, "meta mark & 0x00200000 != 0 accept"},
    {"forward", build_noicc, "iifname @noicc_ports oifname @noicc_ports drop"},
    {"prerouting", build_not_port, "iifname != \"" NLAB_ENDPOINT_PREFIX "*\" accept"},
    {"prerouting", build_ether_saddr, "iifname . ether saddr != @port_mac drop"},
    {"prerouting", build_arp_sha, "ether type arp iifname . arp saddr ether != @port_mac drop"},
    {"prerouting", build_arp_addr, "ether type arp iifname . arp saddr ip @port_addr accept"},
    {"prerouting", build_ip_addr, "ether type ip iifname . ip saddr @port_addr accept"},
    {"prerouting", build_arp_net, "ether type arp iifname . arp saddr ip @port_ip accept"},
    {"prerouting", build_ip_net, "ether type ip iifname . ip saddr @port_ip accept"},
    {"prerouting", build_drop, "drop"},
};

int nlab_fwbridge_build_rules(struct nlab_fwb *b, struct nlab_err *err)
{
        assert(b);
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                struct nftnl_rule *r = nftnl_rule_alloc();
                char text[256];

                if (r) {
                        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NLAB_FW_TABLE);
                        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, rules[i].chain);
                        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
                        if (rules[i].build(r) < 0) {
                                nftnl_rule_free(r);
                                r = NULL;
                        }
                }
                snprintf(text, sizeof(text), "add rule bridge %s %s %s", NLAB_FW_TABLE,
                         rules[i].chain, rules[i].nft);
                if (nlab_fwb_push(b, NFT_MSG_NEWRULE, NFPROTO_BRIDGE, NLM_F_CREATE | NLM_F_APPEND,
                                  NLAB_FWB_RULE, r, "nftables rule", text, err) < 0)
                        return -1;
        }
        return 0;
}

/* One set element: key, and for the concatenated interval set its closing key. */
struct elem {
        uint8_t key[IFNAMSIZ + MAC_SLOT];
        uint8_t key_end[IFNAMSIZ + 4];
        uint32_t key_len;
        bool has_end;
};

static struct nftnl_set *elem_set(const char *set, const struct elem *el)
{
        struct nftnl_set *s = nlab_fwb_set_ref(NFPROTO_BRIDGE, NLAB_FW_TABLE, set);
        struct nftnl_set_elem *e;

        if (!s)
                return NULL;
        e = nftnl_set_elem_alloc();
        if (!e) {
                nftnl_set_free(s);
                return NULL;
        }
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, el->key, el->key_len);
        if (el->has_end)
                nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, el->key_end, el->key_len);
        nftnl_set_elem_add(s, e);
        return s;
}

/* Deleting first adds the element, so the delete succeeds whether or not it was there. */
static int push_elem(struct nlab_fwb *b, bool add, const char *set, const struct elem *el,
                     const char *what, const char *desc, struct nlab_err *err)
{
        char text[256];

        snprintf(text, sizeof(text), "add element bridge %s %s { %s }%s", NLAB_FW_TABLE, set, desc,
                 add ? "" : "  # so that the delete cannot fail");
        if (nlab_fwb_push(b, NFT_MSG_NEWSETELEM, NFPROTO_BRIDGE, NLM_F_CREATE, NLAB_FWB_ELEMS,
                          elem_set(set, el), what, text, err) < 0)
                return -1;
        if (add)
                return 0;
        snprintf(text, sizeof(text), "delete element bridge %s %s { %s }", NLAB_FW_TABLE, set,
                 desc);
        return nlab_fwb_push(b, NFT_MSG_DELSETELEM, NFPROTO_BRIDGE, 0, NLAB_FWB_ELEMS,
                             elem_set(set, el), what, text, err);
}

static int check_ifname(const char *what, const char *name, struct nlab_err *err)
{
        if (!name || !*name || strlen(name) >= IFNAMSIZ)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid %s name %s", what,
                                    name ? name : "(null)");
        return 0;
}

static struct elem elem_ifname(const char *name)
{
        struct elem el = {.key_len = IFNAMSIZ};

        strncpy((char *)el.key, name, IFNAMSIZ - 1);
        return el;
}

/* ifname . address (a /32) in @port_addr, else ifname . [first, last] of net/prefix in @port_ip */
static int push_range(struct nlab_fwb *b, bool add, const char *ifname, struct in_addr net,
                      unsigned prefix, const char *what, struct nlab_err *err)
{
        struct elem el = {.key_len = IFNAMSIZ + 4, .has_end = true};
        char desc[96], a[INET_ADDRSTRLEN];
        uint32_t mask, first, last;

        if (check_ifname("port", ifname, err) < 0)
                return -1;
        if (prefix > 32)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: invalid prefix length %u", what,
                                    prefix);
        mask = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
        first = net.s_addr & mask;
        last = first | ~mask;
        strncpy((char *)el.key, ifname, IFNAMSIZ - 1);
        memcpy(el.key_end, el.key, IFNAMSIZ);
        memcpy(el.key + IFNAMSIZ, &first, 4);
        memcpy(el.key_end + IFNAMSIZ, &last, 4);
        inet_ntop(AF_INET, &first, a, sizeof(a));
        if (prefix == 32) {
                el.has_end = false;
                snprintf(desc, sizeof(desc), "\"%s\" . %s", ifname, a);
                return push_elem(b, add, "port_addr", &el, what, desc, err);
        }
        snprintf(desc, sizeof(desc), "\"%s\" . %s/%u", ifname, a, prefix);
        return push_elem(b, add, "port_ip", &el, what, desc, err);
}

int nlab_fwbridge_build_port(struct nlab_fwb *b, bool add, const struct nlab_fw_port *p,
                             struct nlab_err *err)
{
        char what[64], desc[96];
        const uint8_t *m;
        struct elem el;

        assert(b && p && (p->routes || p->n_routes == 0));
        m = p->mac;
        if (check_ifname("port", p->ifname, err) < 0)
                return -1;
        snprintf(what, sizeof(what), "port %s", p->ifname);
        el = elem_ifname(p->ifname);
        snprintf(desc, sizeof(desc), "\"%s\"", p->ifname);
        if ((!p->icc || !add) && push_elem(b, add, "noicc_ports", &el, what, desc, err) < 0)
                return -1;
        el.key_len = IFNAMSIZ + MAC_SLOT;
        memcpy(el.key + IFNAMSIZ, p->mac, 6);
        snprintf(desc, sizeof(desc), "\"%s\" . %02x:%02x:%02x:%02x:%02x:%02x", p->ifname, m[0],
                 m[1], m[2], m[3], m[4], m[5]);
        if (push_elem(b, add, "port_mac", &el, what, desc, err) < 0 ||
            push_range(b, add, p->ifname, p->ip, 32, what, err) < 0)
                return -1;
        for (size_t i = 0; i < p->n_routes; i++) {
                const struct nlab_fw_route *rt = &p->routes[i];

                if (push_range(b, add, rt->ifname, rt->net, rt->prefix, what, err) < 0)
                        return -1;
        }
        return 0;
}

static int port_batch(bool add, const struct nlab_fw_port *p, struct nlab_err *err)
{
        struct nlab_fwb b;
        int r;

        assert(p);
        nlab_fwb_init(&b);
        r = nlab_fwbridge_build_port(&b, add, p, err);
        if (r == 0)
                r = nlab_fw_send(&b, err);
        nlab_fwb_free(&b);
        return r;
}

int nlab_fw_port_add(const struct nlab_fw_port *p, struct nlab_err *err)
{
        return port_batch(true, p, err);
}

int nlab_fw_port_del(const struct nlab_fw_port *p, struct nlab_err *err)
{
        return port_batch(false, p, err);
}
