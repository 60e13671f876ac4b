#include "runtime/kernel/doctor_probe.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>

#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"

static const struct {
        const char *name, *module;
} features[NLAB_KF_N] = {
    [NLAB_KF_BRIDGE] = {"bridge", "bridge"},  [NLAB_KF_VETH] = {"veth", "veth"},
    [NLAB_KF_VXLAN] = {"vxlan", "vxlan"},     [NLAB_KF_TBF] = {"tbf", "sch_tbf"},
    [NLAB_KF_NETEM] = {"netem", "sch_netem"},
};

const char *nlab_kfeat_module(enum nlab_kfeat_id id)
{
        return features[id].module;
}

const char *nlab_kfeat_name(enum nlab_kfeat_id id)
{
        return features[id].name;
}

static void subnet_of(struct nlab_subnet *s, const void *bin, unsigned prefix)
{
        uint32_t net;

        memcpy(&net, bin, 4);
        net &= htonl(prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
        s->net.s_addr = net;
        s->prefix = prefix;
}

static void add_entry(struct nlab_hostnet *v, size_t *n, struct nl_cache *links, int ifindex,
                      const void *bin, unsigned prefix, bool is_addr)
{
        struct nlab_hostnet *e = &v[(*n)++];

        subnet_of(&e->sub, bin, prefix);
        memcpy(&e->addr, bin, 4);
        e->is_addr = is_addr;
        if (!rtnl_link_i2name(links, ifindex, e->ifname, sizeof(e->ifname)))
                snprintf(e->ifname, sizeof(e->ifname), "if%d", ifindex);
}

static void add_routes(struct nl_cache *routes, struct nl_cache *links, struct nlab_hostnet *v,
                       size_t *n)
{
        struct nl_object *o;

        for (o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *)o;
                struct nl_addr *dst = rtnl_route_get_dst(rt);
                struct rtnl_nexthop *nh;

                if (rtnl_route_get_family(rt) != AF_INET ||
                    rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
                    rtnl_route_get_type(rt) != RTN_UNICAST || !dst ||
                    nl_addr_get_prefixlen(dst) == 0 || nl_addr_get_len(dst) != 4 ||
                    rtnl_route_get_nnexthops(rt) < 1)
                        continue;
                nh = rtnl_route_nexthop_n(rt, 0);
                add_entry(v, n, links, rtnl_route_nh_get_ifindex(nh), nl_addr_get_binary_addr(dst),
                          (unsigned)nl_addr_get_prefixlen(dst), false);
        }
}

static void add_addrs(struct nl_cache *addrs, struct nl_cache *links, struct nlab_hostnet *v,
                      size_t *n)
{
        struct nl_object *o;

        for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *)o;
                struct nl_addr *local = rtnl_addr_get_local(a);
                const uint8_t *bin;

                if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
                        continue;
                bin = nl_addr_get_binary_addr(local);
                if (bin[0] == 127)
                        continue;
                add_entry(v, n, links, rtnl_addr_get_ifindex(a), bin,
                          (unsigned)rtnl_addr_get_prefixlen(a), true);
        }
}

int nlab_hostnet_list(struct nlab_hostnet **out, size_t *n, struct nlab_err *err)
{
        struct nl_cache *links = NULL, *routes = NULL, *addrs = NULL;
        nlab_nl_auto *nl = nlab_nl_open(NULL, err);
        struct nlab_hostnet *v = NULL;
        int r;

        assert(out && n);
        *out = NULL;
        *n = 0;
        if (!nl)
                return -1;
        r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &links);
        if (r == 0)
                r = rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &routes);
        if (r == 0)
                r = rtnl_addr_alloc_cache(nl->sk, &addrs);
        if (r < 0) {
                r = nlab_nl_fail(nl, r, err, "list the host's routes and addresses");
                goto out;
        }
        v = calloc((size_t)nl_cache_nitems(routes) + (size_t)nl_cache_nitems(addrs) + 1,
                   sizeof(*v));
        if (!v) {
                r = nlab_err_sys(err, ENOMEM, "list the host's routes and addresses");
                goto out;
        }
        add_addrs(addrs, links, v, n);
        add_routes(routes, links, v, n);
        *out = v;
out:
        if (addrs)
                nl_cache_free(addrs);
        if (routes)
                nl_cache_free(routes);
        if (links)
                nl_cache_free(links);
        return r < 0 ? -1 : 0;
}

static int try_vxlan(struct nlab_nl *nl, struct nlab_err *err)
{
        struct rtnl_link *l = rtnl_link_vxlan_alloc();
        int r;

        if (!l)
                return nlab_err_sys(err, ENOMEM, "vxlan");
        rtnl_link_set_name(l, "nlabprobe3");
        rtnl_link_vxlan_set_id(l, 42);
        r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(l);
        return r < 0 ? nlab_nl_fail(nl, r, err, "vxlan nlabprobe3") : 0;
}

/* A root qdisc of kind on lo: tbf at 1mbit, netem with 1 ms of delay. */
static int try_qdisc(struct nlab_nl *nl, const char *kind, struct nlab_err *err)
{
        struct rtnl_qdisc *q = rtnl_qdisc_alloc();
        int r, lo = 0;

        if (!q)
                return nlab_err_sys(err, ENOMEM, "qdisc %s", kind);
        r = nlab_link_ifindex(nl, "lo", &lo, err);
        if (r == 0) {
                rtnl_tc_set_ifindex(TC_CAST(q), lo);
                rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
                r = rtnl_tc_set_kind(TC_CAST(q), kind);
        }
        if (r == 0 && !strcmp(kind, "tbf")) {
                rtnl_qdisc_tbf_set_rate(q, 125000, 1600, 0);
                rtnl_qdisc_tbf_set_limit(q, 3000);
        } else if (r == 0) {
                rtnl_netem_set_delay(q, 1000);
                rtnl_netem_set_limit(q, 1000);
        }
        if (r == 0) {
                r = rtnl_qdisc_add(nl->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
                if (r < 0)
                        r = nlab_nl_fail(nl, r, err, "qdisc %s on lo", kind);
        }
        rtnl_qdisc_put(q);
        return r < 0 ? -1 : 0;
}

static int try_kind(struct nlab_nl *nl, enum nlab_kfeat_id id, struct nlab_err *e)
{
        if (id == NLAB_KF_BRIDGE)
                return nlab_link_bridge_add(nl, "nlabprobe0", 0, e);
        if (id == NLAB_KF_VETH)
                return nlab_link_veth_add(nl, "nlabprobe1", NULL, "nlabprobe2", NULL, 0, e);
        if (id == NLAB_KF_VXLAN)
                return try_vxlan(nl, e);
        return try_qdisc(nl, features[id].name, e);
}

static void try_all(struct nlab_nl *nl, struct nlab_kfeat *f)
{
        for (size_t i = 0; i < NLAB_KF_N; i++) {
                struct nlab_err e = {0};
                int r = try_kind(nl, (enum nlab_kfeat_id)i, &e);

                f->have[i] = r == 0;
                f->errnum[i] = r == 0 ? 0 : e.errnum ? e.errnum : EIO;
        }
}

/* The child: a netns of its own, every kind tried there, the answer on fd. */
static void probe_child(int fd)
{
        struct nlab_kfeat f = {0};
        struct nlab_nl *nl = NULL;

        if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                f.netns_errno = errno;
        if (!f.netns_errno && !(nl = nlab_nl_open(NULL, NULL)))
                f.netns_errno = EIO;
        if (!f.netns_errno)
                try_all(nl, &f);
        if (nl)
                nlab_nl_close(nl);
        _exit(write(fd, &f, sizeof(f)) == (ssize_t)sizeof(f) ? 0 : 1);
}

int nlab_kfeat_probe(struct nlab_kfeat *out, struct nlab_err *err)
{
        int fds[2], status = 0;
        ssize_t got;
        pid_t pid;

        assert(out);
        memset(out, 0, sizeof(*out));
        if (pipe2(fds, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "kernel feature probe: pipe");
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return nlab_err_sys(err, errno, "kernel feature probe: fork");
        }
        if (pid == 0) {
                close(fds[0]);
                probe_child(fds[1]);
        }
        close(fds[1]);
        do
                got = read(fds[0], out, sizeof(*out));
        while (got < 0 && errno == EINTR);
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (got != (ssize_t)sizeof(*out)) {
                memset(out, 0, sizeof(*out));
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "kernel feature probe: the probing process gave no answer");
        }
        return 0;
}
