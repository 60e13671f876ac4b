#include "runtime/ctr/connect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/net/attach.h"
#include "runtime/base/ipam.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"
#include "runtime/ctr/container.h"
#include "runtime/net/netglue.h"
#include "runtime/ctr/netmode.h"
#include "runtime/base/proc.h"
#include "runtime/net/network.h"

static int check_mode(const json_t *cfg, const char *netname, struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        const char *name = json_string_value(json_object_get(cfg, "Name"));

        if (nlab_netmode_container_ref(mode))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "conflicting options: container %s shares the network "
                                    "namespace of another container and cannot join %s",
                                    name, netname);
        if (!strcmp(mode, "host") || !strcmp(mode, "none"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "container %s uses --network %s and cannot be connected to "
                                    "other networks",
                                    name, mode);
        return 0;
}

/* The first free ethN inside the container. */
static void next_ifname(const json_t *nets, char *buf, size_t size)
{
        int i;

        for (i = 0;; i++) {
                const json_t *ep;
                const char *name;
                bool used = false;
                snprintf(buf, size, "eth%d", i);
                json_object_foreach((json_t *)nets, name, ep) used =
                    used || !strcmp(json_string_value(json_object_get(ep, "IfName")) ?: "", buf);
                if (!used)
                        return;
        }
}

static int plug_live(struct nlab_store *st, const char *id, json_t *cfg,
                     const struct nlab_ctr_state *state, const struct nlab_net *net, json_t *ep,
                     struct nlab_err *err)
{
        char netns[NLAB_NETNS_PATH_LEN], ifname[16];
        json_t *nets = nlab_netmode_networks(cfg);
        bool first = json_object_size(nets) == 1;

        nlab_proc_netns_path(state->pid, netns);
        json_object_del(nets, net->name);
        next_ifname(nets, ifname, sizeof(ifname));
        json_object_set(nets, net->name, ep);
        return nlab_attach_up(st, net, id, ep, nets, netns, ifname, first, err);
}

int nlab_network_connect(struct nlab_store *st, const struct nlab_connect_req *req,
                         struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg = NULL, *ep = NULL, *nets;
        struct nlab_ctr_state state;
        struct nlab_net net;
        const char *netname = net.name;
        bool running;
        int r = -1;

        if (nlab_store_resolve(st, req->container, id, err) < 0 ||
            nlab_network_load(st, req->network, &net, err) < 0)
                return -1;
        if (nlab_store_lock(st, err) < 0)
                goto out;
        if (nlab_container_reconcile(st, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0 || check_mode(cfg, netname, err) < 0)
                goto unlock;
        nets = nlab_netmode_networks(cfg);
        if (!net.bridge[0]) {
                nlab_err_set(err, NLAB_E_INVALID, "container cannot be connected to the %s network",
                             netname);
                goto unlock;
        }
        if (json_object_get(nets, netname)) {
                nlab_err_set(err, NLAB_E_CONFLICT,
                             "endpoint with name %s already exists in network %s",
                             json_string_value(json_object_get(cfg, "Name")), netname);
                goto unlock;
        }
        if (nlab_attach_request(&net, req->ip, req->mac, &req->aliases, &ep, err) < 0 ||
            nlab_attach_claim(st, &net, id, json_string_value(json_object_get(cfg, "Name")), ep,
                              nlab_netmode_address_held, err) < 0)
                goto unlock;
        nlab_store_test_point(st, "connect:ip");
        json_object_set(nets, netname, ep);
        running = nlab_container_running(&state);
        if ((running && plug_live(st, id, cfg, &state, &net, ep, err) < 0) ||
            (running && nlab_netmode_write_hosts(st, id, cfg, err) < 0) ||
            (running && nlab_netmode_write_resolv(st, id, cfg, err) < 0) ||
            (running && nlab_netglue_ctr_up(st, id, cfg, err) < 0) ||
            nlab_store_save(st, id, "config.json", cfg, err) < 0) {
                nlab_attach_down(id, ep, nets, NULL);
                json_object_del(nets, netname);
                nlab_attach_release(st, netname, id, ep);
                if (running) {
                        nlab_netmode_write_hosts(st, id, cfg, NULL);
                        nlab_netmode_write_resolv(st, id, cfg, NULL);
                        nlab_netglue_ctr_up(st, id, cfg, NULL);
                }
                goto unlock;
        }
        r = 0;
unlock:
        nlab_store_unlock(st);
out:
        json_decref(ep);
        json_decref(cfg);
        return r;
}

/* Losing the network that carried the default route would leave replies nowhere to go:
 * route through the first remaining network, as Docker moves the gateway. */
static int keep_default_route(struct nlab_store *st, const json_t *cfg,
                              const struct nlab_ctr_state *state, struct nlab_err *err)
{
        const json_t *nets = nlab_netmode_networks(cfg), *ep;
        char netns[NLAB_NETNS_PATH_LEN];
        const char *name;
        struct nlab_nl *nl;
        int r;

        json_object_foreach((json_t *)nets, name, ep)
        {
                struct in_addr gw;
                struct nlab_net net;
                if (nlab_network_load(st, name, &net, NULL) < 0)
                        continue;
                if (net.internal) /* internal networks never get a default route */
                        continue;
                if (nlab_ip_parse(json_string_value(json_object_get(ep, "Gateway")), "gateway", &gw,
                                  NULL) < 0)
                        continue;
                nlab_proc_netns_path(state->pid, netns);
                nl = nlab_nl_open(netns, err);
                if (!nl)
                        return -1;
                r = nlab_route_add_default(nl, gw, json_string_value(json_object_get(ep, "IfName")),
                                           err);
                nlab_nl_close(nl);
                /* EEXIST: the network that left did not carry the default route. */
                if (r < 0 && err->errnum == EEXIST)
                        return 0;
                if (r < 0)
                        nlab_err_prefix(err, "default route via network %s", name);
                return r;
        }
        return 0;
}

static int keep_first(struct nlab_err *first, const struct nlab_err *e, int r)
{
        if (r == 0)
                *first = *e;
        return -1;
}

/* Take the container off the network while it runs; every step is tried, the first error
 * is kept. */
static int unplug_live(struct nlab_store *st, const char *id, json_t *cfg,
                       const struct nlab_ctr_state *state, const json_t *ep, struct nlab_err *err)
{
        struct nlab_err e;
        int r = 0;

        if (nlab_attach_down(id, ep, nlab_netmode_networks(cfg), &e) < 0)
                r = keep_first(err, &e, r);
        if (keep_default_route(st, cfg, state, &e) < 0)
                r = keep_first(err, &e, r);
        if (nlab_netmode_write_hosts(st, id, cfg, &e) < 0)
                r = keep_first(err, &e, r);
        /* The old nameserver may be the gateway of the network just left. */
        if (nlab_netmode_write_resolv(st, id, cfg, &e) < 0)
                r = keep_first(err, &e, r);
        /* Names and published ports follow the networks that remain. */
        if (nlab_netglue_ctr_up(st, id, cfg, &e) < 0)
                r = keep_first(err, &e, r);
        return r;
}

int nlab_network_disconnect(struct nlab_store *st, const char *network, const char *container,
                            bool force, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg = NULL, *ep, *nets;
        struct nlab_ctr_state state;
        struct nlab_err live_err;
        struct nlab_net net;
        const char *netname = net.name;
        int r = -1, live_r = 0;

        (void)force;
        if (nlab_store_resolve(st, container, id, err) < 0 ||
            nlab_network_load(st, network, &net, err) < 0)
                return -1;
        if (nlab_store_lock(st, err) < 0)
                goto out;
        if (nlab_container_reconcile(st, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0)
                goto unlock;
        nets = nlab_netmode_networks(cfg);
        ep = json_incref(json_object_get(nets, netname));
        if (!ep) {
                nlab_err_set(err, NLAB_E_NOTFOUND, "container %s is not connected to network %s",
                             json_string_value(json_object_get(cfg, "Name")), netname);
                goto unlock;
        }
        json_object_del(nets, netname);
        /* Once unplugging has begun the record must follow, so a failed step is reported after
         * the new record is saved. */
        if (nlab_container_running(&state))
                live_r = unplug_live(st, id, cfg, &state, ep, &live_err);
        nlab_attach_release(st, netname, id, ep);
        json_decref(ep);
        r = nlab_store_save(st, id, "config.json", cfg, err);
        if (r == 0 && live_r < 0) {
                if (err)
                        *err = live_err;
                nlab_err_prefix(err, "container %s left network %s, but not cleanly",
                                json_string_value(json_object_get(cfg, "Name")), netname);
                r = -1;
        }
unlock:
        nlab_store_unlock(st);
out:
        json_decref(cfg);
        return r;
}

/* A container's record and whether it runs (a dead shim counts as stopped). */
static bool ctr_running(struct nlab_store *st, const char *id, json_t **cfg)
{
        struct nlab_ctr_state state;

        if (nlab_container_load(st, id, cfg, &state, NULL) < 0)
                return false;
        return nlab_container_running(&state);
}

/* Under the lock: the names of the running containers on the network, or "". */
static int running_names(struct nlab_store *st, const char *name, char *busy, size_t size,
                         struct nlab_err *err)
{
        char **ids;
        size_t i, n, len = 0;

        busy[0] = '\0';
        if (nlab_network_endpoints(st, name, &ids, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++) {
                json_t *cfg = NULL;
                /* rm changes state: a container whose shim died is finished first */
                if (nlab_container_reconcile(st, ids[i], err) < 0) {
                        nlab_store_free_list(ids, n);
                        return -1;
                }
                if (ctr_running(st, ids[i], &cfg))
                        len += (size_t)snprintf(busy + len, len < size ? size - len : 0, "%s%s",
                                                len ? ", " : "",
                                                json_string_value(json_object_get(cfg, "Name")));
                json_decref(cfg);
        }
        nlab_store_free_list(ids, n);
        return 0;
}

int nlab_network_remove(struct nlab_store *st, const char *ref, struct nlab_err *err)
{
        char busy[1024];
        struct nlab_net net;
        int r = -1;

        if (nlab_network_load(st, ref, &net, err) < 0)
                return -1;
        if (nlab_network_is_predefined(net.name))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "%s is a pre-defined network and cannot be removed", net.name);
        /* Held from the check to the removal: a start in between would lose its network. */
        if (nlab_store_lock(st, err) < 0)
                return -1;
        if (running_names(st, net.name, busy, sizeof(busy), err) < 0)
                goto unlock;
        if (busy[0]) {
                nlab_err_set(err, NLAB_E_CONFLICT,
                             "error while removing network: network %s has active endpoints "
                             "(running containers: %s); stop them or disconnect them first",
                             net.name, busy);
                goto unlock;
        }
        r = nlab_network_destroy(st, &net, err);
unlock:
        nlab_store_unlock(st);
        return r;
}

/* inspect's Containers entry for one running container on the network. */
static json_t *inspect_endpoint(const json_t *cfg, const char *netname)
{
        const json_t *ep = json_object_get(nlab_netmode_networks(cfg), netname);
        char cidr[64];

        snprintf(cidr, sizeof(cidr), "%s/%lld", json_string_value(json_object_get(ep, "IPAddress")),
                 (long long)json_integer_value(json_object_get(ep, "IPPrefixLen")));
        return json_pack("{s:O,s:O,s:O,s:s,s:s}", "Name", json_object_get(cfg, "Name"),
                         "EndpointID", json_object_get(ep, "EndpointID"), "MacAddress",
                         json_object_get(ep, "MacAddress"), "IPv4Address", cidr, "IPv6Address", "");
}

json_t *nlab_network_inspect(struct nlab_store *st, const struct nlab_net *net)
{
        json_t *doc = nlab_network_record(st, net), *ctrs;
        char **ids = NULL;
        size_t i, n = 0;

        if (!doc)
                return NULL;
        ctrs = json_object();
        nlab_network_endpoints(st, net->name, &ids, &n, NULL);
        for (i = 0; i < n; i++) {
                json_t *cfg = NULL;
                if (ctr_running(st, ids[i], &cfg))
                        json_object_set_new(ctrs, ids[i], inspect_endpoint(cfg, net->name));
                json_decref(cfg);
        }
        nlab_store_free_list(ids, n);
        json_object_set_new(doc, "Containers", ctrs);
        return doc;
}
