/* The CLI's side of netlab-dns: write the records under ROOT/dns/ and tell the daemon. */
#ifndef NLAB_DNSCTL_H
#define NLAB_DNSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/types.h" /* struct nlab_dns_endpoint, struct nlab_dns_container */
#include "runtime/base/err.h"

/*
 * struct nlab_dns_endpoint { const char *network; const char *ip;
 *                            const char *const *aliases; size_t n_aliases; };
 * struct nlab_dns_container { const char *id; (64 hex) const char *name;
 *                             const char *const *dns_servers; size_t n_dns_servers;
 *                             const struct nlab_dns_endpoint *endpoints; size_t n_endpoints; };
 *
 * Every call costs the same however many containers exist, and returns only after the daemon
 * has applied the change. A dead daemon is restarted and rebuilds from the files.
 */

/* Write ROOT/dns/networks/<name>.json {"name","gateway","internal"}; start the daemon if needed. */
int nlab_dns_put_network(const char *root, const char *name, const char *gateway, bool internal,
                         struct nlab_err *err);
/* Remove it; the daemon exits when no network is left. */
int nlab_dns_drop_network(const char *root, const char *name, struct nlab_err *err);
/* Write ROOT/dns/containers/<id>.json (DNS-enabled networks only); replaces an earlier record. */
int nlab_dns_put_container(const char *root, const struct nlab_dns_container *c,
                           struct nlab_err *err);
int nlab_dns_drop_container(const char *root, const char *id, struct nlab_err *err);

#endif
