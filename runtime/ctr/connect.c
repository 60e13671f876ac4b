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

/* A container:REF sidecar joins nothing itself: the namespace's owner does, for both of them. */
static int sidecar_error(struct nlab_store *st, const struct nlab_ctr_config *cfg, const char *ref,
                         const char *netname, struct nlab_err *err)
{
        struct nlab_ctr_config owner;
        struct nlab_ctr_state state;
        char name[256];

        snprintf(name, sizeof(name), "%.12s", ref);
        if (nlab_container_load(st, ref, &owner, &state, NULL) == 0) {
                snprintf(name, sizeof(name), "%s", owner.name);
                nlab_ctr_config_free(&owner);
        }
        return nlab_err_set(err, NLAB_E_INVALID,
                            "conflicting options: container %s shares the network namespace of "
                            "%s and cannot join %s on its own: connect %s instead (netlab network "
                            "connect %s %s), and %s gets the new interface too",
                            cfg->name, name, netname, name, netname, name, cfg->name);
}

static int check_mode(struct nlab_store *st, const struct nlab_ctr_config *cfg, const char *netname,
                      struct nlab_err *err)
{
        const char *mode = cfg->network_mode;

        if (nlab_netmode_container_ref(mode))
                return sidecar_error(st, cfg, nlab_netmode_container_ref(mode), netname, err);
        if (!strcmp(mode, "host") || !strcmp(mode, "none"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "container %s uses --network %s and cannot be connected to "
                                    "other networks",
                                    cfg->name, mode);
        return 0;
}

/* The first free ethN inside the container. */
static void next_ifname(const struct nlab_ctr_config *cfg, char *buf, size_t size)
{
        int i;

        for (i = 0;; i++) {
                bool used = false;
                size_t j;
                snprintf(buf, size, "eth%d", i);
                for (j = 0; j < cfg->n_networks; j++)
                        used = used || !strcmp(cfg->networks[j].ifname ?: "", buf);
                if (!used)
                        return;
        }
}

/* Plug the endpoint on net, the last one in cfg, into the running container. */
static int plug_live(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                     const struct nlab_ctr_state *state, const struct nlab_net *net,
                     struct nlab_err *err)
{
        struct nlab_ctr_endpoint *ep = nlab_ctr_config_endpoint(cfg, net->name);
        struct nlab_ctr_endpoints nets = nlab_ctr_config_endpoints(cfg);
        char netns[NLAB_NETNS_PATH_LEN], ifname[16];

        nlab_proc_netns_path(state->pid, netns);
        next_ifname(cfg, ifname, sizeof(ifname));
        return nlab_attach_up(st, net, id, ep, &nets, netns, ifname, cfg->n_networks == 1, err);
}

/* Take the endpoint on netname back out of cfg and give its claim back. */
static void unclaim(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                    const char *netname)
{
        struct nlab_ctr_endpoint ep;

        nlab_ctr_config_take_endpoint(cfg, netname, &ep);
        nlab_attach_release(st, netname, id, &ep);
        nlab_ctr_endpoint_free(&ep);
}

/* Under the lock, the endpoint claimed: record it, and plug it in if the container runs. */
static int connect_claimed(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                           const struct nlab_ctr_state *state, const struct nlab_net *net,
                           struct nlab_ctr_endpoint *ep, struct nlab_err *err)
{
        bool running = nlab_container_running(state);
        struct nlab_ctr_endpoints nets;

        if (nlab_ctr_config_push_endpoint(cfg, ep) < 0) {
                nlab_attach_release(st, net->name, id, ep);
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        }
        if ((running && plug_live(st, id, cfg, state, net, err) < 0) ||
            (running && nlab_netmode_write_hosts(st, id, cfg, err) < 0) ||
            (running && nlab_netmode_write_resolv(st, id, cfg, err) < 0) ||
            (running && nlab_netglue_ctr_up(st, id, cfg, err) < 0) ||
            nlab_store_save_config(st, id, cfg, err) < 0) {
                nets = nlab_ctr_config_endpoints(cfg);
                nlab_attach_down(id, nlab_ctr_config_endpoint(cfg, net->name), &nets, NULL);
                unclaim(st, id, cfg, net->name);
                if (running) {
                        nlab_netmode_write_hosts(st, id, cfg, NULL);
                        nlab_netmode_write_resolv(st, id, cfg, NULL);
                        nlab_netglue_ctr_up(st, id, cfg, NULL);
                }
                return -1;
        }
        return 0;
}

int nlab_network_connect(struct nlab_store *st, const struct nlab_connect_req *req,
                         struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        struct nlab_ctr_config cfg = {0};
        struct nlab_ctr_endpoint ep = {0};
        struct nlab_ctr_state state;
        struct nlab_net net;
        const char *netname = net.name;
        int r = -1;

        if (nlab_store_resolve(st, req->container, id, err) < 0 ||
            nlab_network_ensure_predefined(st, err) < 0 ||
            nlab_network_load(st, req->network, &net, err) < 0)
                return -1;
        if (nlab_store_lock(st, err) < 0)
                return -1;
        if (nlab_container_reconcile(st, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0 ||
            check_mode(st, &cfg, netname, err) < 0)
                goto unlock;
        if (!net.bridge[0]) {
                nlab_err_set(err, NLAB_E_INVALID, "container cannot be connected to the %s network",
                             netname);
                goto unlock;
        }
        if (nlab_ctr_config_endpoint(&cfg, netname)) {
                nlab_err_set(err, NLAB_E_CONFLICT,
                             "endpoint with name %s already exists in network %s", cfg.name,
                             netname);
                goto unlock;
        }
        if (nlab_attach_request(&net, req->ip, req->mac, &req->aliases, &ep, err) < 0 ||
            nlab_attach_claim(st, &net, id, cfg.name, &ep, nlab_netmode_address_held, err) < 0)
                goto unlock;
        nlab_store_test_point(st, "connect:ip");
        r = connect_claimed(st, id, &cfg, &state, &net, &ep, err);
unlock:
        nlab_store_unlock(st);
        nlab_ctr_endpoint_free(&ep);
        nlab_ctr_config_free(&cfg);
        return r;
}

/* Losing the network that carried the default route would leave replies nowhere to go:
 * route through the first remaining network, as Docker moves the gateway. */
static int keep_default_route(struct nlab_store *st, const struct nlab_ctr_config *cfg,
                              const struct nlab_ctr_state *state, struct nlab_err *err)
{
        char netns[NLAB_NETNS_PATH_LEN];
        struct nlab_nl *nl;
        size_t i;
        int r;

        for (i = 0; i < cfg->n_networks; i++) {
                const struct nlab_ctr_endpoint *ep = &cfg->networks[i];
                struct in_addr gw;
                struct nlab_net net;
                if (nlab_network_load(st, ep->network, &net, NULL) < 0)
                        continue;
                if (net.internal) /* internal networks never get a default route */
                        continue;
                if (nlab_ip_parse(ep->gateway, "gateway", &gw, NULL) < 0)
                        continue;
                nlab_proc_netns_path(state->pid, netns);
                nl = nlab_nl_open(netns, err);
                if (!nl)
                        return -1;
                r = nlab_route_add_default(nl, gw, ep->ifname, err);
                nlab_nl_close(nl);
                /* EEXIST: the network that left did not carry the default route. */
                if (r < 0 && err->errnum == EEXIST)
                        return 0;
                if (r < 0)
                        nlab_err_prefix(err, "default route via network %s", ep->network);
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
static int unplug_live(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                       const struct nlab_ctr_state *state, const struct nlab_ctr_endpoint *ep,
                       struct nlab_err *err)
{
        struct nlab_ctr_endpoints nets = nlab_ctr_config_endpoints(cfg);
        struct nlab_err e;
        int r = 0;

        if (nlab_attach_down(id, ep, &nets, &e) < 0)
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
        struct nlab_ctr_config cfg = {0};
        struct nlab_ctr_endpoint ep = {0};
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
                return -1;
        if (nlab_container_reconcile(st, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0)
                goto unlock;
        nlab_ctr_config_take_endpoint(&cfg, netname, &ep);
        if (!ep.network) {
                nlab_err_set(err, NLAB_E_NOTFOUND, "container %s is not connected to network %s",
                             cfg.name, netname);
                goto unlock;
        }
        /* Once unplugging has begun the record must follow, so a failed step is reported after
         * the new record is saved. */
        if (nlab_container_running(&state))
                live_r = unplug_live(st, id, &cfg, &state, &ep, &live_err);
        nlab_attach_release(st, netname, id, &ep);
        r = nlab_store_save_config(st, id, &cfg, err);
        if (r == 0 && live_r < 0) {
                if (err)
                        *err = live_err;
                nlab_err_prefix(err, "container %s left network %s, but not cleanly", cfg.name,
                                netname);
                r = -1;
        }
unlock:
        nlab_store_unlock(st);
        nlab_ctr_endpoint_free(&ep);
        nlab_ctr_config_free(&cfg);
        return r;
}

/* A container's record and whether it runs (a dead shim counts as stopped). */
static bool ctr_running(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg)
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
                struct nlab_ctr_config cfg;
                /* rm changes state: a container whose shim died is finished first */
                if (nlab_container_reconcile(st, ids[i], err) < 0) {
                        nlab_store_free_list(ids, n);
                        return -1;
                }
                if (ctr_running(st, ids[i], &cfg))
                        len += (size_t)snprintf(busy + len, len < size ? size - len : 0, "%s%s",
                                                len ? ", " : "", cfg.name);
                nlab_ctr_config_free(&cfg);
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
static json_t *inspect_endpoint(const struct nlab_ctr_config *cfg, const char *netname)
{
        const struct nlab_ctr_endpoint *ep = nlab_ctr_config_endpoint(cfg, netname);
        char cidr[64];

        if (!ep || !ep->ip_address || !ep->endpoint_id || !ep->mac)
                return NULL;
        snprintf(cidr, sizeof(cidr), "%s/%lld", ep->ip_address, ep->prefix_len);
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", cfg->name, "EndpointID", ep->endpoint_id,
                         "MacAddress", ep->mac, "IPv4Address", cidr, "IPv6Address", "");
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
                struct nlab_ctr_config cfg;
                if (ctr_running(st, ids[i], &cfg))
                        json_object_set_new(ctrs, ids[i], inspect_endpoint(&cfg, net->name));
                nlab_ctr_config_free(&cfg);
        }
        nlab_store_free_list(ids, n);
        json_object_set_new(doc, "Containers", ctrs);
        return doc;
}
