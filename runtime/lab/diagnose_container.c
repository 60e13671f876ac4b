/* From a container to a container: a shared network, B's name through A's resolver, icc, both
 * bridge ports, a listener, then the probe. */
#include "runtime/lab/diagnose_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/fsutil.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"
#include "runtime/net/hostsfile.h"
#include "runtime/net/network.h"
#include "runtime/lab/probe.h"

/* The first network both are on, and B's address there. */
static const char *shared_network(const struct nlab_party *a, const struct nlab_party *b,
                                  const char **b_ip)
{
        size_t i;

        for (i = 0; i < nlab_party_n_endpoints(a); i++) {
                const char *name = nlab_party_endpoint_at(a, i)->network;
                const struct nlab_ctr_endpoint *bep = nlab_party_endpoint(b, name);
                if (bep && bep->ip_address) {
                        *b_ip = bep->ip_address;
                        return name;
                }
        }
        return NULL;
}

static bool icc_step(struct nlab_diag *d, const struct nlab_net *net)
{
        const char *name = net->name;
        char fix[256];

        if (net->icc)
                return true;
        snprintf(
            fix, sizeof(fix),
            "netlab network create --subnet ... %s-icc (without -o icc=false) and connect both",
            name);
        diag_fail(
            d, NLAB_REASON_ICC_DISABLED, fix,
            "network %s was created with -o icc=false: containers on it may not talk to each other",
            name);
        return false;
}

static bool ports_up_step(struct nlab_diag *d, const struct nlab_party *c, const char *netname,
                          const struct nlab_net *net)
{
        const struct nlab_ctr_endpoint *ep = nlab_party_endpoint(c, netname);
        const char *host_if = ep ? ep->host_ifname : NULL;
        struct nlab_link_info info;
        int bridge_idx = 0, found;
        struct nlab_nl *nl = nlab_nl_open(NULL, NULL);
        char fix[128];

        if (!nl || !host_if)
                goto done;
        found = nlab_link_lookup(nl, host_if, &info, NULL);
        nlab_link_ifindex(nl, net->bridge, &bridge_idx, NULL);
        nlab_nl_close(nl);
        if (found == 1 && info.up && info.master == bridge_idx)
                goto done;
        snprintf(fix, sizeof(fix), "netlab restart %s", cname(c));
        diag_fail(d, NLAB_REASON_PORT_DOWN, fix, "%s's port on the bridge %s (%s) is %s", cname(c),
                  net->bridge, host_if,
                  found != 1 ? "missing"
                  : !info.up ? "down"
                             : "not attached to the bridge");
        return false;
done:
        return true;
}

/* Does A resolve B's name through its own resolver? Only meaningful on user networks. */
static void name_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                      const char *bname, const char *netname, const char *b_ip)
{
        struct nlab_probe_result res;
        struct in_addr ns;
        char path[PATH_MAX], *text = NULL;
        size_t i;

        if (a->kind != NLAB_PARTY_CONTAINER || d->explain)
                return; /* only a container has a resolver of ours */
        if (nlab_network_is_predefined(netname)) {
                diag_pass(d,
                          "(names do not resolve on the default bridge: use the address %s, or put "
                          "both on a user-defined network)",
                          b_ip);
                return;
        }
        if (nlab_store_path(st, path, sizeof(path), "containers", a->id, "resolv.conf", NULL) < 0 ||
            nlab_read_file(path, &text, NULL, NULL) < 0)
                return;
        i = (size_t)nlab_resolvconf_nameserver(text, &ns);
        free(text);
        if (!i || nlab_probe_resolve(nlab_party_netns(a), ns, bname, NLAB_PROBE_MS, &res, NULL) < 0)
                return;
        for (i = 0; i < res.naddrs; i++) {
                char got[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &res.addrs[i], got, sizeof(got));
                if (!strcmp(got, b_ip)) {
                        diag_pass(d, "%s resolves %s to %s", cname(a), bname, b_ip);
                        return;
                }
        }
        diag_fail(d, NLAB_REASON_NAME_UNKNOWN,
                  "check that the name is right: netlab ps; netlab network inspect ...",
                  "%s cannot resolve %s through its resolver (%s)", cname(a), bname,
                  nlab_probe_status_str(res.status));
}

static void to_routed(struct nlab_diag *d, const struct nlab_party *a, const struct nlab_party *b,
                      const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN], why[160];
        struct in_addr dst;

        if (t->port && !b->in_host_ns && !diag_listener_step(d, b, t->port, t->proto, NULL))
                return;
        if (nlab_party_target_address(a, b, &dst, why, sizeof(why)) < 0) {
                diag_fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                return;
        }
        inet_ntop(AF_INET, &dst, ip_text, sizeof(ip_text));
        diag_final_probe(d, a, dst, ip_text, t);
}

void diag_to_container(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                       const struct nlab_party *b, const struct target *t)
{
        const char *b_ip = NULL, *netname;
        char an[256], bn[256], fix[256];
        struct in_addr dst;
        struct nlab_net net;

        if (!diag_usable(d, b))
                return;
        if (a->kind != NLAB_PARTY_CONTAINER) {
                diag_outside_to_container(d, st, a, b, t);
                return;
        }
        if (!diag_networked_step(d, a))
                return;
        netname = shared_network(a, b, &b_ip);
        diag_list_names(a, an, sizeof(an));
        diag_list_names(b, bn, sizeof(bn));
        if (!netname && diag_routed(d)) {
                diag_pass(d, "%s and %s share no network, but packets got to %s: through a route",
                          cname(a), cname(b), cname(b));
                to_routed(d, a, b, t);
                return;
        }
        if (!netname) {
                const struct nlab_ctr_endpoint *bep = nlab_party_endpoint_at(b, 0);
                const char *first = bep ? bep->network : NULL;
                snprintf(fix, sizeof(fix), "netlab network connect %s %s",
                         first ? first : "NETWORK", cname(a));
                diag_fail(d, NLAB_REASON_DIFFERENT_NETWORKS, first ? fix : NULL,
                          "%s is on %s and %s is on %s: they share no network, and netlab drops "
                          "traffic between different networks",
                          cname(a), an, cname(b), bn);
                return;
        }
        diag_pass(d, "%s and %s share the network %s (%s has %s there)", cname(a), cname(b),
                  netname, cname(b), b_ip);
        if (nlab_network_load(st, netname, &net, NULL) < 0)
                return;
        name_step(d, st, a, t->name, netname, b_ip);
        if (d->n && !d->steps[d->n - 1].ok)
                return;
        if (!icc_step(d, &net) || !ports_up_step(d, a, netname, &net) ||
            !ports_up_step(d, b, netname, &net))
                return;
        diag_pass(d, "both ports on bridge %s are up", net.bridge);
        if (t->port && !diag_listener_step(d, b, t->port, t->proto, NULL))
                return;
        inet_pton(AF_INET, b_ip, &dst);
        diag_final_probe(d, a, dst, b_ip, t);
}
