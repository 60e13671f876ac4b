/* Probes done natively from inside a network namespace: a forked child enters the netns (setns),
 * then makes a TCP connection, a UDP exchange, an ICMP echo or a DNS query with a bounded
 * timeout, and hands its finding back over a pipe. No ping, nc or ip binaries. */
#ifndef NLAB_PROBE_H
#define NLAB_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/base/proto.h"

/* How long diagnose (and its --capture trace) waits for one probe: a lab's answers come in
 * well under it, so only what is dropped waits this long. */
#define NLAB_PROBE_MS 1500

enum nlab_probe_status {
        NLAB_PROBE_OK,          /* connected, echo reply, reply datagram, DNS answer */
        NLAB_PROBE_TIMEOUT,     /* nothing came back in time */
        NLAB_PROBE_REFUSED,     /* TCP reset or ICMP port unreachable: nobody listens */
        NLAB_PROBE_UNREACHABLE, /* no route, or host/network unreachable */
        NLAB_PROBE_NXDOMAIN,    /* the name does not exist */
        NLAB_PROBE_NODATA,      /* the name exists but has no IPv4 address */
        NLAB_PROBE_DNS_ERROR,   /* SERVFAIL, REFUSED or another DNS error code (rcode) */
        NLAB_PROBE_NO_SERVER,   /* no nameserver to ask */
};

#define NLAB_PROBE_MAX_ADDRS 16

struct nlab_probe_result {
        enum nlab_probe_status status;
        int errnum;  /* the socket error behind REFUSED/UNREACHABLE, if any */
        int rcode;   /* DNS_ERROR: the response code */
        unsigned ms; /* how long it took */
        struct in_addr addrs[NLAB_PROBE_MAX_ADDRS]; /* DNS answers */
        size_t naddrs;
};

struct nlab_probe_ifaddr {
        char ifname[16];
        bool has_v4;
        struct in_addr addr;
        unsigned prefix;
};

/* Reach dst from the netns at netns_path (NULL: the caller's own). port 0 with ICMP. */
int nlab_probe_reach(const char *netns_path, struct in_addr dst, unsigned port,
                     enum nlab_proto proto, unsigned timeout_ms, struct nlab_probe_result *res,
                     struct nlab_err *err);
/* Ask nameserver for the A records of name, from inside the netns. */
int nlab_probe_resolve(const char *netns_path, struct in_addr nameserver, const char *name,
                       unsigned timeout_ms, struct nlab_probe_result *res, struct nlab_err *err);
/* Interfaces in the netns, one entry per IPv4 address plus one per link without any. */
int nlab_probe_interfaces(const char *netns_path, struct nlab_probe_ifaddr *out, size_t max,
                          size_t *n, struct nlab_err *err);

/* "timeout", "refused", "NXDOMAIN", ... for messages. */
const char *nlab_probe_status_str(enum nlab_probe_status s);

/* Pure helpers, for the runner and the unit tests. */
/* The first "nameserver" of a resolv.conf text: 1 found, 0 none. */
int nlab_resolvconf_nameserver(const char *text, struct in_addr *ns);
/* Addresses of name in a hosts file text (first column IPv4). Returns how many (<= max). */
size_t nlab_hosts_lookup(const char *text, const char *name, struct in_addr *out, size_t max);
/* Read a response to query id into res (status, rcode, addresses), with dns/wire.c's codec;
 * -1 if malformed. Queries are built by nlab_dns_build_query (dns/wire.h). */
int nlab_dns_parse_response(const uint8_t *buf, size_t len, uint16_t id,
                            struct nlab_probe_result *res);

#endif
