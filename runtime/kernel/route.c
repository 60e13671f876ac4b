#include "runtime/kernel/route.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/route.h>

#include "runtime/kernel/link.h"

static struct rtnl_route *build_default(int ifindex, struct in_addr gateway)
{
        struct in_addr any = {0};
        struct rtnl_route *rt = rtnl_route_alloc();
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        struct nl_addr *dst = nl_addr_build(AF_INET, &any, 4);
        struct nl_addr *gw = nl_addr_build(AF_INET, &gateway, 4);

        if (!rt || !nh || !dst || !gw) {
                rtnl_route_put(rt);
                rtnl_route_nh_free(nh);
                nl_addr_put(dst);
                nl_addr_put(gw);
                return NULL;
        }
        nl_addr_set_prefixlen(dst, 0);
        rtnl_route_set_family(rt, AF_INET);
        rtnl_route_set_table(rt, RT_TABLE_MAIN);
        rtnl_route_set_protocol(rt, RTPROT_BOOT);
        rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
        rtnl_route_set_type(rt, RTN_UNICAST);
        rtnl_route_set_dst(rt, dst);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
        nl_addr_put(dst);
        nl_addr_put(gw);
        return rt;
}

int nlab_route_add_default(struct nlab_nl *nl, struct in_addr gateway, const char *ifname,
                           struct nlab_err *err)
{
        char ip[INET_ADDRSTRLEN];
        struct rtnl_route *rt;
        int idx, r;

        assert(nl && ifname);
        inet_ntop(AF_INET, &gateway, ip, sizeof(ip));
        if (nlab_link_ifindex(nl, ifname, &idx, err) < 0) {
                nlab_err_prefix(err, "default route via %s", ip);
                return -1;
        }
        rt = build_default(idx, gateway);
        if (!rt)
                return nlab_err_sys(err, ENOMEM, "default route via %s dev %s", ip, ifname);
        r = rtnl_route_add(nl->sk, rt, NLM_F_EXCL);
        rtnl_route_put(rt);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "default route via %s dev %s", ip, ifname);
        return 0;
}

static int wanted(struct rtnl_route *rt)
{
        struct nl_addr *dst = rtnl_route_get_dst(rt);

        return rtnl_route_get_family(rt) == AF_INET && rtnl_route_get_table(rt) == RT_TABLE_MAIN &&
               rtnl_route_get_type(rt) == RTN_UNICAST && dst && nl_addr_get_prefixlen(dst) > 0 &&
               nl_addr_get_len(dst) == 4;
}

int nlab_route_list_v4(struct nlab_nl *nl, struct nlab_subnet **out, size_t *n,
                       struct nlab_err *err)
{
        struct nl_cache *cache = NULL;
        struct nlab_subnet *v;
        struct nl_object *o;
        size_t count = 0;
        int r;

        assert(nl && out && n);
        r = rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &cache);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "list routes");
        v = calloc(nl_cache_nitems(cache) + 1, sizeof(*v));
        if (!v) {
                nl_cache_free(cache);
                return nlab_err_sys(err, ENOMEM, "list routes");
        }
        for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *)o;
                struct nl_addr *dst = rtnl_route_get_dst(rt);
                unsigned prefix;
                uint32_t net;

                if (!wanted(rt))
                        continue;
                prefix = (unsigned)nl_addr_get_prefixlen(dst);
                memcpy(&net, nl_addr_get_binary_addr(dst), 4);
                net &= htonl(prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
                v[count].net.s_addr = net;
                v[count].prefix = prefix;
                count++;
        }
        nl_cache_free(cache);
        *out = v;
        *n = count;
        return 0;
}
