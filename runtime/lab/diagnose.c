#include "runtime/lab/diagnose.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/ctr/container.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/ipam.h"
#include "runtime/kernel/fwforeign.h"
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

static void add(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt,
                va_list ap) __attribute__((format(printf, 4, 0)));

static void add(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt,
                va_list ap)
{
        struct nlab_diag_step *s;

        if (d->n >= NLAB_DIAG_MAX_STEPS)
                return;
        s = &d->steps[d->n++];
        s->ok = reason == NLAB_REASON_NONE;
        s->reason = reason;
        vsnprintf(s->text, sizeof(s->text), fmt, ap);
        snprintf(s->fix, sizeof(s->fix), "%s", fix ? fix : "");
}

static void pass(struct nlab_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

static void pass(struct nlab_diag *d, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        add(d, NLAB_REASON_NONE, NULL, fmt, ap);
        va_end(ap);
}

/* A broken link, and the short name of why, for `because` and reports. */
static void fail(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt,
                 ...)
{
        va_list ap;

        va_start(ap, fmt);
        add(d, reason, fix, fmt, ap);
        va_end(ap);
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
        fail(d, NLAB_REASON_STOPPED, fix, "%s is not running, so nothing can reach it or leave it",
             cname(c));
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
                fail(d, NLAB_REASON_NO_NETWORK, fix,
                     "%s shares %s's network namespace (--network container:%s), but %s is not "
                     "running: %s is left with no network",
                     cname(c), c->owner, c->owner, c->owner, cname(c));
                return false;
        }
        snprintf(fix, sizeof(fix), "netlab restart %s (it joins %s's new namespace)", cname(c),
                 c->owner);
        fail(d, NLAB_REASON_NO_NETWORK, fix,
             "%s shares %s's network namespace (--network container:%s), but %s restarted since "
             "%s started: %s is left in %s's old namespace, which has no network",
             cname(c), c->owner, c->owner, c->owner, cname(c), cname(c), c->owner);
        return false;
}

static bool usable(struct nlab_diag *d, const struct nlab_party *c)
{
        return running_step(d, c) && stale_step(d, c);
}

/* A container with --network none has nothing but lo. */
static bool networked_step(struct nlab_diag *d, const struct nlab_party *a)
{
        if (a->kind != NLAB_PARTY_CONTAINER || strcmp(a->cfg->network_mode, "none"))
                return true;
        fail(d, NLAB_REASON_NO_NETWORK, "use another --network: netlab rm -f, then run it again",
             "%s runs with --network none: it has only lo", cname(a));
        return false;
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
        fail(
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
        fail(d, NLAB_REASON_PORT_DOWN, fix, "%s's port on the bridge %s (%s) is %s", cname(c),
             net->bridge, host_if,
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
                        pass(d, "%s listens on %u/%s", cname(b), port, udp ? "udp" : "tcp");
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
        fail(d, NLAB_REASON_NOT_LISTENING, fix, "nothing in %s listens on %u/%s%s%s", cname(b),
             port, udp ? "udp" : "tcp", why ? ", where " : "", why ? why : "");
        return false;
}

/* The last probe failed though every link before it looked right: what its answer says. */
static void probe_failed(struct nlab_diag *d, const struct nlab_party *a, const char *what,
                         const struct nlab_probe_result *res)
{
        const char *got = nlab_probe_status_str(res->status);
        char foreign[1024], *fix;

        if (res->status == NLAB_PROBE_REFUSED) {
                fail(d, NLAB_REASON_NOT_LISTENING, "start a server on that port",
                     "%s sent packets to %s and got: %s (nothing listens there)", cname(a), what,
                     got);
                return;
        }
        if (res->status == NLAB_PROBE_UNREACHABLE) {
                fail(d, NLAB_REASON_NO_ROUTE,
                     "put both on one network, or route through a router container",
                     "%s sent packets to %s and got: %s (%s has no route there)", cname(a), what,
                     got, cname(a));
                return;
        }
        if (nlab_fw_foreign(foreign, sizeof(foreign), NULL) == 0 && foreign[0]) {
                fix = strstr(foreign, "; fix: ");
                if (fix)
                        *fix = '\0';
                fail(d, NLAB_REASON_FOREIGN_FIREWALL, fix ? fix + 7 : NULL,
                     "%s sent packets to %s and got: %s; %s", cname(a), what, got, foreign);
                return;
        }
        fail(d, NLAB_REASON_UNKNOWN, "look at the rules: nft list table inet netlab",
             "%s sent packets to %s and got: %s", cname(a), what, got);
}

/* d->seen: a check already probed this path, so its answer is used instead of a second wait. */
static void final_probe(struct nlab_diag *d, const struct nlab_party *a, struct in_addr dst,
                        const char *dst_text, const struct target *t)
{
        struct nlab_probe_result res = {.status = NLAB_PROBE_TIMEOUT};
        char what[64];

        snprintf(what, sizeof(what), "%s%s%.0u%s%s", dst_text, t->port ? ":" : "", t->port,
                 t->port ? "/" : "", t->port ? (t->proto == NLAB_PROTO_UDP ? "udp" : "tcp") : "");
        if (d->seen)
                res = *d->seen;
        else if (nlab_probe_reach(nlab_party_netns(a), dst, t->port, t->proto, PROBE_MS, &res,
                                  NULL) < 0)
                res.status = NLAB_PROBE_TIMEOUT;
        if (res.status != NLAB_PROBE_OK &&
            !(t->proto == NLAB_PROTO_UDP && res.status == NLAB_PROBE_TIMEOUT)) {
                probe_failed(d, a, what, &res);
                return;
        }
        d->reachable = true;
        pass(d, "%s reaches %s (%u ms)", cname(a), what, res.ms);
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
                pass(d,
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
                        pass(d, "%s resolves %s to %s", cname(a), bname, b_ip);
                        return;
                }
        }
        fail(d, NLAB_REASON_NAME_UNKNOWN,
             "check that the name is right: netlab ps; netlab network inspect ...",
             "%s cannot resolve %s through its resolver (%s)", cname(a), bname,
             nlab_probe_status_str(res.status));
}

/* The host address b's host port hp/proto is bound to: "" or 0.0.0.0 for every address. */
static const char *bound_address(const struct nlab_party *b, unsigned hp, enum nlab_proto proto)
{
        const struct nlab_ctr_config *cfg = b->owner_cfg ? b->owner_cfg : b->cfg;
        const char *want = proto == NLAB_PROTO_UDP ? "/udp" : "/tcp";
        size_t i, j;

        for (i = 0; cfg && i < cfg->ports.n; i++) {
                const struct nlab_port_entry *e = &cfg->ports.v[i];
                const char *slash = strchr(e->key, '/');
                if (!slash || strcmp(slash, want))
                        continue;
                for (j = 0; j < e->n; j++)
                        if (e->v[j].host_port && (unsigned)atoi(e->v[j].host_port) == hp)
                                return e->v[j].host_ip ? e->v[j].host_ip : "";
        }
        return "";
}

/* A mapping bound to 127.0.0.1 answers the host itself only: the firewall drops packets to
 * loopback that did not come from lo (CVE-2020-8558). */
static bool loopback_step(struct nlab_diag *d, const struct nlab_party *a,
                          const struct nlab_party *b, unsigned hp, enum nlab_proto proto)
{
        const char *ip = bound_address(b, hp, proto);
        char fix[192];

        if (strncmp(ip, "127.", 4) || a->kind == NLAB_PARTY_HOST || a->in_host_ns)
                return true;
        snprintf(fix, sizeof(fix),
                 "publish it on every address: netlab run -p %u:... (not %s:%u:...)", hp, ip, hp);
        fail(d, NLAB_REASON_LOOPBACK_ONLY, fix,
             "%s publishes host port %u/%s on %s only: only the lab host itself reaches it there, "
             "not %s",
             cname(b), hp, proto == NLAB_PROTO_UDP ? "udp" : "tcp", ip, cname(a));
        return false;
}

/* The check's probe got an answer (even a refusal): the packets arrived, whatever the
 * networks say (a router container between two networks). */
static bool routed(const struct nlab_diag *d)
{
        return d->seen &&
               (d->seen->status == NLAB_PROBE_OK || d->seen->status == NLAB_PROBE_REFUSED);
}

static bool only_internal(struct nlab_store *st, const struct nlab_party *a, char *names,
                          size_t size);

/* A port published by a container only on --internal networks leads nowhere: those networks
 * have no way in either (Docker, too, publishes nothing from them). */
static bool publisher_way_in_step(struct nlab_diag *d, struct nlab_store *st,
                                  const struct nlab_party *b, unsigned hp, const char *proto)
{
        char names[256], fix[256];

        if (!only_internal(st, b, names, sizeof(names)))
                return true;
        snprintf(fix, sizeof(fix),
                 "publish from a container on a network that is not --internal: netlab rm -f %s, "
                 "then run it again with another --network",
                 cname(b));
        fail(d, NLAB_REASON_INTERNAL, fix,
             "%s publishes host port %u/%s, but it is only on internal network(s) %s: --internal "
             "networks have no way in or out, so the published port leads nowhere",
             cname(b), hp, proto, names);
        return false;
}

/* From the host or a test host: no shared network to check, only b's side of the path. */
/* A machine outside (an external host, linked to the lab host) reaches a container only through
 * a port published on the host, at the host's address on its link: the firewall drops packets
 * from outside to a container's own address. */
static void outside_via_published(struct nlab_diag *d, struct nlab_store *st,
                                  const struct nlab_party *a, const struct nlab_party *b,
                                  const struct target *t)
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
                fail(d, NLAB_REASON_NOT_PUBLISHED, fix,
                     "%s: %s is outside, and outside machines reach a container only through a "
                     "port published on the host",
                     why, cname(a));
                return;
        }
        if (!publisher_way_in_step(d, st, b, hp, proto) || !loopback_step(d, a, b, hp, t->proto))
                return;
        inet_ntop(AF_INET, &a->x->host_addr, host, sizeof(host));
        if (d->explain && !d->via_host && d->seen && !routed(d)) {
                snprintf(fix, sizeof(fix),
                         "go through the published port: %s:%u (in a scenario: "
                         "%s:%u via host)",
                         host, hp, cname(b), t->port);
                fail(d, NLAB_REASON_FIREWALL, fix,
                     "%s is outside, and netlab's firewall drops packets from outside to a "
                     "container's own address: only the published port %u lets it in",
                     cname(a), hp);
                return;
        }
        pass(d, "%s's %u/%s is published on host port %u: %s uses %s:%u", cname(b), t->port, proto,
             hp, cname(a), host, hp);
        via.port = hp;
        final_probe(d, a, a->x->host_addr, host, &via);
}

static void outside_to_container(struct nlab_diag *d, struct nlab_store *st,
                                 const struct nlab_party *a, const struct nlab_party *b,
                                 const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN], why[160];
        struct in_addr dst;

        if (nlab_party_target_address(a, b, &dst, why, sizeof(why)) < 0) {
                fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                return;
        }
        inet_ntop(AF_INET, &dst, ip_text, sizeof(ip_text));
        pass(d, "%s has the address %s", cname(b), ip_text);
        if (t->port && !b->in_host_ns && !listener_step(d, b, t->port, t->proto, NULL))
                return;
        if (a->kind == NLAB_PARTY_EXTERNAL && a->x && t->port && !b->in_host_ns)
                outside_via_published(d, st, a, b, t);
        else if (a->kind == NLAB_PARTY_EXTERNAL && a->x && b->kind == NLAB_PARTY_CONTAINER &&
                 !b->in_host_ns && d->seen && !routed(d))
                fail(d, NLAB_REASON_FIREWALL, NULL,
                     "%s is outside, and netlab's firewall drops packets from outside to a "
                     "container's own address (only published ports let it in)",
                     cname(a));
        else
                final_probe(d, a, dst, ip_text, t);
}

static void to_routed(struct nlab_diag *d, const struct nlab_party *a, const struct nlab_party *b,
                      const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN], why[160];
        struct in_addr dst;

        if (t->port && !b->in_host_ns && !listener_step(d, b, t->port, t->proto, NULL))
                return;
        if (nlab_party_target_address(a, b, &dst, why, sizeof(why)) < 0) {
                fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                return;
        }
        inet_ntop(AF_INET, &dst, ip_text, sizeof(ip_text));
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
                outside_to_container(d, st, a, b, t);
                return;
        }
        if (!networked_step(d, a))
                return;
        netname = shared_network(a, b, &b_ip);
        list_names(a, an, sizeof(an));
        list_names(b, bn, sizeof(bn));
        if (!netname && routed(d)) {
                pass(d, "%s and %s share no network, but packets got to %s: through a route",
                     cname(a), cname(b), cname(b));
                to_routed(d, a, b, t);
                return;
        }
        if (!netname) {
                const struct nlab_ctr_endpoint *bep = nlab_party_endpoint_at(b, 0);
                const char *first = bep ? bep->network : NULL;
                snprintf(fix, sizeof(fix), "netlab network connect %s %s",
                         first ? first : "NETWORK", cname(a));
                fail(d, NLAB_REASON_DIFFERENT_NETWORKS, first ? fix : NULL,
                     "%s is on %s and %s is on %s: they share no network, and netlab drops "
                     "traffic between different networks",
                     cname(a), an, cname(b), bn);
                return;
        }
        pass(d, "%s and %s share the network %s (%s has %s there)", cname(a), cname(b), netname,
             cname(b), b_ip);
        if (nlab_network_load(st, netname, &net, NULL) < 0)
                return;
        name_step(d, st, a, t->name, netname, b_ip);
        if (d->n && !d->steps[d->n - 1].ok)
                return;
        if (!icc_step(d, &net) || !ports_up_step(d, a, netname, &net) ||
            !ports_up_step(d, b, netname, &net))
                return;
        pass(d, "both ports on bridge %s are up", net.bridge);
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

/* No container publishes host port t->port: is some container's port t->port published on
 * another host port? Then that is the mistake. */
static bool other_port_step(struct nlab_diag *d, struct nlab_store *st, const struct target *t)
{
        const char *proto = t->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        char path[PATH_MAX], prefix[8], fix[192];
        struct dirent *e;
        bool found = false;
        DIR *dir;

        snprintf(path, sizeof(path), "%s/ports", st->root);
        snprintf(prefix, sizeof(prefix), "%s-", proto);
        dir = opendir(path);
        while (dir && !found && (e = readdir(dir))) {
                unsigned hp = (unsigned)atoi(e->d_name + strlen(prefix));
                char *id = NULL;
                struct nlab_party b;
                if (strncmp(e->d_name, prefix, strlen(prefix)) || !hp)
                        continue;
                snprintf(path, sizeof(path), "%s/ports/%s", st->root, e->d_name);
                if (nlab_read_file(path, &id, NULL, NULL) < 0)
                        continue;
                id[strcspn(id, "\n")] = '\0';
                if (nlab_party_load(st, id, NULL, 0, 0, &b, NULL) == 0 &&
                    nlab_party_container_port(&b, hp, t->proto) == t->port) {
                        found = true;
                        snprintf(fix, sizeof(fix), "use host:%u, or publish -p %u:%u/%s", hp,
                                 t->port, t->port, proto);
                        fail(d, NLAB_REASON_OTHER_HOST_PORT, fix,
                             "%s's port %u/%s is published on host port %u, not on %u", cname(&b),
                             t->port, proto, hp, t->port);
                }
                nlab_party_free(&b);
                free(id);
        }
        if (dir)
                closedir(dir);
        return !found;
}

/* host:PORT only answers when some container publishes PORT, runs, and listens on the
 * container port that PORT leads to. */
static bool published_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                           const struct target *t)
{
        const char *proto = t->proto == NLAB_PROTO_UDP ? "udp" : "tcp";
        char path[PATH_MAX], id[NLAB_ID_LEN + 1] = "", fix[256], why[96], *text = NULL;
        struct nlab_party b;
        unsigned cport;
        bool ok;

        snprintf(path, sizeof(path), "%s/ports/%s-%u", st->root, proto, t->port);
        if (nlab_read_file(path, &text, NULL, NULL) < 0) {
                if (!other_port_step(d, st, t))
                        return false;
                snprintf(fix, sizeof(fix), "publish it: netlab run -p %u:<container port>/%s ...",
                         t->port, proto);
                fail(d, NLAB_REASON_NOT_PUBLISHED, fix,
                     "no container publishes port %u/%s on the host", t->port, proto);
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
                pass(d, "%s publishes host port %u/%s", cname(&b), t->port, proto);
        ok = ok &&
             (a->kind != NLAB_PARTY_EXTERNAL || publisher_way_in_step(d, st, &b, t->port, proto));
        ok = ok && loopback_step(d, a, &b, t->port, t->proto);
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
                        fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                        return -1;
                }
                inet_pton(AF_INET, "127.0.0.1", dst);
        }
        inet_ntop(AF_INET, dst, text, size);
        pass(d, "the host is %s as seen from %s", text, cname(a));
        return 0;
}

/* A container's way out of its own namespace: --network none and --internal have none. */
static bool way_out_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a)
{
        char names[256], fix[256];

        if (a->kind != NLAB_PARTY_CONTAINER)
                return true;
        if (!networked_step(d, a))
                return false;
        if (only_internal(st, a, names, sizeof(names))) {
                snprintf(fix, sizeof(fix), "netlab network connect bridge %s", cname(a));
                fail(d, NLAB_REASON_INTERNAL, fix,
                     "%s is only on internal network(s) %s: --internal networks have no way out",
                     cname(a), names);
                return false;
        }
        return true;
}

/* A container to a test host outside: out through the host, as to any outside address. */
static void to_outside(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                       const struct nlab_party *b, const struct target *t)
{
        if (way_out_step(d, st, a))
                outside_to_container(d, st, a, b, t);
}

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

        if (!usable(d, c) || !networked_step(d, a))
                return;
        if (a->kind == NLAB_PARTY_CONTAINER && !nlab_party_endpoint(a, net) && !routed(d)) {
                list_names(a, an, sizeof(an));
                snprintf(fix, sizeof(fix), "netlab network connect %s %s", net, cname(a));
                fail(d, NLAB_REASON_DIFFERENT_NETWORKS, fix,
                     "%s is %s's address on %s, and %s is on %s: netlab drops traffic between "
                     "different networks",
                     t->name, cname(c), net, cname(a), an);
                return;
        }
        pass(d, "%s is %s's address on %s", t->name, cname(c), net);
        if (t->port && !listener_step(d, c, t->port, t->proto, NULL))
                return;
        inet_pton(AF_INET, t->name, &dst);
        final_probe(d, a, dst, t->name, t);
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

static void to_address(struct nlab_diag *d, struct nlab_store *st, const struct nlab_external *ext,
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
        if (strncmp(t->name, "127.", 4) && !way_out_step(d, st, a))
                return;
        if (!strcmp(t->name, "host") && t->port && !published_step(d, st, a, t))
                return;
        if (!strcmp(t->name, "host")) {
                if (host_seen_from(d, a, &dst, ip_text, sizeof(ip_text)) == 0)
                        final_probe(d, a, dst, ip_text, t);
                return;
        }
        inet_pton(AF_INET, t->name, &dst);
        /* a check that got no answer from an address nothing in the lab has */
        if (strncmp(t->name, "127.", 4) && d->seen && !routed(d) &&
            !is_external_address(ext, next, dst) && !in_lab_subnet(st, dst)) {
                fail(d, NLAB_REASON_NO_HOST,
                     "to show the way out, add a test host (external internet in a .lab, netlab "
                     "external add internet by hand) and reach internet",
                     "%s is outside every network of the lab and nothing answered: a lab has no "
                     "internet (a scenario's sandbox has no way out at all)",
                     t->name);
                return;
        }
        if (strncmp(t->name, "127.", 4) && d->seen && !routed(d) &&
            !is_external_address(ext, next, dst)) {
                fail(d, NLAB_REASON_NO_HOST, "check the address: netlab network inspect ...",
                     "no container and no test host has the address %s", t->name);
                return;
        }
        final_probe(d, a, dst, t->name, t);
}

static int diagnose(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                    unsigned flags, const char *from, const char *to, struct nlab_diag *out,
                    struct nlab_err *err)
{
        struct nlab_party a, b;
        struct target t;
        int r = 0;

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
                to_outside(out, st, &a, &b, &t);
        else
                to_address(out, st, ext, next, &a, &t);
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

        memset(out, 0, sizeof(*out));
        if (nlab_external_list(st, &ext, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if (ext[i].state == NLAB_EXTERNAL_UP)
                        ext[up++] = ext[i];
        r = diagnose(st, ext, up, NLAB_PARTY_NAMED_NETNS, from, to, out, err);
        free(ext);
        return r;
}

static void first_broken(const struct nlab_diag *d, struct nlab_diag_why *why)
{
        size_t i;

        for (i = 0; i < d->n && d->steps[i].ok; i++)
                ;
        if (i == d->n) {
                why->reason = d->reachable ? NLAB_REASON_NONE : NLAB_REASON_UNKNOWN;
                snprintf(why->text, sizeof(why->text), "%s",
                         d->reachable ? "the path works now" : "no broken link found");
                return;
        }
        why->reason = d->steps[i].reason;
        snprintf(why->text, sizeof(why->text), "%s%s%s", d->steps[i].text,
                 d->steps[i].fix[0] ? "; fix: " : "", d->steps[i].fix);
}

int nlab_diagnose_explain(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                          unsigned flags, const char *from, const char *to,
                          const struct nlab_probe_result *seen, struct nlab_diag_why *why,
                          struct nlab_err *err)
{
        struct nlab_diag *d = calloc(1, sizeof(*d));

        if (!d)
                return nlab_err_sys(err, ENOMEM, "diagnose");
        d->seen = seen;
        d->explain = true;
        d->via_host = flags & NLAB_DIAG_VIA_HOST;
        if (diagnose(st, ext, next, flags & ~NLAB_DIAG_VIA_HOST, from, to, d, err) < 0) {
                free(d);
                return -1;
        }
        first_broken(d, why);
        free(d);
        return 0;
}

/* Does a container of that name answer to `name` on its endpoint ep: by its name or an alias,
 * bare or as NAME.NETWORK (DNS names fold case)? */
static bool answers_to(const char *ctr, const struct nlab_ctr_endpoint *ep, const char *name)
{
        size_t len = strlen(name), nl = strlen(ep->network), i;

        if (len > nl + 1 && name[len - nl - 1] == '.' && !strcasecmp(name + len - nl, ep->network))
                len -= nl + 1;
        if (strlen(ctr) == len && !strncasecmp(ctr, name, len))
                return true;
        for (i = 0; i < ep->aliases.n; i++)
                if (strlen(ep->aliases.v[i]) == len && !strncasecmp(ep->aliases.v[i], name, len))
                        return true;
        return false;
}

struct name_hits {
        char where[256];                  /* the networks the name exists on */
        const char *shared, *shared_user; /* one the asker is on too; a user-defined one */
};

static void add_network(char *buf, size_t size, const char *net)
{
        size_t len = strlen(buf);

        if (!strstr(buf, net))
                snprintf(buf + len, size - len, "%s%s", len ? ", " : "", net);
}

/* Every network where some container answers to name, and whether a shares one. */
static void find_name(struct nlab_store *st, const struct nlab_party *a, const char *name,
                      struct name_hits *h)
{
        char **ids;
        size_t n, i, k;

        memset(h, 0, sizeof(*h));
        if (nlab_store_list(st, &ids, &n, NULL) < 0)
                return;
        for (i = 0; i < n; i++) {
                struct nlab_party c;
                if (nlab_party_load(st, ids[i], NULL, 0, 0, &c, NULL) < 0)
                        continue;
                for (k = 0; k < nlab_party_n_endpoints(&c); k++) {
                        const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(&c, k);
                        const struct nlab_ctr_endpoint *mine = nlab_party_endpoint(a, ep->network);
                        if (!answers_to(cname(&c), ep, name))
                                continue;
                        add_network(h->where, sizeof(h->where), ep->network);
                        if (mine && !h->shared)
                                h->shared = mine->network;
                        if (mine && !nlab_network_is_predefined(ep->network))
                                h->shared_user = mine->network;
                }
                nlab_party_free(&c);
        }
        nlab_store_free_list(ids, n);
}

static void explain_name(struct nlab_store *st, const struct nlab_party *a, const char *name,
                         const struct nlab_probe_result *res, struct nlab_diag_why *w)
{
        char mine[256];
        struct name_hits h;

        if (a->kind != NLAB_PARTY_CONTAINER) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s asks the lab host's resolver, which knows no container names: they "
                         "resolve only inside the user-defined networks",
                         cname(a));
                return;
        }
        if (!strcmp(a->cfg->network_mode, "none")) {
                w->reason = NLAB_REASON_NO_NETWORK;
                snprintf(w->text, sizeof(w->text),
                         "%s runs with --network none: no resolver to ask", cname(a));
                return;
        }
        list_names(a, mine, sizeof(mine));
        find_name(st, a, name, &h);
        if (h.shared_user) {
                w->reason = NLAB_REASON_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is a name on %s, where %s is too, yet the lookup got: %s", name,
                         h.shared_user, cname(a), nlab_probe_status_str(res->status));
        } else if (h.shared) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s and %s are both on %s, the default bridge, which has no DNS for "
                         "container names; fix: use the address, or put both on a user-defined "
                         "network",
                         cname(a), name, h.shared);
        } else if (h.where[0]) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is on %s, and %s is a name only on %s: a network's names resolve only "
                         "inside it; fix: netlab network connect %.*s %s",
                         cname(a), mine, name, h.where, (int)strcspn(h.where, ","), h.where,
                         cname(a));
        } else if (strchr(name, '.')) { /* www.baidu.com, as course notes resolve it */
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is no name in the lab: only containers and aliases resolve here, and "
                         "a lab has no internet DNS (a scenario's sandbox has no way out); fix: "
                         "resolve a container's NAME or NAME.NETWORK",
                         name);
        } else {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "no container or alias is named %s on any network (%s is on %s)", name,
                         cname(a), mine);
        }
}

int nlab_diagnose_name(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                       unsigned flags, const char *from, const char *name,
                       const struct nlab_probe_result *res, struct nlab_diag_why *why,
                       struct nlab_err *err)
{
        struct nlab_party a;

        memset(why, 0, sizeof(*why));
        if (res->status == NLAB_PROBE_OK)
                return 0; /* it resolves: a wrong address is the evidence's to show */
        if (nlab_party_load(st, from, ext, next, flags, &a, err) < 0)
                return -1;
        explain_name(st, &a, name, res, why);
        nlab_party_free(&a);
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
