/* netlab explain: for each port a container listens on (read from its namespace's socket
 * tables), who can reach it from where, by the rules of the netlab table (docs/ports.md):
 * peers on a shared network unless icc=false, other networks and the LAN only through a
 * published mapping, the host directly. */
#include "runtime/lab/explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/portspec.h"
#include "runtime/kernel/firewall.h"
#include "runtime/kernel/fwforeign.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"
#include "runtime/lab/explain_int.h"
#include "runtime/net/network.h"

#define MAX_PORTS 64

struct want {
        char name[128];
        unsigned port; /* 0: every listening port */
        enum nlab_proto proto;
};

static int parse_want(const char *target, struct want *w, struct nlab_err *err)
{
        const char *colon = strchr(target, ':');
        char *end;
        long port;

        memset(w, 0, sizeof(*w));
        snprintf(w->name, sizeof(w->name), "%.*s",
                 (int)(colon ? colon - target : (long)strlen(target)), target);
        if (!colon)
                return 0;
        port = strtol(colon + 1, &end, 10);
        w->proto = !strcmp(end, "/udp") ? NLAB_PROTO_UDP : NLAB_PROTO_TCP;
        if (end == colon + 1 || port < 1 || port > 65535 ||
            (*end && strcmp(end, "/tcp") && strcmp(end, "/udp")))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid target \"%s\": expected CONTAINER, CONTAINER:PORT or "
                                    "CONTAINER:PORT/tcp|udp (port 1-65535)",
                                    target);
        w->port = (unsigned)port;
        return 0;
}

static struct nlab_xp_claim *claim(struct nlab_xp_port *p, enum nlab_xp_from from, const char *who,
                                   bool reachable, const char *via, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct nlab_xp_claim *claim(struct nlab_xp_port *p, enum nlab_xp_from from, const char *who,
                                   bool reachable, const char *via, const char *fmt, ...)
{
        struct nlab_xp_claim *c;
        va_list ap;

        if (p->n >= NLAB_XP_MAX_CLAIMS)
                return NULL; /* past the cap: not listed, not probed */
        c = &p->claims[p->n++];
        memset(c, 0, sizeof(*c));
        c->from = from;
        c->reachable = reachable;
        snprintf(c->who, sizeof(c->who), "%s", who ? who : "");
        snprintf(c->via, sizeof(c->via), "%s", via ? via : "");
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof(c->why), fmt, ap);
        va_end(ap);
        return c;
}

static void verify(const struct xp_subject *s, struct nlab_xp_claim *c, const struct xp_plan *pl,
                   size_t *diffs)
{
        if (c && s->lab->verify)
                nlab_xp_check(c, pl, diffs);
}

static void noprobe(const struct xp_subject *s, struct nlab_xp_claim *c, const char *why)
{
        if (c && s->lab->verify)
                nlab_xp_noprobe(c, why);
}

/* ---- the listening sockets, from the container's own /proc/PID/net ---- */

static void add_listener(struct nlab_xp_port *ports, size_t *n, const struct nlab_sock_row *row,
                         enum nlab_proto proto)
{
        struct in_addr a;
        size_t i;

        if (!nlab_sock_row_v4(row, &a.s_addr))
                return; /* IPv6 only: netlab's networks are IPv4 */
        for (i = 0; i < *n; i++)
                if (ports[i].port == row->port && ports[i].proto == proto)
                        break;
        if (i == *n) {
                if (*n >= MAX_PORTS)
                        return;
                memset(&ports[i], 0, sizeof(ports[i]));
                ports[i].port = row->port;
                ports[i].proto = proto;
                (*n)++;
        } else if (!strcmp(ports[i].bind, "0.0.0.0")) {
                return;
        }
        inet_ntop(AF_INET, &a, ports[i].bind, sizeof(ports[i].bind));
}

static int cmp_port(const void *a, const void *b)
{
        const struct nlab_xp_port *x = a, *y = b;

        if (x->proto != y->proto)
                return x->proto < y->proto ? -1 : 1;
        return x->port < y->port ? -1 : x->port > y->port;
}

static void read_listeners(int pid, struct nlab_xp_port *ports, size_t *n)
{
        static const char *const files[2][2] = {{"tcp", "tcp6"}, {"udp", "udp6"}};
        struct nlab_sock_row row;
        char path[64];
        int udp, v6;

        for (udp = 0; udp < 2; udp++)
                for (v6 = 0; v6 < 2; v6++) {
                        char *text = NULL;
                        const char *line;
                        snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, files[udp][v6]);
                        if (nlab_read_file(path, &text, NULL, NULL) < 0)
                                continue;
                        for (line = text; (line = nlab_port_scan_next(line, v6, !udp, &row));)
                                add_listener(ports, n, &row, udp ? NLAB_PROTO_UDP : NLAB_PROTO_TCP);
                        free(text);
                }
        qsort(ports, *n, sizeof(*ports), cmp_port);
}

/* ---- who is where ---- */

static bool in_subject_ns(const struct xp_subject *s, const struct nlab_party *p)
{
        return p == s->b || nlab_xp_same_netns(p, s->b);
}

/* A running container in a namespace of its own that can send: a probe source. */
static bool can_probe_from(const struct xp_subject *s, const struct nlab_party *p)
{
        return p->running && !p->stale && !p->in_host_ns && !in_subject_ns(s, p);
}

static const struct nlab_party *peer_on(const struct xp_subject *s, const char *net)
{
        size_t i;

        for (i = 0; i < s->lab->n; i++)
                if (can_probe_from(s, &s->lab->ctrs[i]) &&
                    nlab_party_endpoint(&s->lab->ctrs[i], net))
                        return &s->lab->ctrs[i];
        return NULL;
}

static bool shares_network(const struct xp_subject *s, const struct nlab_party *p)
{
        size_t i;

        for (i = 0; i < s->nnets; i++)
                if (nlab_party_endpoint(p, s->eps[i]->network))
                        return true;
        return false;
}

static bool net_internal(const struct xp_lab *lab, const char *name)
{
        struct nlab_net net;

        return nlab_network_load(lab->st, name, &net, NULL) == 0 && net.internal;
}

/* A container on none of its networks, whose first network leads out (not internal). */
static const struct nlab_party *stranger(const struct xp_subject *s)
{
        size_t i;

        for (i = 0; i < s->lab->n; i++) {
                const struct nlab_party *p = &s->lab->ctrs[i];
                const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(p, 0);
                const struct nlab_party *router;
                size_t k;
                if (can_probe_from(s, p) && ep && ep->gateway && ep->gateway[0] &&
                    !shares_network(s, p) && !net_internal(s->lab, ep->network) &&
                    !nlab_xp_route(s, p, &k, &router))
                        return p;
        }
        return NULL;
}

static void append(char *buf, size_t size, const char *sep, const char *word)
{
        size_t len = strlen(buf);

        snprintf(buf + len, size - len, "%s%s", len ? sep : "", word);
}

/* Names of the running containers (other than itself) that fit. */
static void list_sharers(const struct xp_subject *s, char *buf, size_t size)
{
        size_t i;

        buf[0] = '\0';
        for (i = 0; i < s->lab->n; i++) {
                const struct nlab_party *p = &s->lab->ctrs[i];
                if (p != s->b && p->running && !p->stale && nlab_xp_same_netns(p, s->b))
                        append(buf, size, ", ", nlab_party_name(p));
        }
}

static void list_peers(const struct xp_subject *s, const char *net, char *buf, size_t size)
{
        size_t i;

        buf[0] = '\0';
        for (i = 0; i < s->lab->n; i++)
                if (can_probe_from(s, &s->lab->ctrs[i]) &&
                    nlab_party_endpoint(&s->lab->ctrs[i], net))
                        append(buf, size, ", ", nlab_party_name(&s->lab->ctrs[i]));
}

/* Its veth on the bridge, from the kernel: present, up and enslaved to the network's bridge. */
static bool port_on_bridge(const struct nlab_ctr_endpoint *ep, const struct nlab_net *net,
                           char *why, size_t size)
{
        struct nlab_nl *nl = nlab_nl_open(NULL, NULL);
        struct nlab_link_info info;
        int found = -1, br = 0;

        if (nl && ep->host_ifname) {
                found = nlab_link_lookup(nl, ep->host_ifname, &info, NULL);
                nlab_link_ifindex(nl, net->bridge, &br, NULL);
        }
        if (nl)
                nlab_nl_close(nl);
        if (found == 1 && info.up && info.master == br)
                return true;
        snprintf(why, size, "its port on bridge %s (%s) is %s", net->bridge,
                 ep->host_ifname ? ep->host_ifname : "?",
                 found != 1 ? "missing"
                 : !info.up ? "down"
                            : "not attached to the bridge");
        return false;
}

/* ---- the published mappings, from its record (the owner's for container:) ---- */

static const struct nlab_port_entry *published(const struct xp_subject *s,
                                               const struct nlab_xp_port *p)
{
        const struct nlab_ctr_config *cfg = s->b->owner_cfg ? s->b->owner_cfg : s->b->cfg;
        char key[32];
        size_t i;

        snprintf(key, sizeof(key), "%u/%s", p->port, p->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        for (i = 0; cfg && i < cfg->ports.n; i++)
                if (!strcmp(cfg->ports.v[i].key, key) && !cfg->ports.v[i].unbound)
                        return &cfg->ports.v[i];
        return NULL;
}

static bool loopback_ip(const char *ip)
{
        return !strncmp(ip, "127.", 4);
}

static const char *any_ip(const char *ip)
{
        return ip && ip[0] ? ip : "0.0.0.0";
}

/* A mapping bound to one host address (not every one). */
static bool one_ip(const char *ip)
{
        return strcmp(any_ip(ip), "0.0.0.0") != 0;
}

/* ---- the claims of one port ---- */

struct port_ctx {
        const struct xp_subject *s;
        struct nlab_xp_port *p;
        size_t *diffs;
        bool loopback_only;  /* it listens on 127.x: nothing outside its namespace reaches it */
        struct in_addr addr; /* its address for the host and strangers */
        bool has_addr;
        size_t addr_net; /* the network of addr */
};

static void plan_to(struct xp_plan *pl, const char *netns, const char *from, struct in_addr dst,
                    unsigned port, enum nlab_proto proto)
{
        pl->netns = netns;
        pl->from = from;
        pl->dst = dst;
        pl->port = port;
        pl->proto = proto;
}

static void claim_self(struct port_ctx *x)
{
        const struct xp_subject *s = x->s;
        char who[256], via[64];
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        struct in_addr dst;

        list_sharers(s, who, sizeof(who));
        if (!strcmp(x->p->bind, "0.0.0.0"))
                inet_pton(AF_INET, "127.0.0.1", &dst);
        else
                inet_pton(AF_INET, x->p->bind, &dst);
        snprintf(via, sizeof(via), "%s:%u", inet_ntoa(dst), x->p->port);
        c = claim(x->p, NLAB_XP_SELF, who, true, via, "from inside %s%s%s%s: %s",
                  nlab_party_name(s->b), who[0] ? " and its namespace's sharers (" : "", who,
                  who[0] ? ")" : "", via);
        plan_to(&pl, nlab_party_netns(s->b), nlab_party_name(s->b), dst, x->p->port, x->p->proto);
        verify(s, c, &pl, x->diffs);
}

/* Why its peers on network i do not reach the port, or NULL. */
static const char *network_blocked(const struct port_ctx *x, size_t i, char *buf, size_t size)
{
        const struct xp_subject *s = x->s;

        if (x->loopback_only ||
            (strcmp(x->p->bind, "0.0.0.0") && strcmp(x->p->bind, s->eps[i]->ip_address))) {
                snprintf(buf, size, "it listens on %s only", x->p->bind);
                return buf;
        }
        if (!s->nets[i].icc) {
                snprintf(buf, size, "%s has icc=false: its containers may not talk to each other",
                         s->nets[i].name);
                return buf;
        }
        return s->up[i] ? NULL : s->down[i];
}

static void claim_network(struct port_ctx *x, size_t i)
{
        const struct xp_subject *s = x->s;
        const struct nlab_ctr_endpoint *ep = s->eps[i];
        const struct nlab_party *peer = peer_on(s, ep->network);
        char peers[256], buf[160], via[64];
        const char *why = network_blocked(x, i, buf, sizeof(buf));
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        struct in_addr dst;

        list_peers(s, ep->network, peers, sizeof(peers));
        snprintf(via, sizeof(via), "%s:%u", ep->ip_address, x->p->port);
        c = claim(x->p, NLAB_XP_NETWORK, ep->network, !why, why ? NULL : via,
                  "%s network %s%s%s%s%s%s", why ? "not from" : "from", ep->network,
                  peers[0] ? " (" : "", peers, peers[0] ? ")" : "", why ? ": " : " at ",
                  why ? why : via);
        if (!peer || inet_pton(AF_INET, ep->ip_address, &dst) != 1) {
                noprobe(s, c, "no other running container on this network to probe from");
                return;
        }
        plan_to(&pl, nlab_party_netns(peer), nlab_party_name(peer), dst, x->p->port, x->p->proto);
        verify(s, c, &pl, x->diffs);
}

/* Why the host's mapping hip:PORT does not lead to the port, or NULL when it does. */
static const char *pub_blocked(const struct port_ctx *x, const char *hip, bool from_host)
{
        const struct xp_subject *s = x->s;

        if (!from_host && loopback_ip(any_ip(hip)))
                return "a loopback-only mapping";
        if (s->lab->fw == 0)
                return "the netlab table is gone: no mapping works";
        if (x->loopback_only)
                return "it listens on loopback only";
        if (!from_host && s->published_internal)
                return "it leads into an internal network";
        if (s->published_net >= 0 && !s->up[s->published_net])
                return s->down[s->published_net];
        return NULL;
}

/* Why its own address does not lead to the port, or NULL. */
static const char *addr_blocked(const struct port_ctx *x)
{
        if (x->loopback_only)
                return "it listens on loopback only";
        if (!x->s->up[x->addr_net])
                return x->s->down[x->addr_net];
        return NULL;
}

/* Containers on other networks that a router between the networks lets through. */
static void claim_routed(struct port_ctx *x)
{
        const struct xp_subject *s = x->s;
        const struct nlab_party *router;
        char via[64];
        size_t i, k;

        for (i = 0; i < s->lab->n; i++) {
                const struct nlab_party *p = &s->lab->ctrs[i];
                const char *why, *ip;
                struct nlab_xp_claim *c;
                struct xp_plan pl;
                struct in_addr dst;
                if (!can_probe_from(s, p) || shares_network(s, p) ||
                    !nlab_xp_route(s, p, &k, &router))
                        continue;
                ip = s->eps[k]->ip_address;
                why = x->loopback_only ? "it listens on loopback only"
                      : !s->up[k]      ? s->down[k]
                                       : NULL;
                snprintf(via, sizeof(via), "%s:%u", ip, x->p->port);
                c = claim(x->p, NLAB_XP_OTHER, nlab_party_endpoint_at(p, 0)->network, !why,
                          why ? NULL : via,
                          "%s %s on network %s through the router %s (both route through it, it "
                          "forwards) at %s%s%s",
                          why ? "not from" : "from", nlab_party_name(p),
                          nlab_party_endpoint_at(p, 0)->network, nlab_party_name(router), via,
                          why ? ": " : "", why ? why : "");
                if (inet_pton(AF_INET, ip, &dst) != 1)
                        continue;
                plan_to(&pl, nlab_party_netns(p), nlab_party_name(p), dst, x->p->port, x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
}

/* Other networks: never to its own address; through a published port at their gateway. */
static void claim_other(struct port_ctx *x, const struct nlab_port_entry *pub)
{
        const struct xp_subject *s = x->s;
        const struct nlab_party *o = stranger(s);
        const struct nlab_ctr_endpoint *oep = o ? nlab_party_endpoint_at(o, 0) : NULL;
        char via[64] = "";
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        struct in_addr gw;
        size_t j;

        if (!x->has_addr)
                return;
        claim_routed(x);
        c = claim(x->p, NLAB_XP_OTHER, "", s->lab->fw == 0 && !addr_blocked(x), NULL,
                  "%s other networks at its own address: %s",
                  s->lab->fw == 0 && !addr_blocked(x) ? "from" : "not from",
                  s->lab->fw == 0 ? "the netlab table is gone, nothing separates networks"
                                  : "netlab drops traffic between networks");
        if (o) {
                plan_to(&pl, nlab_party_netns(o), nlab_party_name(o), x->addr, x->p->port,
                        x->p->proto);
                verify(s, c, &pl, x->diffs);
        } else {
                noprobe(s, c, "no running container on another network to probe from");
        }
        for (j = 0; pub && j < pub->n; j++) {
                const char *hip = pub->v[j].host_ip;
                const char *why = pub_blocked(x, hip, false);
                snprintf(via, sizeof(via), "%s:%s", one_ip(hip) ? hip : "GATEWAY",
                         pub->v[j].host_port);
                c = claim(x->p, NLAB_XP_OTHER, "", !why, why ? NULL : via,
                          "%s other networks through the host's port %s:%s%s%s",
                          why ? "not from" : "from", any_ip(hip), pub->v[j].host_port,
                          why ? ": " : " (at their gateway)", why ? why : "");
                if (!o || !oep || inet_pton(AF_INET, oep->gateway, &gw) != 1) {
                        noprobe(s, c, "no running container on another network to probe from");
                        continue;
                }
                if (one_ip(hip) && !loopback_ip(hip))
                        inet_pton(AF_INET, hip, &gw);
                plan_to(&pl, nlab_party_netns(o), nlab_party_name(o), gw,
                        (unsigned)atoi(pub->v[j].host_port), x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
}

static void claim_host(struct port_ctx *x, const struct nlab_port_entry *pub)
{
        const struct xp_subject *s = x->s;
        const char *why;
        char via[64];
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        struct in_addr dst;
        size_t j;

        if (x->has_addr) {
                why = addr_blocked(x);
                snprintf(via, sizeof(via), "%s:%u", inet_ntoa(x->addr), x->p->port);
                c = claim(x->p, NLAB_XP_HOST, "", !why, why ? NULL : via, "%s the host at %s%s%s",
                          why ? "not from" : "from", via, why ? ": " : "", why ? why : "");
                plan_to(&pl, NULL, "the host", x->addr, x->p->port, x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
        for (j = 0; pub && j < pub->n; j++) {
                const char *hip = pub->v[j].host_ip;
                why = pub_blocked(x, hip, true);
                snprintf(via, sizeof(via), "%s:%s", one_ip(hip) ? hip : "127.0.0.1",
                         pub->v[j].host_port);
                c = claim(x->p, NLAB_XP_HOST, "", !why, why ? NULL : via,
                          "%s the host through its port %s%s%s", why ? "not from" : "from", via,
                          why ? ": " : "", why ? why : "");
                inet_pton(AF_INET, one_ip(hip) ? hip : "127.0.0.1", &dst);
                plan_to(&pl, NULL, "the host", dst, (unsigned)atoi(pub->v[j].host_port),
                        x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
}

/* The LAN: the first external host stands in for it when there is one. */
static void claim_outside(struct port_ctx *x, const struct nlab_port_entry *pub)
{
        const struct xp_subject *s = x->s;
        const struct nlab_external *e = s->lab->next ? &s->lab->ext[0] : NULL;
        char via[64], why[192];
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        struct in_addr dst;
        size_t j;

        if (!pub || !pub->n) {
                claim(x->p, NLAB_XP_OUTSIDE, "", false, NULL,
                      "not from outside: %u/%s is not published", x->p->port,
                      x->p->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
                return;
        }
        for (j = 0; j < pub->n; j++) {
                const char *hip = any_ip(pub->v[j].host_ip);
                const char *blocked = pub_blocked(x, hip, false);
                snprintf(via, sizeof(via), "%s:%s", hip, pub->v[j].host_port);
                if (blocked && loopback_ip(hip))
                        snprintf(why, sizeof(why), ": the mapping %s is loopback-only", via);
                else if (blocked)
                        snprintf(why, sizeof(why), ": %s", blocked);
                else
                        why[0] = '\0';
                c = claim(x->p, NLAB_XP_OUTSIDE, "", !blocked, blocked ? NULL : via,
                          "%s outside through %s%s", blocked ? "not from" : "from", via, why);
                if (!e) {
                        noprobe(s, c, "no external host to probe from (netlab external add)");
                        continue;
                }
                dst = e->host_addr;
                if (one_ip(hip) && !loopback_ip(hip))
                        inet_pton(AF_INET, hip, &dst);
                plan_to(&pl, e->netns_path, e->name, dst, (unsigned)atoi(pub->v[j].host_port),
                        x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
}

static void claim_externals(struct port_ctx *x)
{
        const struct xp_subject *s = x->s;
        struct nlab_xp_claim *c;
        struct xp_plan pl;
        char via[64];
        size_t i;

        if (!x->has_addr)
                return;
        snprintf(via, sizeof(via), "%s:%u", inet_ntoa(x->addr), x->p->port);
        for (i = 0; i < s->lab->next; i++) {
                const struct nlab_external *e = &s->lab->ext[i];
                /* its default route leads to the lab host, which forwards unless the table drops */
                bool open = s->lab->fw == 0 && !addr_blocked(x);
                c = claim(x->p, NLAB_XP_EXTERNAL, e->name, open, open ? via : NULL,
                          "%s external host %s at %s: %s", open ? "from" : "not from", e->name, via,
                          open ? "the netlab table is gone, nothing drops it"
                               : "outside machines reach a container only through a published "
                                 "port");
                plan_to(&pl, e->netns_path, e->name, x->addr, x->p->port, x->p->proto);
                verify(s, c, &pl, x->diffs);
        }
}

/* The audiences of the reachable claims, in a fixed order: its networks, networks behind a
 * router, the host, other networks through a published port. */
static void audiences(const struct nlab_xp_port *p, char *buf, size_t size)
{
        bool host = false, other = false;
        char word[160];
        size_t i;

        buf[0] = '\0';
        for (i = 0; i < p->n; i++) {
                const struct nlab_xp_claim *c = &p->claims[i];
                if (c->reachable && c->from == NLAB_XP_NETWORK)
                        append(buf, size, ", ", c->who);
        }
        for (i = 0; i < p->n; i++) {
                const struct nlab_xp_claim *c = &p->claims[i];
                if (!c->reachable)
                        continue;
                if (c->from == NLAB_XP_OTHER && c->who[0]) {
                        snprintf(word, sizeof(word), "%s (through a router)", c->who);
                        if (!strstr(buf, word))
                                append(buf, size, ", ", word);
                }
                host |= c->from == NLAB_XP_HOST;
                other |= c->from == NLAB_XP_OTHER && !c->who[0];
        }
        if (host)
                append(buf, size, ", ", "the host");
        if (other)
                append(buf, size, ", ", "other networks through the published port");
}

static void summarize(struct nlab_xp_port *p, const char *name)
{
        const char *proto = p->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        char outside[192] = "", who[384];
        size_t i;

        for (i = 0; i < p->n; i++)
                if (p->claims[i].reachable && p->claims[i].from == NLAB_XP_OUTSIDE)
                        append(outside, sizeof(outside), ", ", p->claims[i].via);
        audiences(p, who, sizeof(who));
        if (outside[0])
                snprintf(p->summary, sizeof(p->summary),
                         "%s:%u/%s is reachable from outside through %s%s%s", name, p->port, proto,
                         outside, who[0] ? "; also from " : "", who);
        else if (who[0])
                snprintf(p->summary, sizeof(p->summary), "%s:%u/%s only from %s", name, p->port,
                         proto, who);
        else
                snprintf(p->summary, sizeof(p->summary), "%s:%u/%s only from inside %s", name,
                         p->port, proto, name);
}

static void explain_port(const struct xp_subject *s, struct nlab_xp_port *p, size_t *diffs)
{
        const struct nlab_port_entry *pub = published(s, p);
        struct port_ctx x = {s, p, diffs, false, {0}, false, 0};
        size_t i;

        x.loopback_only = loopback_ip(p->bind);
        for (i = 0; i < s->nnets && !x.has_addr; i++) {
                bool mine = !strcmp(p->bind, "0.0.0.0") || !strcmp(p->bind, s->eps[i]->ip_address);
                x.has_addr = (mine || x.loopback_only) &&
                             inet_pton(AF_INET, s->eps[i]->ip_address, &x.addr) == 1;
                x.addr_net = i;
        }
        claim_self(&x);
        for (i = 0; i < s->nnets; i++)
                claim_network(&x, i);
        claim_other(&x, pub);
        claim_host(&x, pub);
        claim_outside(&x, pub);
        claim_externals(&x);
        summarize(p, nlab_party_name(s->b));
}

/* ---- names ---- */

static void explain_names(const struct xp_subject *s, struct nlab_xp_ctr *out, size_t *diffs)
{
        const struct nlab_ctr_config *cfg = s->b->owner_cfg ? s->b->owner_cfg : s->b->cfg;
        const char *name = cfg->name + (cfg->name[0] == '/');
        char shortid[13], buf[160];
        size_t i, a;

        /* a container: sharer has no records of its own: the names are its owner's */
        snprintf(shortid, sizeof(shortid), "%s", cfg->id);
        for (i = 0; i < s->nnets; i++) {
                const struct nlab_ctr_endpoint *ep = s->eps[i];
                struct nlab_xp_names *n = &out->names[out->nnames];
                const struct nlab_party *peer;
                if (!nlab_network_is_user(&s->nets[i]))
                        continue; /* netlab-dns serves user-defined networks only */
                out->nnames++;
                snprintf(n->network, sizeof(n->network), "%s", ep->network);
                snprintf(n->ip, sizeof(n->ip), "%s", ep->ip_address);
                snprintf(buf, sizeof(buf), "%s.%s", name, ep->network);
                append(n->names, sizeof(n->names), ", ", name);
                append(n->names, sizeof(n->names), ", ", buf);
                append(n->names, sizeof(n->names), ", ", shortid);
                for (a = 0; a < ep->aliases.n; a++) {
                        snprintf(buf, sizeof(buf), "%s.%s", ep->aliases.v[a], ep->network);
                        append(n->names, sizeof(n->names), ", ", ep->aliases.v[a]);
                        append(n->names, sizeof(n->names), ", ", buf);
                }
                if (!s->lab->verify)
                        continue;
                peer = peer_on(s, ep->network);
                if (peer)
                        nlab_xp_check_names(s->lab, peer, n, diffs);
                else
                        n->check = NLAB_XP_NOPROBE,
                        snprintf(n->probe, sizeof(n->probe),
                                 "no other running container on this network to ask from");
        }
}

/* ---- one container ---- */

static int load_subject(const struct xp_lab *lab, const struct nlab_party *b, struct xp_subject *s)
{
        const struct nlab_ctr_config *cfg = b->owner_cfg ? b->owner_cfg : b->cfg;
        char why[sizeof(s->down[0])] = "";
        size_t i;

        memset(s, 0, sizeof(*s));
        s->lab = lab;
        s->b = b;
        s->published_net = -1;
        for (i = 0; i < nlab_party_n_endpoints(b) && s->nnets < NLAB_XP_MAX_NETS; i++) {
                const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(b, i);
                if (!ep->ip_address || !ep->ip_address[0] ||
                    nlab_network_load(lab->st, ep->network, &s->nets[s->nnets], NULL) < 0)
                        continue;
                if (cfg->ports_target && !strcmp(cfg->ports_target, ep->ip_address)) {
                        s->published_internal = s->nets[s->nnets].internal;
                        s->published_net = (int)s->nnets;
                }
                s->up[s->nnets] = port_on_bridge(ep, &s->nets[s->nnets], why, sizeof(why));
                memcpy(s->down[s->nnets], why, sizeof(why));
                s->eps[s->nnets++] = ep;
        }
        return 0;
}

static int explain_ctr(const struct xp_lab *lab, const struct nlab_party *b, const struct want *w,
                       struct nlab_xp_ctr *out, size_t *diffs)
{
        struct xp_subject s;
        size_t i;

        memset(out, 0, sizeof(*out));
        snprintf(out->name, sizeof(out->name), "%s", nlab_party_name(b));
        if (!b->running) {
                snprintf(out->note, sizeof(out->note), "%s is not running: nothing reaches it",
                         out->name);
                return 0;
        }
        if (b->in_host_ns) {
                snprintf(out->note, sizeof(out->note),
                         "%s uses the host's network (--network host): its ports are the host's",
                         out->name);
                return 0;
        }
        if (b->stale) {
                snprintf(out->note, sizeof(out->note),
                         "%s was left in %s's old namespace (%s restarted): it has no network",
                         out->name, b->owner, b->owner);
                return 0;
        }
        load_subject(lab, b, &s);
        out->ports = calloc(MAX_PORTS, sizeof(*out->ports));
        if (!out->ports)
                return -1;
        read_listeners(b->pid, out->ports, &out->nports);
        if (w && w->port) {
                for (i = 0; i < out->nports; i++)
                        if (out->ports[i].port == w->port && out->ports[i].proto == w->proto)
                                break;
                if (i < out->nports)
                        out->ports[0] = out->ports[i];
                out->nports = i < out->nports;
                if (!out->nports)
                        snprintf(out->note, sizeof(out->note),
                                 "nothing in %s listens on %u/%s: nothing can reach it there",
                                 out->name, w->port, w->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        } else if (!out->nports) {
                snprintf(out->note, sizeof(out->note), "nothing in %s listens on any port",
                         out->name);
        }
        for (i = 0; i < out->nports; i++)
                explain_port(&s, &out->ports[i], diffs);
        explain_names(&s, out, diffs);
        return 0;
}

/* ---- the lab ---- */

static void lab_free(struct xp_lab *lab)
{
        size_t i;

        for (i = 0; i < lab->n; i++)
                nlab_party_free(&lab->ctrs[i]);
        free(lab->ctrs);
        free(lab->ext);
}

static int lab_load(struct nlab_store *st, bool verify, struct xp_lab *lab, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i, up = 0;

        memset(lab, 0, sizeof(*lab));
        lab->st = st;
        lab->verify = verify;
        if (nlab_store_list(st, &ids, &n, err) < 0)
                return -1;
        lab->ctrs = calloc(n ? n : 1, sizeof(*lab->ctrs));
        if (!lab->ctrs) {
                nlab_store_free_list(ids, n);
                return nlab_err_sys(err, ENOMEM, "explain");
        }
        for (i = 0; i < n; i++)
                if (nlab_party_load(st, ids[i], NULL, 0, 0, &lab->ctrs[lab->n], NULL) == 0)
                        lab->n++;
        nlab_store_free_list(ids, n);
        if (nlab_external_list(st, &lab->ext, &lab->next, err) < 0)
                return -1;
        for (i = 0; i < lab->next; i++)
                if (lab->ext[i].state == NLAB_EXTERNAL_UP)
                        lab->ext[up++] = lab->ext[i];
        lab->next = up;
        lab->fw = nlab_fw_present(NULL);
        return 0;
}

/* The store's own lookup (name, id or unique prefix), so its error says what is wrong. */
static const struct nlab_party *find_ctr(const struct xp_lab *lab, const char *name,
                                         struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        size_t i;

        if (nlab_store_resolve(lab->st, name, id, err) < 0)
                return NULL;
        for (i = 0; i < lab->n; i++)
                if (!strcmp(lab->ctrs[i].id, id))
                        return &lab->ctrs[i];
        nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s", name);
        return NULL;
}

static void count_unprobed(struct nlab_explain *x)
{
        size_t i, j, k;

        for (i = 0; i < x->n; i++) {
                for (j = 0; j < x->v[i].nports; j++)
                        for (k = 0; k < x->v[i].ports[j].n; k++)
                                x->unprobed += x->v[i].ports[j].claims[k].check == NLAB_XP_NOPROBE;
                for (j = 0; j < x->v[i].nnames; j++)
                        x->unprobed += x->v[i].names[j].check == NLAB_XP_NOPROBE;
        }
}

static void lab_notes(const struct xp_lab *lab, struct nlab_explain *out)
{
        if (lab->fw == 0)
                snprintf(out->notes[0], sizeof(out->notes[0]),
                         "the table inet netlab is gone (nft flush ruleset?): no isolation and no "
                         "published port; netlab system reset, then start the containers again");
        nlab_fw_foreign(out->notes[1], sizeof(out->notes[1]), NULL);
}

int nlab_explain(struct nlab_store *st, const struct nlab_explain_req *req,
                 struct nlab_explain *out, struct nlab_err *err)
{
        const struct nlab_party *b = NULL;
        struct xp_lab lab;
        struct want w;
        size_t i;
        int r = 0;

        memset(out, 0, sizeof(*out));
        if (req->target && parse_want(req->target, &w, err) < 0)
                return -1;
        if (lab_load(st, req->verify, &lab, err) < 0) {
                lab_free(&lab);
                return -1;
        }
        if (req->target && !(b = find_ctr(&lab, w.name, err))) {
                r = -1;
                goto done;
        }
        out->v = calloc(lab.n ? lab.n : 1, sizeof(*out->v));
        if (!out->v) {
                r = nlab_err_sys(err, ENOMEM, "explain");
                goto done;
        }
        lab_notes(&lab, out);
        for (i = 0; i < lab.n && r == 0; i++) {
                const struct nlab_party *p = &lab.ctrs[i];
                if (req->target ? p != b : !p->running || p->owner_cfg)
                        continue; /* --all: a container: sharer shows under its owner */
                r = explain_ctr(&lab, p, req->target ? &w : NULL, &out->v[out->n],
                                &out->differences);
                out->n++;
        }
        if (r < 0)
                r = nlab_err_sys(err, ENOMEM, "explain");
        count_unprobed(out);
done:
        lab_free(&lab);
        return r;
}

void nlab_explain_free(struct nlab_explain *x)
{
        size_t i;

        for (i = 0; i < x->n; i++)
                free(x->v[i].ports);
        free(x->v);
        memset(x, 0, sizeof(*x));
}
