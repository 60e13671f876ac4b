/* netlab graph's picture as Graphviz DOT: pure, from the loaded model to text. */
#ifndef NLAB_GRAPH_DOT_H
#define NLAB_GRAPH_DOT_H

#include <stdio.h>

#include "runtime/lab/graph.h"

/* Each network its own box (bridge, gateway, netlab-dns, NAT or closed) holding the containers
 * attached to it alone; a container on several networks between their boxes, so a chain reads
 * left to right; published ports from the host box; container:NAME sharers in their owner's
 * box. -1 when out of memory. */
int nlab_graph_dot(const struct nlab_graph *g, FILE *out);
/* s for an HTML-like label: & < > " escaped. */
void nlab_graph_html(FILE *out, const char *s);

#endif
