/* One container on one network: its address claim, and its veth while it runs. The endpoint
 * is the container's NetworkSettings.Networks entry for that network. */
#ifndef NLAB_ATTACH_H
#define NLAB_ATTACH_H

#include <stdbool.h>

#include "runtime/base/ctrconfig.h"
#include "runtime/base/err.h"
#include "runtime/kernel/fwbatch.h"
#include "runtime/net/netrec.h"
#include "runtime/base/strv.h"
#include "runtime/base/store.h"

/* A fresh endpoint carrying the request (static ip, mac, aliases), validated against net.
 * Free it with nlab_ctr_endpoint_free unless it moves into a record. */
int nlab_attach_request(const struct nlab_net *net, const char *ip, const char *mac,
                        const struct nlab_strv *aliases, struct nlab_ctr_endpoint *ep,
                        struct nlab_err *err);
/* Whether a live holder still accounts for its claim of ip on network net: the container
 * layer knows, from its records (a killed `network connect` leaves a claim behind). */
typedef bool (*nlab_attach_held_fn)(const struct nlab_store *st, const char *holder,
                                    const char *net, const char *ip);
/* Claim an address (the static one, or the next free) and record the endpoint on the network.
 * Fills NetworkID, EndpointID, Gateway, IPAddress, IPPrefixLen, MacAddress. A claim whose
 * holder is dead, or whose live holder held() disowns, is taken over. */
int nlab_attach_claim(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                      const char *ctr_name, struct nlab_ctr_endpoint *ep, nlab_attach_held_fn held,
                      struct nlab_err *err);
/* Give the address and the record back. */
void nlab_attach_release(struct nlab_store *st, const char *net_name, const char *ctr_id,
                         const struct nlab_ctr_endpoint *ep);
/* Plug the running container in: the network's kernel side, the port's anti-spoofing and icc
 * elements, then a veth named ifname inside. nets is the container's endpoints (ep may be among
 * them): a container on several networks may send the others' subnets on each port. */
int nlab_attach_up(struct nlab_store *st, const struct nlab_net *net, const char *ctr_id,
                   struct nlab_ctr_endpoint *ep, const struct nlab_ctr_endpoints *nets,
                   const char *netns_path, const char *ifname, bool default_route,
                   struct nlab_err *err);
/* Unplug: delete the veth (already gone is fine), then its firewall elements. */
int nlab_attach_down(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                     const struct nlab_ctr_endpoints *nets, struct nlab_err *err);
/* Only the firewall elements, pass the same nets as to up (stop: the veth goes with the netns). */
void nlab_attach_unfilter(const char *ctr_id, const struct nlab_ctr_endpoint *ep,
                          const struct nlab_ctr_endpoints *nets);
/* Append the anti-spoofing elements of every plugged-in endpoint in a running container's nets
 * (its NetworkSettings.Networks) to b: what a rebuilt, emptied table needs before its ports
 * send again. */
int nlab_attach_build_filters(struct nlab_store *st, const char *ctr_id,
                              const struct nlab_ctr_endpoints *nets, struct nlab_fwb *b,
                              struct nlab_err *err);

#endif
