#include "runtime/net/netrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_str(char *dst, size_t size, const json_t *rec, const char *key, bool required,
                    struct nlab_err *err)
{
        const char *v = json_string_value(json_object_get(rec, key));

        dst[0] = '\0';
        if (!v && !required)
                return 0;
        if (!v || strlen(v) >= size)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: missing or too long", key);
        memcpy(dst, v, strlen(v) + 1);
        return 0;
}

/* An option under its short name or Docker's long one; both given must agree. */
static int option(const json_t *opts, const char *shrt, const char *lng, const char **out,
                  struct nlab_err *err)
{
        const char *a = json_string_value(json_object_get(opts, shrt));
        const char *b = json_string_value(json_object_get(opts, lng));

        if (a && b && strcmp(a, b))
                return nlab_err_set(err, NLAB_E_INVALID, "options %s=%s and %s=%s disagree", shrt,
                                    a, lng, b);
        *out = a ? a : b;
        return 0;
}

static int parse_options(const json_t *opts, struct nlab_net *net, struct nlab_err *err)
{
        const char *mtu, *icc, *bridge;
        char *end;
        long v;

        if (option(opts, "mtu", "com.docker.network.driver.mtu", &mtu, err) < 0 ||
            option(opts, "icc", "com.docker.network.bridge.enable_icc", &icc, err) < 0)
                return -1;
        bridge = json_string_value(json_object_get(opts, "com.docker.network.bridge.name"));
        if (bridge && (!bridge[0] || strlen(bridge) >= sizeof(net->bridge)))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid bridge name \"%s\"", bridge);
        snprintf(net->bridge, sizeof(net->bridge), "%s", bridge ? bridge : "");
        if (mtu) {
                v = strtol(mtu, &end, 10);
                if (!mtu[0] || *end || v < 68 || v > 65535)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "invalid mtu \"%s\": expected 68 to 65535", mtu);
                net->mtu = (unsigned)v;
        }
        if (icc && strcmp(icc, "true") && strcmp(icc, "false"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid icc \"%s\": expected true or false", icc);
        net->icc = !icc || !strcmp(icc, "true");
        return 0;
}

static int parse_pool(const json_t *rec, struct nlab_net *net, struct nlab_err *err)
{
        const json_t *c =
            json_array_get(json_object_get(json_object_get(rec, "IPAM"), "Config"), 0);
        const char *range = json_string_value(json_object_get(c, "IPRange"));
        const char *subnet = json_string_value(json_object_get(c, "Subnet"));
        const char *gw = json_string_value(json_object_get(c, "Gateway"));

        if (!c)
                return 0;
        if (!subnet || !gw)
                return nlab_err_set(err, NLAB_E_INVALID, "IPAM config without Subnet or Gateway");
        if (nlab_cidr_parse(subnet, &net->pool.subnet, err) < 0 ||
            nlab_ip_parse(gw, "gateway", &net->pool.gateway, err) < 0)
                return -1;
        if (range && nlab_cidr_parse(range, &net->pool.range, err) < 0)
                return -1;
        net->pool.has_range = range != NULL;
        net->has_pool = true;
        return nlab_pool_check(&net->pool, err);
}

int nlab_net_parse(const json_t *rec, struct nlab_net *net, struct nlab_err *err)
{
        const char *name = json_string_value(json_object_get(rec, "Name"));

        memset(net, 0, sizeof(*net));
        if (!json_is_object(rec))
                return nlab_err_set(err, NLAB_E_INVALID, "network record: not a JSON object");
        if (copy_str(net->name, sizeof(net->name), rec, "Name", true, err) < 0 ||
            copy_str(net->id, sizeof(net->id), rec, "Id", true, err) < 0 ||
            copy_str(net->created, sizeof(net->created), rec, "Created", false, err) < 0 ||
            copy_str(net->driver, sizeof(net->driver), rec, "Driver", true, err) < 0 ||
            parse_options(json_object_get(rec, "Options"), net, err) < 0 ||
            parse_pool(rec, net, err) < 0) {
                nlab_err_prefix(err, "network record %s", name ? name : "(unnamed)");
                return -1;
        }
        net->internal = json_is_true(json_object_get(rec, "Internal"));
        net->user_subnet = !json_is_false(json_object_get(rec, NLAB_NET_KEY_USER_SUBNET));
        if (net->bridge[0] && !net->has_pool)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "network record %s: bridge %s has no subnet", net->name,
                                    net->bridge);
        return 0;
}
