#include "runtime/kernel/endpoint.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/kernel/addr.h"
#include "runtime/base/ipam.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"
#include "runtime/kernel/sysctl.h"

static int check_prefix(unsigned prefix, struct nlab_err *err)
{
        if (prefix < 1 || prefix > 32)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid prefix length %u: expected 1 to 32", prefix);
        return 0;
}

/* 68 is IPv4's minimum; 0 keeps the kernel default. */
static int check_mtu(unsigned mtu, struct nlab_err *err)
{
        if (mtu && (mtu < 68 || mtu > 65535))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid MTU %u: expected 68 to 65535",
                                    mtu);
        return 0;
}

/* Make the bridge exist; *created says whether this call made it (and so must undo it). */
static int bridge_create(struct nlab_nl *nl, const char *name, unsigned mtu, bool *created,
                         struct nlab_err *err)
{
        struct nlab_link_info info;
        int r;

        *created = false;
        r = nlab_link_lookup(nl, name, &info, err);
        if (r == 0) {
                r = nlab_link_bridge_add(nl, name, mtu, err);
                if (r == 0) {
                        *created = true;
                        return 0;
                }
                if (!err || err->errnum != EEXIST)
                        return r;
                /* Lost a race with another netlab: look at what it made. */
                r = nlab_link_lookup(nl, name, &info, err);
        }
        if (r < 0)
                return r;
        if (strcmp(info.kind, "bridge"))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "bridge %s: an interface of that name exists and is %s%s, "
                                    "not a bridge",
                                    name, info.kind[0] ? "a " : "a plain device", info.kind);
        return 0;
}

static int bridge_configure(struct nlab_nl *nl, const char *name, struct in_addr gateway,
                            unsigned prefix, struct nlab_err *err)
{
        int r;

        r = nlab_addr_add(nl, name, gateway, prefix, err);
        if (r < 0 && err && err->errnum == EEXIST)
                r = 0; /* ensure is idempotent */
        if (r < 0)
                return r;
        r = nlab_link_set_up(nl, name, 1, err);
        if (r < 0)
                return r;
        /* ip_forward is netglue's: it first records how it found it and guards forwarding */
        return nlab_sysctl_route_localnet(name, err);
}

int nlab_bridge_ensure(const char *name, struct in_addr gateway, unsigned prefix, unsigned mtu,
                       struct nlab_err *err)
{
        nlab_nl_auto *nl = NULL;
        struct nlab_err local;
        bool created;
        int r;

        if (!err)
                err = &local; /* the EEXIST checks below need the errno */
        if (nlab_ifname_check(name, err) < 0 || check_prefix(prefix, err) < 0 ||
            check_mtu(mtu, err) < 0)
                return -1;
        nl = nlab_nl_open(NULL, err);
        if (!nl)
                return -1;
        r = bridge_create(nl, name, mtu, &created, err);
        if (r < 0)
                return r;
        r = bridge_configure(nl, name, gateway, prefix, err);
        if (r < 0)
                goto undo_bridge;
        return 0;
undo_bridge:
        if (created)
                nlab_link_delete(nl, name, NULL);
        return r;
}

/* Delete `name` only if it is a `kind` link, so a wrong name can never take a host NIC down. */
static int delete_kind(struct nlab_nl *nl, const char *name, const char *kind, struct nlab_err *err)
{
        struct nlab_link_info info;
        int r;

        r = nlab_link_lookup(nl, name, &info, err);
        if (r <= 0)
                return r; /* already gone */
        if (strcmp(info.kind, kind))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "link %s is %s%s, not a %s: refusing to delete it", name,
                                    info.kind[0] ? "a " : "a plain device", info.kind, kind);
        return nlab_link_delete(nl, name, err);
}

int nlab_bridge_remove(const char *name, struct nlab_err *err)
{
        nlab_nl_auto *nl = NULL;

        if (nlab_ifname_check(name, err) < 0)
                return -1;
        nl = nlab_nl_open(NULL, err);
        if (!nl)
                return -1;
        return delete_kind(nl, name, "bridge", err);
}

static int check_req(const struct nlab_endpoint_req *req, uint8_t mac[6], struct nlab_err *err)
{
        struct nlab_subnet on_link = {.net = req->ip, .prefix = req->prefix};
        char gw[INET_ADDRSTRLEN];

        if (!req->netns_path || !req->bridge || !req->host_ifname || !req->ctr_ifname)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "endpoint: netns, bridge and both interface names are "
                                    "required");
        if (nlab_ifname_check(req->bridge, err) < 0 ||
            nlab_ifname_check(req->host_ifname, err) < 0 ||
            nlab_ifname_check(req->ctr_ifname, err) < 0 || check_prefix(req->prefix, err) < 0 ||
            check_mtu(req->mtu, err) < 0)
                return -1;
        if (req->mac) {
                if (nlab_mac_parse(req->mac, mac, err) < 0)
                        return -1;
        } else {
                nlab_mac_from_ip(req->ip, mac);
        }
        on_link.net.s_addr &= req->prefix ? htonl(0xffffffffu << (32 - req->prefix)) : 0;
        if (req->default_route && (!nlab_subnet_contains(&on_link, req->gateway) ||
                                   req->gateway.s_addr == req->ip.s_addr))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "endpoint %s: gateway %s is not another address on its "
                                    "subnet",
                                    req->ctr_ifname,
                                    inet_ntop(AF_INET, &req->gateway, gw, sizeof(gw)));
        return 0;
}

static int check_bridge(struct nlab_nl *nl, const char *name, struct nlab_err *err)
{
        struct nlab_link_info info;
        int r;

        r = nlab_link_lookup(nl, name, &info, err);
        if (r < 0)
                return r;
        if (r == 0 || strcmp(info.kind, "bridge"))
                return nlab_err_set(err, NLAB_E_NOTFOUND, "bridge %s: no such bridge", name);
        return 0;
}

/* Everything inside the container once the peer exists there. */
static int configure_inside(struct nlab_nl *ctr, const struct nlab_endpoint_req *req,
                            struct nlab_err *err)
{
        int r;

        r = nlab_addr_add(ctr, req->ctr_ifname, req->ip, req->prefix, err);
        if (r == 0)
                r = nlab_link_set_up(ctr, "lo", 1, err);
        if (r == 0)
                r = nlab_link_set_up(ctr, req->ctr_ifname, 1, err);
        if (r == 0 && req->default_route)
                r = nlab_route_add_default(ctr, req->gateway, req->ctr_ifname, err);
        return r;
}

/* The host end needs no IPv6 either: no link-local address, no solicitations flooded to every
 * port of the bridge (see sandbox.c). Before it goes up; best effort. */
static void host_ipv6_off(const char *ifname)
{
        char key[96];

        snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", ifname);
        nlab_sysctl_write(key, "1", NULL);
}

int nlab_endpoint_attach(const struct nlab_endpoint_req *req, struct nlab_err *err)
{
        nlab_nl_auto *host = NULL;
        nlab_nl_auto *ctr = NULL;
        uint8_t mac[6];
        int r;

        assert(req);
        if (check_req(req, mac, err) < 0)
                return -1;
        host = nlab_nl_open(NULL, err);
        if (!host)
                return -1;
        ctr = nlab_nl_open(req->netns_path, err);
        if (!ctr)
                return -1;
        if (check_bridge(host, req->bridge, err) < 0)
                return -1;

        r = nlab_link_veth_add(host, req->host_ifname, ctr, req->ctr_ifname, mac, req->mtu, err);
        if (r < 0)
                return r; /* nothing made yet */
        host_ipv6_off(req->host_ifname);
        r = nlab_link_set_master(host, req->host_ifname, req->bridge, err);
        if (r == 0)
                r = nlab_link_set_hairpin(host, req->host_ifname, err);
        if (r == 0)
                r = configure_inside(ctr, req, err);
        /* Up last: the carrier then comes up after our last netlink request, and the bridge's
         * walk over its ports (in the kernel's linkwatch worker, holding RTNL) no longer makes
         * the route above wait for it, a wait that grew with the number of ports. */
        if (r == 0)
                r = nlab_link_set_up(host, req->host_ifname, 1, err);
        if (r < 0)
                goto undo_veth;
        return 0;
undo_veth:
        nlab_link_delete(host, req->host_ifname, NULL); /* takes the peer along */
        return r;
}

int nlab_endpoint_detach(const char *netns_path, const char *ifname, struct nlab_err *err)
{
        nlab_nl_auto *nl = NULL;
        struct nlab_err open_err;

        if (nlab_ifname_check(ifname, err) < 0)
                return -1;
        nl = nlab_nl_open(netns_path, &open_err);
        if (!nl) {
                /* A netns that is gone took its end of the pair, and so the pair, along. */
                if (open_err.kind == NLAB_E_SYSTEM && open_err.errnum == ENOENT)
                        return 0;
                if (err)
                        *err = open_err;
                return -1;
        }
        return delete_kind(nl, ifname, "veth", err);
}

int nlab_netns_lo_up(const char *netns_path, struct nlab_err *err)
{
        nlab_nl_auto *nl = NULL;

        assert(netns_path);
        nl = nlab_nl_open(netns_path, err);
        if (!nl)
                return -1;
        return nlab_link_set_up(nl, "lo", 1, err);
}

/* FNV-1a over "ctr_id\0net_id": 48 bits make a clash between two endpoints vanishingly rare. */
void nlab_endpoint_host_ifname(const char *ctr_id, const char *net_id, char out[NLAB_IFNAMSIZ])
{
        uint64_t hash = 0xcbf29ce484222325ull;
        const char *parts[2] = {ctr_id, net_id};
        size_t i, j;

        for (i = 0; i < 2; i++) {
                for (j = 0; parts[i] && parts[i][j]; j++)
                        hash = (hash ^ (uint8_t)parts[i][j]) * 0x100000001b3ull;
                hash = (hash ^ 0) * 0x100000001b3ull;
        }
        snprintf(out, NLAB_IFNAMSIZ, NLAB_ENDPOINT_PREFIX "%012llx",
                 (unsigned long long)(hash & 0xffffffffffffull));
}
