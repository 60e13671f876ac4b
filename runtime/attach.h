/* One container on one network: its address claim, and its veth while it runs. The endpoint
 * is the container's NetworkSettings.Networks entry for that network. */
#ifndef NLAB_ATTACH_H
#define NLAB_ATTACH_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/err.h"
#include "runtime/strv.h"
#include "runtime/netrec.h"
#include "runtime/store.h"

/* A fresh endpoint carrying the request (static ip, mac, aliases), validated against net. */
int nlab_attach_request(const struct nlab_net *net, const char *ip, const char *mac,
                        const struct nlab_strv *aliases, json_t **ep, struct nlab_err *err);
/* Whether a live holder still accounts for its claim of ip on network net: the container
 * layer knows, from its records (a killed `network connect` leaves a claim behind). */
typedef bool (*nlab_attach_held_fn)(const struct nlab_store *st, const char *holder,
                                    const char *net, const char *ip);
/* Claim an address (the static one, or the next free) and record the endpoint on the network.
 * Fills NetworkID, EndpointID, Gateway, IPAddress, IPPrefixLen, MacAddress. A claim whose
 * holder is dead, or whose live holder held() disowns, is taken over. */
int nlab_attach_claim(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                      const char *ctr_name, json_t *ep, nlab_attach_held_fn held,
                      struct nlab_err *err);
/* Give the address and the record back. */
void nlab_attach_release(struct nlab_store *st, const char *net_name, const char *ctr_id,
                         const json_t *ep);
/* Plug the running container in: the network's kernel side, then a veth named ifname inside. */
int nlab_attach_up(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                   json_t *ep, const char *netns_path, const char *ifname, bool default_route,
                   struct nlab_err *err);
/* Unplug: delete the veth (already gone is fine). */
int nlab_attach_down(const json_t *ep, struct nlab_err *err);

#endif
