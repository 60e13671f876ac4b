#include "runtime/connect.h"

#include <stdio.h>
#include <string.h>

#include "runtime/attach.h"
#include "runtime/ipam.h"
#include "runtime/netlink.h"
#include "runtime/route.h"
#include "runtime/container.h"
#include "runtime/netglue.h"
#include "runtime/netmode.h"
#include "runtime/network.h"

static int check_mode(const json_t *cfg, const char *netname, struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        const char *name = json_string_value(json_object_get(cfg, "Name"));

        if (!strncmp(mode, "container:", 10))
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
                     const json_t *net, json_t *ep, struct nlab_err *err)
{
        char netns[64], ifname[16];
        json_t *nets = nlab_netmode_networks(cfg);
        bool first = json_object_size(nets) == 1;

        snprintf(netns, sizeof(netns), "/proc/%lld/ns/net",
                 (long long)json_integer_value(json_object_get(state, "Pid")));
        json_object_del(nets, json_string_value(json_object_get(net, "Name")));
        next_ifname(nets, ifname, sizeof(ifname));
        json_object_set(nets, json_string_value(json_object_get(net, "Name")), ep);
        return nlab_attach_up(st, net, id, ep, nets, netns, ifname, first, err);
}

int nlab_network_connect(struct nlab_store *st, const struct nlab_connect_req *req,
                         struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg = NULL, *state = NULL, *net = NULL, *ep = NULL, *nets;
        const char *netname;
        bool running;
        int r = -1;

        if (nlab_store_resolve(st, req->container, id, err) < 0 ||
            nlab_network_load(st, req->network, &net, err) < 0)
                return -1;
        netname = json_string_value(json_object_get(net, "Name"));
        if (nlab_store_lock(st, err) < 0)
                goto out;
        if (nlab_container_load(st, id, &cfg, &state, err) < 0 || check_mode(cfg, netname, err) < 0)
                goto unlock;
        nets = nlab_netmode_networks(cfg);
        if (!nlab_netglue_bridge(net)) {
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
        if (nlab_attach_request(net, req->ip, req->mac, &req->aliases, &ep, err) < 0 ||
            nlab_attach_claim(st, net, id, json_string_value(json_object_get(cfg, "Name")), ep,
                              err) < 0)
                goto unlock;
        nlab_store_test_point(st, "connect:ip");
        json_object_set(nets, netname, ep);
        running = nlab_container_running(state);
        if ((running && plug_live(st, id, cfg, state, net, ep, err) < 0) ||
            (running && nlab_netmode_write_hosts(st, id, cfg, err) < 0) ||
            (running && nlab_netmode_write_resolv(st, id, cfg, err) < 0) ||
            (running && nlab_netglue_ctr_up(st, id, cfg, err) < 0) ||
            nlab_store_save(st, id, "config.json", cfg, err) < 0) {
                nlab_attach_down(id, ep, nets);
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
        json_decref(state);
        json_decref(net);
        return r;
}

/* Losing the network that carried the default route would leave replies nowhere to go:
 * route through the first remaining network, as Docker moves the gateway. */
static void keep_default_route(struct nlab_store *st, const json_t *cfg, const json_t *state)
{
        const json_t *nets = nlab_netmode_networks(cfg), *ep;
        char netns[64];
        const char *name;
        struct nlab_nl *nl;

        json_object_foreach((json_t *)nets, name, ep)
        {
                struct in_addr gw;
                json_t *net = NULL;
                bool internal;
                if (nlab_network_load(st, name, &net, NULL) < 0)
                        continue;
                internal = json_is_true(json_object_get(net, "Internal"));
                json_decref(net);
                if (internal) /* internal networks never get a default route */
                        continue;
                if (nlab_ip_parse(json_string_value(json_object_get(ep, "Gateway")), "gateway", &gw,
                                  NULL) < 0)
                        continue;
                snprintf(netns, sizeof(netns), "/proc/%lld/ns/net",
                         (long long)json_integer_value(json_object_get(state, "Pid")));
                nl = nlab_nl_open(netns, NULL);
                if (!nl)
                        return;
                nlab_route_add_default(nl, gw, json_string_value(json_object_get(ep, "IfName")),
                                       NULL);
                nlab_nl_close(nl);
                return;
        }
}

int nlab_network_disconnect(struct nlab_store *st, const char *network, const char *container,
                            bool force, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg = NULL, *state = NULL, *net = NULL, *ep, *nets;
        const char *netname;
        int r = -1;

        (void)force;
        if (nlab_store_resolve(st, container, id, err) < 0 ||
            nlab_network_load(st, network, &net, err) < 0)
                return -1;
        netname = json_string_value(json_object_get(net, "Name"));
        if (nlab_store_lock(st, err) < 0)
                goto out;
        if (nlab_container_load(st, id, &cfg, &state, err) < 0)
                goto unlock;
        nets = nlab_netmode_networks(cfg);
        ep = json_incref(json_object_get(nets, netname));
        if (!ep) {
                nlab_err_set(err, NLAB_E_NOTFOUND, "container %s is not connected to network %s",
                             json_string_value(json_object_get(cfg, "Name")), netname);
                goto unlock;
        }
        json_object_del(nets, netname);
        if (nlab_container_running(state)) {
                nlab_attach_down(id, ep, nets);
                keep_default_route(st, cfg, state);
                nlab_netmode_write_hosts(st, id, cfg, NULL);
                /* The old nameserver may be the gateway of the network just left. */
                nlab_netmode_write_resolv(st, id, cfg, NULL);
                /* Names and published ports follow the networks that remain. */
                nlab_netglue_ctr_up(st, id, cfg, NULL);
        }
        nlab_attach_release(st, netname, id, ep);
        json_decref(ep);
        r = nlab_store_save(st, id, "config.json", cfg, err);
unlock:
        nlab_store_unlock(st);
out:
        json_decref(cfg);
        json_decref(state);
        json_decref(net);
        return r;
}
