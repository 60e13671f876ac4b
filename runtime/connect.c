#include "runtime/connect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/attach.h"
#include "runtime/ipam.h"
#include "runtime/netlink.h"
#include "runtime/route.h"
#include "runtime/container.h"
#include "runtime/netglue.h"
#include "runtime/netmode.h"
#include "runtime/proc.h"
#include "runtime/network.h"

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

static int plug_live(struct nlab_store *st, const char *id, json_t *cfg, const json_t *state,
                     const struct nlab_net *net, json_t *ep, struct nlab_err *err)
{
        char netns[NLAB_NETNS_PATH_LEN], ifname[16];
        json_t *nets = nlab_netmode_networks(cfg);
        bool first = json_object_size(nets) == 1;

        nlab_proc_netns_path((int)json_integer_value(json_object_get(state, "Pid")), netns);
        json_object_del(nets, net->name);
        next_ifname(nets, ifname, sizeof(ifname));
        json_object_set(nets, net->name, ep);
        return nlab_attach_up(st, net, id, ep, netns, ifname, first, err);
}

int nlab_network_connect(struct nlab_store *st, const struct nlab_connect_req *req,
                         struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg = NULL, *state = NULL, *ep = NULL, *nets;
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
                              err) < 0)
                goto unlock;
        nlab_store_test_point(st, "connect:ip");
        json_object_set(nets, netname, ep);
        running = nlab_container_running(state);
        if ((running && plug_live(st, id, cfg, state, &net, ep, err) < 0) ||
            (running && nlab_netmode_write_hosts(st, id, cfg, err) < 0) ||
            (running && nlab_netglue_ctr_up(st, id, cfg, err) < 0) ||
            nlab_store_save(st, id, "config.json", cfg, err) < 0) {
                nlab_attach_down(ep, NULL);
                json_object_del(nets, netname);
                nlab_attach_release(st, netname, id, ep);
                if (running) {
                        nlab_netmode_write_hosts(st, id, cfg, NULL);
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
        json_decref(state);
        return r;
}

/* Losing the network that carried the default route would leave replies nowhere to go:
 * route through the first remaining network, as Docker moves the gateway. */
static int keep_default_route(struct nlab_store *st, const json_t *cfg, const json_t *state,
                              struct nlab_err *err)
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
                nlab_proc_netns_path((int)json_integer_value(json_object_get(state, "Pid")), netns);
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
static int unplug_live(struct nlab_store *st, const char *id, json_t *cfg, const json_t *state,
                       const json_t *ep, struct nlab_err *err)
{
        struct nlab_err e;
        int r = 0;

        if (nlab_attach_down(ep, &e) < 0)
                r = keep_first(err, &e, r);
        if (keep_default_route(st, cfg, state, &e) < 0)
                r = keep_first(err, &e, r);
        if (nlab_netmode_write_hosts(st, id, cfg, &e) < 0)
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
        json_t *cfg = NULL, *state = NULL, *ep, *nets;
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
        if (nlab_container_running(state))
                live_r = unplug_live(st, id, cfg, state, ep, &live_err);
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
        json_decref(state);
        return r;
}
