#include "runtime/kernel/firewall.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "runtime/base/cidr.h"
#include "runtime/kernel/fwbridge.h"
#include "runtime/kernel/nftsock.h"

/* The layout (render it with tests/tools/fw_driver render ensure):
 * - inet netlab: prerouting/output DNAT through two maps (host-IP map first, so a mapping bound to
 *   one address wins), postrouting masquerade (egress, hairpin/other-container, 127.0.0.0/8),
 *   forward filter (established, same bridge, internal, published, else nothing new into a bridge),
 *   and a "mark" chain right after dstnat tagging DNAT'd packets with NLAB_FW_DNAT_MARK.
 * - bridge netlab (runtime/fwbridge.c): icc=false and anti-spoofing, keyed to bridge ports.
 *   Bridged port-to-port traffic never reaches the inet forward hook unless br_netfilter is
 *   active (bridge-nf-call-iptables=1, built in on some kernels), so it is enforced there.
 * The rules hold no per-network or per-port state: that lives in the sets and maps. */

/* nft's datatype ids, so `nft list ruleset` shows the sets readably; concatenations are
 * (outer << 6) | inner. */
#define DT_NFPROTO   2
#define DT_IPADDR    7
#define DT_PROTO     12
#define DT_SERVICE   13
#define DT_IFNAME    41
#define DT_CAT(a, b) (((a) << 6) | (b))

#define F_NEW  (NLM_F_CREATE)
#define F_EXCL (NLM_F_CREATE | NLM_F_EXCL)

static const char *family_name(uint16_t family)
{
        return family == NFPROTO_BRIDGE ? "bridge" : "inet";
}

static int push_table(struct nlab_fwb *b, uint16_t type, uint16_t family, struct nlab_err *err)
{
        struct nftnl_table *t = nftnl_table_alloc();
        char text[96];

        if (t) {
                nftnl_table_set_str(t, NFTNL_TABLE_NAME, NLAB_FW_TABLE);
                nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
        }
        snprintf(text, sizeof(text), "%s table %s %s", type == NFT_MSG_NEWTABLE ? "add" : "delete",
                 family_name(family), NLAB_FW_TABLE);
        return nlab_fwb_push(b, type, family, F_NEW, NLAB_FWB_TABLE, t, "nftables table", text,
                             err);
}

struct chain_spec {
        uint16_t family;
        const char *name, *type;
        uint32_t hook;
        int prio;
};

static const struct chain_spec chains[] = {
    {NFPROTO_INET, "prerouting", "nat", NF_INET_PRE_ROUTING, -100},
    {NFPROTO_INET, "output", "nat", NF_INET_LOCAL_OUT, -100},
    {NFPROTO_INET, "postrouting", "nat", NF_INET_POST_ROUTING, 100},
    {NFPROTO_INET, "forward", "filter", NF_INET_FORWARD, 0},
    /* right after dstnat: marks DNAT'd packets before the bridge forward hook sees them */
    {NFPROTO_INET, "mark", "filter", NF_INET_PRE_ROUTING, -99},
    /* raw priority: before conntrack and long before any DNAT (CVE-2020-8558) */
    {NFPROTO_INET, "loopback", "filter", NF_INET_PRE_ROUTING, -300},
};

static const char *hook_name(uint32_t hook)
{
        switch (hook) {
        case NF_INET_PRE_ROUTING:
                return "prerouting";
        case NF_INET_LOCAL_OUT:
                return "output";
        case NF_INET_POST_ROUTING:
                return "postrouting";
        default:
                return "forward";
        }
}

static int push_chain(struct nlab_fwb *b, const struct chain_spec *c, struct nlab_err *err)
{
        struct nftnl_chain *ch = nftnl_chain_alloc();
        char text[160], what[64];

        if (ch) {
                nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NLAB_FW_TABLE);
                nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
                nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, c->type);
                nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, c->hook);
                nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
                nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        snprintf(text, sizeof(text),
                 "add chain %s %s %s { type %s hook %s priority %d; policy accept; }",
                 family_name(c->family), NLAB_FW_TABLE, c->name, c->type, hook_name(c->hook),
                 c->prio);
        snprintf(what, sizeof(what), "nftables chain %s", c->name);
        return nlab_fwb_push(b, NFT_MSG_NEWCHAIN, c->family, F_NEW, NLAB_FWB_CHAIN, ch, what, text,
                             err);
}

static const struct nlab_fwb_set sets[] = {
    {NFPROTO_INET, "bridges", DT_IFNAME, IFNAMSIZ, 0, 0, 0, "type ifname", {0, 0}},
    {NFPROTO_INET,
     "intra",
     DT_CAT(DT_IFNAME, DT_IFNAME),
     2 * IFNAMSIZ,
     0,
     0,
     0,
     "type ifname . ifname",
     {0, 0}},
    {NFPROTO_INET, "internal", DT_IFNAME, IFNAMSIZ, 0, 0, 0, "type ifname", {0, 0}},
    {NFPROTO_INET,
     "subnets",
     DT_IPADDR,
     4,
     0,
     0,
     NFT_SET_INTERVAL,
     "type ipv4_addr; flags interval",
     {0, 0}},
    {NFPROTO_INET,
     "dnat_any",
     DT_CAT(DT_PROTO, DT_SERVICE),
     8,
     DT_CAT(DT_IPADDR, DT_SERVICE),
     8,
     NFT_SET_MAP,
     "type inet_proto . inet_service : ipv4_addr . inet_service",
     {0, 0}},
    {NFPROTO_INET,
     "dnat_ip",
     DT_CAT(DT_CAT(DT_IPADDR, DT_PROTO), DT_SERVICE),
     12,
     DT_CAT(DT_IPADDR, DT_SERVICE),
     8,
     NFT_SET_MAP,
     "type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service",
     {0, 0}},
    /* holds ipv4 when forwarding was off before netlab turned it on */
    {NFPROTO_INET, "noforward", DT_NFPROTO, 1, 0, 0, 0, "type nf_proto", {0, 0}},
};

static int push_flush(struct nlab_fwb *b, uint16_t family, struct nlab_err *err)
{
        struct nftnl_rule *r = nftnl_rule_alloc();
        char text[96];

        if (r) {
                nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NLAB_FW_TABLE);
                nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
        }
        snprintf(text, sizeof(text), "flush rules %s %s", family_name(family), NLAB_FW_TABLE);
        return nlab_fwb_push(b, NFT_MSG_DELRULE, family, 0, NLAB_FWB_RULE, r, "nftables rules",
                             text, err);
}

/* A rule is a list of expression builders; each returns 0 or -1 (ENOMEM). */
static struct nftnl_rule *rule_new(uint16_t family, const char *chain)
{
        struct nftnl_rule *r = nftnl_rule_alloc();

        if (!r)
                return NULL;
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NLAB_FW_TABLE);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
        return r;
}

static int push_rule(struct nlab_fwb *b, struct nftnl_rule *r, int built, const char *nft,
                     struct nlab_err *err)
{
        char text[320];

        if (built < 0) {
                nftnl_rule_free(r);
                return nlab_err_sys(err, ENOMEM, "nftables rule");
        }
        snprintf(text, sizeof(text), "add rule %s %s %s %s",
                 family_name(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY)), NLAB_FW_TABLE,
                 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), nft);
        return nlab_fwb_push(b, NFT_MSG_NEWRULE, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
                             NLM_F_CREATE | NLM_F_APPEND, NLAB_FWB_RULE, r, "nftables rule", text,
                             err);
}

static int match_ipv4(struct nftnl_rule *r)
{
        uint8_t ipv4 = NFPROTO_IPV4;

        if (nlab_fwr_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0)
                return -1;
        return nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &ipv4, sizeof(ipv4));
}

/* meta nfproto ipv4 fib daddr type local dnat ip to [ip daddr .] meta l4proto . th dport map @m */
static int build_dnat(struct nftnl_rule *r, bool by_ip)
{
        uint32_t reg = by_ip ? NFT_REG32_01 : NFT_REG_1;

        if (match_ipv4(r) < 0 || nlab_fwr_fib_local(r, NFT_REG_1) < 0)
                return -1;
        if (by_ip && nlab_fwr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1) < 0)
                return -1;
        if (nlab_fwr_meta(r, NFT_META_L4PROTO, reg) < 0 ||
            nlab_fwr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
                             reg == NFT_REG_1 ? NFT_REG32_01 : NFT_REG32_02) < 0)
                return -1;
        if (nlab_fwr_lookup(r, NFT_REG_1, by_ip ? "dnat_ip" : "dnat_any", 1, NFT_REG_1, 0) < 0)
                return -1;
        return nlab_fwr_dnat(r, NFT_REG_1, NFT_REG32_01);
}

static int push_dnat_rules(struct nlab_fwb *b, const char *chain, struct nlab_err *err)
{
        static const char *const nft[] = {
            "meta nfproto ipv4 fib daddr type local dnat ip to ip daddr . meta l4proto . th "
            "dport map @dnat_ip",
            "meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map "
            "@dnat_any",
        };

        /* the host-IP map first: a mapping bound to one address wins over an any-address one */
        for (int by_ip = 1; by_ip >= 0; by_ip--) {
                struct nftnl_rule *r = rule_new(NFPROTO_INET, chain);

                if (!r)
                        return nlab_err_sys(err, ENOMEM, "nftables rule");
                if (push_rule(b, r, build_dnat(r, by_ip), nft[1 - by_ip], err) < 0)
                        return -1;
        }
        return 0;
}

static int saddr_in(struct nftnl_rule *r, const char *set)
{
        if (match_ipv4(r) < 0 || nlab_fwr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1))
                return -1;
        return nlab_fwr_lookup(r, NFT_REG_1, set, 0, 0, 0);
}

static int ifname_in(struct nftnl_rule *r, uint32_t key, const char *set, int invert)
{
        if (nlab_fwr_meta(r, key, NFT_REG_1) < 0)
                return -1;
        return nlab_fwr_lookup(r, NFT_REG_1, set, 0, 0, invert);
}

static int ct_dnat(struct nftnl_rule *r)
{
        return nlab_fwr_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT);
}

/* ip saddr @subnets oifname != @bridges masquerade */
static int build_masq_egress(struct nftnl_rule *r)
{
        if (saddr_in(r, "subnets") < 0 || ifname_in(r, NFT_META_OIFNAME, "bridges", 1) < 0)
                return -1;
        return nlab_fwr_masq(r);
}

/* ct status dnat ip saddr @subnets oifname @bridges masquerade: hairpin and container to a
 * published port of another container, so the reply comes back through the host */
static int build_masq_hairpin(struct nftnl_rule *r)
{
        if (ct_dnat(r) < 0 || saddr_in(r, "subnets") < 0 ||
            ifname_in(r, NFT_META_OIFNAME, "bridges", 0) < 0)
                return -1;
        return nlab_fwr_masq(r);
}

/* ct status dnat ip saddr 127.0.0.0/8 masquerade: a 127.x source cannot leave the host */
static int build_masq_loopback(struct nftnl_rule *r)
{
        uint8_t net = 127;

        if (ct_dnat(r) < 0 || match_ipv4(r) < 0 ||
            nlab_fwr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 1, NFT_REG_1) < 0 ||
            nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &net, sizeof(net)) < 0)
                return -1;
        return nlab_fwr_masq(r);
}

/* meta nfproto ipv4 iif != "lo" ip saddr|daddr 127.0.0.0/8 drop: loopback addresses only ever
 * arrive on lo, so 127.0.0.1 mappings and host services bound to 127.0.0.1 stay local even on
 * bridges with route_localnet=1 and for a LAN neighbour that routes 127/8 to us. */
static int build_loopback(struct nftnl_rule *r, uint32_t offset)
{
        uint32_t lo = 1; /* LOOPBACK_IFINDEX, the same in every netns */
        uint8_t net = 127;

        if (match_ipv4(r) < 0 || nlab_fwr_meta(r, NFT_META_IIF, NFT_REG_1) < 0 ||
            nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &lo, sizeof(lo)) < 0 ||
            nlab_fwr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, 1, NFT_REG_1) < 0 ||
            nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_EQ, &net, sizeof(net)) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

static int build_loopback_daddr(struct nftnl_rule *r)
{
        return build_loopback(r, 16);
}

static int build_loopback_saddr(struct nftnl_rule *r)
{
        return build_loopback(r, 12);
}

/* meta nfproto @noforward iifname != @bridges oifname != @bridges drop: with forwarding off
 * before netlab, the host routes for netlab's bridges and nothing else. */
static int build_noforward(struct nftnl_rule *r)
{
        if (nlab_fwr_meta(r, NFT_META_NFPROTO, NFT_REG_1) < 0 ||
            nlab_fwr_lookup(r, NFT_REG_1, "noforward", 0, 0, 0) < 0 ||
            ifname_in(r, NFT_META_IIFNAME, "bridges", 1) < 0 ||
            ifname_in(r, NFT_META_OIFNAME, "bridges", 1) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

static int build_established(struct nftnl_rule *r)
{
        if (nlab_fwr_ct_bits(r, NFT_CT_STATE,
                             NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)) <
            0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

/* iifname . oifname @intra accept: bridged traffic seen through br_netfilter */
static int build_intra(struct nftnl_rule *r)
{
        if (nlab_fwr_meta(r, NFT_META_IIFNAME, NFT_REG_1) < 0 ||
            nlab_fwr_meta(r, NFT_META_OIFNAME, NFT_REG_2) < 0 ||
            nlab_fwr_lookup(r, NFT_REG_1, "intra", 0, 0, 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

static int build_internal_in(struct nftnl_rule *r)
{
        if (ifname_in(r, NFT_META_IIFNAME, "internal", 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

static int build_internal_out(struct nftnl_rule *r)
{
        if (ifname_in(r, NFT_META_OIFNAME, "internal", 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

static int build_published(struct nftnl_rule *r)
{
        if (ifname_in(r, NFT_META_OIFNAME, "bridges", 0) < 0 || ct_dnat(r) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_ACCEPT);
}

static int build_into_bridge(struct nftnl_rule *r)
{
        if (ifname_in(r, NFT_META_OIFNAME, "bridges", 0) < 0)
                return -1;
        return nlab_fwr_verdict(r, NF_DROP);
}

/* ct status dnat meta mark set meta mark | NLAB_FW_DNAT_MARK */
static int build_mark_dnat(struct nftnl_rule *r)
{
        if (ct_dnat(r) < 0 || nlab_fwr_meta(r, NFT_META_MARK, NFT_REG_1) < 0 ||
            nlab_fwr_bitwise(r, NFT_REG_1, ~NLAB_FW_DNAT_MARK, NLAB_FW_DNAT_MARK) < 0)
                return -1;
        return nlab_fwr_meta_set(r, NFT_META_MARK, NFT_REG_1);
}

struct rule_spec {
        uint16_t family;
        const char *chain;
        int (*build)(struct nftnl_rule *r);
        const char *nft;
};

static const struct rule_spec rules[] = {
    {NFPROTO_INET, "postrouting", build_masq_egress,
     "ip saddr @subnets oifname != @bridges masquerade"},
    {NFPROTO_INET, "postrouting", build_masq_hairpin,
     "ct status dnat ip saddr @subnets oifname @bridges masquerade"},
    {NFPROTO_INET, "postrouting", build_masq_loopback,
     "ct status dnat ip saddr 127.0.0.0/8 masquerade"},
    {NFPROTO_INET, "forward", build_established, "ct state established,related accept"},
    {NFPROTO_INET, "forward", build_noforward,
     "meta nfproto @noforward iifname != @bridges oifname != @bridges drop"},
    {NFPROTO_INET, "forward", build_intra, "iifname . oifname @intra accept"},
    {NFPROTO_INET, "forward", build_internal_in, "iifname @internal drop"},
    {NFPROTO_INET, "forward", build_internal_out, "oifname @internal drop"},
    {NFPROTO_INET, "forward", build_published, "oifname @bridges ct status dnat accept"},
    {NFPROTO_INET, "forward", build_into_bridge, "oifname @bridges drop"},
    {NFPROTO_INET, "mark", build_mark_dnat, "ct status dnat meta mark set meta mark | 0x00200000"},
    {NFPROTO_INET, "loopback", build_loopback_daddr,
     "meta nfproto ipv4 iif != \"lo\" ip daddr 127.0.0.0/8 drop"},
    {NFPROTO_INET, "loopback", build_loopback_saddr,
     "meta nfproto ipv4 iif != \"lo\" ip saddr 127.0.0.0/8 drop"},
};

static int push_rules(struct nlab_fwb *b, struct nlab_err *err)
{
        if (push_dnat_rules(b, "prerouting", err) < 0 || push_dnat_rules(b, "output", err) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                struct nftnl_rule *r = rule_new(rules[i].family, rules[i].chain);

                if (!r)
                        return nlab_err_sys(err, ENOMEM, "nftables rule");
                if (push_rule(b, r, rules[i].build(r), rules[i].nft, err) < 0)
                        return -1;
        }
        return nlab_fwbridge_build_rules(b, err);
}

int nlab_fw_build_ensure(struct nlab_fwb *b, struct nlab_err *err)
{
        static const uint16_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};

        assert(b);
        for (size_t f = 0; f < 2; f++)
                if (push_table(b, NFT_MSG_NEWTABLE, families[f], err) < 0)
                        return -1;
        for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
                if (push_chain(b, &chains[i], err) < 0)
                        return -1;
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                if (nlab_fwb_push_set(b, NLAB_FW_TABLE, &sets[i], (uint32_t)i + 1, F_NEW, err) < 0)
                        return -1;
        if (nlab_fwbridge_build_objects(b, err) < 0)
                return -1;
        /* rules are replaced wholesale, so ensure is idempotent and upgrades an older layout */
        for (size_t f = 0; f < 2; f++)
                if (push_flush(b, families[f], err) < 0)
                        return -1;
        return push_rules(b, err);
}

int nlab_fw_build_teardown(struct nlab_fwb *b, struct nlab_err *err)
{
        static const uint16_t families[] = {NFPROTO_INET, NFPROTO_BRIDGE};

        assert(b);
        /* add-then-delete in one batch: deleting works whether or not the table existed */
        for (size_t f = 0; f < 2; f++)
                if (push_table(b, NFT_MSG_NEWTABLE, families[f], err) < 0 ||
                    push_table(b, NFT_MSG_DELTABLE, families[f], err) < 0)
                        return -1;
        return 0;
}

/* One element message: key (and data for maps); interval sets get a second, end element. */
struct elem {
        uint8_t key[2 * IFNAMSIZ];
        uint32_t key_len;
        uint8_t data[8];
        uint32_t data_len;
        uint8_t end[4]; /* interval end (exclusive); valid if has_end */
        bool has_end;
};

static int elem_add(struct nftnl_set *s, const void *key, uint32_t key_len, const void *data,
                    uint32_t data_len, uint32_t flags)
{
        struct nftnl_set_elem *e = nftnl_set_elem_alloc();

        if (!e)
                return -1;
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, key_len);
        if (data_len)
                nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, data_len);
        if (flags)
                nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
        nftnl_set_elem_add(s, e);
        return 0;
}

static struct nftnl_set *elem_set(uint16_t family, const char *set, const struct elem *el)
{
        struct nftnl_set *s = nlab_fwb_set_ref(family, NLAB_FW_TABLE, set);

        if (!s)
                return NULL;
        if (elem_add(s, el->key, el->key_len, el->data, el->data_len, 0) < 0 ||
            (el->has_end && elem_add(s, el->end, 4, NULL, 0, NFT_SET_ELEM_INTERVAL_END) < 0)) {
                nftnl_set_free(s);
                return NULL;
        }
        return s;
}

/* Adding uses NLM_F_EXCL when asked (ports: a taken host port is an error). Deleting first adds
 * the element without EXCL, so the delete succeeds whether or not it was there, in one batch. */
static int push_elem(struct nlab_fwb *b, bool add, bool excl, uint16_t family, const char *set,
                     const struct elem *el, const char *what, const char *desc,
                     struct nlab_err *err)
{
        char text[256];

        snprintf(text, sizeof(text), "add element %s %s %s { %s }%s", family_name(family),
                 NLAB_FW_TABLE, set, desc, add ? "" : "  # so that the delete cannot fail");
        if (nlab_fwb_push(b, NFT_MSG_NEWSETELEM, family, add && excl ? F_EXCL : F_NEW,
                          NLAB_FWB_ELEMS, elem_set(family, set, el), what, text, err) < 0)
                return -1;
        if (add)
                return 0;
        snprintf(text, sizeof(text), "delete element %s %s %s { %s }", family_name(family),
                 NLAB_FW_TABLE, set, desc);
        return nlab_fwb_push(b, NFT_MSG_DELSETELEM, family, 0, NLAB_FWB_ELEMS,
                             elem_set(family, set, el), what, text, err);
}

static int parse_cidr(const char *cidr, uint32_t *start, uint32_t *end, bool *has_end,
                      struct nlab_err *err)
{
        struct nlab_subnet sn;
        uint64_t size;
        uint32_t host;

        if (!cidr || nlab_cidr_parse(cidr, &sn, NULL) < 0)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid subnet %s (want A.B.C.D/N)",
                                    cidr ? cidr : "(null)");
        host = ntohl(sn.net.s_addr);
        size = 1ull << (32 - sn.prefix);
        *start = htonl(host);
        *has_end = (uint64_t)host + size <= UINT32_MAX;
        *end = *has_end ? htonl((uint32_t)(host + size)) : 0;
        return 0;
}

static int check_ifname(const char *bridge, struct nlab_err *err)
{
        if (!bridge || !*bridge || strlen(bridge) >= IFNAMSIZ)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid bridge name %s",
                                    bridge ? bridge : "(null)");
        return 0;
}

static struct elem elem_ifname(const char *a, const char *b)
{
        struct elem el = {.key_len = b ? 2 * IFNAMSIZ : IFNAMSIZ};

        strncpy((char *)el.key, a, IFNAMSIZ - 1);
        if (b)
                strncpy((char *)el.key + IFNAMSIZ, b, IFNAMSIZ - 1);
        return el;
}

int nlab_fw_build_network(struct nlab_fwb *b, bool add, const char *bridge, const char *subnet_cidr,
                          bool internal, struct nlab_err *err)
{
        char what[96], desc[96];
        struct elem el;
        uint32_t start = 0, end = 0;
        bool has_end = false;

        assert(b);
        if (check_ifname(bridge, err) < 0 || parse_cidr(subnet_cidr, &start, &end, &has_end, err))
                return -1;
        snprintf(what, sizeof(what), "network bridge %s", bridge);
        el = elem_ifname(bridge, NULL);
        snprintf(desc, sizeof(desc), "\"%s\"", bridge);
        if (push_elem(b, add, false, NFPROTO_INET, "bridges", &el, what, desc, err) < 0)
                return -1;
        if (internal && push_elem(b, add, false, NFPROTO_INET, "internal", &el, what, desc, err))
                return -1;
        el = elem_ifname(bridge, bridge);
        snprintf(desc, sizeof(desc), "\"%s\" . \"%s\"", bridge, bridge);
        if (push_elem(b, add, false, NFPROTO_INET, "intra", &el, what, desc, err) < 0)
                return -1;
        el = (struct elem){.key_len = 4, .has_end = has_end};
        memcpy(el.key, &start, 4);
        memcpy(el.end, &end, 4);
        snprintf(what, sizeof(what), "network bridge %s: subnet %s", bridge, subnet_cidr);
        inet_ntop(AF_INET, &start, desc, sizeof(desc));
        snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), "/%s",
                 strchr(subnet_cidr, '/') + 1);
        if (push_elem(b, add, false, NFPROTO_INET, "subnets", &el, what, desc, err) < 0)
                return -1;
        return 0;
}

int nlab_fw_build_noforward(struct nlab_fwb *b, bool add, struct nlab_err *err)
{
        struct elem el = {.key = {NFPROTO_IPV4}, .key_len = 1};

        assert(b);
        return push_elem(b, add, false, NFPROTO_INET, "noforward", &el,
                         "forwarding only for netlab bridges", "ipv4", err);
}

static int check_mapping(const struct nlab_port_mapping *m, struct in_addr *host,
                         struct nlab_err *err)
{
        char label[64];

        nlab_port_label(m, label, sizeof(label));
        if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: protocol must be tcp or udp", label);
        if (m->host_port == 0 || m->ctr_port == 0)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: host port not resolved", label);
        host->s_addr = 0;
        if (m->host_ip[0] && inet_pton(AF_INET, m->host_ip, host) != 1)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: invalid host address", label);
        return 0;
}

/* Map keys and data are concatenations with each part in a 4-byte slot. */
static void put_proto_port(uint8_t *p, int proto, uint16_t port)
{
        memset(p, 0, 8);
        p[0] = (uint8_t)proto;
        p[4] = (uint8_t)(port >> 8);
        p[5] = (uint8_t)port;
}

static int push_mapping(struct nlab_fwb *b, bool add, const struct nlab_port_mapping *m,
                        struct in_addr ctr, const char *ctr_ip, struct nlab_err *err)
{
        struct elem el = {.data_len = 8};
        char label[64], desc[128];
        struct in_addr host;
        uint8_t *k = el.key;

        if (check_mapping(m, &host, err) < 0)
                return -1;
        nlab_port_label(m, label, sizeof(label));
        if (m->host_ip[0]) {
                memcpy(k, &host, 4);
                k += 4;
        }
        put_proto_port(k, m->proto, m->host_port);
        el.key_len = m->host_ip[0] ? 12 : 8;
        memcpy(el.data, &ctr, 4);
        el.data[4] = (uint8_t)(m->ctr_port >> 8);
        el.data[5] = (uint8_t)m->ctr_port;
        snprintf(desc, sizeof(desc), "%s%s%s . %u : %s . %u", m->host_ip,
                 m->host_ip[0] ? " . " : "", nlab_proto_name(m->proto), m->host_port, ctr_ip,
                 m->ctr_port);
        return push_elem(b, add, true, NFPROTO_INET, m->host_ip[0] ? "dnat_ip" : "dnat_any", &el,
                         label, desc, err);
}

int nlab_fw_build_ports(struct nlab_fwb *b, bool add, const struct nlab_port_mapping *m, size_t n,
                        const char *ctr_ip, struct nlab_err *err)
{
        struct in_addr ctr;

        assert(b && (m || n == 0));
        if (!ctr_ip || inet_pton(AF_INET, ctr_ip, &ctr) != 1)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid container address %s",
                                    ctr_ip ? ctr_ip : "(null)");
        for (size_t i = 0; i < n; i++)
                if (push_mapping(b, add, &m[i], ctr, ctr_ip, err) < 0)
                        return -1;
        return 0;
}

struct acks {
        const struct nlab_fwb *b;
        uint32_t first_seq; /* seq of the batch begin; message i has first_seq + 1 + i */
        size_t got;
        int errnum;       /* first failure */
        const char *what; /* its object */
        bool del;         /* it was the add-before-delete of an element */
        char kernel[256]; /* its extended ACK text, if any */
};

static void read_ext_ack(const struct nlmsghdr *nlh, const struct nlmsgerr *e, char *out,
                         size_t size)
{
        const struct nlattr *attr;
        size_t off = sizeof(*e);

        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        mnl_attr_for_each(attr, nlh, off)
        {
                if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                        snprintf(out, size, "%s", mnl_attr_get_str(attr));
        }
}

static void take_ack(struct acks *a, const struct nlmsghdr *nlh)
{
        const struct nlmsgerr *e;
        uint32_t seq;

        if (nlh->nlmsg_type != NLMSG_ERROR ||
            nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                return;
        e = mnl_nlmsg_get_payload(nlh);
        seq = e->msg.nlmsg_seq;
        if (seq > a->first_seq && seq <= a->first_seq + a->b->n)
                a->got++;
        if (e->error == 0 || a->errnum)
                return;
        a->errnum = -e->error;
        a->what = "nftables batch";
        if (seq > a->first_seq && seq <= a->first_seq + a->b->n) {
                const struct nlab_fwb_msg *m = &a->b->msgs[seq - a->first_seq - 1];

                a->what = m->what;
                a->del = seq < a->first_seq + a->b->n && m[1].type == NFT_MSG_DELSETELEM &&
                         m->type == NFT_MSG_NEWSETELEM;
        }
        read_ext_ack(nlh, e, a->kernel, sizeof(a->kernel));
}

/* The kernel handles the whole batch inside sendmsg, so every answer is queued when it returns;
 * still, wait a little for missing ones rather than assume. */
static int read_acks(struct mnl_socket *nl, struct acks *a, struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct pollfd p = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};

        while (a->got < a->b->n) {
                const struct nlmsghdr *nlh;
                ssize_t len = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
                int r;

                if (len < 0 && errno == EINTR)
                        continue;
                /* one ACK per message, mostly queued already: wait only when none is */
                if (len < 0 && errno == EAGAIN) {
                        r = poll(&p, 1, a->errnum ? 0 : 5000);
                        if (r > 0 || (r < 0 && errno == EINTR))
                                continue;
                        break;
                }
                if (len < 0)
                        return nlab_err_sys(err, errno, "nftables: reading ACKs");
                for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, (int)len);
                     nlh = mnl_nlmsg_next(nlh, (int *)&len))
                        take_ack(a, nlh);
        }
        if (a->errnum) {
                size_t len;

                if (a->errnum == EEXIST && a->del)
                        nlab_err_set(err, NLAB_E_CONFLICT,
                                     "%s: published to another address, not removed", a->what);
                else if (a->errnum == EEXIST)
                        nlab_err_set(err, NLAB_E_CONFLICT, "%s: already in use (%s)", a->what,
                                     strerror(a->errnum));
                else
                        nlab_err_sys(err, a->errnum, "%s", a->what);
                len = err ? strlen(err->msg) : 0;
                if (err && a->kernel[0])
                        snprintf(err->msg + len, sizeof(err->msg) - len, " (kernel: %s)",
                                 a->kernel);
                return -1;
        }
        if (a->got < a->b->n)
                return nlab_err_set(err, NLAB_E_SYSTEM, "nftables: %zu of %zu ACKs missing",
                                    a->b->n - a->got, a->b->n);
        return 0;
}

int nlab_fw_send(const struct nlab_fwb *b, struct nlab_err *err)
{
        struct acks a = {.b = b, .first_seq = (uint32_t)time(NULL)};
        struct mnl_socket *nl;
        size_t len;
        void *buf;
        int r;

        assert(b);
        if (b->n == 0)
                return 0;
        buf = nlab_fwb_serialize(b, a.first_seq, &len, err);
        if (!buf)
                return -1;
        nl = nlab_nft_open(len + 65536, b->n * 1024 + 65536, err);
        if (!nl) {
                free(buf);
                return -1;
        }
        r = mnl_socket_sendto(nl, buf, len) < 0 ? nlab_err_sys(err, errno, "nftables: send batch")
                                                : read_acks(nl, &a, err);
        nlab_nft_close(nl, true);
        free(buf);
        return r;
}

/* The first answer to a GETTABLE: the table itself, or an error (ENOENT: no such table). */
static int table_answer(const char *buf, ssize_t len, struct nlab_err *err)
{
        const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
        int left = (int)len;

        for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
                const struct nlmsgerr *e;

                if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE))
                        return 1;
                if (nlh->nlmsg_type != NLMSG_ERROR ||
                    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
                        continue;
                e = mnl_nlmsg_get_payload(nlh);
                if (e->error == -ENOENT)
                        return 0;
                if (e->error)
                        return nlab_err_sys(err, -e->error, "nftables table inet %s",
                                            NLAB_FW_TABLE);
        }
        return nlab_err_set(err, NLAB_E_SYSTEM, "nftables table inet %s: no answer", NLAB_FW_TABLE);
}

int nlab_fw_present(struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nftnl_table *t = nftnl_table_alloc();
        struct mnl_socket *nl;
        struct nlmsghdr *nlh;
        ssize_t len;
        int r;

        if (!t)
                return nlab_err_sys(err, ENOMEM, "nftables table");
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, NLAB_FW_TABLE);
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 1);
        nftnl_table_nlmsg_build_payload(nlh, t);
        nftnl_table_free(t);
        nl = nlab_nft_open(65536, 65536, err);
        if (!nl)
                return -1;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
                r = nlab_err_sys(err, errno, "nftables: get table");
        } else {
                len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                r = len < 0 ? nlab_err_sys(err, errno, "nftables: get table")
                            : table_answer(buf, len, err);
        }
        nlab_nft_close(nl, false);
        return r;
}

typedef int (*build_fn)(struct nlab_fwb *b, void *arg, struct nlab_err *err);

static int run_batch(build_fn build, void *arg, struct nlab_err *err)
{
        struct nlab_fwb b;
        int r;

        nlab_fwb_init(&b);
        r = build(&b, arg, err);
        if (r == 0)
                r = nlab_fw_send(&b, err);
        nlab_fwb_free(&b);
        return r;
}

static int do_ensure(struct nlab_fwb *b, void *arg, struct nlab_err *err)
{
        (void)arg;
        return nlab_fw_build_ensure(b, err);
}

static int do_teardown(struct nlab_fwb *b, void *arg, struct nlab_err *err)
{
        (void)arg;
        return nlab_fw_build_teardown(b, err);
}

int nlab_fw_ensure(struct nlab_err *err)
{
        return run_batch(do_ensure, NULL, err);
}

int nlab_fw_teardown(struct nlab_err *err)
{
        return run_batch(do_teardown, NULL, err);
}

struct net_args {
        bool add;
        const char *bridge, *subnet;
        bool internal;
};

static int do_network(struct nlab_fwb *b, void *arg, struct nlab_err *err)
{
        const struct net_args *n = arg;

        /* adding a network also (re)asserts the layout, in the same atomic batch */
        if (n->add && nlab_fw_build_ensure(b, err) < 0)
                return -1;
        return nlab_fw_build_network(b, n->add, n->bridge, n->subnet, n->internal, err);
}

int nlab_fw_network_add(const char *bridge, const char *subnet_cidr, bool internal,
                        struct nlab_err *err)
{
        struct net_args a = {true, bridge, subnet_cidr, internal};

        return run_batch(do_network, &a, err);
}

int nlab_fw_network_del(const char *bridge, const char *subnet_cidr, bool internal,
                        struct nlab_err *err)
{
        struct net_args a = {false, bridge, subnet_cidr, internal};

        return run_batch(do_network, &a, err);
}

struct port_args {
        bool add;
        const struct nlab_port_mapping *m;
        size_t n;
        const char *ctr_ip;
};

static int do_ports(struct nlab_fwb *b, void *arg, struct nlab_err *err)
{
        const struct port_args *p = arg;

        return nlab_fw_build_ports(b, p->add, p->m, p->n, p->ctr_ip, err);
}

int nlab_fw_ports_add(const struct nlab_port_mapping *m, size_t n, const char *ctr_ip,
                      struct nlab_err *err)
{
        struct port_args a = {true, m, n, ctr_ip};

        return run_batch(do_ports, &a, err);
}

int nlab_fw_ports_del(const struct nlab_port_mapping *m, size_t n, const char *ctr_ip,
                      struct nlab_err *err)
{
        struct port_args a = {false, m, n, ctr_ip};

        return run_batch(do_ports, &a, err);
}

struct move_args {
        const struct nlab_port_mapping *m;
        size_t n;
        const char *old_ip, *new_ip;
};

static int do_move(struct nlab_fwb *b, void *arg, struct nlab_err *err)
{
        const struct move_args *a = arg;

        if (nlab_fw_build_ports(b, false, a->m, a->n, a->old_ip, err) < 0)
                return -1;
        return nlab_fw_build_ports(b, true, a->m, a->n, a->new_ip, err);
}

int nlab_fw_ports_move(const struct nlab_port_mapping *m, size_t n, const char *old_ip,
                       const char *new_ip, struct nlab_err *err)
{
        struct move_args a = {m, n, old_ip, new_ip};

        return run_batch(do_move, &a, err);
}
