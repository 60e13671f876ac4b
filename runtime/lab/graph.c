#include "runtime/lab/graph.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "runtime/ctr/container.h"
#include "runtime/net/network.h"

/* Only the ones that are up: a broken or abandoned one has no link to draw. */
static int load_externals(struct nlab_store *st, struct nlab_graph *g, struct nlab_err *err)
{
        size_t i, up = 0;

        if (nlab_external_list(st, &g->exts, &g->n_exts, err) < 0)
                return -1;
        for (i = 0; i < g->n_exts; i++)
                if (g->exts[i].state == NLAB_EXTERNAL_UP)
                        g->exts[up++] = g->exts[i];
        g->n_exts = up;
        return 0;
}

int nlab_graph_load(struct nlab_store *st, struct nlab_graph *g, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i;

        assert(st && g);
        *g = (struct nlab_graph){0};
        if (nlab_network_list(st, &g->nets, &g->n_nets, err) < 0)
                return -1;
        if (nlab_store_list(st, &ids, &n, err) < 0)
                goto fail;
        g->ctrs = calloc(n + 1, sizeof(*g->ctrs));
        for (i = 0; g->ctrs && i < n; i++) {
                struct nlab_graph_ctr *c = &g->ctrs[g->n_ctrs];
                struct nlab_ctr_state state;
                if (nlab_container_load(st, ids[i], &c->cfg, &state, NULL) < 0) {
                        nlab_ctr_config_free(&c->cfg);
                        continue;
                }
                c->running = nlab_container_running(&state);
                g->n_ctrs++;
        }
        nlab_store_free_list(ids, n);
        if (g->ctrs && load_externals(st, g, err) < 0)
                goto fail;
        if (g->ctrs)
                return 0;
        nlab_err_sys(err, ENOMEM, "graph");
fail:
        nlab_graph_free(g);
        return -1;
}

void nlab_graph_free(struct nlab_graph *g)
{
        size_t i;

        for (i = 0; i < g->n_ctrs; i++)
                nlab_ctr_config_free(&g->ctrs[i].cfg);
        free(g->ctrs);
        free(g->nets);
        free(g->exts);
        *g = (struct nlab_graph){0};
}
