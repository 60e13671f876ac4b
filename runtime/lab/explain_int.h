/* What explain.c's claims and explain_verify.c's probes share. */
#ifndef NLAB_EXPLAIN_INT_H
#define NLAB_EXPLAIN_INT_H

#include <netinet/in.h>

#include "runtime/lab/explain.h"
#include "runtime/lab/party.h"
#include "runtime/net/external.h"
#include "runtime/net/netrec.h"

/* Every container of the root, the external hosts that are up, the firewall as found. */
struct xp_lab {
        struct nlab_store *st;
        struct nlab_party *ctrs;
        size_t n;
        struct nlab_external *ext;
        size_t next;
        int fw; /* nlab_fw_present: 1 the netlab table is there, 0 gone, -1 unknown */
        bool verify;
};

/* The container being explained and its networks. */
struct xp_subject {
        const struct xp_lab *lab;
        const struct nlab_party *b;
        const struct nlab_ctr_endpoint *eps[NLAB_XP_MAX_NETS];
        struct nlab_net nets[NLAB_XP_MAX_NETS];
        size_t nnets;
        bool published_internal;   /* its published ports lead into an internal network */
        int published_net;         /* the index of the network its published ports lead to, or -1 */
        bool up[NLAB_XP_MAX_NETS]; /* its bridge port on each network, from the kernel */
        char down[NLAB_XP_MAX_NETS][160]; /* why it is not */
};

/* One probe that checks a claim: from a namespace (NULL: the lab host) to dst:port. */
struct xp_plan {
        const char *netns;
        const char *from; /* for the message */
        struct in_addr dst;
        unsigned port;
        enum nlab_proto proto;
};

/* Can p reach s->b across networks through a router? 1 with the router and the index of the
 * subject's network the router sits on: both ends route through it and it forwards. */
int nlab_xp_route(const struct xp_subject *s, const struct nlab_party *p, size_t *net_index,
                  const struct nlab_party **router);
/* Two parties in one network namespace (the kernel's answer, not the records'). */
bool nlab_xp_same_netns(const struct nlab_party *a, const struct nlab_party *b);
/* Probe plan and set c->check and c->probe; x->differences counts the contradictions. */
void nlab_xp_check(struct nlab_xp_claim *c, const struct xp_plan *plan, size_t *differences);
/* Mark c as not probed and say why. */
void nlab_xp_noprobe(struct nlab_xp_claim *c, const char *why);
/* Resolve each of n->names from a peer on the network (its own resolver); expects n->ip. */
void nlab_xp_check_names(const struct xp_lab *lab, const struct nlab_party *peer,
                         struct nlab_xp_names *n, size_t *differences);

#endif
