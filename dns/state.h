/* Reading the records the CLI wrote under DIR/dns/ into a store. */
#ifndef NLAB_DNS_STATE_H
#define NLAB_DNS_STATE_H

#include <stddef.h>

#include "dns/records.h"

/*
 * Re-read DNSDIR/networks/<name>.json (or containers/<id>.json): put it into the store, or drop
 * the record when the file is gone. Returns 0, or -1 with a message in msg.
 */
int nlab_dns_state_load_network(struct nlab_dns_store *s, const char *dnsdir, const char *name,
                                char *msg, size_t msglen);
int nlab_dns_state_load_container(struct nlab_dns_store *s, const char *dnsdir, const char *id,
                                  char *msg, size_t msglen);
/* Load every file (daemon start). Bad files are skipped; returns how many were skipped. */
int nlab_dns_state_load_all(struct nlab_dns_store *s, const char *dnsdir, char *msg, size_t msglen);

#endif
