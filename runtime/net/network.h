/* Network objects: the predefined bridge/host/none and user-defined bridge networks. */
#ifndef NLAB_NETWORK_H
#define NLAB_NETWORK_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/base/strv.h"
#include "runtime/base/ipam.h"
#include "runtime/net/netrec.h"
#include "runtime/base/store.h"

#define NLAB_DEFAULT_BRIDGE "netlab0"

struct nlab_net_create_req {
        const char *name;
        const char *driver; /* NULL or "bridge" */
        const char *subnet, *gateway, *ip_range;
        bool internal;
        struct nlab_strv opts;   /* mtu=N, icc=true|false */
        struct nlab_strv labels; /* K=V */
};

int nlab_network_create(struct nlab_store *st, const struct nlab_net_create_req *req,
                        char id[NLAB_ID_LEN + 1], struct nlab_err *err);
/* Find by name, full id or unique id prefix. */
int nlab_network_load(struct nlab_store *st, const char *ref, struct nlab_net *net,
                      struct nlab_err *err);
/* Every network, predefined first, then by creation; free *nets. A record that does not parse
 * is left out. */
/* The network a mistyped REF most likely means (a near name, or the network whose Linux bridge
 * REF names) into out: 1 if there is one. */
int nlab_network_near(struct nlab_store *st, const char *ref, char *out, size_t size);
int nlab_network_list(struct nlab_store *st, struct nlab_net **nets, size_t *n,
                      struct nlab_err *err);
/* The record as Docker shows it (netlab's own keys left out), for inspect and listings. */
json_t *nlab_network_record(struct nlab_store *st, const struct nlab_net *net);
/* Is bridge this root's to use? 0 when it is missing or ours (an unmarked one is marked as ours
 * with mark), CONFLICT naming the state root whose bridge it is otherwise: two roots that picked
 * the same name never share one bridge, address plan and firewall entries. */
int nlab_network_bridge_claim(const struct nlab_store *st, const char *bridge, bool mark,
                              struct nlab_err *err);
/* Write the records of bridge, host and none if missing (no kernel objects yet). */
int nlab_network_ensure_predefined(struct nlab_store *st, struct nlab_err *err);
/* The kernel side of a bridge network: the bridge with its gateway, its firewall entries,
 * its DNS registration. Idempotent; done at network create and at first use of `bridge`. */
int nlab_network_realize(struct nlab_store *st, const struct nlab_net *net, struct nlab_err *err);

bool nlab_network_is_predefined(const char *name);
bool nlab_network_is_user(const struct nlab_net *net); /* a user-defined bridge network */
/* Ids of the containers with an endpoint record on the network; free with
 * nlab_store_free_list. */
int nlab_network_endpoints(struct nlab_store *st, const char *name, char ***ids, size_t *n,
                           struct nlab_err *err);
/* Under the lock: the kernel side and the records of a network, gone. Whether containers
 * still use it is for the caller to decide. */
int nlab_network_destroy(struct nlab_store *st, const struct nlab_net *net, struct nlab_err *err);
/* <root>/networks/<name>[/sub] */
int nlab_network_path(const struct nlab_store *st, const char *name, const char *sub, char *buf,
                      size_t size, struct nlab_err *err);

#endif
