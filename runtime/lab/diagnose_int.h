/* What the pieces of netlab diagnose share: how a walk records a finding, the links every walk
 * checks, and the walks by what B is (diagnose.c picks one). */
#ifndef NLAB_LAB_DIAGNOSE_INT_H
#define NLAB_LAB_DIAGNOSE_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/lab/diagnose.h"
#include "runtime/lab/party.h"
#include "runtime/net/external.h"


/* B, B:PORT or B:PORT/tcp|udp: port 0 and ICMP without a port. */
struct target {
        char name[128];
        unsigned port;
        enum nlab_proto proto;
};

static inline const char *cname(const struct nlab_party *c)
{
        return nlab_party_name(c);
}

/* A link that holds, and a broken one with the short name of why and the fix (may be NULL). */
void diag_pass(struct nlab_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_fail(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "net1, net2" (or "no network"): the networks p is on, for a message. */
void diag_list_names(const struct nlab_party *p, char *buf, size_t size);
/* c runs and holds a live namespace; otherwise a finding says why not. */
bool diag_usable(struct nlab_diag *d, const struct nlab_party *c);
/* a has more than lo (--network none has not). */
bool diag_networked_step(struct nlab_diag *d, const struct nlab_party *a);
/* Something in b listens on port/proto; why: what leads to that port, for the message, or NULL. */
bool diag_listener_step(struct nlab_diag *d, const struct nlab_party *b, unsigned port,
                        enum nlab_proto proto, const char *why);
/* The last link: a probe from a to dst (or d->seen, the check's own), and what its answer says. */
void diag_final_probe(struct nlab_diag *d, const struct nlab_party *a, struct in_addr dst,
                      const char *dst_text, const struct target *t);
/* The check's probe got an answer, so the packets arrived whatever the records say. */
bool diag_routed(const struct nlab_diag *d);

/* A container's way out of its own namespace (--network none and --internal have none). */
bool diag_way_out_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a);
/* host:PORT: some container publishes PORT, runs, and listens where PORT leads. */
bool diag_published_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                         const struct target *t);
/* Where a sees the host, into dst and text; -1 (with a finding) when it does not. */
int diag_host_seen_from(struct nlab_diag *d, const struct nlab_party *a, struct in_addr *dst,
                        char *text, size_t size);

/* The walks, by what B is: a container (from the host or a test host too), a test host, an
 * address or "host". */
void diag_to_container(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                       const struct nlab_party *b, const struct target *t);
void diag_outside_to_container(struct nlab_diag *d, struct nlab_store *st,
                               const struct nlab_party *a, const struct nlab_party *b,
                               const struct target *t);
void diag_to_outside(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                     const struct nlab_party *b, const struct target *t);
void diag_to_address(struct nlab_diag *d, struct nlab_store *st, const struct nlab_external *ext,
                     size_t next, const struct nlab_party *a, const struct target *t);

#endif
