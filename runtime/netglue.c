#include "runtime/netglue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/dnsctl.h"
#include "runtime/endpoint.h"
#include "runtime/link.h"
#include "runtime/netlink.h"
#include "runtime/firewall.h"
#include "runtime/ports.h"
#include "runtime/network.h"

const char *nlab_netglue_bridge(const json_t *net)
{
        return json_string_value(
            json_object_get(json_object_get(net, "Options"), "com.docker.network.bridge.name"));
}

static unsigned mtu_of(const json_t *net)
{
        const json_t *o = json_object_get(net, "Options");
        const char *v = json_string_value(json_object_get(o, "mtu"));

        if (!v)
                v = json_string_value(json_object_get(o, "com.docker.network.driver.mtu"));
        return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

static const char *net_name(const json_t *net)
{
        return json_string_value(json_object_get(net, "Name"));
}

static const char *net_gateway(const json_t *net)
{
        return json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0), "Gateway"));
}

bool nlab_netglue_icc(const json_t *net)
{
        const json_t *o = json_object_get(net, "Options");
        const char *v = json_string_value(json_object_get(o, "icc"));

        if (!v)
                v = json_string_value(json_object_get(o, "com.docker.network.bridge.enable_icc"));
        return !v || strcmp(v, "false") != 0;
}

/* The network's entries in the firewall sets: bridge, subnet, internal (icc goes by port). */
static int fw_network(const json_t *net, bool add, struct nlab_err *err)
{
        const char *subnet = json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0), "Subnet"));
        bool internal = json_is_true(json_object_get(net, "Internal"));

        if (add)
                return nlab_fw_network_add(nlab_netglue_bridge(net), subnet, internal, err);
        return nlab_fw_network_del(nlab_netglue_bridge(net), subnet, internal, err);
}

/* The bridge exists: the network was realized (the bridge is made first and removed last). */
static bool realized(const char *bridge)
{
        struct nlab_nl *nl = nlab_nl_open(NULL, NULL);
        int found;

        if (!nl)
                return false;
        found = nlab_link_lookup(nl, bridge, NULL, NULL);
        nlab_nl_close(nl);
        return found == 1;
}

int nlab_netglue_network_ensure(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *bridge = nlab_netglue_bridge(net);

        if (!bridge || realized(bridge))
                return 0;
        return nlab_netglue_network_up(st, net, err);
}

int nlab_netglue_network_up(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *bridge = nlab_netglue_bridge(net);
        struct nlab_pool p;

        if (!bridge)
                return 0; /* host and none have no kernel side */
        if (nlab_network_pool(net, &p, err) < 0 ||
            nlab_bridge_ensure(bridge, p.gateway, p.subnet.prefix, mtu_of(net), err) < 0)
                return -1;
        if (fw_network(net, true, err) < 0) {
                nlab_err_prefix(err, "network %s: firewall", net_name(net));
                nlab_bridge_remove(bridge, NULL);
                return -1;
        }
        /* Name discovery is for user-defined networks only, as in Docker. */
        if (nlab_network_is_user(net) &&
            nlab_dns_put_network(st->root, net_name(net), net_gateway(net),
                                 json_is_true(json_object_get(net, "Internal")), err) < 0) {
                nlab_err_prefix(err, "network %s: DNS", net_name(net));
                fw_network(net, false, NULL);
                nlab_bridge_remove(bridge, NULL);
                return -1;
        }
        return 0;
}

void nlab_netglue_network_down(struct nlab_store *st, const json_t *net)
{
        const char *bridge = nlab_netglue_bridge(net);

        if (nlab_network_is_user(net))
                nlab_dns_drop_network(st->root, net_name(net), NULL);
        if (bridge) {
                fw_network(net, false, NULL);
                nlab_bridge_remove(bridge, NULL);
        }
}

static size_t strings_of(const json_t *arr, const char **out, size_t max)
{
        size_t i, n = 0;

        for (i = 0; i < json_array_size(arr) && n < max; i++)
                out[n++] = json_string_value(json_array_get(arr, i));
        return n;
}

/* Register the container's names on its user-defined networks; none left means drop. */
static int sync_dns(struct nlab_store *st, const char *id, const json_t *cfg, struct nlab_err *err)
{
        const json_t *nets = json_object_get(json_object_get(cfg, "NetworkSettings"), "Networks");
        const json_t *ep;
        const char *name, *servers[16], *aliases[16][32];
        struct nlab_dns_endpoint eps[16];
        struct nlab_dns_container c = {0};
        size_t n = 0;

        json_object_foreach((json_t *)nets, name, ep)
        {
                if (nlab_network_is_predefined(name) || n >= 16 ||
                    !json_object_get(ep, "IPAddress"))
                        continue;
                eps[n].network = name;
                eps[n].ip = json_string_value(json_object_get(ep, "IPAddress"));
                eps[n].n_aliases = strings_of(json_object_get(ep, "Aliases"), aliases[n], 32);
                eps[n].aliases = aliases[n];
                n++;
        }
        if (n == 0)
                return nlab_dns_drop_container(st->root, id, err);
        c.id = id;
        c.name = json_string_value(json_object_get(cfg, "Name"));
        c.n_dns_servers =
            strings_of(json_object_get(json_object_get(cfg, "HostConfig"), "Dns"), servers, 16);
        c.dns_servers = servers;
        c.endpoints = eps;
        c.n_endpoints = n;
        return nlab_dns_put_container(st->root, &c, err);
}

/* Published ports go to the container's address on its first network that has one. */
static const char *port_target(const json_t *cfg)
{
        const json_t *nets = json_object_get(json_object_get(cfg, "NetworkSettings"), "Networks");
        const json_t *ep;
        const char *name;

        json_object_foreach((json_t *)nets, name, ep) if (
            json_string_value(json_object_get(
                ep, "IPAddress"))) return json_string_value(json_object_get(ep, "IPAddress"));
        return NULL;
}

static int fw_ports(const json_t *cfg, const char *target, bool add, struct nlab_err *err)
{
        struct nlab_port_mapping *m = NULL;
        size_t n = 0;
        int r = 0;

        if (!target)
                return 0;
        if (nlab_ports_mappings(cfg, &m, &n) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        if (n > 0)
                r = add ? nlab_fw_ports_add(m, n, target, err)
                        : nlab_fw_ports_del(m, n, target, err);
        free(m);
        return r;
}

/* Point the published ports at the current target; the old target (if any) is unpublished. */
static int sync_ports(json_t *cfg, struct nlab_err *err)
{
        json_t *ns = json_object_get(cfg, "NetworkSettings");
        const char *old = json_string_value(json_object_get(ns, "PortsTarget"));
        const char *target = port_target(cfg);
        char *was = old ? strdup(old) : NULL;
        int r = 0;

        if (was && target && !strcmp(was, target)) {
                free(was);
                return 0;
        }
        if (was)
                fw_ports(cfg, was, false, NULL);
        if (target)
                r = fw_ports(cfg, target, true, err);
        if (r == 0 && target)
                json_object_set_new(ns, "PortsTarget", json_string(target));
        else
                json_object_del(ns, "PortsTarget");
        free(was);
        return r;
}

int nlab_netglue_ctr_up(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err)
{
        if (sync_ports(cfg, err) < 0)
                return -1;
        if (sync_dns(st, id, cfg, err) < 0) {
                nlab_err_prefix(err, "DNS");
                nlab_netglue_ctr_down(st, id, cfg);
                return -1;
        }
        return 0;
}

void nlab_netglue_ctr_down(struct nlab_store *st, const char *id, const json_t *cfg)
{
        const char *target = json_string_value(
            json_object_get(json_object_get(cfg, "NetworkSettings"), "PortsTarget"));

        fw_ports(cfg, target ? target : port_target(cfg), false, NULL);
        nlab_dns_drop_container(st->root, id, NULL);
}
