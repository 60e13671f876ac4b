#include "runtime/base/ctrconfig.h"

#include <stdlib.h>
#include <string.h>

#define OOM(err) nlab_err_set(err, NLAB_E_SYSTEM, "out of memory")

static int bad(struct nlab_err *err, const char *where, const char *key, const char *want)
{
        return nlab_err_set(err, NLAB_E_INVALID, "config.json: %s%s%s: not %s", where,
                            where[0] ? "." : "", key, want);
}

/* A string, or absent or null (NULL); required ones must be there. */
static int get_str(const json_t *obj, const char *where, const char *key, bool required, char **out,
                   struct nlab_err *err)
{
        const json_t *v = json_object_get(obj, key);

        *out = NULL;
        if ((!v || json_is_null(v)) && !required)
                return 0;
        if (!json_is_string(v))
                return bad(err, where, key, "a string");
        *out = strdup(json_string_value(v));
        return *out ? 0 : OOM(err);
}

/* Absent is false. */
static int get_bool(const json_t *obj, const char *where, const char *key, bool *out,
                    struct nlab_err *err)
{
        const json_t *v = json_object_get(obj, key);

        *out = json_is_true(v);
        return !v || json_is_boolean(v) ? 0 : bad(err, where, key, "true or false");
}

/* Absent or null is 0. */
static int get_int(const json_t *obj, const char *where, const char *key, long long *out,
                   struct nlab_err *err)
{
        const json_t *v = json_object_get(obj, key);

        *out = json_integer_value(v);
        if (!v || json_is_null(v) || (json_is_integer(v) && *out >= 0))
                return 0;
        return bad(err, where, key, "a non-negative integer");
}

static int strv_of(const json_t *arr, const char *where, const char *key, struct nlab_strv *out,
                   struct nlab_err *err)
{
        size_t i;

        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return bad(err, where, key, "a list of strings");
        for (i = 0; i < json_array_size(arr); i++) {
                const json_t *s = json_array_get(arr, i);
                if (!json_is_string(s))
                        return bad(err, where, key, "a list of strings");
                if (nlab_strv_push(out, json_string_value(s)) < 0)
                        return OOM(err);
        }
        return 0;
}

static int get_strv(const json_t *obj, const char *where, const char *key, struct nlab_strv *out,
                    struct nlab_err *err)
{
        return strv_of(json_object_get(obj, key), where, key, out, err);
}

static int get_kvs(const json_t *obj, const char *where, const char *key, struct nlab_kvs *out,
                   struct nlab_err *err)
{
        const json_t *o = json_object_get(obj, key), *v;
        const char *k;

        if (!o)
                return 0;
        if (!json_is_object(o))
                return bad(err, where, key, "an object of strings");
        out->v = calloc(json_object_size(o) + 1, sizeof(*out->v));
        if (!out->v)
                return OOM(err);
        json_object_foreach((json_t *)o, k, v)
        {
                struct nlab_kv *kv = &out->v[out->n];
                if (!json_is_string(v))
                        return bad(err, where, key, "an object of strings");
                kv->key = strdup(k);
                kv->val = strdup(json_string_value(v));
                out->n++;
                if (!kv->key || !kv->val)
                        return OOM(err);
        }
        return 0;
}

static int hostports_of(const json_t *list, const char *where, const char *key,
                        struct nlab_port_entry *e, struct nlab_err *err)
{
        size_t i;

        e->v = calloc(json_array_size(list) + 1, sizeof(*e->v));
        if (!e->v)
                return OOM(err);
        for (i = 0; i < json_array_size(list); i++) {
                const json_t *hp = json_array_get(list, i);
                struct nlab_hostport *p = &e->v[e->n++];
                if (get_str(hp, where, "HostIp", true, &p->host_ip, err) < 0 ||
                    get_str(hp, where, "HostPort", true, &p->host_port, err) < 0) {
                        nlab_err_prefix(err, "%s", key);
                        return -1;
                }
        }
        return 0;
}

static int get_ports(const json_t *obj, const char *where, const char *key,
                     struct nlab_port_map *out, struct nlab_err *err)
{
        const json_t *o = json_object_get(obj, key), *list;
        const char *k;

        if (!o)
                return 0;
        if (!json_is_object(o))
                return bad(err, where, key, "an object of port bindings");
        out->v = calloc(json_object_size(o) + 1, sizeof(*out->v));
        if (!out->v)
                return OOM(err);
        json_object_foreach((json_t *)o, k, list)
        {
                struct nlab_port_entry *e = &out->v[out->n++];
                e->key = strdup(k);
                if (!e->key)
                        return OOM(err);
                e->unbound = json_is_null(list);
                if (e->unbound)
                        continue;
                if (!json_is_array(list))
                        return bad(err, where, key, "an object of port binding lists");
                if (hostports_of(list, where, k, e, err) < 0)
                        return -1;
        }
        return 0;
}

static int get_keys(const json_t *obj, const char *where, const char *key, struct nlab_strv *out,
                    struct nlab_err *err)
{
        const json_t *o = json_object_get(obj, key), *v;
        const char *k;

        if (!o)
                return 0;
        if (!json_is_object(o))
                return bad(err, where, key, "an object");
        json_object_foreach((json_t *)o, k, v) if (nlab_strv_push(out, k) < 0) return OOM(err);
        return 0;
}

static int parse_devices(const json_t *hc, struct nlab_ctr_config *c, struct nlab_err *err)
{
        const json_t *arr = json_object_get(hc, "Devices");
        size_t i;

        if (!arr)
                return 0;
        if (!json_is_array(arr))
                return bad(err, "HostConfig", "Devices", "a list");
        c->devices = calloc(json_array_size(arr) + 1, sizeof(*c->devices));
        if (!c->devices)
                return OOM(err);
        for (i = 0; i < json_array_size(arr); i++) {
                const json_t *d = json_array_get(arr, i);
                struct nlab_ctr_device *dv = &c->devices[c->n_devices++];
                if (get_str(d, "HostConfig.Devices", "PathOnHost", true, &dv->host, err) < 0 ||
                    get_str(d, "HostConfig.Devices", "PathInContainer", true, &dv->ctr, err) < 0 ||
                    get_str(d, "HostConfig.Devices", "CgroupPermissions", true, &dv->perms, err) <
                        0)
                        return -1;
        }
        return 0;
}

static int parse_config(const json_t *cf, struct nlab_ctr_config *c, struct nlab_err *err)
{
        const char *w = "Config";

        if (!json_is_object(cf))
                return bad(err, "", "Config", "an object");
        if (get_str(cf, w, "Hostname", true, &c->hostname, err) < 0 ||
            get_strv(cf, w, "Env", &c->env, err) < 0 || get_strv(cf, w, "Cmd", &c->cmd, err) < 0 ||
            get_str(cf, w, "Image", false, &c->config_image, err) < 0 ||
            get_str(cf, w, "WorkingDir", false, &c->workdir, err) < 0 ||
            get_bool(cf, w, "Tty", &c->tty, err) < 0 ||
            get_bool(cf, w, "OpenStdin", &c->open_stdin, err) < 0 ||
            get_kvs(cf, w, "Labels", &c->labels, err) < 0 ||
            get_keys(cf, w, "ExposedPorts", &c->exposed, err) < 0)
                return -1;
        if (!c->cmd.n)
                return bad(err, w, "Cmd", "a non-empty list");
        return 0;
}

static int parse_host_lists(const json_t *hc, struct nlab_ctr_config *c, struct nlab_err *err)
{
        const char *w = "HostConfig";

        return get_strv(hc, w, "CapAdd", &c->cap_add, err) < 0 ||
                       get_strv(hc, w, "CapDrop", &c->cap_drop, err) < 0 ||
                       get_strv(hc, w, "SecurityOpt", &c->security_opt, err) < 0 ||
                       get_strv(hc, w, "Binds", &c->binds, err) < 0 ||
                       get_strv(hc, w, "ExtraHosts", &c->extra_hosts, err) < 0 ||
                       get_strv(hc, w, "Dns", &c->dns, err) < 0 ||
                       get_strv(hc, w, "DnsSearch", &c->dns_search, err) < 0 ||
                       get_strv(hc, w, "DnsOptions", &c->dns_options, err) < 0
                   ? -1
                   : 0;
}

static int parse_host_config(const json_t *hc, struct nlab_ctr_config *c, struct nlab_err *err)
{
        const char *w = "HostConfig";
        const json_t *lc = json_object_get(hc, "LogConfig");

        if (!json_is_object(hc))
                return bad(err, "", "HostConfig", "an object");
        if (lc && !json_is_object(lc))
                return bad(err, w, "LogConfig", "an object");
        return get_str(hc, w, "NetworkMode", true, &c->network_mode, err) < 0 ||
                       get_bool(hc, w, "Privileged", &c->privileged, err) < 0 ||
                       get_bool(hc, w, "Init", &c->init, err) < 0 ||
                       get_bool(hc, w, "AutoRemove", &c->auto_remove, err) < 0 ||
                       get_bool(hc, w, "PublishAllPorts", &c->publish_all, err) < 0 ||
                       parse_host_lists(hc, c, err) < 0 ||
                       get_kvs(hc, w, "Sysctls", &c->sysctls, err) < 0 ||
                       get_int(hc, w, "PidsLimit", &c->pids_limit, err) < 0 ||
                       get_int(hc, w, "Memory", &c->memory, err) < 0 ||
                       get_int(hc, w, "NanoCpus", &c->nano_cpus, err) < 0 ||
                       parse_devices(hc, c, err) < 0 ||
                       get_str(lc, "HostConfig.LogConfig", "Type", false, &c->log_type, err) < 0 ||
                       get_kvs(lc, "HostConfig.LogConfig", "Config", &c->log_config, err) < 0 ||
                       get_ports(hc, w, "PortBindings", &c->port_bindings, err) < 0
                   ? -1
                   : 0;
}

static int parse_endpoint(const char *name, const json_t *ep, struct nlab_ctr_endpoint *e,
                          struct nlab_err *err)
{
        const char *w = "NetworkSettings.Networks";
        const json_t *ipam = json_object_get(ep, "IPAMConfig");

        e->network = strdup(name);
        if (!e->network)
                return OOM(err);
        if (!json_is_object(ep) || (ipam && !json_is_object(ipam)))
                return bad(err, w, name, "an endpoint object");
        e->has_prefix = json_object_get(ep, "IPPrefixLen") != NULL;
        if (get_str(ipam, w, "IPv4Address", false, &e->ipam_ip, err) < 0 ||
            get_strv(ep, w, "Aliases", &e->aliases, err) < 0 ||
            get_str(ep, w, "MacAddress", false, &e->mac, err) < 0 ||
            get_str(ep, w, "NetworkID", false, &e->network_id, err) < 0 ||
            get_str(ep, w, "EndpointID", false, &e->endpoint_id, err) < 0 ||
            get_str(ep, w, "Gateway", false, &e->gateway, err) < 0 ||
            get_str(ep, w, "IPAddress", false, &e->ip_address, err) < 0 ||
            get_int(ep, w, "IPPrefixLen", &e->prefix_len, err) < 0 ||
            get_str(ep, w, "IfName", false, &e->ifname, err) < 0 ||
            get_str(ep, w, "HostIfName", false, &e->host_ifname, err) < 0) {
                nlab_err_prefix(err, "network %s", name);
                return -1;
        }
        if (e->has_prefix && e->prefix_len > 32)
                return bad(err, w, "IPPrefixLen", "a prefix length from 0 to 32");
        return 0;
}

static int parse_network_settings(const json_t *ns, struct nlab_ctr_config *c, struct nlab_err *err)
{
        const json_t *nets = json_object_get(ns, "Networks"), *ep;
        const char *name;

        if (ns && !json_is_object(ns))
                return bad(err, "", "NetworkSettings", "an object");
        if (nets && !json_is_object(nets))
                return bad(err, "NetworkSettings", "Networks", "an object");
        c->networks = calloc(json_object_size(nets) + 1, sizeof(*c->networks));
        if (!c->networks)
                return OOM(err);
        json_object_foreach((json_t *)nets, name,
                            ep) if (parse_endpoint(name, ep, &c->networks[c->n_networks++], err) <
                                    0) return -1;
        return get_ports(ns, "NetworkSettings", "Ports", &c->ports, err) < 0 ||
                       get_str(ns, "NetworkSettings", "PortsTarget", false, &c->ports_target, err) <
                           0
                   ? -1
                   : 0;
}

int nlab_ctr_config_parse(const json_t *doc, struct nlab_ctr_config *c, struct nlab_err *err)
{
        memset(c, 0, sizeof(*c));
        if (!json_is_object(doc))
                return nlab_err_set(err, NLAB_E_INVALID, "config.json: not an object");
        if (get_str(doc, "", "Id", true, &c->id, err) < 0 ||
            get_str(doc, "", "Name", true, &c->name, err) < 0 ||
            get_str(doc, "", "Created", true, &c->created, err) < 0 ||
            get_str(doc, "", "Image", true, &c->image, err) < 0 ||
            parse_config(json_object_get(doc, "Config"), c, err) < 0 ||
            parse_host_config(json_object_get(doc, "HostConfig"), c, err) < 0 ||
            parse_network_settings(json_object_get(doc, "NetworkSettings"), c, err) < 0)
                return -1;
        return 0;
}

static json_t *strv_json(const struct nlab_strv *sv)
{
        json_t *a = json_array();
        size_t i;

        for (i = 0; i < sv->n; i++)
                json_array_append_new(a, json_string(sv->v[i]));
        return a;
}

static json_t *kvs_json(const struct nlab_kvs *kvs)
{
        json_t *o = json_object();
        size_t i;

        for (i = 0; i < kvs->n; i++)
                json_object_set_new(o, kvs->v[i].key, json_string(kvs->v[i].val));
        return o;
}

static json_t *ports_json(const struct nlab_port_map *pm)
{
        json_t *o = json_object();
        size_t i, j;

        for (i = 0; i < pm->n; i++) {
                const struct nlab_port_entry *e = &pm->v[i];
                json_t *list = e->unbound ? json_null() : json_array();
                for (j = 0; !e->unbound && j < e->n; j++)
                        json_array_append_new(list,
                                              json_pack("{s:s,s:s}", "HostIp", e->v[j].host_ip,
                                                        "HostPort", e->v[j].host_port));
                json_object_set_new(o, e->key, list);
        }
        return o;
}

static void set_str(json_t *o, const char *key, const char *v)
{
        if (v)
                json_object_set_new(o, key, json_string(v));
}

static json_t *config_json(const struct nlab_ctr_config *c)
{
        json_t *cf = json_object(), *exposed = json_object();
        size_t i;

        for (i = 0; i < c->exposed.n; i++)
                json_object_set_new(exposed, c->exposed.v[i], json_object());
        set_str(cf, "Hostname", c->hostname);
        json_object_set_new(cf, "Env", strv_json(&c->env));
        json_object_set_new(cf, "Cmd", strv_json(&c->cmd));
        set_str(cf, "Image", c->config_image);
        set_str(cf, "WorkingDir", c->workdir);
        json_object_set_new(cf, "Tty", json_boolean(c->tty));
        json_object_set_new(cf, "OpenStdin", json_boolean(c->open_stdin));
        json_object_set_new(cf, "Labels", kvs_json(&c->labels));
        json_object_set_new(cf, "ExposedPorts", exposed);
        return cf;
}

static json_t *devices_json(const struct nlab_ctr_config *c)
{
        json_t *a = json_array();
        size_t i;

        for (i = 0; i < c->n_devices; i++)
                json_array_append_new(a,
                                      json_pack("{s:s, s:s, s:s}", "PathOnHost", c->devices[i].host,
                                                "PathInContainer", c->devices[i].ctr,
                                                "CgroupPermissions", c->devices[i].perms));
        return a;
}

static json_t *host_config_json(const struct nlab_ctr_config *c)
{
        json_t *hc = json_object(), *lc = json_object();

        set_str(lc, "Type", c->log_type);
        json_object_set_new(lc, "Config", kvs_json(&c->log_config));
        set_str(hc, "NetworkMode", c->network_mode);
        json_object_set_new(hc, "Privileged", json_boolean(c->privileged));
        if (c->init) /* written only when asked: records without it read the same */
                json_object_set_new(hc, "Init", json_true());
        json_object_set_new(hc, "CapAdd", strv_json(&c->cap_add));
        json_object_set_new(hc, "CapDrop", strv_json(&c->cap_drop));
        json_object_set_new(hc, "SecurityOpt", strv_json(&c->security_opt));
        json_object_set_new(hc, "AutoRemove", json_boolean(c->auto_remove));
        json_object_set_new(hc, "Binds", strv_json(&c->binds));
        json_object_set_new(hc, "ExtraHosts", strv_json(&c->extra_hosts));
        json_object_set_new(hc, "Dns", strv_json(&c->dns));
        json_object_set_new(hc, "DnsSearch", strv_json(&c->dns_search));
        json_object_set_new(hc, "DnsOptions", strv_json(&c->dns_options));
        json_object_set_new(hc, "PublishAllPorts", json_boolean(c->publish_all));
        json_object_set_new(hc, "Sysctls", kvs_json(&c->sysctls));
        json_object_set_new(hc, "PidsLimit",
                            c->pids_limit ? json_integer(c->pids_limit) : json_null());
        json_object_set_new(hc, "Memory", json_integer(c->memory));
        json_object_set_new(hc, "NanoCpus", json_integer(c->nano_cpus));
        json_object_set_new(hc, "Devices", devices_json(c));
        json_object_set_new(hc, "LogConfig", lc);
        json_object_set_new(hc, "PortBindings", ports_json(&c->port_bindings));
        return hc;
}

static json_t *str_or_null(const char *v)
{
        return v ? json_string(v) : json_null();
}

/* The order attach writes them in: the request (null where not asked for; the claim fills in
 * MacAddress where it stands), then what the claim and plug added. */
static json_t *endpoint_json(const struct nlab_ctr_endpoint *e)
{
        json_t *ep = json_object();

        json_object_set_new(ep, "IPAMConfig",
                            json_pack("{s:o}", "IPv4Address", str_or_null(e->ipam_ip)));
        json_object_set_new(ep, "Aliases", strv_json(&e->aliases));
        json_object_set_new(ep, "MacAddress", str_or_null(e->mac));
        set_str(ep, "NetworkID", e->network_id);
        set_str(ep, "EndpointID", e->endpoint_id);
        set_str(ep, "Gateway", e->gateway);
        set_str(ep, "IPAddress", e->ip_address);
        if (e->has_prefix)
                json_object_set_new(ep, "IPPrefixLen", json_integer(e->prefix_len));
        set_str(ep, "IfName", e->ifname);
        set_str(ep, "HostIfName", e->host_ifname);
        return ep;
}

static json_t *network_settings_json(const struct nlab_ctr_config *c)
{
        json_t *ns = json_object(), *nets = json_object();
        size_t i;

        for (i = 0; i < c->n_networks; i++)
                json_object_set_new(nets, c->networks[i].network, endpoint_json(&c->networks[i]));
        json_object_set_new(ns, "Networks", nets);
        json_object_set_new(ns, "Ports", ports_json(&c->ports));
        set_str(ns, "PortsTarget", c->ports_target);
        return ns;
}

json_t *nlab_ctr_config_to_json(const struct nlab_ctr_config *c)
{
        json_t *doc = json_object();

        set_str(doc, "Id", c->id);
        set_str(doc, "Name", c->name);
        set_str(doc, "Created", c->created);
        set_str(doc, "Image", c->image);
        json_object_set_new(doc, "Config", config_json(c));
        json_object_set_new(doc, "HostConfig", host_config_json(c));
        json_object_set_new(doc, "NetworkSettings", network_settings_json(c));
        return doc;
}

static void kvs_free(struct nlab_kvs *kvs)
{
        size_t i;

        for (i = 0; kvs->v && i < kvs->n; i++) {
                free(kvs->v[i].key);
                free(kvs->v[i].val);
        }
        free(kvs->v);
}

void nlab_port_map_free(struct nlab_port_map *pm)
{
        size_t i, j;

        for (i = 0; pm->v && i < pm->n; i++) {
                for (j = 0; pm->v[i].v && j < pm->v[i].n; j++) {
                        free(pm->v[i].v[j].host_ip);
                        free(pm->v[i].v[j].host_port);
                }
                free(pm->v[i].v);
                free(pm->v[i].key);
        }
        free(pm->v);
        memset(pm, 0, sizeof(*pm));
}

void nlab_ctr_endpoint_free(struct nlab_ctr_endpoint *e)
{
        free(e->network);
        free(e->ipam_ip);
        nlab_strv_free(&e->aliases);
        free(e->mac);
        free(e->network_id);
        free(e->endpoint_id);
        free(e->gateway);
        free(e->ip_address);
        free(e->ifname);
        free(e->host_ifname);
        memset(e, 0, sizeof(*e));
}

static void strvs_free(struct nlab_ctr_config *c)
{
        struct nlab_strv *all[] = {&c->env,      &c->cmd,          &c->exposed,    &c->cap_add,
                                   &c->cap_drop, &c->security_opt, &c->binds,      &c->extra_hosts,
                                   &c->dns,      &c->dns_search,   &c->dns_options};
        size_t i;

        for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                nlab_strv_free(all[i]);
}

void nlab_ctr_config_free(struct nlab_ctr_config *c)
{
        char *strs[] = {c->id,      c->name,         c->created,  c->image,        c->hostname,
                        c->workdir, c->config_image, c->log_type, c->network_mode, c->ports_target};
        size_t i;

        for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                free(strs[i]);
        strvs_free(c);
        kvs_free(&c->labels);
        kvs_free(&c->sysctls);
        kvs_free(&c->log_config);
        for (i = 0; c->devices && i < c->n_devices; i++) {
                free(c->devices[i].host);
                free(c->devices[i].ctr);
                free(c->devices[i].perms);
        }
        free(c->devices);
        nlab_port_map_free(&c->port_bindings);
        nlab_port_map_free(&c->ports);
        for (i = 0; c->networks && i < c->n_networks; i++)
                nlab_ctr_endpoint_free(&c->networks[i]);
        free(c->networks);
        memset(c, 0, sizeof(*c));
}

struct nlab_ctr_endpoint *nlab_ctr_config_endpoint(const struct nlab_ctr_config *c,
                                                   const char *network)
{
        size_t i;

        for (i = 0; i < c->n_networks; i++)
                if (!strcmp(c->networks[i].network, network))
                        return &c->networks[i];
        return NULL;
}

const char *nlab_kvs_get(const struct nlab_kvs *kvs, const char *key)
{
        size_t i;

        for (i = 0; i < kvs->n; i++)
                if (!strcmp(kvs->v[i].key, key))
                        return kvs->v[i].val;
        return NULL;
}

int nlab_ctr_config_set(char **field, const char *v)
{
        char *copy = v ? strdup(v) : NULL;

        if (v && !copy)
                return -1;
        free(*field);
        *field = copy;
        return 0;
}

int nlab_ctr_config_push_endpoint(struct nlab_ctr_config *c, struct nlab_ctr_endpoint *ep)
{
        struct nlab_ctr_endpoint *v = realloc(c->networks, (c->n_networks + 1) * sizeof(*v));

        if (!v)
                return -1;
        c->networks = v;
        c->networks[c->n_networks++] = *ep;
        memset(ep, 0, sizeof(*ep));
        return 0;
}

void nlab_ctr_config_take_endpoint(struct nlab_ctr_config *c, const char *network,
                                   struct nlab_ctr_endpoint *out)
{
        struct nlab_ctr_endpoint *e = nlab_ctr_config_endpoint(c, network);
        size_t i;

        memset(out, 0, sizeof(*out));
        if (!e)
                return;
        i = (size_t)(e - c->networks);
        *out = *e;
        memmove(e, e + 1, (c->n_networks - i - 1) * sizeof(*e));
        c->n_networks--;
}

struct nlab_ctr_endpoints nlab_ctr_config_endpoints(const struct nlab_ctr_config *c)
{
        return (struct nlab_ctr_endpoints){c->networks, c->n_networks};
}

struct nlab_port_entry *nlab_port_map_entry(struct nlab_port_map *pm, const char *key)
{
        struct nlab_port_entry *v;
        size_t i;

        for (i = 0; i < pm->n; i++)
                if (!strcmp(pm->v[i].key, key))
                        return &pm->v[i];
        v = realloc(pm->v, (pm->n + 1) * sizeof(*v));
        if (!v)
                return NULL;
        pm->v = v;
        memset(&v[pm->n], 0, sizeof(*v));
        v[pm->n].key = strdup(key);
        if (!v[pm->n].key)
                return NULL;
        return &v[pm->n++];
}

int nlab_port_entry_add(struct nlab_port_entry *e, const char *host_ip, const char *host_port)
{
        struct nlab_hostport *v = realloc(e->v, (e->n + 1) * sizeof(*v));

        if (!v)
                return -1;
        e->v = v;
        e->unbound = false;
        v[e->n].host_ip = strdup(host_ip);
        v[e->n].host_port = strdup(host_port);
        if (!v[e->n].host_ip || !v[e->n].host_port) {
                free(v[e->n].host_ip);
                free(v[e->n].host_port);
                return -1;
        }
        e->n++;
        return 0;
}

int nlab_kvs_put(struct nlab_kvs *kvs, const char *key, const char *val)
{
        struct nlab_kv *v;
        size_t i;

        for (i = 0; i < kvs->n; i++)
                if (!strcmp(kvs->v[i].key, key))
                        return nlab_ctr_config_set(&kvs->v[i].val, val);
        v = realloc(kvs->v, (kvs->n + 1) * sizeof(*v));
        if (!v)
                return -1;
        kvs->v = v;
        v[kvs->n].key = strdup(key);
        v[kvs->n].val = strdup(val);
        if (!v[kvs->n].key || !v[kvs->n].val) {
                free(v[kvs->n].key);
                free(v[kvs->n].val);
                return -1;
        }
        kvs->n++;
        return 0;
}
