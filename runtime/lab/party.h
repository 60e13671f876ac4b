/* The parties of a lab check or a diagnosis: what a name stands for (the lab host, an external
 * test host, a container or a bare address), which network namespace it sits in and which
 * addresses the other side would use. One lookup for the scenario engine and for diagnose. */
#ifndef NLAB_LAB_PARTY_H
#define NLAB_LAB_PARTY_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "runtime/base/ctrconfig.h"
#include "runtime/base/err.h"
#include "runtime/base/ids.h"
#include "runtime/lab/labhost.h"
#include "runtime/base/proto.h"
#include "runtime/base/store.h"

enum nlab_party_kind {
        NLAB_PARTY_HOST,      /* "host": the lab host (the caller's own namespace) */
        NLAB_PARTY_EXTERNAL,  /* a test host: a lab's external, or a netns in /run/netns */
        NLAB_PARTY_CONTAINER, /* a container, by name or id */
        NLAB_PARTY_ADDRESS,   /* an IPv4 address: only ever a target */
};

struct nlab_party {
        char name[128];
        enum nlab_party_kind kind;
        char netns[PATH_MAX]; /* empty when in_host_ns */
        bool in_host_ns;      /* host, or a container with --network host */
        char id[NLAB_ID_LEN + 1];
        struct nlab_ctr_config *cfg; /* a container's own record; NULL for the other kinds */
        struct nlab_ctr_state state;
        struct nlab_ctr_config *owner_cfg; /* container:NAME: the owner's record */
        /* whose networks it really sits on (the owner's for container:), or NULL */
        const struct nlab_ctr_config *net_cfg;
        int pid; /* a container's init, 0 when not running */
        bool running;
        char owner[128]; /* container:NAME: the owner's name */
        bool stale;      /* container:NAME whose owner restarted: left in an old netns */
        bool owner_running;
        const struct nlab_external *x;
        struct in_addr ip; /* ADDRESS */
};

/* Test hosts made with ip netns add NAME count as parties (the CLI's diagnose; never inside a
 * lab, whose names must not reach the machine's own namespaces). */
#define NLAB_PARTY_NAMED_NETNS 1u

/* Look name up among the externals (may be NULL), then host, addresses, containers and, with
 * NLAB_PARTY_NAMED_NETNS, /run/netns/NAME. A container need not run. */
int nlab_party_load(struct nlab_store *st, const char *name, const struct nlab_external *ext,
                    size_t next, unsigned flags, struct nlab_party *p, struct nlab_err *err);
void nlab_party_free(struct nlab_party *p);
/* The namespace to probe from: NULL for the caller's own. */
const char *nlab_party_netns(const struct nlab_party *p);
/* The container's name as the user wrote it, or the party's name. */
const char *nlab_party_name(const struct nlab_party *p);
/* The endpoints of the networks p really sits on: how many, the i-th, the one on net. */
size_t nlab_party_n_endpoints(const struct nlab_party *p);
const struct nlab_ctr_endpoint *nlab_party_endpoint_at(const struct nlab_party *p, size_t i);
const struct nlab_ctr_endpoint *nlab_party_endpoint(const struct nlab_party *p, const char *net);

/* The lab host's address as a sees it: its gateway, its link, or loopback. On failure why
 * says what is missing. */
int nlab_party_host_address(const struct nlab_party *a, struct in_addr *ip, char *why, size_t size);
/* b's address for a probe from a: on a network they share if there is one. */
int nlab_party_target_address(const struct nlab_party *a, const struct nlab_party *b,
                              struct in_addr *ip, char *why, size_t size);
/* The host port b's port/proto is published on (0 and why filled when it is not). */
unsigned nlab_party_published_port(const struct nlab_party *b, unsigned port, enum nlab_proto proto,
                                   char *why, size_t size);
/* The container port host port/proto is published to in b, or 0. */
unsigned nlab_party_container_port(const struct nlab_party *b, unsigned host_port,
                                   enum nlab_proto proto);

#endif
