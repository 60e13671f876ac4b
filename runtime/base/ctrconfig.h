/* A container's config.json, parsed and checked once when it is loaded, written back whole in
 * the key order it was written in, so the file and inspect's output do not change. */
#ifndef NLAB_CTRCONFIG_H
#define NLAB_CTRCONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/strv.h"

/* An ordered string map (Labels, Sysctls, LogConfig.Config): JSON objects keep their order. */
struct nlab_kv {
        char *key, *val;
};
struct nlab_kvs {
        struct nlab_kv *v;
        size_t n;
};

/* One host side of a port: HostPort is text because a binding may be a range or empty. */
struct nlab_hostport {
        char *host_ip, *host_port;
};
/* "80/tcp" -> its host sides; unbound (JSON null) in NetworkSettings.Ports when not published. */
struct nlab_port_entry {
        char *key;
        bool unbound;
        struct nlab_hostport *v;
        size_t n;
};
struct nlab_port_map {
        struct nlab_port_entry *v;
        size_t n;
};

struct nlab_ctr_device {
        char *host, *ctr, *perms;
};

/* NetworkSettings.Networks.NAME; strings are NULL until attach fills them in. */
struct nlab_ctr_endpoint {
        char *network; /* the key */
        char *ipam_ip; /* IPAMConfig.IPv4Address, the --ip asked for */
        struct nlab_strv aliases;
        char *mac; /* MacAddress: --mac-address, or made from the address by the claim */
        char *network_id, *endpoint_id, *gateway, *ip_address;
        bool has_prefix;
        long long prefix_len;
        char *ifname, *host_ifname;
};

/* A view of a record's endpoints: what one port's firewall needs to know of the others. */
struct nlab_ctr_endpoints {
        const struct nlab_ctr_endpoint *v;
        size_t n;
};

struct nlab_ctr_config {
        char *id, *name, *created, *image;
        /* Config */
        char *hostname;
        struct nlab_strv env, cmd;
        char *config_image, *workdir;
        bool tty, open_stdin;
        struct nlab_kvs labels;
        struct nlab_strv exposed; /* ExposedPorts keys */
        /* HostConfig */
        char *network_mode;
        bool privileged, auto_remove, publish_all;
        bool init; /* --init: netlab-init as pid 1 (HostConfig.Init) */
        struct nlab_strv cap_add, cap_drop, security_opt, binds, extra_hosts;
        struct nlab_strv dns, dns_search, dns_options;
        struct nlab_kvs sysctls;
        long long pids_limit; /* 0: none (JSON null) */
        long long memory, nano_cpus;
        struct nlab_ctr_device *devices;
        size_t n_devices;
        char *log_type;
        struct nlab_kvs log_config;
        struct nlab_port_map port_bindings;
        /* NetworkSettings */
        struct nlab_ctr_endpoint *networks;
        size_t n_networks;
        struct nlab_port_map ports;
        char *ports_target; /* the address the published ports lead to; NULL when none */
};

/* The whole record; names the first bad field in err. c is zeroed first and must be freed. */
int nlab_ctr_config_parse(const json_t *doc, struct nlab_ctr_config *c, struct nlab_err *err);
json_t *nlab_ctr_config_to_json(const struct nlab_ctr_config *c);
void nlab_ctr_config_free(struct nlab_ctr_config *c);

/* *field = a copy of v (NULL clears it); -1 when out of memory. */
int nlab_ctr_config_set(char **field, const char *v);
void nlab_ctr_endpoint_free(struct nlab_ctr_endpoint *e);
/* Move *ep to the end of c's endpoints (Docker lists them in the order they were attached);
 * *ep is left empty. Pointers to c's endpoints are stale afterwards. -1 when out of memory. */
int nlab_ctr_config_push_endpoint(struct nlab_ctr_config *c, struct nlab_ctr_endpoint *ep);
/* Take the endpoint on network out of c into *out (zeroed when there is none). */
void nlab_ctr_config_take_endpoint(struct nlab_ctr_config *c, const char *network,
                                   struct nlab_ctr_endpoint *out);
/* The entry for key, appended (bound, empty) when missing; NULL when out of memory. */
struct nlab_port_entry *nlab_port_map_entry(struct nlab_port_map *pm, const char *key);
/* Append a host side to e (which is then bound); -1 when out of memory. */
int nlab_port_entry_add(struct nlab_port_entry *e, const char *host_ip, const char *host_port);
void nlab_port_map_free(struct nlab_port_map *pm);
struct nlab_ctr_endpoints nlab_ctr_config_endpoints(const struct nlab_ctr_config *c);
/* The endpoint on network name, or NULL. */
struct nlab_ctr_endpoint *nlab_ctr_config_endpoint(const struct nlab_ctr_config *c,
                                                   const char *network);
/* Set key to val, in place when key is there (as a JSON object does); -1 when out of memory. */
int nlab_kvs_put(struct nlab_kvs *kvs, const char *key, const char *val);
/* The value of key in kvs, or NULL. */
const char *nlab_kvs_get(const struct nlab_kvs *kvs, const char *key);

#endif
