#include "runtime/net/netglue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/attach.h"
#include "runtime/net/dnsctl.h"
#include "runtime/net/keepctl.h"
#include "runtime/kernel/endpoint.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/firewall.h"
#include "runtime/net/ports.h"
#include "runtime/net/network.h"
#include "runtime/kernel/sysctl.h"

static const char *net_gateway(const struct nlab_net *net, char buf[INET_ADDRSTRLEN])
{
        return inet_ntop(AF_INET, &net->pool.gateway, buf, INET_ADDRSTRLEN);
}

/* The network's entries in the firewall sets: bridge, subnet, internal (icc goes by port). */
static int fw_network(const struct nlab_net *net, bool add, struct nlab_err *err)
{
        char subnet[NLAB_CIDR_STRLEN];

        nlab_cidr_format(&net->pool.subnet, subnet);
        if (add)
                return nlab_fw_network_add(net->bridge, subnet, net->internal, err);
        return nlab_fw_network_del(net->bridge, subnet, net->internal, err);
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
        struct nlab_net *all;
        size_t i, n;
        int r = 0;

        if (nlab_network_list(st, &all, &n, err) < 0)
                return -1;
        for (i = 0; i < n && r == 0; i++) {
                char subnet[NLAB_CIDR_STRLEN];
                if (!all[i].bridge[0])
                        continue;
                r = nlab_fw_build_network(b, true, all[i].bridge,
                                          nlab_cidr_format(&all[i].pool.subnet, subnet),
                                          all[i].internal, err);
        }
        free(all);
        return r;
}

/* A running container's ports' anti-spoofing elements (without them its ports send nothing),
 * and its published ports, as its record says they are published. */
static int rebuild_ctr_ports(struct nlab_store *st, const char *id, struct nlab_fwb *b,
                             struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_port_mapping *m = NULL;
        struct nlab_ctr_config cfg;
        struct nlab_ctr_endpoints nets;
        size_t n = 0;
        int r = 0;

        if (nlab_store_load_state(st, id, &state, NULL) < 0 || state.status != NLAB_CTR_RUNNING ||
            nlab_store_load_config(st, id, &cfg, NULL) < 0)
                return 0;
        nets = nlab_ctr_config_endpoints(&cfg);
        r = nlab_attach_build_filters(st, id, &nets, b, err);
        if (r < 0 || !cfg.ports_target)
                goto out;
        if (nlab_ports_mappings(&cfg, &m, &n) < 0)
                r = nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        else if (n > 0)
                r = nlab_fw_build_ports(b, true, m, n, cfg.ports_target, err);
        free(m);
out:
        nlab_ctr_config_free(&cfg);
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

int nlab_netglue_network_ensure(struct nlab_store *st, const struct nlab_net *net,
                                struct nlab_err *err)
{
        const char *bridge = net->bridge;

        if (!bridge[0])
                return 0;
        if (nlab_network_bridge_claim(st, bridge, true, err) < 0)
                return -1;
        if (realized(bridge))
                return nlab_netglue_fw_check(st, NULL, err);
        return nlab_netglue_network_up(st, net, err);
}

int nlab_netglue_network_up(struct nlab_store *st, const struct nlab_net *net, struct nlab_err *err)
{
        const char *bridge = net->bridge;
        char gw[INET_ADDRSTRLEN];

        if (!bridge[0])
                return 0; /* host and none have no kernel side */
        if (nlab_netglue_fw_check(st, NULL, err) < 0 ||
            nlab_bridge_ensure(bridge, net->pool.gateway, net->pool.subnet.prefix, net->mtu, err) <
                0 ||
            nlab_network_bridge_claim(st, bridge, true, err) < 0)
                return -1;
        if (fw_network(net, true, err) < 0 || host_forwarding(st, err) < 0) {
                nlab_err_prefix(err, "network %s: firewall", net->name);
                fw_network(net, false, NULL);
                nlab_bridge_remove(bridge, NULL);
                return -1;
        }
        /* Name discovery is for user-defined networks only, as in Docker. */
        if (nlab_network_is_user(net) &&
            nlab_dns_put_network(st->root, net->name, net_gateway(net, gw), net->internal, err) <
                0) {
                nlab_err_prefix(err, "network %s: DNS", net->name);
                fw_network(net, false, NULL);
                nlab_bridge_remove(bridge, NULL);
                return -1;
        }
        return 0;
}

void nlab_netglue_network_down(struct nlab_store *st, const struct nlab_net *net)
{
        if (nlab_network_is_user(net))
                nlab_dns_drop_network(st->root, net->name, NULL);
        if (net->bridge[0] && nlab_network_bridge_claim(st, net->bridge, false, NULL) == 0) {
                fw_network(net, false, NULL);
                nlab_bridge_remove(net->bridge, NULL);
        }
}

/* The strings of sv, borrowed from it; NULL (with *n = 0) for none. */
static const char **strings_of(const struct nlab_strv *sv, size_t *n)
{
        const char **v;
        size_t i;

        *n = 0;
        if (sv->n == 0)
                return NULL;
        v = calloc(sv->n, sizeof(*v));
        if (!v)
                return NULL;
        for (i = 0; i < sv->n; i++)
                v[(*n)++] = sv->v[i];
        return v;
}

static void free_endpoints(struct nlab_dns_endpoint *eps, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                free((void *)eps[i].aliases);
        free(eps);
}

/* The container's endpoints on user-defined networks, every one of them. */
static int dns_endpoints(const struct nlab_ctr_config *cfg, struct nlab_dns_endpoint **out,
                         size_t *n, struct nlab_err *err)
{
        struct nlab_dns_endpoint *eps = calloc(cfg->n_networks + 1, sizeof(*eps));
        size_t i;

        *n = 0;
        if (!eps)
                return nlab_err_sys(err, ENOMEM, "DNS records");
        for (i = 0; i < cfg->n_networks; i++) {
                const struct nlab_ctr_endpoint *ep = &cfg->networks[i];
                if (nlab_network_is_predefined(ep->network) || !ep->ip_address)
                        continue;
                eps[*n].network = ep->network;
                eps[*n].ip = ep->ip_address;
                eps[*n].aliases = strings_of(&ep->aliases, &eps[*n].n_aliases);
                if (ep->aliases.n && !eps[*n].aliases) {
                        free_endpoints(eps, *n);
                        return nlab_err_sys(err, ENOMEM, "DNS records");
                }
                (*n)++;
        }
        *out = eps;
        return 0;
}

/* Register the container's names on its user-defined networks; none left means drop. */
static int sync_dns(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg,
                    struct nlab_err *err)
{
        struct nlab_dns_container c = {0};
        struct nlab_dns_endpoint *eps = NULL;
        const char **servers;
        size_t n;
        int r;

        if (dns_endpoints(cfg, &eps, &n, err) < 0)
                return -1;
        if (n == 0) {
                free(eps);
                return nlab_dns_drop_container(st->root, id, err);
        }
        servers = strings_of(&cfg->dns, &c.n_dns_servers);
        if (cfg->dns.n && !servers) {
                free_endpoints(eps, n);
                return nlab_err_sys(err, ENOMEM, "DNS records");
        }
        c.id = id;
        c.name = cfg->name;
        c.dns_servers = servers;
        c.endpoints = eps;
        c.n_endpoints = n;
        r = nlab_dns_put_container(st->root, &c, err);
        free(servers);
        free_endpoints(eps, n);
        return r;
}

/* Published ports go to the container's address on its first network that has one. */
static const char *port_target(const struct nlab_ctr_config *cfg)
{
        size_t i;

        for (i = 0; i < cfg->n_networks; i++)
                if (cfg->networks[i].ip_address)
                        return cfg->networks[i].ip_address;
        return NULL;
}

/* Rootless: the keeper listens on the real host for m[0..n) and connects to ip in the lab host.
 * A forward the keeper still has for one of these ports is stale (the claim is ours): replaced. */
static int keeper_add(const char *root, const struct nlab_port_mapping *m, size_t n, const char *ip,
                      struct nlab_err *err)
{
        size_t i;

        for (i = 0; i < n; i++) {
                nlab_keepctl_remove(root, &m[i], NULL);
                if (nlab_keepctl_add(root, &m[i], ip, err) < 0)
                        break;
        }
        if (i == n)
                return 0;
        while (i-- > 0)
                nlab_keepctl_remove(root, &m[i], NULL);
        return -1;
}

static void keeper_del(const char *root, const struct nlab_port_mapping *m, size_t n)
{
        for (size_t i = 0; i < n; i++)
                nlab_keepctl_remove(root, &m[i], NULL);
}

/* The keeper's side of fw_ports, after the lab host's rules (which keep the lab host's own
 * addresses working as in root mode); on failure the rules are put back as they were. */
static int keeper_ports(const char *root, const struct nlab_port_mapping *m, size_t n,
                        const char *old_ip, const char *new_ip, struct nlab_err *err)
{
        if (n == 0 || !nlab_keepctl_active(root))
                return 0;
        if (old_ip)
                keeper_del(root, m, n);
        if (!new_ip || keeper_add(root, m, n, new_ip, err) == 0)
                return 0;
        if (old_ip) {
                nlab_fw_ports_move(m, n, new_ip, old_ip, NULL);
                keeper_add(root, m, n, old_ip, NULL);
        } else {
                nlab_fw_ports_del(m, n, new_ip, NULL);
        }
        return -1;
}

/* Publish (old NULL), unpublish (new NULL) or move the container's ports in one batch, so a
 * host port never becomes free while the container changes networks. */
static int fw_ports(const char *root, const struct nlab_ctr_config *cfg, const char *old_ip,
                    const char *new_ip, struct nlab_err *err)
{
        struct nlab_port_mapping *m = NULL;
        size_t n = 0;
        int r = 0;

        if (!old_ip && !new_ip)
                return 0;
        if (nlab_ports_mappings(cfg, &m, &n) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        if (n > 0 && old_ip && new_ip)
                r = nlab_fw_ports_move(m, n, old_ip, new_ip, err);
        else if (n > 0)
                r = new_ip ? nlab_fw_ports_add(m, n, new_ip, err)
                           : nlab_fw_ports_del(m, n, old_ip, err);
        if (r == 0 || !new_ip)
                r = keeper_ports(root, m, n, old_ip, new_ip, r == 0 ? err : NULL) < 0 ? -1 : r;
        free(m);
        return r;
}

/* Point the published ports at the current target. */
static int sync_ports(const char *root, struct nlab_ctr_config *cfg, struct nlab_err *err)
{
        const char *old = cfg->ports_target;
        const char *target = port_target(cfg);
        int r;

        if (old && target && !strcmp(old, target))
                return 0;
        r = fw_ports(root, cfg, old, target, err);
        if (r < 0)
                return r;
        if (nlab_ctr_config_set(&cfg->ports_target, target) < 0)
                return nlab_err_sys(err, ENOMEM, "ports");
        return 0;
}

int nlab_netglue_ctr_up(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                        struct nlab_err *err)
{
        if (sync_ports(st->root, cfg, err) < 0)
                return -1;
        if (sync_dns(st, id, cfg, err) < 0) {
                nlab_err_prefix(err, "DNS");
                nlab_netglue_ctr_down(st, id, cfg);
                return -1;
        }
        return 0;
}

void nlab_netglue_ctr_down(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg)
{
        const char *target = cfg->ports_target;

        fw_ports(st->root, cfg, target ? target : port_target(cfg), NULL, NULL);
        nlab_dns_drop_container(st->root, id, NULL);
}
