/* Paths through the lab host: from the host or a test host outside, to a test host, to host:PORT,
 * through a published port (bound where, and on which networks), and a container's way out. */
#include "runtime/lab/diagnose_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/fsutil.h"
#include "runtime/net/network.h"

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
        diag_fail(
            d, NLAB_REASON_LOOPBACK_ONLY, fix,
            "%s publishes host port %u/%s on %s only: only the lab host itself reaches it there, "
            "not %s",
            cname(b), hp, proto == NLAB_PROTO_UDP ? "udp" : "tcp", ip, cname(a));
        return false;
}

static bool only_internal(struct nlab_store *st, const struct nlab_party *a, char *names,
                          size_t size)
{
        bool any = false, all = true;
        size_t i;

        diag_list_names(a, names, size);
        for (i = 0; i < nlab_party_n_endpoints(a); i++) {
                struct nlab_net net;
                any = true;
                if (nlab_network_load(st, nlab_party_endpoint_at(a, i)->network, &net, NULL) == 0 &&
                    !net.internal)
                        all = false;
        }
        return any && all;
}

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
        diag_fail(
            d, NLAB_REASON_INTERNAL, fix,
            "%s publishes host port %u/%s, but it is only on internal network(s) %s: --internal "
            "networks have no way in or out, so the published port leads nowhere",
            cname(b), hp, proto, names);
        return false;
}

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
                diag_fail(
                    d, NLAB_REASON_NOT_PUBLISHED, fix,
                    "%s: %s is outside, and outside machines reach a container only through a "
                    "port published on the host",
                    why, cname(a));
                return;
        }
        if (!publisher_way_in_step(d, st, b, hp, proto) || !loopback_step(d, a, b, hp, t->proto))
                return;
        inet_ntop(AF_INET, &a->x->host_addr, host, sizeof(host));
        if (d->explain && !d->via_host && d->seen && !diag_routed(d)) {
                snprintf(fix, sizeof(fix),
                         "go through the published port: %s:%u (in a scenario: "
                         "%s:%u via host)",
                         host, hp, cname(b), t->port);
                diag_fail(d, NLAB_REASON_FIREWALL, fix,
                          "%s is outside, and netlab's firewall drops packets from outside to a "
                          "container's own address: only the published port %u lets it in",
                          cname(a), hp);
                return;
        }
        diag_pass(d, "%s's %u/%s is published on host port %u: %s uses %s:%u", cname(b), t->port,
                  proto, hp, cname(a), host, hp);
        via.port = hp;
        diag_final_probe(d, a, a->x->host_addr, host, &via);
}

/* From the host or a test host: no shared network to check, only b's side of the path. */
void diag_outside_to_container(struct nlab_diag *d, struct nlab_store *st,
                               const struct nlab_party *a, const struct nlab_party *b,
                               const struct target *t)
{
        char ip_text[INET_ADDRSTRLEN], why[160];
        struct in_addr dst;

        if (nlab_party_target_address(a, b, &dst, why, sizeof(why)) < 0) {
                diag_fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                return;
        }
        inet_ntop(AF_INET, &dst, ip_text, sizeof(ip_text));
        diag_pass(d, "%s has the address %s", cname(b), ip_text);
        if (t->port && !b->in_host_ns && !diag_listener_step(d, b, t->port, t->proto, NULL))
                return;
        if (a->kind == NLAB_PARTY_EXTERNAL && a->x && t->port && !b->in_host_ns)
                outside_via_published(d, st, a, b, t);
        else if (a->kind == NLAB_PARTY_EXTERNAL && a->x && b->kind == NLAB_PARTY_CONTAINER &&
                 !b->in_host_ns && d->seen && !diag_routed(d))
                diag_fail(d, NLAB_REASON_FIREWALL, NULL,
                          "%s is outside, and netlab's firewall drops packets from outside to a "
                          "container's own address (only published ports let it in)",
                          cname(a));
        else
                diag_final_probe(d, a, dst, ip_text, t);
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
                        diag_fail(d, NLAB_REASON_OTHER_HOST_PORT, fix,
                                  "%s's port %u/%s is published on host port %u, not on %u",
                                  cname(&b), t->port, proto, hp, t->port);
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
bool diag_published_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
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
                diag_fail(d, NLAB_REASON_NOT_PUBLISHED, fix,
                          "no container publishes port %u/%s on the host", t->port, proto);
                return false;
        }
        snprintf(id, sizeof(id), "%s", text);
        free(text);
        if (nlab_party_load(st, id, NULL, 0, 0, &b, NULL) < 0 || b.kind != NLAB_PARTY_CONTAINER) {
                nlab_party_free(&b);
                return true;
        }
        ok = diag_usable(d, &b);
        if (ok)
                diag_pass(d, "%s publishes host port %u/%s", cname(&b), t->port, proto);
        ok = ok &&
             (a->kind != NLAB_PARTY_EXTERNAL || publisher_way_in_step(d, st, &b, t->port, proto));
        ok = ok && loopback_step(d, a, &b, t->port, t->proto);
        cport = nlab_party_container_port(&b, t->port, t->proto);
        snprintf(why, sizeof(why), "host port %u/%s leads", t->port, proto);
        if (ok && cport && !b.in_host_ns)
                ok = diag_listener_step(d, &b, cport, t->proto, why);
        nlab_party_free(&b);
        return ok;
}

/* Where a sees the host: the gateway of its first network, loopback from the host itself. */
int diag_host_seen_from(struct nlab_diag *d, const struct nlab_party *a, struct in_addr *dst,
                        char *text, size_t size)
{
        char why[160];

        if (nlab_party_host_address(a, dst, why, sizeof(why)) < 0) {
                if (a->kind != NLAB_PARTY_CONTAINER) {
                        diag_fail(d, NLAB_REASON_NO_NETWORK, NULL, "%s", why);
                        return -1;
                }
                inet_pton(AF_INET, "127.0.0.1", dst);
        }
        inet_ntop(AF_INET, dst, text, size);
        diag_pass(d, "the host is %s as seen from %s", text, cname(a));
        return 0;
}

/* A container's way out of its own namespace: --network none and --internal have none. */
bool diag_way_out_step(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a)
{
        char names[256], fix[256];

        if (a->kind != NLAB_PARTY_CONTAINER)
                return true;
        if (!diag_networked_step(d, a))
                return false;
        if (only_internal(st, a, names, sizeof(names))) {
                snprintf(fix, sizeof(fix), "netlab network connect bridge %s", cname(a));
                diag_fail(
                    d, NLAB_REASON_INTERNAL, fix,
                    "%s is only on internal network(s) %s: --internal networks have no way out",
                    cname(a), names);
                return false;
        }
        return true;
}

/* A container to a test host outside: out through the host, as to any outside address. */
void diag_to_outside(struct nlab_diag *d, struct nlab_store *st, const struct nlab_party *a,
                     const struct nlab_party *b, const struct target *t)
{
        if (diag_way_out_step(d, st, a))
                diag_outside_to_container(d, st, a, b, t);
}
