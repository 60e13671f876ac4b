#include "runtime/kernel/link.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <time.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

/* The kernel's dev_valid_name(), so bad names fail before any request with a clear message. */
int nlab_ifname_check(const char *name, struct nlab_err *err)
{
        size_t len = name ? strlen(name) : 0;
        const char *p;

        if (len == 0 || len >= NLAB_IFNAMSIZ)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid interface name \"%s\": must be 1 to %d characters",
                                    name ? name : "", NLAB_IFNAMSIZ - 1);
        if (!strcmp(name, ".") || !strcmp(name, ".."))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid interface name \"%s\"", name);
        for (p = name; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "invalid interface name \"%s\": no '/', ':' or "
                                            "whitespace allowed",
                                            name);
        return 0;
}

static int is_gone(int r)
{
        return r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND;
}

static void fill_info(struct rtnl_link *link, struct nlab_link_info *info)
{
        const char *kind = rtnl_link_get_type(link);

        info->ifindex = rtnl_link_get_ifindex(link);
        snprintf(info->kind, sizeof(info->kind), "%s", kind ? kind : "");
        info->mtu = rtnl_link_get_mtu(link);
        info->up = !!(rtnl_link_get_flags(link) & IFF_UP);
        info->master = rtnl_link_get_master(link);
}

/* The kernel's link by name: 1 with *link held (put it), 0 if there is none, -1 on error. */
static int get_link(struct nlab_nl *nl, const char *name, struct rtnl_link **link,
                    struct nlab_err *err)
{
        int r = rtnl_link_get_kernel(nl->sk, 0, name, link);

        if (is_gone(r)) {
                nl->syserr = 0;
                return 0;
        }
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "link %s", name);
        return 1;
}

int nlab_link_lookup(struct nlab_nl *nl, const char *name, struct nlab_link_info *info,
                     struct nlab_err *err)
{
        struct rtnl_link *link = NULL;
        int r;

        assert(nl && name);
        r = get_link(nl, name, &link, err);
        if (r <= 0)
                return r;
        if (info)
                fill_info(link, info);
        rtnl_link_put(link);
        return 1;
}

int nlab_link_ifindex(struct nlab_nl *nl, const char *name, int *ifindex, struct nlab_err *err)
{
        struct nlab_link_info info;
        int r;

        r = nlab_link_lookup(nl, name, &info, err);
        if (r < 0)
                return r;
        if (r == 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "link %s: No such device", name);
        *ifindex = info.ifindex;
        return 0;
}

static int set_mac(struct rtnl_link *link, const uint8_t mac[6])
{
        struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

        if (!a)
                return -1;
        rtnl_link_set_addr(link, a);
        nl_addr_put(a);
        return 0;
}

/* A bridge without an explicit MAC takes the lowest MAC of its ports, which changes as
 * containers come and go and leaves stale gateway entries in their ARP caches. */
static void random_mac(uint8_t mac[6])
{
        if (getrandom(mac, 6, 0) != 6)
                memset(mac, 0x5a, 6);
        mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

int nlab_link_bridge_add(struct nlab_nl *nl, const char *name, unsigned mtu, struct nlab_err *err)
{
        struct rtnl_link *link;
        uint8_t mac[6];
        int r;

        assert(nl && name);
        link = rtnl_link_bridge_alloc();
        if (!link)
                return nlab_err_sys(err, ENOMEM, "bridge %s", name);
        rtnl_link_set_name(link, name);
        if (mtu)
                rtnl_link_set_mtu(link, mtu);
        random_mac(mac);
        if (set_mac(link, mac) < 0) {
                rtnl_link_put(link);
                return nlab_err_sys(err, ENOMEM, "bridge %s", name);
        }
        r = rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(link);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "bridge %s", name);
        return 0;
}

int nlab_link_veth_add(struct nlab_nl *nl, const char *name, struct nlab_nl *peer_nl,
                       const char *peer_name, const uint8_t *peer_mac, unsigned mtu,
                       struct nlab_err *err)
{
        struct rtnl_link *link, *peer;
        int r = 0;

        assert(nl && name && peer_name);
        link = rtnl_link_veth_alloc();
        if (!link)
                return nlab_err_sys(err, ENOMEM, "veth %s", name);
        peer = rtnl_link_veth_get_peer(link);
        rtnl_link_set_name(link, name);
        rtnl_link_set_name(peer, peer_name);
        if (mtu) {
                rtnl_link_set_mtu(link, mtu);
                rtnl_link_set_mtu(peer, mtu);
        }
        /* One queue each way, not one per possible CPU: each queue is sysfs nodes and kernel
         * memory per end, and more than one helps only veth's XDP, which nothing here uses. */
        rtnl_link_set_num_tx_queues(link, 1);
        rtnl_link_set_num_rx_queues(link, 1);
        rtnl_link_set_num_tx_queues(peer, 1);
        rtnl_link_set_num_rx_queues(peer, 1);
        if (peer_mac && set_mac(peer, peer_mac) < 0)
                r = nlab_err_sys(err, ENOMEM, "veth %s", name);
        /* The kernel moves the peer at creation: it never shows up in our netns. */
        if (peer_nl && peer_nl->nsfd >= 0)
                rtnl_link_set_ns_fd(peer, peer_nl->nsfd);
        if (r == 0) {
                r = rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL);
                if (r < 0)
                        r = nlab_nl_fail(nl, r, err, "veth %s (peer %s)", name, peer_name);
        }
        rtnl_link_put(peer);
        rtnl_link_put(link);
        return r;
}

int nlab_link_delete(struct nlab_nl *nl, const char *name, struct nlab_err *err)
{
        struct rtnl_link *link;
        int r;

        assert(nl && name);
        link = rtnl_link_alloc();
        if (!link)
                return nlab_err_sys(err, ENOMEM, "delete link %s", name);
        rtnl_link_set_name(link, name);
        r = rtnl_link_delete(nl->sk, link);
        rtnl_link_put(link);
        if (is_gone(r)) {
                nl->syserr = 0;
                return 0;
        }
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "delete link %s", name);
        return 0;
}

/* RTM_NEWLINK on the existing link with only the fields set in `change`. */
static int change_link(struct nlab_nl *nl, const char *name, struct rtnl_link *change,
                       const char *what, struct nlab_err *err)
{
        struct rtnl_link *orig = NULL;
        int r;

        r = rtnl_link_get_kernel(nl->sk, 0, name, &orig);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "link %s", name);
        r = rtnl_link_change(nl->sk, orig, change, 0);
        rtnl_link_put(orig);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "link %s: %s", name, what);
        return 0;
}

static struct rtnl_link *new_change(const char *name, struct nlab_err *err)
{
        struct rtnl_link *change = rtnl_link_alloc();

        if (!change)
                nlab_err_sys(err, ENOMEM, "link %s", name);
        return change;
}

int nlab_link_set_up(struct nlab_nl *nl, const char *name, int up, struct nlab_err *err)
{
        struct rtnl_link *change;
        int r;

        assert(nl && name);
        change = new_change(name, err);
        if (!change)
                return -1;
        if (up)
                rtnl_link_set_flags(change, IFF_UP);
        else
                rtnl_link_unset_flags(change, IFF_UP);
        r = change_link(nl, name, change, up ? "set up" : "set down", err);
        rtnl_link_put(change);
        return r;
}

int nlab_link_set_master(struct nlab_nl *nl, const char *name, const char *master,
                         struct nlab_err *err)
{
        struct rtnl_link *change;
        char what[64];
        int idx = 0, r;

        assert(nl && name);
        if (master && nlab_link_ifindex(nl, master, &idx, err) < 0) {
                nlab_err_prefix(err, "link %s: set master", name);
                return -1;
        }
        change = new_change(name, err);
        if (!change)
                return -1;
        rtnl_link_set_master(change, idx);
        snprintf(what, sizeof(what), "set master %s", master ? master : "none");
        r = change_link(nl, name, change, what, err);
        rtnl_link_put(change);
        return r;
}

/* libnl 3.7 cannot build a bridge-port change (its bridge link object asserts), so this one
 * message is built with libmnl: RTM_SETLINK, AF_BRIDGE, IFLA_PROTINFO { IFLA_BRPORT_MODE 1 }. */
int nlab_link_set_hairpin(struct nlab_nl *nl, const char *name, struct nlab_err *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct mnl_socket *sock;
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifi;
        struct nlattr *nest;
        int idx, r;
        unsigned seq = (unsigned)time(NULL), portid;

        assert(nl && name);
        if (nlab_link_ifindex(nl, name, &idx, err) < 0)
                return -1;
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_SETLINK;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = seq;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_BRIDGE;
        ifi->ifi_index = idx;
        nest = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
        mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
        mnl_attr_nest_end(nlh, nest);
        sock = mnl_socket_open(NETLINK_ROUTE);
        if (!sock)
                return nlab_err_sys(err, errno, "link %s: netlink socket", name);
        r = mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID);
        portid = mnl_socket_get_portid(sock);
        if (r == 0 && mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
                r = -1;
        if (r == 0) {
                ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
                r = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
        }
        if (r < 0)
                r = nlab_err_sys(err, errno, "link %s: set hairpin mode", name);
        mnl_socket_close(sock);
        return r < 0 ? -1 : 0;
}

int nlab_link_set_mac(struct nlab_nl *nl, const char *name, const uint8_t mac[6],
                      struct nlab_err *err)
{
        struct rtnl_link *change;
        char what[48];
        int r;

        assert(nl && name && mac);
        change = new_change(name, err);
        if (!change)
                return -1;
        snprintf(what, sizeof(what), "set MAC %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5]);
        if (set_mac(change, mac) < 0)
                r = nlab_err_sys(err, ENOMEM, "link %s", name);
        else
                r = change_link(nl, name, change, what, err);
        rtnl_link_put(change);
        return r;
}

int nlab_link_set_mtu(struct nlab_nl *nl, const char *name, unsigned mtu, struct nlab_err *err)
{
        struct rtnl_link *change;
        char what[32];
        int r;

        assert(nl && name);
        change = new_change(name, err);
        if (!change)
                return -1;
        rtnl_link_set_mtu(change, mtu);
        snprintf(what, sizeof(what), "set MTU %u", mtu);
        r = change_link(nl, name, change, what, err);
        rtnl_link_put(change);
        return r;
}

int nlab_link_list_kind(struct nlab_nl *nl, const char *kind, char (**names)[NLAB_IFNAMSIZ],
                        size_t *n, struct nlab_err *err)
{
        struct nl_cache *cache = NULL;
        struct nl_object *o;
        char(*out)[NLAB_IFNAMSIZ];
        size_t count = 0;
        int r;

        assert(nl && kind && names && n);
        r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache);
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "list links");
        out = calloc(nl_cache_nitems(cache) + 1, sizeof(*out));
        if (!out) {
                nl_cache_free(cache);
                return nlab_err_sys(err, ENOMEM, "list links");
        }
        for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *link = (struct rtnl_link *)o;
                const char *t = rtnl_link_get_type(link);

                if (t && !strcmp(t, kind))
                        snprintf(out[count++], NLAB_IFNAMSIZ, "%s", rtnl_link_get_name(link));
        }
        nl_cache_free(cache);
        *names = out;
        *n = count;
        return 0;
}

int nlab_link_alias(struct nlab_nl *nl, const char *name, char *buf, size_t size,
                    struct nlab_err *err)
{
        struct rtnl_link *link = NULL;
        const char *alias;
        int r;

        assert(nl && name && buf && size);
        r = get_link(nl, name, &link, err);
        if (r <= 0)
                return r;
        alias = rtnl_link_get_ifalias(link);
        snprintf(buf, size, "%s", alias ? alias : "");
        rtnl_link_put(link);
        return 1;
}

int nlab_link_set_alias(struct nlab_nl *nl, const char *name, const char *alias,
                        struct nlab_err *err)
{
        struct rtnl_link *change;
        int r;

        assert(nl && name && alias);
        change = new_change(name, err);
        if (!change)
                return -1;
        rtnl_link_set_ifalias(change, alias);
        r = change_link(nl, name, change, "set alias", err);
        rtnl_link_put(change);
        return r;
}
