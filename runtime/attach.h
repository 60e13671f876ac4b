/* One container on one network: its address claim, and its veth while it runs. The endpoint
 * is the container's NetworkSettings.Networks entry for that network. */
#ifndef NLAB_ATTACH_H
#define NLAB_ATTACH_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/err.h"
#include "runtime/fwbatch.h"
#include "runtime/hostsfile.h"
#include "runtime/store.h"

/* A fresh endpoint carrying the request (static ip, mac, aliases), validated against net. */
int nlab_attach_request(const json_t *net, const char *ip, const char *mac,
                        const struct nlab_strv *aliases, json_t **ep, struct nlab_err *err);
/* Claim an address (the static one, or the next free) and record the endpoint on the network.
 * Fills NetworkID, EndpointID, Gateway, IPAddress, IPPrefixLen, MacAddress. */
int nlab_attach_claim(struct nlab_store *st, const json_t *net, const char *ctr_id,
                      const char *ctr_name, json_t *ep, struct nlab_err *err);
/* Give the address and the record back. */
void nlab_attach_release(struct nlab_store *st, const char *net_name, const char *ctr_id,
                         const json_t *ep);
/* Plug the running container in: the network's kernel side, the port's anti-spoofing and icc
 * elements, then a veth named ifname inside. nets is the container's endpoints (ep may be among
 * them): a container on several networks may send the others' subnets on each port. */
int nlab_attach_up(struct nlab_store *st, const json_t *net, const char *ctr_id, json_t *ep,
                   const json_t *nets, const char *netns_path, const char *ifname,
                   bool default_route, struct nlab_err *err);
/* Unplug: delete the veth (already gone is fine), then its firewall elements. */
void nlab_attach_down(const char *ctr_id, const json_t *ep, const json_t *nets);
/* Only the firewall elements, pass the same nets as to up (stop: the veth goes with the netns). */
void nlab_attach_unfilter(const char *ctr_id, const json_t *ep, const json_t *nets);
/* Append the anti-spoofing elements of every plugged-in endpoint of a running container's cfg
 * to b: what a rebuilt, emptied table needs before its ports send again. */
int nlab_attach_build_filters(struct nlab_store *st, const char *ctr_id, const json_t *cfg,
                              struct nlab_fwb *b, struct nlab_err *err);

#endif
