/* netlab diagnose: walk the path from A to B and stop at the first broken link, in words a
 * student understands, each finding with the command that fixes it. */
#ifndef NLAB_DIAGNOSE_H
#define NLAB_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/proto.h"
#include "runtime/lab/labhost.h"
#include "runtime/base/store.h"

#define NLAB_DIAG_MAX_STEPS 16

struct nlab_diag_step {
        bool ok;
        char text[384];
        char fix[256]; /* empty when there is nothing to fix */
};

struct nlab_diag {
        struct nlab_diag_step steps[NLAB_DIAG_MAX_STEPS];
        size_t n;
        bool reachable;
};

/* from: a container, "host" or a test host (`netlab external`, or a netns in /run/netns). to: "B",
 * "B:PORT" or "B:PORT/tcp|udp"; B a container, "host", a test host or an IPv4 address. Fails only
 * when the question itself is wrong (unknown container, bad port); a broken path is a result. */
int nlab_diagnose(struct nlab_store *st, const char *from, const char *to, struct nlab_diag *out,
                  struct nlab_err *err);
/* The first broken link as one sentence plus its fix (used by scenario runs, whose external
 * hosts ext[0..next) count as parties too). */
int nlab_diagnose_explain(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                          const char *from, const char *to, char *buf, size_t size,
                          struct nlab_err *err);
/* B, B:PORT or B:PORT/tcp|udp as diagnose reads it: the name, port 0 and ICMP without a port. */
int nlab_diagnose_target(const char *to, char *name, size_t size, unsigned *port,
                         enum nlab_proto *proto, struct nlab_err *err);

#endif
