#include "runtime/kernel/fwforeign.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "runtime/kernel/firewall.h"
#include "runtime/kernel/nftsock.h"
#include "runtime/kernel/sysctl.h"

/* Forward base chains with policy accept are kept to look at their last rule (firewalld ends
 * its chains with an unconditional reject); a handful is plenty. */
#define MAX_CANDIDATES 8

struct chain_id {
        uint32_t family;
        char table[64], name[64];
};

struct found {
        char chain[160]; /* "ip filter FORWARD" */
        const char *how; /* "its policy is drop" */
        struct chain_id cand[MAX_CANDIDATES];
        size_t n_cand;
        bool last_drops; /* while reading one chain's rules: its last rule so far drops all */
};

static const char *family_name(uint32_t f)
{
        return f == NFPROTO_IPV4 ? "ip" : "inet";
}

/* A base chain of IPv4 traffic at the forward hook, in a table not ours. */
static bool foreign_forward(const struct nftnl_chain *c)
{
        uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
        const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);

        if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
            !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) || !table ||
            !nftnl_chain_get_str(c, NFTNL_CHAIN_NAME))
                return false;
        if (family != NFPROTO_IPV4 && family != NFPROTO_INET)
                return false;
        if (family == NFPROTO_INET && !strcmp(table, NLAB_FW_TABLE))
                return false;
        return nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD;
}

static void name_chain(struct found *f, uint32_t family, const char *table, const char *name,
                       const char *how)
{
        snprintf(f->chain, sizeof(f->chain), "%s %s %s", family_name(family), table, name);
        f->how = how;
}

static int on_chain(const struct nlmsghdr *nlh, void *data)
{
        struct found *f = data;
        struct nftnl_chain *c = nftnl_chain_alloc();
        struct chain_id *id;

        if (!c)
                return MNL_CB_ERROR;
        if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || f->chain[0] || !foreign_forward(c))
                goto out;
        if (nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP) {
                name_chain(f, nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
                           nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
                           nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "its policy is drop");
        } else if (f->n_cand < MAX_CANDIDATES) {
                id = &f->cand[f->n_cand++];
                id->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
                snprintf(id->table, sizeof(id->table), "%s",
                         nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
                snprintf(id->name, sizeof(id->name), "%s",
                         nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
        }
out:
        nftnl_chain_free(c);
        return MNL_CB_OK;
}

/* A rule with no match at all that drops or rejects: the chain's real default. */
static bool drops_everything(struct nftnl_rule *r)
{
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        bool verdict = false, match = false;

        while (it && (e = nftnl_expr_iter_next(it))) {
                const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

                if (!strcmp(name, "reject"))
                        verdict = true;
                else if (!strcmp(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT))
                        verdict = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_DROP;
                else if (strcmp(name, "counter") && strcmp(name, "log"))
                        match = true;
        }
        if (it)
                nftnl_expr_iter_destroy(it);
        return verdict && !match;
}

static int on_rule(const struct nlmsghdr *nlh, void *data)
{
        struct found *f = data;
        struct nftnl_rule *r = nftnl_rule_alloc();

        if (!r)
                return MNL_CB_ERROR;
        if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
                f->last_drops = drops_everything(r);
        nftnl_rule_free(r);
        return MNL_CB_OK;
}

/* Send one dump request and feed every answer to cb. */
static int dump(struct nlmsghdr *nlh, char *buf, size_t size, uint32_t seq, mnl_cb_t cb,
                struct found *f, struct nlab_err *err)
{
        struct mnl_socket *nl = nlab_nft_open(MNL_SOCKET_BUFFER_SIZE, 65536, err);
        ssize_t len = 0;
        int r = 0;

        if (!nl)
                return -1;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
                r = nlab_err_sys(err, errno, "nftables: dump");
                goto out;
        }
        while ((len = mnl_socket_recvfrom(nl, buf, size)) > 0) {
                r = mnl_cb_run(buf, (size_t)len, seq, mnl_socket_get_portid(nl), cb, f);
                if (r <= 0)
                        break;
        }
        if (len < 0 || r < 0)
                r = nlab_err_sys(err, errno, "nftables: dump");
out:
        nlab_nft_close(nl, false);
        return r < 0 ? -1 : 0;
}

static int check_last_rule(struct found *f, const struct chain_id *id, struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nftnl_rule *r = nftnl_rule_alloc();
        uint32_t seq = (uint32_t)time(NULL);
        struct nlmsghdr *nlh;

        if (!r)
                return nlab_err_sys(err, ENOMEM, "nftables rule");
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, id->table);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, id->name);
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)id->family, NLM_F_DUMP, seq);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftnl_rule_free(r);
        f->last_drops = false;
        if (dump(nlh, buf, sizeof(buf), seq, on_rule, f, err) < 0)
                return -1;
        if (f->last_drops)
                name_chain(f, id->family, id->table, id->name,
                           "its last rule drops or rejects every packet not accepted before");
        return 0;
}

/* Every chain of every table in one dump, then the last rule of the few accept-policy ones. */
static int find_drop_chain(struct found *f, struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = (uint32_t)time(NULL);
        struct nlmsghdr *nlh;

        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
        if (dump(nlh, buf, sizeof(buf), seq, on_chain, f, err) < 0)
                return -1;
        for (size_t i = 0; i < f->n_cand && !f->chain[0]; i++)
                if (check_last_rule(f, &f->cand[i], err) < 0)
                        return -1;
        return 0;
}

static bool br_netfilter_on(void)
{
        char v[8];

        return nlab_sysctl_read("net/bridge/bridge-nf-call-iptables", v, sizeof(v), NULL) == 0 &&
               !strcmp(v, "1");
}

int nlab_fw_foreign(char *msg, size_t size, struct nlab_err *err)
{
        struct found f = {0};
        const char *t;

        assert(msg && size > 0);
        msg[0] = '\0';
        if (find_drop_chain(&f, err) < 0)
                return -1;
        if (!f.chain[0])
                return 0;
        t = strchr(strchr(f.chain, ' ') + 1, ' ') + 1; /* the chain's name */
        snprintf(msg, size,
                 "chain %s (another firewall: Docker, firewalld or ufw) drops forwarded packets "
                 "by default (%s), so containers cannot reach the outside or published ports%s; "
                 "fix: "
                 "nft 'insert rule %.*s %s iifname { \"netlab*\", \"br-*\" } accept'; nft 'insert "
                 "rule %.*s %s oifname { \"netlab*\", \"br-*\" } accept' (with Docker: "
                 "iptables -I DOCKER-USER -i br-+ -j ACCEPT; iptables -I DOCKER-USER -o br-+ -j "
                 "ACCEPT; and the same for netlab+)",
                 f.chain, f.how,
                 br_netfilter_on()
                     ? ", and with br_netfilter (bridge-nf-call-iptables=1) not even each other"
                     : "",
                 (int)(t - f.chain - 1), f.chain, t, (int)(t - f.chain - 1), f.chain, t);
        return 0;
}
