/* netlab graph's model: every network and every container record of a state root, loaded once,
 * for the CLI to draw. A record that does not parse is left out (as ls does). */
#ifndef NLAB_LAB_GRAPH_H
#define NLAB_LAB_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/ctrconfig.h"
#include "runtime/base/err.h"
#include "runtime/base/store.h"
#include "runtime/net/external.h"
#include "runtime/net/netrec.h"

struct nlab_graph_ctr {
        struct nlab_ctr_config cfg;
        bool running;
};

struct nlab_graph {
        struct nlab_net *nets; /* predefined first, then by creation */
        size_t n_nets;
        struct nlab_graph_ctr *ctrs;
        size_t n_ctrs;
        struct nlab_external *exts; /* `netlab external` hosts that are up, by name */
        size_t n_exts;
};

int nlab_graph_load(struct nlab_store *st, struct nlab_graph *g, struct nlab_err *err);
void nlab_graph_free(struct nlab_graph *g);

#endif
