#include "runtime/fwforeign.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "runtime/firewall.h"
#include "runtime/sysctl.h"

struct found {
        char chain[160]; /* "ip filter FORWARD" */
};

static const char *family_name(uint32_t f)
{
        return f == NFPROTO_IPV4 ? "ip" : "inet";
}

/* A base chain of IPv4 traffic at the forward hook whose policy drops, in a table not ours. */
static bool drops_forward(const struct nftnl_chain *c)
{
        uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
        const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);

        if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
            !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) || !table)
                return false;
        if (family != NFPROTO_IPV4 && family != NFPROTO_INET)
                return false;
        if (family == NFPROTO_INET && !strcmp(table, NLAB_FW_TABLE))
                return false;
        return nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD &&
               nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
}

static int on_chain(const struct nlmsghdr *nlh, void *data)
{
        struct found *f = data;
        struct nftnl_chain *c = nftnl_chain_alloc();

        if (!c)
                return MNL_CB_ERROR;
        if (nftnl_chain_nlmsg_parse(nlh, c) == 0 && !f->chain[0] && drops_forward(c))
                snprintf(f->chain, sizeof(f->chain), "%s %s %s",
                         family_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)),
                         nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
                         nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
        nftnl_chain_free(c);
        return MNL_CB_OK;
}

/* Dump every chain of every table once. */
static int find_drop_chain(struct found *f, struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
        uint32_t seq = (uint32_t)time(NULL), port;
        struct nlmsghdr *nlh;
        ssize_t len;
        int r = 0;

        if (!nl)
                return nlab_err_sys(err, errno, "nftables: netlink socket");
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = nlab_err_sys(err, errno, "nftables: netlink bind");
                goto out;
        }
        port = mnl_socket_get_portid(nl);
        nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
                r = nlab_err_sys(err, errno, "nftables: list chains");
                goto out;
        }
        while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
                r = mnl_cb_run(buf, (size_t)len, seq, port, on_chain, f);
                if (r <= 0)
                        break;
        }
        if (len < 0 || r < 0)
                r = nlab_err_sys(err, errno, "nftables: list chains");
out:
        mnl_socket_close(nl);
        return r < 0 ? -1 : 0;
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
                 "by default, so containers cannot reach the outside or published ports%s; fix: "
                 "nft 'insert rule %.*s %s iifname { \"netlab0\", \"br-*\" } accept'; nft 'insert "
                 "rule %.*s %s oifname { \"netlab0\", \"br-*\" } accept' (with Docker: "
                 "iptables -I DOCKER-USER -i br-+ -j ACCEPT; iptables -I DOCKER-USER -o br-+ -j "
                 "ACCEPT; and the same for netlab0)",
                 f.chain,
                 br_netfilter_on()
                     ? ", and with br_netfilter (bridge-nf-call-iptables=1) not even each other"
                     : "",
                 (int)(t - f.chain - 1), f.chain, t, (int)(t - f.chain - 1), f.chain, t);
        return 0;
}
