/* netlab diagnose: walk the path from A to B and stop at the first broken link, in words a
 * student understands, each finding with the command that fixes it. */
#ifndef NLAB_DIAGNOSE_H
#define NLAB_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/err.h"
#include "runtime/store.h"

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

/* to: "B", "B:PORT" or "B:PORT/tcp|udp"; B a container, "host", or an IPv4 address. Fails only
 * when the question itself is wrong (unknown container, bad port); a broken path is a result. */
int nlab_diagnose(struct nlab_store *st, const char *from, const char *to, struct nlab_diag *out,
                  struct nlab_err *err);
/* The first broken link as one sentence plus its fix (used by scenario runs). */
int nlab_diagnose_explain(struct nlab_store *st, const char *from, const char *to, char *buf,
                          size_t size, struct nlab_err *err);

#endif
