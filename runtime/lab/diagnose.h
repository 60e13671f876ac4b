/* netlab diagnose: walk the path from A to B and stop at the first broken link, in words a
 * student understands, each finding with the command that fixes it. */
#ifndef NLAB_DIAGNOSE_H
#define NLAB_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/proto.h"
#include "runtime/base/store.h"
#include "runtime/lab/labhost.h"
#include "runtime/lab/probe.h"
#include "runtime/lab/reason.h"

#define NLAB_DIAG_MAX_STEPS 16

struct nlab_diag_step {
        bool ok;
        enum nlab_reason reason; /* NONE when ok */
        char text[384];
        char fix[384]; /* empty when there is nothing to fix */
};

struct nlab_diag {
        struct nlab_diag_step steps[NLAB_DIAG_MAX_STEPS];
        size_t n;
        bool reachable;
        /* Set by nlab_diagnose_explain: the check's own probe, used instead of a new one (may be
         * NULL), and no name lookup (a reach check goes by address). */
        const struct nlab_probe_result *seen;
        bool explain;
        bool via_host; /* the check went to B's published port, not to B's own address */
};

/* Why a verdict came out negative: the first broken link, as a short name and a sentence. */
struct nlab_diag_why {
        enum nlab_reason reason; /* NONE: nothing is broken (the path works now) */
        char text[768];          /* the sentence, then "; fix: ..." */
};

/* from: a container, "host" or a test host (`netlab external`, or a netns in /run/netns). to: "B",
 * "B:PORT" or "B:PORT/tcp|udp"; B a container, "host", a test host or an IPv4 address. Fails only
 * when the question itself is wrong (unknown container, bad port); a broken path is a result. */
int nlab_diagnose(struct nlab_store *st, const char *from, const char *to, struct nlab_diag *out,
                  struct nlab_err *err);
/* For nlab_diagnose_explain's flags: the check was "B:PORT via host". */
#define NLAB_DIAG_VIA_HOST 0x100u

/* Why A does not reach `to` (as for nlab_diagnose), for a check that has just failed to: among
 * ext[0..next) and, with NLAB_PARTY_NAMED_NETNS in flags, /run/netns (NLAB_DIAG_VIA_HOST:
 * the check went through B's published port). seen: the check's probe,
 * used for the last link instead of probing again (NULL: probe). */
int nlab_diagnose_explain(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                          unsigned flags, const char *from, const char *to,
                          const struct nlab_probe_result *seen, struct nlab_diag_why *why,
                          struct nlab_err *err);
/* Why A could not resolve name: which networks A is on, and where the name does exist. res:
 * what the lookup got. */
int nlab_diagnose_name(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                       unsigned flags, const char *from, const char *name,
                       const struct nlab_probe_result *res, struct nlab_diag_why *why,
                       struct nlab_err *err);
/* B, B:PORT or B:PORT/tcp|udp as diagnose reads it: the name, port 0 and ICMP without a port. */
int nlab_diagnose_target(const char *to, char *name, size_t size, unsigned *port,
                         enum nlab_proto *proto, struct nlab_err *err);

#endif
