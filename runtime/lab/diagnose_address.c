/* B written as an IPv4 address or "host": a container's address walks as to that container; an
 * address nothing in the lab has says so. */
#include "runtime/lab/diagnose_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/ipam.h"
#include "runtime/net/network.h"

/* The container that has the address ip, loaded into c, and the network it has it on: 1, or 0
 * when no container has it. */
static int address_owner(struct nlab_store *st, const char *ip, struct nlab_party *c,
                         const char **net)
{
        char **ids;
        size_t n, i, k;
        int found = 0;

        if (nlab_store_list(st, &ids, &n, NULL) < 0)
                return 0;
        for (i = 0; i < n && !found; i++) {
                if (nlab_party_load(st, ids[i], NULL, 0, 0, c, NULL) < 0)
                        continue;
                for (k = 0; k < nlab_party_n_endpoints(c) && !found; k++) {
                        const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(c, k);
                        if (ep->ip_address && !strcmp(ep->ip_address, ip)) {
                                *net = ep->network;
                                found = 1;
                        }
                }
                if (!found)
                        nlab_party_free(c);
        }
        nlab_store_free_list(ids, n);
        return found;
}

/* B written as a container's address: the same walk as to that container, on that network. */
static void to_owned_address(struct nlab_diag *d, const struct nlab_party *a,
                             const struct nlab_party *c, const char *net, const struct target *t)
{
        char an[256], fix[256];
        struct in_addr dst;

        if (!diag_usable(d, c) || !diag_networked_step(d, a))
                return;
        if (a->kind == NLAB_PARTY_CONTAINER && !nlab_party_endpoint(a, net) && !diag_routed(d)) {
                diag_list_names(a, an, sizeof(an));
                snprintf(fix, sizeof(fix), "netlab network connect %s %s", net, cname(a));
                diag_fail(d, NLAB_REASON_DIFFERENT_NETWORKS, fix,
                          "%s is %s's address on %s, and %s is on %s: netlab drops traffic between "
                          "different networks",
                          t->name, cname(c), net, cname(a), an);
                return;
        }
        diag_pass(d, "%s is %s's address on %s", t->name, cname(c), net);
        if (t->port && !diag_listener_step(d, c, t->port, t->proto, NULL))
                return;
        inet_pton(AF_INET, t->name, &dst);
        diag_final_probe(d, a, dst, t->name, t);
}

static bool is_external_address(const struct nlab_external *ext, size_t next, struct in_addr ip)
{
        size_t i;

        for (i = 0; i < next; i++)
                if (ext[i].addr.s_addr == ip.s_addr)
                        return true;
        return false;
}

/* Is ip inside some network of the lab? Outside them all it is beyond the lab host: the
 * internet a teacher's notes ping (8.8.8.8), which a sandboxed lab never has. */
static bool in_lab_subnet(struct nlab_store *st, struct in_addr ip)
{
        struct nlab_net *nets;
        size_t n, i;
        bool in = false;

        if (nlab_network_list(st, &nets, &n, NULL) < 0)
                return true; /* not known: keep the plain message */
        for (i = 0; i < n; i++)
                if (nets[i].has_pool && nlab_subnet_contains(&nets[i].pool.subnet, ip))
                        in = true;
        free(nets);
        return in;
}

void diag_to_address(struct nlab_diag *d, struct nlab_store *st, const struct nlab_external *ext,
                     size_t next, const struct nlab_party *a, const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN];
        struct nlab_party c;
        const char *net = NULL;
        struct in_addr dst;

        /* 127.0.0.0/8 is A's own loopback, whatever its networks */
        if (strncmp(t->name, "127.", 4) && strcmp(t->name, "host") &&
            address_owner(st, t->name, &c, &net)) {
                to_owned_address(d, a, &c, net, t);
                nlab_party_free(&c);
                return;
        }
        if (strncmp(t->name, "127.", 4) && !diag_way_out_step(d, st, a))
                return;
        if (!strcmp(t->name, "host") && t->port && !diag_published_step(d, st, a, t))
                return;
        if (!strcmp(t->name, "host")) {
                if (diag_host_seen_from(d, a, &dst, ip_text, sizeof(ip_text)) == 0)
                        diag_final_probe(d, a, dst, ip_text, t);
                return;
        }
        inet_pton(AF_INET, t->name, &dst);
        /* a check that got no answer from an address nothing in the lab has */
        if (strncmp(t->name, "127.", 4) && d->seen && !diag_routed(d) &&
            !is_external_address(ext, next, dst) && !in_lab_subnet(st, dst)) {
                diag_fail(
                    d, NLAB_REASON_NO_HOST,
                    "to show the way out, add a test host (external internet in a .lab, netlab "
                    "external add internet by hand) and reach internet",
                    "%s is outside every network of the lab and nothing answered: a lab has no "
                    "internet (a scenario's sandbox has no way out at all)",
                    t->name);
                return;
        }
        if (strncmp(t->name, "127.", 4) && d->seen && !diag_routed(d) &&
            !is_external_address(ext, next, dst)) {
                diag_fail(d, NLAB_REASON_NO_HOST, "check the address: netlab network inspect ...",
                          "no container and no test host has the address %s", t->name);
                return;
        }
        diag_final_probe(d, a, dst, t->name, t);
}
