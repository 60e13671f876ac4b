/* netlab explain: who can reach a container's listening ports, from where, and through what;
 * derived from the kernel (sockets in its namespace, bridge ports, the netlab table) and the
 * records, and with verify each claim probed with real packets. */
#ifndef NLAB_EXPLAIN_H
#define NLAB_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/proto.h"
#include "runtime/base/store.h"

enum nlab_xp_from {
        NLAB_XP_SELF,     /* its own namespace: itself and its container: sharers */
        NLAB_XP_NETWORK,  /* the other containers on one of its networks (who) */
        NLAB_XP_OTHER,    /* containers on the networks it is not on */
        NLAB_XP_HOST,     /* the lab host */
        NLAB_XP_OUTSIDE,  /* the LAN: only ever through a published mapping */
        NLAB_XP_EXTERNAL, /* a `netlab external` host (who), at the container's own address */
};

enum nlab_xp_check {
        NLAB_XP_UNCHECKED, /* no --verify */
        NLAB_XP_AGREES,
        NLAB_XP_DIFFERS,
        NLAB_XP_NOPROBE, /* nothing to probe from (probe says why) */
};

struct nlab_xp_claim {
        enum nlab_xp_from from;
        char who[128]; /* the network or external host, "" */
        bool reachable;
        char via[64];  /* what the other side connects to: "10.89.0.2:80", "0.0.0.0:8080" */
        char why[320]; /* the claim in words, ending in its reason */
        enum nlab_xp_check check;
        char probe[256]; /* verify: from where, to what, and what came back */
};

#define NLAB_XP_MAX_CLAIMS 32

struct nlab_xp_port {
        unsigned port;
        enum nlab_proto proto;
        char bind[48]; /* the address it listens on: "0.0.0.0" for every one */
        struct nlab_xp_claim claims[NLAB_XP_MAX_CLAIMS];
        size_t n;
        char summary[512]; /* one line for --all */
};

/* The names that resolve to it on one network (netlab-dns: name, short id, aliases). */
struct nlab_xp_names {
        char network[129];
        char ip[16];
        char names[384];
        enum nlab_xp_check check;
        char probe[256];
};

#define NLAB_XP_MAX_NETS 8

struct nlab_xp_ctr {
        char name[128];
        char note[256]; /* when there is no port to explain: why (not running, none listening) */
        struct nlab_xp_port *ports;
        size_t nports;
        struct nlab_xp_names names[NLAB_XP_MAX_NETS];
        size_t nnames;
};

struct nlab_explain {
        struct nlab_xp_ctr *v;
        size_t n;
        size_t differences; /* verify: claims the packets contradicted */
        size_t unprobed;    /* verify: claims with nothing to probe them from */
        char notes[2][320]; /* lab-wide findings: the netlab table gone, a foreign firewall */
};

struct nlab_explain_req {
        const char *target; /* CONTAINER[:PORT[/tcp|udp]], or NULL for every running container */
        bool verify;
};

/* Fails only when the question is wrong (unknown container, bad port). */
int nlab_explain(struct nlab_store *st, const struct nlab_explain_req *req,
                 struct nlab_explain *out, struct nlab_err *err);
void nlab_explain_free(struct nlab_explain *x);

#endif
