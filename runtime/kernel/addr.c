#include "runtime/kernel/addr.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>

#include <netlink/errno.h>
#include <netlink/route/addr.h>

#include "runtime/kernel/link.h"

/* An rtnl_addr for a/prefix on ifindex; NULL when out of memory. */
static struct rtnl_addr *build(int ifindex, struct in_addr a, unsigned prefix)
{
        struct in_addr brd = {
            .s_addr = a.s_addr | htonl(prefix ? ~(0xffffffffu << (32 - prefix)) : 0xffffffffu)};
        struct rtnl_addr *ra = rtnl_addr_alloc();
        struct nl_addr *local = nl_addr_build(AF_INET, &a, 4);
        struct nl_addr *bcast = nl_addr_build(AF_INET, &brd, 4);

        if (ra && local && bcast) {
                nl_addr_set_prefixlen(local, (int)prefix);
                rtnl_addr_set_ifindex(ra, ifindex);
                rtnl_addr_set_family(ra, AF_INET);
                rtnl_addr_set_local(ra, local);
                rtnl_addr_set_prefixlen(ra, prefix);
                if (prefix < 31)
                        rtnl_addr_set_broadcast(ra, bcast);
        } else if (ra) {
                rtnl_addr_put(ra);
                ra = NULL;
        }
        nl_addr_put(local);
        nl_addr_put(bcast);
        return ra;
}

int nlab_addr_add(struct nlab_nl *nl, const char *ifname, struct in_addr a, unsigned prefix,
                  struct nlab_err *err)
{
        char ip[INET_ADDRSTRLEN];
        struct rtnl_addr *ra;
        int idx, r;

        assert(nl && ifname);
        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        if (nlab_link_ifindex(nl, ifname, &idx, err) < 0) {
                nlab_err_prefix(err, "add address %s/%u", ip, prefix);
                return -1;
        }
        ra = build(idx, a, prefix);
        if (!ra)
                return nlab_err_sys(err, ENOMEM, "link %s: add address %s/%u", ifname, ip, prefix);
        r = rtnl_addr_add(nl->sk, ra, NLM_F_EXCL);
        rtnl_addr_put(ra);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "link %s: add address %s/%u", ifname, ip, prefix);
        return 0;
}

int nlab_addr_del(struct nlab_nl *nl, const char *ifname, struct in_addr a, unsigned prefix,
                  struct nlab_err *err)
{
        struct nlab_link_info info;
        char ip[INET_ADDRSTRLEN];
        struct rtnl_addr *ra;
        int r;

        assert(nl && ifname);
        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        r = nlab_link_lookup(nl, ifname, &info, err);
        if (r <= 0)
                return r; /* a link already gone took its addresses along */
        ra = build(info.ifindex, a, prefix);
        if (!ra)
                return nlab_err_sys(err, ENOMEM, "link %s: delete address %s/%u", ifname, ip,
                                    prefix);
        r = rtnl_addr_delete(nl->sk, ra, 0);
        rtnl_addr_put(ra);
        /* The kernel says EADDRNOTAVAIL for an address that is not there. */
        if (r == -NLE_NOADDR || r == -NLE_NODEV) {
                nl->syserr = 0;
                return 0;
        }
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "link %s: delete address %s/%u", ifname, ip,
                                    prefix);
        return 0;
}
