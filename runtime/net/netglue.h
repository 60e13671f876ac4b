/* The kernel and daemon side of one network: its bridge, its firewall entries, its DNS
 * registration. Kept apart from the records so each piece has one place. */
#ifndef NLAB_NETGLUE_H
#define NLAB_NETGLUE_H

#include <jansson.h>

#include "runtime/base/err.h"
#include "runtime/net/netrec.h"
#include "runtime/base/store.h"

/* Bridge with gateway address, firewall sets, DNS listener. Idempotent; undoes itself on failure.
 */
int nlab_netglue_network_up(struct nlab_store *st, const struct nlab_net *net,
                            struct nlab_err *err);
/* Up only if its bridge is missing: what every container start calls, so a start does not
 * rewrite firewall rules or DNS records that are already in place. */
int nlab_netglue_network_ensure(struct nlab_store *st, const struct nlab_net *net,
                                struct nlab_err *err);
/* The firewall table is there, or is rebuilt from the records (after `nft flush ruleset`): one
 * netlink get when it is there. skip_id: a container being started, whose ports come later. */
int nlab_netglue_fw_check(struct nlab_store *st, const char *skip_id, struct nlab_err *err);
/* Remove all of it; best effort, missing pieces are fine. */
void nlab_netglue_network_down(struct nlab_store *st, const struct nlab_net *net);

/* A container's own pieces while it runs: published ports, DNS names. */
int nlab_netglue_ctr_up(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err);
void nlab_netglue_ctr_down(struct nlab_store *st, const char *id, const json_t *cfg);

#endif
