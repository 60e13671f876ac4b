/* The container side of networking: which mode a container uses and what each mode does at
 * create, start, stop and remove. Modes: none, host, bridge, container:NAME, user networks. */
#ifndef NLAB_NETMODE_H
#define NLAB_NETMODE_H

#include <jansson.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"

struct nlab_run_req;

/* Validate the request's network options and record them in cfg (no side effects). */
int nlab_netmode_prepare(struct nlab_store *st, json_t *cfg, const struct nlab_run_req *req,
                         struct nlab_err *err);
/* Under the store lock at create: claim addresses. */
int nlab_netmode_claim(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err);
/* Whether container holder's record still has ip on network net (nlab_attach_held_fn). */
bool nlab_netmode_address_held(const struct nlab_store *st, const char *holder, const char *net,
                               const char *ip);
/* At rm: give back what claim took. Best effort. */
void nlab_netmode_release(struct nlab_store *st, const char *id, const json_t *cfg);
/* Which namespaces the process gets: CLONE_NEWNET, or a pidfd of the process whose netns to join.
 */
int nlab_netmode_namespaces(struct nlab_store *st, const json_t *cfg, int *clone_flags,
                            int *join_fd, struct nlab_err *err);
/* Write the container's hosts and resolv.conf. */
int nlab_netmode_etc_files(struct nlab_store *st, const char *id, const json_t *cfg,
                           struct nlab_err *err);
/* After the namespaces exist, before the command runs: interfaces, ports, names. */
int nlab_netmode_start(struct nlab_store *st, const char *id, json_t *cfg, int pid,
                       struct nlab_err *err);
/* After the process is gone: undo what start did. Best effort. */
void nlab_netmode_stop(struct nlab_store *st, const char *id, const json_t *cfg);

/* "bridge", "none", "host", "container:<id>" or a network name. */
const char *nlab_netmode_of(const json_t *cfg);
/* The REF of a "container:REF" mode (an id once created), or NULL for any other mode: the one
 * place that knows this syntax. */
const char *nlab_netmode_container_ref(const char *mode);
/* NetworkSettings.Networks: network name -> endpoint. */
json_t *nlab_netmode_networks(const json_t *cfg);
/* Rewrite /etc/hosts in place (connect and disconnect change one line). */
int nlab_netmode_write_hosts(struct nlab_store *st, const char *id, const json_t *cfg,
                             struct nlab_err *err);
/* Rewrite /etc/resolv.conf in place so its nameserver is the gateway of a network the container
 * is still on: netlab-dns only answers on those bridges (connect and disconnect call it). */
int nlab_netmode_write_resolv(struct nlab_store *st, const char *id, const json_t *cfg,
                              struct nlab_err *err);

#endif
