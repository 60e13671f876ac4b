/* netlab network connect / disconnect: change a container's networks, live if it runs. */
#ifndef NLAB_CONNECT_H
#define NLAB_CONNECT_H

#include <stdbool.h>

#include "runtime/err.h"
#include "runtime/strv.h"
#include "runtime/store.h"

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

#endif
