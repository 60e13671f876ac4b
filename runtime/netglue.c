#include "runtime/netglue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/endpoint.h"
#include "runtime/network.h"

const char *nlab_netglue_bridge(const json_t *net)
{
        return json_string_value(json_object_get(json_object_get(net, "Options"),
                                                 "com.docker.network.bridge.name"));
}

static unsigned mtu_of(const json_t *net)
{
        const json_t *o = json_object_get(net, "Options");
        const char *v = json_string_value(json_object_get(o, "mtu"));

        if (!v)
                v = json_string_value(json_object_get(o, "com.docker.network.driver.mtu"));
        return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

int nlab_netglue_network_up(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *bridge = nlab_netglue_bridge(net);
        struct nlab_pool p;

        (void)st;
        if (!bridge)
                return 0; /* host and none have no kernel side */
        if (nlab_network_pool(net, &p, err) < 0 ||
            nlab_bridge_ensure(bridge, p.gateway, p.subnet.prefix, mtu_of(net), err) < 0)
                return -1;
        return 0;
}

void nlab_netglue_network_down(struct nlab_store *st, const json_t *net)
{
        const char *bridge = nlab_netglue_bridge(net);

        (void)st;
        if (bridge)
                nlab_bridge_remove(bridge, NULL);
}

int nlab_netglue_ctr_up(struct nlab_store *st, const char *id, const json_t *cfg,
                        struct nlab_err *err)
{
        (void)st;
        (void)id;
        (void)cfg;
        (void)err;
        return 0;
}

void nlab_netglue_ctr_down(struct nlab_store *st, const char *id, const json_t *cfg)
{
        (void)st;
        (void)id;
        (void)cfg;
}
