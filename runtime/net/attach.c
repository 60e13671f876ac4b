#include "runtime/net/attach.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/kernel/endpoint.h"
#include "runtime/base/fsutil.h"
#include "runtime/kernel/fwbridge.h"
#include "runtime/net/hostsfile.h"
#include "runtime/base/ids.h"
#include "runtime/base/ipam.h"
#include "runtime/net/network.h"

int nlab_attach_request(const struct nlab_net *net, const char *ip, const char *mac,
                        const struct nlab_strv *aliases, struct nlab_ctr_endpoint *ep,
                        struct nlab_err *err)
{
        const char *name = net->name;
        bool user = nlab_network_is_user(net);
        uint8_t macb[6];

        if (ip && !user)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "user specified IP address (--ip %s) is supported on "
                                    "user-defined networks only, not on \"%s\"",
                                    ip, name);
        if (ip && !net->user_subnet) {
                char sub[NLAB_CIDR_STRLEN];
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "user specified IP address (--ip %s) is supported only on "
                                    "networks with a user configured subnet: network \"%s\" got "
                                    "%s from the default pools (create it with --subnet)",
                                    ip, name, nlab_cidr_format(&net->pool.subnet, sub));
        }
        if (aliases && aliases->n && !user)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "network-scoped aliases are supported only for containers in "
                                    "user-defined networks, not on \"%s\"",
                                    name);
        if (ip) {
                struct in_addr a;
                if (nlab_ip_parse(ip, "--ip", &a, err) < 0 ||
                    nlab_ipam_check_static(&net->pool, a, err) < 0)
                        return -1;
        }
        if (mac && nlab_mac_parse(mac, macb, err) < 0)
                return -1;
        memset(ep, 0, sizeof(*ep));
        if (nlab_ctr_config_set(&ep->network, name) < 0 ||
            nlab_ctr_config_set(&ep->ipam_ip, ip) < 0 || nlab_ctr_config_set(&ep->mac, mac) < 0)
                goto oom;
        if (nlab_strv_append(&ep->aliases, aliases) < 0)
                goto oom;
        return 0;
oom:
        nlab_ctr_endpoint_free(ep);
        return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
}

struct claim_ctx {
        struct nlab_store *st;
        char dir[PATH_MAX];
        const char *net;
        const char *ctr_id;
        const char *ip; /* the address being claimed */
        nlab_attach_held_fn held;
};

static bool address_held(const struct nlab_store *st, const char *holder, void *vctx)
{
        const struct claim_ctx *ctx = vctx;

        return ctx->held(st, holder, ctx->net, ctx->ip);
}

static int claim_file(void *vctx, struct in_addr a, struct nlab_err *err)
{
        struct claim_ctx *ctx = vctx;
        char path[PATH_MAX + 32], ip[INET_ADDRSTRLEN], holder[NLAB_ID_LEN + 1];

        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        snprintf(path, sizeof(path), "%s/%s", ctx->dir, ip);
        ctx->ip = ip;
        /* O_EXCL makes the claim atomic; a claim left by a killed create or connect is taken
         * over. */
        return nlab_store_claim_file(ctx->st, path, ctx->ctr_id, holder,
                                     ctx->held ? address_held : NULL, ctx, err);
}

static struct in_addr read_hint(const char *path)
{
        struct in_addr a = {0};
        char *text = NULL;

        if (nlab_read_file(path, &text, NULL, NULL) == 0) {
                text[strcspn(text, "\n")] = '\0';
                inet_pton(AF_INET, text, &a);
        }
        free(text);
        return a;
}

static int claim_address(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                         const char *static_ip, nlab_attach_held_fn held, struct in_addr *out,
                         struct nlab_err *err)
{
        struct claim_ctx ctx = {.st = st, .net = net->name, .ctr_id = ctr_id, .held = held};
        char hint_path[PATH_MAX], next[INET_ADDRSTRLEN];
        struct in_addr hint;
        int r;

        if (!net->has_pool)
                return nlab_err_set(err, NLAB_E_INVALID, "network %s has no subnet", net->name);
        if (nlab_network_path(st, net->name, "ips", ctx.dir, sizeof(ctx.dir), err) < 0 ||
            nlab_network_path(st, net->name, "next", hint_path, sizeof(hint_path), err) < 0)
                return -1;
        if (static_ip) {
                if (nlab_ip_parse(static_ip, "--ip", out, err) < 0)
                        return -1;
                r = claim_file(&ctx, *out, err);
                if (r == 1)
                        return nlab_err_set(err, NLAB_E_CONFLICT,
                                            "address %s is already in use on network %s", static_ip,
                                            net->name);
                return r;
        }
        /* Start after the last address handed out, so a run costs the same however many exist. */
        hint = read_hint(hint_path);
        if (hint.s_addr)
                hint.s_addr = htonl(ntohl(hint.s_addr) + 1);
        if (nlab_ipam_alloc(&net->pool, hint, claim_file, &ctx, out, err) < 0)
                return -1;
        inet_ntop(AF_INET, out, next, sizeof(next));
        nlab_write_file(hint_path, next, strlen(next), 0600, NULL);
        return 0;
}

/* The fields a claim gives the endpoint. */
static int fill_claimed(struct nlab_ctr_endpoint *ep, const struct nlab_net *net, const char *epid,
                        struct in_addr a)
{
        char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], macbuf[NLAB_MAC_STRLEN];
        const char *mac = ep->mac;

        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        inet_ntop(AF_INET, &net->pool.gateway, gw, sizeof(gw));
        if (!mac || !mac[0]) {
                uint8_t m[6];
                nlab_mac_from_ip(a, m);
                mac = nlab_mac_format(m, macbuf);
        }
        ep->has_prefix = true;
        ep->prefix_len = net->pool.subnet.prefix;
        return nlab_ctr_config_set(&ep->network_id, net->id) < 0 ||
                       nlab_ctr_config_set(&ep->endpoint_id, epid) < 0 ||
                       nlab_ctr_config_set(&ep->gateway, gw) < 0 ||
                       nlab_ctr_config_set(&ep->ip_address, ip) < 0 ||
                       nlab_ctr_config_set(&ep->mac, mac) < 0
                   ? -1
                   : 0;
}

int nlab_attach_claim(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                      const char *ctr_name, struct nlab_ctr_endpoint *ep, nlab_attach_held_fn held,
                      struct nlab_err *err)
{
        char epid[NLAB_ID_LEN + 1], path[PATH_MAX];
        struct in_addr a;
        json_t *rec;
        int r;

        if (claim_address(st, net, ctr_id, ep->ipam_ip, held, &a, err) < 0 ||
            nlab_id_new(epid, err) < 0)
                return -1;
        if (fill_claimed(ep, net, epid, a) < 0) {
                r = nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
                goto release;
        }
        rec = json_pack("{s:s,s:s}", "Name", ctr_name, "IPAddress", ep->ip_address);
        r = nlab_network_path(st, net->name, "endpoints", path, sizeof(path), err);
        if (r == 0) {
                char *text = json_dumps(rec, JSON_COMPACT);
                size_t len = strlen(path);
                snprintf(path + len, sizeof(path) - len, "/%s", ctr_id);
                r = nlab_write_file(path, text, strlen(text), 0600, err);
                free(text);
        }
        json_decref(rec);
release:
        if (r < 0) {
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &a, ip, sizeof(ip));
                nlab_ctr_config_set(&ep->ip_address, ip);
                nlab_attach_release(st, net->name, ctr_id, ep);
        }
        return r;
}

void nlab_attach_release(struct nlab_store *st, const char *name, const char *ctr_id,
                         const struct nlab_ctr_endpoint *ep)
{
        const char *ip = ep->ip_address;
        char path[PATH_MAX];

        if (nlab_network_path(st, name, "endpoints", path, sizeof(path), NULL) == 0) {
                size_t len = strlen(path);
                snprintf(path + len, sizeof(path) - len, "/%s", ctr_id);
                unlink(path);
        }
        if (!ip || nlab_network_path(st, name, "ips", path, sizeof(path), NULL) < 0)
                return;
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", ip);
        nlab_unlink_if_owner(path, ctr_id);
}

/* What the firewall lets a port send: its MAC and address, and, for a container on several
 * networks, the other networks' subnets both ways, since a router's forwarded packets keep their
 * original source. Names and routes live in the caller's arrays, sized for nets. */
struct port_plan {
        struct nlab_fw_port port;
        char ifname[NLAB_IFNAMSIZ];
        char (*others)[NLAB_IFNAMSIZ];
        struct nlab_fw_route *routes;
};

static int ep_subnet(const struct nlab_ctr_endpoint *ep, struct in_addr *ip, unsigned *prefix)
{
        long long len = ep->prefix_len;
        const char *s = ep->ip_address;

        if (!s || inet_pton(AF_INET, s, ip) != 1 || len < 1 || len > 32)
                return -1;
        *prefix = (unsigned)len;
        return 0;
}

static int plan_port(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                     const struct nlab_ctr_endpoints *nets, bool icc, struct port_plan *pl,
                     struct nlab_err *err)
{
        const char *net_id = ep->network_id;
        struct in_addr ip;
        unsigned prefix;
        size_t n = 0, i;

        if (!net_id || ep_subnet(ep, &ip, &prefix) < 0)
                return nlab_err_set(err, NLAB_E_INVALID, "endpoint has no address");
        if (nlab_mac_parse(ep->mac, pl->port.mac, err) < 0)
                return -1;
        nlab_endpoint_host_ifname(ctr_id, net_id, pl->ifname);
        pl->port.ifname = pl->ifname;
        pl->port.ip = ip;
        pl->port.icc = icc;
        pl->port.routes = pl->routes;
        for (i = 0; i < nets->n; i++) {
                const struct nlab_ctr_endpoint *other = &nets->v[i];
                const char *other_id = other->network_id;
                struct in_addr oip;
                unsigned oprefix;

                if (!other_id || !strcmp(other_id, net_id) || ep_subnet(other, &oip, &oprefix) < 0)
                        continue;
                nlab_endpoint_host_ifname(ctr_id, other_id, pl->others[n]);
                pl->routes[2 * n] = (struct nlab_fw_route){pl->ifname, oip, oprefix};
                pl->routes[2 * n + 1] = (struct nlab_fw_route){pl->others[n], ip, prefix};
                n++;
        }
        pl->port.n_routes = 2 * n;
        return 0;
}

/* Enter or remove the anti-spoofing elements of one endpoint, in one batch of their own, or
 * append their entry to `into`. */
static int fw_port(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                   const struct nlab_ctr_endpoints *nets, bool icc, bool add, struct nlab_fwb *into,
                   struct nlab_err *err)
{
        size_t n = nets->n + 1;
        struct port_plan pl = {.others = calloc(n, sizeof(*pl.others)),
                               .routes = calloc(2 * n, sizeof(*pl.routes))};
        int r;

        if (!pl.others || !pl.routes)
                r = nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        else
                r = plan_port(ctr_id, ep, nets, icc, &pl, err);
        if (r == 0 && into)
                r = nlab_fwbridge_build_port(into, add, &pl.port, err);
        else if (r == 0)
                r = add ? nlab_fw_port_add(&pl.port, err) : nlab_fw_port_del(&pl.port, err);
        free(pl.others);
        free(pl.routes);
        return r;
}

int nlab_attach_up(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                   struct nlab_ctr_endpoint *ep, const struct nlab_ctr_endpoints *nets,
                   const char *netns_path, const char *ifname, bool default_route,
                   struct nlab_err *err)
{
        char host_if[NLAB_IFNAMSIZ];
        struct nlab_endpoint_req req = {0};
        const char *ip = ep->ip_address;
        int r;

        if (!ip)
                return nlab_err_set(err, NLAB_E_INVALID, "network %s: endpoint without an address",
                                    net->name);
        if (nlab_network_realize(st, net, err) < 0 ||
            nlab_ip_parse(ip, "address", &req.ip, err) < 0)
                return -1;
        nlab_endpoint_host_ifname(ctr_id, net->id, host_if);
        req.netns_path = netns_path;
        req.bridge = net->bridge;
        req.host_ifname = host_if;
        req.ctr_ifname = ifname;
        req.prefix = net->pool.subnet.prefix;
        req.gateway = net->pool.gateway;
        req.mac = ep->mac;
        req.mtu = net->mtu;
        req.default_route = default_route && !net->internal;
        /* Filtered before it exists: a running container never gets an unfiltered port. */
        if (fw_port(ctr_id, ep, nets, net->icc, true, NULL, err) < 0) {
                nlab_err_prefix(err, "network %s: firewall", net->name);
                return -1;
        }
        r = nlab_endpoint_attach(&req, err);
        if (r < 0 && err && err->errnum == EEXIST) {
                /* A veth of an earlier run whose namespace the kernel has not finished freeing. */
                nlab_endpoint_detach(NULL, host_if, NULL);
                r = nlab_endpoint_attach(&req, err);
        }
        if (r < 0) {
                fw_port(ctr_id, ep, nets, true, false, NULL, NULL);
                nlab_err_prefix(err, "network %s", net->name);
                return -1;
        }
        if (nlab_ctr_config_set(&ep->ifname, ifname) < 0 ||
            nlab_ctr_config_set(&ep->host_ifname, host_if) < 0) {
                nlab_endpoint_detach(NULL, host_if, NULL);
                fw_port(ctr_id, ep, nets, true, false, NULL, NULL);
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        }
        return 0;
}

int nlab_attach_down(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                     const struct nlab_ctr_endpoints *nets, struct nlab_err *err)
{
        struct nlab_err e;
        int r = 0;

        if (ep->host_ifname)
                r = nlab_endpoint_detach(NULL, ep->host_ifname, err);
        if (ep->ip_address && fw_port(ctr_id, ep, nets, true, false, NULL, r < 0 ? &e : err) < 0)
                r = -1;
        return r;
}

void nlab_attach_unfilter(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                          const struct nlab_ctr_endpoints *nets)
{
        if (ep->ip_address)
                fw_port(ctr_id, ep, nets, true, false, NULL, NULL);
}

int nlab_attach_build_filters(struct nlab_store *st, const char *ctr_id,
                              const struct nlab_ctr_endpoints *nets, struct nlab_fwb *b,
                              struct nlab_err *err)
{
        size_t i;

        for (i = 0; i < nets->n; i++) {
                const struct nlab_ctr_endpoint *ep = &nets->v[i];
                struct nlab_net net;

                if (!ep->host_ifname || !ep->ip_address)
                        continue;
                if (nlab_network_load(st, ep->network, &net, err) < 0 ||
                    fw_port(ctr_id, ep, nets, net.icc, true, b, err) < 0)
                        return -1;
        }
        return 0;
}
