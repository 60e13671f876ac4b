/* `netlab doctor` and the scenario preflight: what breaks labs silently, each finding with its fix.
 * Checks read the kernel and the records; only a fix asked for (--fix) changes anything. */
#ifndef NLAB_LAB_DOCTOR_H
#define NLAB_LAB_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"
#include "runtime/lab/scenario.h"

enum nlab_doc_level {
        NLAB_DOC_OK,
        NLAB_DOC_NOTE,    /* matters only to labs that use the feature (netem, rootless) */
        NLAB_DOC_PROBLEM, /* breaks labs as they are: doctor exits 1 */
};

struct nlab_doc_finding {
        const char *check; /* "subnet", "firewall", "br_netfilter", "ruleset", "forwarding", ... */
        enum nlab_doc_level level;
        bool fatal; /* no lab can run at all (no bridges, no nftables): a scenario run stops */
        bool fixed; /* --fix repaired it; text says what was wrong */
        char text[640];
        char fix[384]; /* "" when there is nothing to do */
};

struct nlab_doctor {
        struct nlab_doc_finding *v;
        size_t n;
};

/* Kernel features a lab needs beyond bridges and veths (bits of 1 << enum nlab_kfeat_id). */
struct nlab_doctor_opts {
        bool fix;      /* repair what is simple: the netlab table, forwarding */
        bool quick;    /* the preflight of a scenario, whose lab has a netns of its own: only the
                          host-wide checks (kernel features, cgroups), no state root needed */
        unsigned need; /* features the caller's lab uses: their absence is a problem, not a note */
};

/* Run the checks; st may be NULL with quick. Fails only when no check could run. */
int nlab_doctor_run(struct nlab_store *st, const struct nlab_doctor_opts *o,
                    struct nlab_doctor *out, struct nlab_err *err);
void nlab_doctor_free(struct nlab_doctor *d);
/* Is any finding at least level? */
bool nlab_doctor_any(const struct nlab_doctor *d, enum nlab_doc_level level);

/* The kernel features a scenario's command steps use (link set --rate: tbf; --delay, --jitter,
 * --loss: netem), for nlab_doctor_opts.need. */
unsigned nlab_scenario_needs(const struct nlab_scenario *s);

#endif
