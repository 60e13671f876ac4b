/* The records the CLI hands to netlab-dns; shared by runtime/dnsctl.h and the daemon's store. */
#ifndef NLAB_DNS_TYPES_H
#define NLAB_DNS_TYPES_H

#include <stddef.h>

struct nlab_dns_endpoint {
        const char *network;
        const char *ip;
        const char *const *aliases;
        size_t n_aliases;
};

struct nlab_dns_container {
        const char *id; /* 64 hex */
        const char *name;
        const char *const *dns_servers;
        size_t n_dns_servers;
        const struct nlab_dns_endpoint *endpoints;
        size_t n_endpoints;
};

#endif
