/* explain --verify: each claim tried with real packets from where the claim says. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/base/fsutil.h"
#include "runtime/lab/explain_int.h"
#include "runtime/lab/probe.h"

/* --verify probes every claim of a lab: a shorter wait than diagnose keeps it quick. */
#define PROBE_MS 1000

bool nlab_xp_same_netns(const struct nlab_party *a, const struct nlab_party *b)
{
        char pa[64], pb[64];
        struct stat sa, sb;

        if (!a->pid || !b->pid)
                return false;
        snprintf(pa, sizeof(pa), "/proc/%d/ns/net", a->pid);
        snprintf(pb, sizeof(pb), "/proc/%d/ns/net", b->pid);
        return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_ino == sb.st_ino &&
               sa.st_dev == sb.st_dev;
}

void nlab_xp_noprobe(struct nlab_xp_claim *c, const char *why)
{
        c->check = NLAB_XP_NOPROBE;
        snprintf(c->probe, sizeof(c->probe), "%s", why);
}

/* A UDP server need not answer: silence agrees with "reachable", only a reply or a refusal
 * tells. TCP is reached only when it connects. */
static bool agrees(bool claimed, enum nlab_proto proto, const struct nlab_probe_result *res)
{
        if (res->status == NLAB_PROBE_OK)
                return claimed;
        if (proto == NLAB_PROTO_UDP && res->status == NLAB_PROBE_TIMEOUT)
                return true;
        return !claimed;
}

void nlab_xp_check(struct nlab_xp_claim *c, const struct xp_plan *plan, size_t *differences)
{
        const char *proto = plan->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        struct nlab_probe_result res;
        char dst[INET_ADDRSTRLEN];
        struct nlab_err err;

        inet_ntop(AF_INET, &plan->dst, dst, sizeof(dst));
        if (nlab_probe_reach(plan->netns, plan->dst, plan->port, plan->proto, PROBE_MS, &res,
                             &err) < 0) {
                snprintf(c->probe, sizeof(c->probe), "probe from %s to %s:%u/%s failed: %s",
                         plan->from, dst, plan->port, proto, err.msg);
                c->check = NLAB_XP_NOPROBE;
                return;
        }
        c->check = agrees(c->reachable, plan->proto, &res) ? NLAB_XP_AGREES : NLAB_XP_DIFFERS;
        if (c->check == NLAB_XP_DIFFERS)
                (*differences)++;
        snprintf(c->probe, sizeof(c->probe), "from %s to %s:%u/%s: %s", plan->from, dst, plan->port,
                 proto,
                 res.status == NLAB_PROBE_OK ? "connected" : nlab_probe_status_str(res.status));
}

static int peer_nameserver(const struct xp_lab *lab, const struct nlab_party *peer,
                           struct in_addr *ns)
{
        char path[PATH_MAX], *text = NULL;
        int found;

        if (nlab_store_path(lab->st, path, sizeof(path), "containers", peer->id, "resolv.conf",
                            NULL) < 0 ||
            nlab_read_file(path, &text, NULL, NULL) < 0)
                return 0;
        found = nlab_resolvconf_nameserver(text, ns);
        free(text);
        return found;
}

/* Does peer's resolver give ip for name? The answer text goes to what. */
static bool resolves(const struct nlab_party *peer, struct in_addr ns, const char *name,
                     const char *ip, char *what, size_t size)
{
        struct nlab_probe_result res;
        char got[INET_ADDRSTRLEN] = "";
        size_t i;

        if (nlab_probe_resolve(nlab_party_netns(peer), ns, name, PROBE_MS, &res, NULL) < 0) {
                snprintf(what, size, "the query failed");
                return false;
        }
        for (i = 0; i < res.naddrs; i++) {
                inet_ntop(AF_INET, &res.addrs[i], got, sizeof(got));
                if (!strcmp(got, ip))
                        return true;
        }
        snprintf(what, size, "%s", res.naddrs ? got : nlab_probe_status_str(res.status));
        return false;
}

void nlab_xp_check_names(const struct xp_lab *lab, const struct nlab_party *peer,
                         struct nlab_xp_names *n, size_t *differences)
{
        char list[sizeof(n->names)], what[64], *save = NULL, *name;
        struct in_addr ns;
        size_t count = 0;

        if (!peer_nameserver(lab, peer, &ns)) {
                n->check = NLAB_XP_NOPROBE;
                snprintf(n->probe, sizeof(n->probe), "%s has no resolver to ask",
                         nlab_party_name(peer));
                return;
        }
        snprintf(list, sizeof(list), "%s", n->names);
        for (name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
                if (!resolves(peer, ns, name, n->ip, what, sizeof(what))) {
                        n->check = NLAB_XP_DIFFERS;
                        (*differences)++;
                        snprintf(n->probe, sizeof(n->probe), "%s asked for %s: %s",
                                 nlab_party_name(peer), name, what);
                        return;
                }
                count++;
        }
        n->check = NLAB_XP_AGREES;
        snprintf(n->probe, sizeof(n->probe), "%s resolved all %zu to %s", nlab_party_name(peer),
                 count, n->ip);
}
