/* Networks and the containers on them: connect and disconnect (live if the container runs),
 * rm (refused while one runs) and inspect (which lists them). Above both layers. */
#ifndef NLAB_CONNECT_H
#define NLAB_CONNECT_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/net/netrec.h"
#include "runtime/base/strv.h"
#include "runtime/base/store.h"

struct nlab_connect_req {
        const char *network;
        const char *container;
        const char *ip;
        const char *mac;
        struct nlab_strv aliases;
};

int nlab_network_connect(struct nlab_store *st, const struct nlab_connect_req *req,
                         struct nlab_err *err);
int nlab_network_disconnect(struct nlab_store *st, const char *network, const char *container,
                            bool force, struct nlab_err *err);
/* Refused while running containers are attached (they are named). */
int nlab_network_remove(struct nlab_store *st, const char *ref, struct nlab_err *err);
/* Docker-shaped inspect document, with the running containers attached. */
json_t *nlab_network_inspect(struct nlab_store *st, const struct nlab_net *net);

#endif
