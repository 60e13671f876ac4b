#include "runtime/netglue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container.h"
#include "runtime/attach.h"
#include "runtime/dnsctl.h"
#include "runtime/endpoint.h"
#include "runtime/link.h"
#include "runtime/netlink.h"
#include "runtime/firewall.h"
#include "runtime/ports.h"
#include "runtime/network.h"
#include "runtime/sysctl.h"

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

static const char *net_subnet(const json_t *net)
{
        return json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0), "Subnet"));
}

/* The network's entries in the firewall sets: bridge, subnet, internal (icc goes by port). */
static int fw_network(const json_t *net, bool add, struct nlab_err *err)
{
        const char *subnet = net_subnet(net);
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

/* Forwarding as found: record ip_forward before the first change; if it was off, the noforward
 * element goes in before forwarding comes on, so the host never routes for others, even briefly.
 */
static int host_forwarding(struct nlab_store *st, struct nlab_err *err)
{
        struct nlab_fwb b;
        bool was_off;
        int r;

        if (nlab_forward_record(st->root, &was_off, err) < 0)
                return -1;
        if (was_off) {
                nlab_fwb_init(&b);
                r = nlab_fw_build_noforward(&b, true, err);
                if (r == 0)
                        r = nlab_fw_send(&b, err);
                nlab_fwb_free(&b);
                if (r < 0)
                        return r;
        }
        return nlab_sysctl_ip_forward(err);
}

static int rebuild_networks(struct nlab_store *st, struct nlab_fwb *b, struct nlab_err *err)
{
        json_t *all, *net;
        size_t i;
        int r = 0;

        if (nlab_network_list(st, &all, err) < 0)
                return -1;
        json_array_foreach(all, i, net)
        {
                if (!nlab_netglue_bridge(net) || !net_subnet(net))
                        continue;
                r = nlab_fw_build_network(b, true, nlab_netglue_bridge(net), net_subnet(net),
                                          json_is_true(json_object_get(net, "Internal")), err);
                if (r < 0)
                        break;
        }
        json_decref(all);
        return r;
}

/* A running container's ports' anti-spoofing elements (without them its ports send nothing),
 * and its published ports, as its record says they are published. */
static int rebuild_ctr_ports(struct nlab_store *st, const char *id, struct nlab_fwb *b,
                             struct nlab_err *err)
{
        json_t *state = NULL, *cfg = NULL;
        struct nlab_port_mapping *m = NULL;
        const char *target;
        size_t n = 0;
        int r = 0;

        if (nlab_store_load(st, id, "state.json", &state, NULL) < 0 ||
            !nlab_container_running(state) ||
            nlab_store_load(st, id, "config.json", &cfg, NULL) < 0)
                goto out;
        r = nlab_attach_build_filters(st, id, cfg, b, err);
        if (r < 0)
                goto out;
        target = json_string_value(
            json_object_get(json_object_get(cfg, "NetworkSettings"), "PortsTarget"));
        if (!target)
                goto out;
        if (nlab_ports_mappings(cfg, &m, &n) < 0)
                r = nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        else if (n > 0)
                r = nlab_fw_build_ports(b, true, m, n, target, err);
        free(m);
out:
        json_decref(state);
        json_decref(cfg);
        return r;
}

/* Everything the table held, from the records, in one batch: the layout, every bridge
 * network, noforward, and the running containers' ports (skip_id's are about to be added). */
static int fw_rebuild(struct nlab_store *st, const char *skip_id, struct nlab_err *err)
{
        struct nlab_fwb b;
        char **ids = NULL;
        size_t n = 0;
        bool was_off = false;
        int r;

        nlab_fwb_init(&b);
        r = nlab_fw_build_ensure(&b, err);
        if (r == 0)
                r = rebuild_networks(st, &b, err);
        if (r == 0)
                r = nlab_forward_record(st->root, &was_off, err);
        if (r == 0 && was_off)
                r = nlab_fw_build_noforward(&b, true, err);
        if (r == 0)
                r = nlab_store_list(st, &ids, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (!skip_id || strcmp(ids[i], skip_id))
                        r = rebuild_ctr_ports(st, ids[i], &b, err);
        if (r == 0)
                r = nlab_fw_send(&b, err);
        nlab_store_free_list(ids, n);
        nlab_fwb_free(&b);
        /* the batch is atomic: if it failed because another command rebuilt first, fine */
        if (r < 0 && nlab_fw_present(NULL) == 1)
                return 0;
        return r;
}

int nlab_netglue_fw_check(struct nlab_store *st, const char *skip_id, struct nlab_err *err)
{
        int r = nlab_fw_present(err);

        if (r != 0)
                return r < 0 ? -1 : 0;
        if (fw_rebuild(st, skip_id, err) < 0) {
                nlab_err_prefix(err, "rebuilding the missing nftables table inet %s",
                                NLAB_FW_TABLE);
                return -1;
        }
        return 0;
}

int nlab_netglue_network_ensure(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *bridge = nlab_netglue_bridge(net);

        if (!bridge)
                return 0;
        if (nlab_network_bridge_claim(st, bridge, true, err) < 0)
                return -1;
        if (realized(bridge))
                return nlab_netglue_fw_check(st, NULL, err);
        return nlab_netglue_network_up(st, net, err);
}

int nlab_netglue_network_up(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *bridge = nlab_netglue_bridge(net);
        struct nlab_pool p;

        if (!bridge)
                return 0; /* host and none have no kernel side */
        if (nlab_netglue_fw_check(st, NULL, err) < 0 || nlab_network_pool(net, &p, err) < 0 ||
            nlab_bridge_ensure(bridge, p.gateway, p.subnet.prefix, mtu_of(net), err) < 0 ||
            nlab_network_bridge_claim(st, bridge, true, err) < 0)
                return -1;
        if (fw_network(net, true, err) < 0 || host_forwarding(st, err) < 0) {
                nlab_err_prefix(err, "network %s: firewall", net_name(net));
                fw_network(net, false, NULL);
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
        if (bridge && nlab_network_bridge_claim(st, bridge, false, NULL) == 0) {
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
