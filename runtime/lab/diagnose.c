#include "runtime/lab/diagnose.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ctr/container.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/ipam.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"
#include "runtime/net/network.h"
#include "runtime/base/portspec.h"
#include "runtime/lab/probe.h"
#include "runtime/lab/party.h"

#define PROBE_MS 1500

struct target {
        char name[128];
        unsigned port;
        enum nlab_proto proto;
};

static void step(struct nlab_diag *d, bool ok, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void step(struct nlab_diag *d, bool ok, const char *fix, const char *fmt, ...)
{
        struct nlab_diag_step *s;
        va_list ap;

        if (d->n >= NLAB_DIAG_MAX_STEPS)
                return;
        s = &d->steps[d->n++];
        s->ok = ok;
        va_start(ap, fmt);
        vsnprintf(s->text, sizeof(s->text), fmt, ap);
        va_end(ap);
        snprintf(s->fix, sizeof(s->fix), "%s", fix ? fix : "");
}

static int parse_target(const char *to, struct target *t, struct nlab_err *err)
{
        const char *colon = strchr(to, ':'), *slash;
        char *end;
        long port;

        memset(t, 0, sizeof(*t));
        t->proto = NLAB_PROTO_ICMP;
        snprintf(t->name, sizeof(t->name), "%.*s", (int)(colon ? colon - to : (long)strlen(to)),
                 to);
        if (!colon)
                return 0;
        port = strtol(colon + 1, &end, 10);
        slash = *end == '/' ? end + 1 : NULL;
        if (end == colon + 1 || port < 1 || port > 65535 || (*end && !slash) ||
            (slash && strcmp(slash, "tcp") && strcmp(slash, "udp")))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid target \"%s\": expected B, B:PORT or B:PORT/tcp|udp "
                                    "(port 1-65535)",
                                    to);
        t->port = (unsigned)port;
        t->proto = slash && !strcmp(slash, "udp") ? NLAB_PROTO_UDP : NLAB_PROTO_TCP;
        return 0;
}

static const char *cname(const struct nlab_party *c)
{
        return nlab_party_name(c);
}

static void list_names(const struct nlab_party *p, char *buf, size_t size)
{
        size_t len = 0, i;

        buf[0] = '\0';
        for (i = 0; i < nlab_party_n_endpoints(p); i++)
                len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                                        len ? ", " : "", nlab_party_endpoint_at(p, i)->network);
        if (!len)
                snprintf(buf, size, "no network");
}

static bool running_step(struct nlab_diag *d, const struct nlab_party *c)
{
        char fix[128];

        if (c->kind != NLAB_PARTY_CONTAINER || c->running)
                return true;
        snprintf(fix, sizeof(fix), "netlab start %s", cname(c));
        step(d, false, fix, "%s is not running, so nothing can reach it or leave it", cname(c));
        return false;
}

/* --network container:NAME joins NAME's namespace once, at start: after NAME restarts, the
 * sidecar still holds the old namespace, which has no network any more. */
static bool stale_step(struct nlab_diag *d, const struct nlab_party *c)
{
        char fix[160];

        if (!c->stale)
                return true;
        if (!c->owner_running) {
                snprintf(fix, sizeof(fix), "netlab start %s, then netlab restart %s", c->owner,
                         cname(c));
                step(d, false, fix,
                     "%s shares %s's network namespace (--network container:%s), but %s is not "
                     "running: %s is left with no network",
                     cname(c), c->owner, c->owner, c->owner, cname(c));
                return false;
        }
        snprintf(fix, sizeof(fix), "netlab restart %s (it joins %s's new namespace)", cname(c),
                 c->owner);
        step(d, false, fix,
             "%s shares %s's network namespace (--network container:%s), but %s restarted since "
             "%s started: %s is left in %s's old namespace, which has no network",
             cname(c), c->owner, c->owner, c->owner, cname(c), cname(c), c->owner);
        return false;
}

static bool usable(struct nlab_diag *d, const struct nlab_party *c)
{
        return running_step(d, c) && stale_step(d, c);
}

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
        step(
            d, false, fix,
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
        step(d, false, fix, "%s's port on the bridge %s (%s) is %s", cname(c), net->bridge, host_if,
             found != 1 ? "missing"
             : !info.up ? "down"
                        : "not attached to the bridge");
        return false;
done:
        return true;
}

/* Does b listen on port/proto? why: what leads to that port, for the message. */
static bool listener_step(struct nlab_diag *d, const struct nlab_party *b, unsigned port,
                          enum nlab_proto proto, const char *why)
{
        static const char *const files[][2] = {{"tcp", "tcp6"}, {"udp", "udp6"}};
        int udp = proto == NLAB_PROTO_UDP;
        unsigned long inode;
        char path[64], fix[192];
        int i;

        for (i = 0; i < 2; i++) {
                char *text = NULL;
                int hit;
                snprintf(path, sizeof(path), "/proc/%d/net/%s", b->pid, files[udp][i]);
                if (nlab_read_file(path, &text, NULL, NULL) < 0)
                        continue;
                hit = nlab_port_scan_table(text, i, !udp, "", (uint16_t)port, &inode);
                free(text);
                if (hit == 1) {
                        step(d, true, NULL, "%s listens on %u/%s", cname(b), port,
                             udp ? "udp" : "tcp");
                        return true;
                }
        }
        if (why)
                snprintf(fix, sizeof(fix),
                         "start the server on %u in %s, or publish the port it listens on", port,
                         cname(b));
        else
                snprintf(fix, sizeof(fix), "start a server in it, e.g. netlab exec -d %s %s",
                         cname(b), udp ? "<a UDP server>" : "httpd -f -p <port>");
        step(d, false, fix, "nothing in %s listens on %u/%s%s%s", cname(b), port,
             udp ? "udp" : "tcp", why ? ", where " : "", why ? why : "");
        return false;
}

static void final_probe(struct nlab_diag *d, const struct nlab_party *a, struct in_addr dst,
                        const char *dst_text, const struct target *t)
{
        struct nlab_probe_result res;
        char what[64];

        snprintf(what, sizeof(what), "%s%s%.0u%s%s", dst_text, t->port ? ":" : "", t->port,
                 t->port ? "/" : "", t->port ? (t->proto == NLAB_PROTO_UDP ? "udp" : "tcp") : "");
        if (nlab_probe_reach(nlab_party_netns(a), dst, t->port, t->proto, PROBE_MS, &res, NULL) <
                0 ||
            (res.status != NLAB_PROBE_OK &&
             !(t->proto == NLAB_PROTO_UDP && res.status == NLAB_PROBE_TIMEOUT))) {
                step(d, false, "look at the rules: nft list table inet netlab",
                     "%s sent packets to %s and got: %s", cname(a), what,
                     nlab_probe_status_str(res.status));
                return;
        }
        d->reachable = true;
        step(d, true, NULL, "%s reaches %s (%u ms)", cname(a), what, res.ms);
}

/* Does A resolve B's name through its own resolver? Only meaningful on user networks. */
static void name_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                      const char *bname, const char *netname, const char *b_ip)
{
        struct nlab_probe_result res;
        struct in_addr ns;
        char path[PATH_MAX], *text = NULL;
        size_t i;

        if (a->kind != NLAB_PARTY_CONTAINER)
                return; /* only a container has a resolver of ours */
        if (nlab_network_is_predefined(netname)) {
                step(d, true, NULL,
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
        if (!i || nlab_probe_resolve(nlab_party_netns(a), ns, bname, PROBE_MS, &res, NULL) < 0)
                return;
        for (i = 0; i < res.naddrs; i++) {
                char got[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &res.addrs[i], got, sizeof(got));
                if (!strcmp(got, b_ip)) {
                        step(d, true, NULL, "%s resolves %s to %s", cname(a), bname, b_ip);
                        return;
                }
        }
        step(d, false, "check that the name is right: netlab ps; netlab network inspect ...",
             "%s cannot resolve %s through its resolver (%s)", cname(a), bname,
             nlab_probe_status_str(res.status));
}

/* From the host or a test host: no shared network to check, only b's side of the path. */
/* A machine outside (an external host, linked to the lab host) reaches a container only through
 * a port published on the host, at the host's address on its link: the firewall drops packets
 * from outside to a container's own address. */
static void outside_via_published(struct nlab_diag *d, const struct nlab_party *a,
                                  const struct nlab_party *b, const struct target *t)
{
        const char *proto = t->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        char why[160], fix[256], host[INET_ADDRSTRLEN];
        struct target via = *t;
        unsigned hp = nlab_party_published_port(b, t->port, t->proto, why, sizeof(why));

        if (!hp) {
                snprintf(fix, sizeof(fix),
                         "publish it: netlab run -p <host port>:%u/%s ... (then %s "
                         "uses %s:<host port>)",
                         t->port, proto, cname(a), inet_ntoa(a->x->host_addr));
                step(d, false, fix,
                     "%s: %s is outside, and outside machines reach a container only through a "
                     "port published on the host",
                     why, cname(a));
                return;
        }
        inet_ntop(AF_INET, &a->x->host_addr, host, sizeof(host));
        step(d, true, NULL, "%s's %u/%s is published on host port %u: %s uses %s:%u", cname(b),
             t->port, proto, hp, cname(a), host, hp);
        via.port = hp;
        final_probe(d, a, a->x->host_addr, host, &via);
}

static void outside_to_container(struct nlab_diag *d, const struct nlab_party *a,
                                 const struct nlab_party *b, const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN], why[160];
        struct in_addr dst;

        if (nlab_party_target_address(a, b, &dst, why, sizeof(why)) < 0) {
                step(d, false, NULL, "%s", why);
                return;
        }
        inet_ntop(AF_INET, &dst, ip_text, sizeof(ip_text));
        step(d, true, NULL, "%s has the address %s", cname(b), ip_text);
        if (t->port && !b->in_host_ns && !listener_step(d, b, t->port, t->proto, NULL))
                return;
        if (a->kind == NLAB_PARTY_EXTERNAL && a->x && t->port && !b->in_host_ns)
                outside_via_published(d, a, b, t);
        else
                final_probe(d, a, dst, ip_text, t);
}

static void to_container(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                         const struct nlab_party *b, const struct target *t)
{
        const char *b_ip = NULL, *netname;
        char an[256], bn[256], fix[256];
        struct in_addr dst;
        struct nlab_net net;

        if (!usable(d, b))
                return;
        if (a->kind != NLAB_PARTY_CONTAINER) {
                outside_to_container(d, a, b, t);
                return;
        }
        netname = shared_network(a, b, &b_ip);
        list_names(a, an, sizeof(an));
        list_names(b, bn, sizeof(bn));
        if (!netname) {
                const struct nlab_ctr_endpoint *bep = nlab_party_endpoint_at(b, 0);
                const char *first = bep ? bep->network : NULL;
                snprintf(fix, sizeof(fix), "netlab network connect %s %s",
                         first ? first : "NETWORK", cname(a));
                step(d, false, first ? fix : NULL,
                     "%s is on %s and %s is on %s: they share no network, and netlab drops "
                     "traffic between different networks",
                     cname(a), an, cname(b), bn);
                return;
        }
        step(d, true, NULL, "%s and %s share the network %s (%s has %s there)", cname(a), cname(b),
             netname, cname(b), b_ip);
        if (nlab_network_load(st, netname, &net, NULL) < 0)
                return;
        name_step(d, st, a, t->name, netname, b_ip);
        if (d->n && !d->steps[d->n - 1].ok)
                return;
        if (!icc_step(d, &net) || !ports_up_step(d, a, netname, &net) ||
            !ports_up_step(d, b, netname, &net))
                return;
        step(d, true, NULL, "both ports on bridge %s are up", net.bridge);
        if (t->port && !listener_step(d, b, t->port, t->proto, NULL))
                return;
        inet_pton(AF_INET, b_ip, &dst);
        final_probe(d, a, dst, b_ip, t);
}

static bool only_internal(struct nlab_store *st, const struct nlab_party *a, char *names,
                          size_t size)
{
        bool any = false, all = true;
        size_t i;

        list_names(a, names, size);
        for (i = 0; i < nlab_party_n_endpoints(a); i++) {
                struct nlab_net net;
                any = true;
                if (nlab_network_load(st, nlab_party_endpoint_at(a, i)->network, &net, NULL) == 0 &&
                    !net.internal)
                        all = false;
        }
        return any && all;
}

/* host:PORT only answers when some container publishes PORT, runs, and listens on the
 * container port that PORT leads to. */
static bool published_step(struct nlab_diag *d, struct nlab_store *st, const struct target *t)
{
        const char *proto = t->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        char path[PATH_MAX], id[NLAB_ID_LEN + 1] = "", fix[256], why[96], *text = NULL;
        struct nlab_party b;
        unsigned cport;
        bool ok;

        snprintf(path, sizeof(path), "%s/ports/%s-%u", st->root, proto, t->port);
        if (nlab_read_file(path, &text, NULL, NULL) < 0) {
                snprintf(fix, sizeof(fix), "publish it: netlab run -p %u:<container port>/%s ...",
                         t->port, proto);
                step(d, false, fix, "no container publishes port %u/%s on the host", t->port,
                     proto);
                return false;
        }
        snprintf(id, sizeof(id), "%s", text);
        free(text);
        if (nlab_party_load(st, id, NULL, 0, 0, &b, NULL) < 0 || b.kind != NLAB_PARTY_CONTAINER) {
                nlab_party_free(&b);
                return true;
        }
        ok = usable(d, &b);
        if (ok)
                step(d, true, NULL, "%s publishes host port %u/%s", cname(&b), t->port, proto);
        cport = nlab_party_container_port(&b, t->port, t->proto);
        snprintf(why, sizeof(why), "host port %u/%s leads", t->port, proto);
        if (ok && cport && !b.in_host_ns)
                ok = listener_step(d, &b, cport, t->proto, why);
        nlab_party_free(&b);
        return ok;
}

/* Where a sees the host: the gateway of its first network, loopback from the host itself. */
static int host_seen_from(struct nlab_diag *d, const struct nlab_party *a, struct in_addr *dst,
                          char *text, size_t size)
{
        char why[160];

        if (nlab_party_host_address(a, dst, why, sizeof(why)) < 0) {
                if (a->kind != NLAB_PARTY_CONTAINER) {
                        step(d, false, NULL, "%s", why);
                        return -1;
                }
                inet_pton(AF_INET, "127.0.0.1", dst);
        }
        inet_ntop(AF_INET, dst, text, size);
        step(d, true, NULL, "the host is %s as seen from %s", text, cname(a));
        return 0;
}

static void to_address(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                       const struct target *t)
{
        char names[256], fix[256], ip_text[INET_ADDRSTRLEN];
        struct in_addr dst;

        if (a->kind == NLAB_PARTY_CONTAINER && !strcmp(a->cfg->network_mode, "none")) {
                step(d, false, "use another --network: netlab rm -f, then run it again",
                     "%s runs with --network none: it has only lo", cname(a));
                return;
        }
        if (a->kind == NLAB_PARTY_CONTAINER && only_internal(st, a, names, sizeof(names))) {
                snprintf(fix, sizeof(fix), "netlab network connect bridge %s", cname(a));
                step(d, false, fix,
                     "%s is only on internal network(s) %s: --internal networks have no way out",
                     cname(a), names);
                return;
        }
        if (!strcmp(t->name, "host") && t->port && !published_step(d, st, t))
                return;
        if (!strcmp(t->name, "host")) {
                if (host_seen_from(d, a, &dst, ip_text, sizeof(ip_text)) == 0)
                        final_probe(d, a, dst, ip_text, t);
                return;
        }
        inet_pton(AF_INET, t->name, &dst);
        final_probe(d, a, dst, t->name, t);
}

static int diagnose(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                    unsigned flags, const char *from, const char *to, struct nlab_diag *out,
                    struct nlab_err *err)
{
        struct nlab_party a, b;
        struct target t;
        int r = 0;

        memset(out, 0, sizeof(*out));
        if (parse_target(to, &t, err) < 0 ||
            nlab_party_load(st, from, ext, next, flags, &a, err) < 0)
                return -1;
        if (a.kind == NLAB_PARTY_ADDRESS) {
                nlab_party_free(&a);
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid source \"%s\": a container, host or a test host, "
                                    "not an address",
                                    from);
        }
        if (!usable(out, &a))
                goto done;
        r = nlab_party_load(st, t.name, ext, next, flags, &b, err);
        if (r < 0)
                goto done;
        if (b.kind == NLAB_PARTY_CONTAINER)
                to_container(out, st, &a, &b, &t);
        else if (b.kind == NLAB_PARTY_EXTERNAL)
                outside_to_container(out, &a, &b, &t);
        else
                to_address(out, st, &a, &t);
        nlab_party_free(&b);
done:
        nlab_party_free(&a);
        return r;
}

/* The CLI's parties: `netlab external` hosts that are up, then containers and /run/netns. */
int nlab_diagnose(struct nlab_store *st, const char *from, const char *to, struct nlab_diag *out,
                  struct nlab_err *err)
{
        struct nlab_external *ext = NULL;
        size_t n = 0, up = 0, i;
        int r;

        if (nlab_external_list(st, &ext, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if (ext[i].state == NLAB_EXTERNAL_UP)
                        ext[up++] = ext[i];
        r = diagnose(st, ext, up, NLAB_PARTY_NAMED_NETNS, from, to, out, err);
        free(ext);
        return r;
}

int nlab_diagnose_explain(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                          const char *from, const char *to, char *buf, size_t size,
                          struct nlab_err *err)
{
        struct nlab_diag d;
        size_t i;

        if (diagnose(st, ext, next, 0, from, to, &d, err) < 0)
                return -1;
        for (i = 0; i < d.n; i++) {
                if (d.steps[i].ok)
                        continue;
                snprintf(buf, size, "%s%s%s", d.steps[i].text, d.steps[i].fix[0] ? "; fix: " : "",
                         d.steps[i].fix);
                return 0;
        }
        snprintf(buf, size, "%s", d.reachable ? "the path works now" : "no broken link found");
        return 0;
}

int nlab_diagnose_target(const char *to, char *name, size_t size, unsigned *port,
                         enum nlab_proto *proto, struct nlab_err *err)
{
        struct target t;

        if (parse_target(to, &t, err) < 0)
                return -1;
        snprintf(name, size, "%s", t.name);
        *port = t.port;
        *proto = t.proto;
        return 0;
}
