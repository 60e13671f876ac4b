/* The record store: which names an asking container may see, and their addresses. No I/O. */
#ifndef NLAB_DNS_RECORDS_H
#define NLAB_DNS_RECORDS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/types.h"
#include "dns/wire.h"

#define NLAB_DNS_MAX_ANSWERS 128
#define NLAB_DNS_LOCAL_TTL   600

struct nlab_dns_store;

struct nlab_dns_network {
        const char *name;
        struct in_addr gateway;
        bool internal;
};

enum nlab_dns_verdict {
        NLAB_DNS_V_ANSWER,   /* addrs or ptr filled */
        NLAB_DNS_V_NODATA,   /* the name exists, not with this type */
        NLAB_DNS_V_NXDOMAIN, /* not local, and this asker gets nothing forwarded */
        NLAB_DNS_V_FORWARD,  /* not local: ask upstream */
        NLAB_DNS_V_REFUSED,  /* the asker is no client of the network the query arrived on */
};

struct nlab_dns_result {
        enum nlab_dns_verdict verdict;
        size_t n_addrs;
        struct in_addr addrs[NLAB_DNS_MAX_ANSWERS];
        bool is_ptr;
        char ptr[NLAB_DNS_NAMEBUF];
        /* The asker's --dns servers (valid until the store changes); NULL means the host's. */
        const char *const *upstreams;
        size_t n_upstreams;
};

struct nlab_dns_store *nlab_dns_store_new(void);
void nlab_dns_store_free(struct nlab_dns_store *s);

/* Returns 0, or -1 for an invalid name or gateway. Replaces a network of the same name. */
int nlab_dns_store_put_network(struct nlab_dns_store *s, const char *name, const char *gateway,
                               bool internal);
/* Returns 0 if removed, -1 if there was no such network. */
int nlab_dns_store_drop_network(struct nlab_dns_store *s, const char *name);
size_t nlab_dns_store_network_count(const struct nlab_dns_store *s);
/* The i-th network (0 <= i < count); valid until the store changes. */
struct nlab_dns_network nlab_dns_store_network_at(const struct nlab_dns_store *s, size_t i);
/* Is addr the gateway of any network (one of the resolver's own addresses)? */
bool nlab_dns_store_is_own_address(const struct nlab_dns_store *s, struct in_addr addr);

/* Copies c, replacing any record with the same id. Returns 0, or -1 if c is invalid or OOM. */
int nlab_dns_store_put_container(struct nlab_dns_store *s, const struct nlab_dns_container *c);
/* Returns 0 if removed, -1 if unknown. */
int nlab_dns_store_drop_container(struct nlab_dns_store *s, const char *id);
size_t nlab_dns_store_container_count(const struct nlab_dns_store *s);

/* Who asks, on the network whose bridge the query arrived on (never its destination address). */
struct nlab_dns_asker {
        struct in_addr addr;
        const char *network;
        bool host; /* arrived on lo: the host itself, which sees that network's names */
};

/* Is addr a container's endpoint on network? */
bool nlab_dns_store_is_endpoint(const struct nlab_dns_store *s, struct in_addr addr,
                                const char *network);

/*
 * Answer qname/qtype (qname lower case, no trailing dot) for the asker: a container sees every
 * network it is on, the host the arrival network; anyone else is REFUSED and never forwarded.
 * Rotates answers of names with several addresses on each call.
 */
void nlab_dns_lookup(struct nlab_dns_store *s, const struct nlab_dns_asker *asker,
                     const char *qname, uint16_t qtype, struct nlab_dns_result *r);

/* Valid container ids are 12-64 lower-case hex digits; network names [A-Za-z0-9][A-Za-z0-9_.-]*. */
bool nlab_dns_valid_id(const char *id);
bool nlab_dns_valid_network_name(const char *name);

#endif
