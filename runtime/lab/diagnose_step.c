/* How a diagnosis records its findings, and the links every walk checks: A and B usable, a
 * listener on B's port, and the last probe with what its answer says. */
#include "runtime/lab/diagnose_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/portspec.h"
#include "runtime/kernel/fwforeign.h"
#include "runtime/lab/probe.h"

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

void diag_pass(struct nlab_diag *d, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        add(d, NLAB_REASON_NONE, NULL, fmt, ap);
        va_end(ap);
}

/* A broken link, and the short name of why, for `because` and reports. */
void diag_fail(struct nlab_diag *d, enum nlab_reason reason, const char *fix, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        add(d, reason, fix, fmt, ap);
        va_end(ap);
}

void diag_list_names(const struct nlab_party *p, char *buf, size_t size)
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
        diag_fail(d, NLAB_REASON_STOPPED, fix,
                  "%s is not running, so nothing can reach it or leave it", cname(c));
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
                diag_fail(
                    d, NLAB_REASON_NO_NETWORK, fix,
                    "%s shares %s's network namespace (--network container:%s), but %s is not "
                    "running: %s is left with no network",
                    cname(c), c->owner, c->owner, c->owner, cname(c));
                return false;
        }
        snprintf(fix, sizeof(fix), "netlab restart %s (it joins %s's new namespace)", cname(c),
                 c->owner);
        diag_fail(
            d, NLAB_REASON_NO_NETWORK, fix,
            "%s shares %s's network namespace (--network container:%s), but %s restarted since "
            "%s started: %s is left in %s's old namespace, which has no network",
            cname(c), c->owner, c->owner, c->owner, cname(c), cname(c), c->owner);
        return false;
}

bool diag_usable(struct nlab_diag *d, const struct nlab_party *c)
{
        return running_step(d, c) && stale_step(d, c);
}

/* A container with --network none has nothing but lo. */
bool diag_networked_step(struct nlab_diag *d, const struct nlab_party *a)
{
        if (a->kind != NLAB_PARTY_CONTAINER || strcmp(a->cfg->network_mode, "none"))
                return true;
        diag_fail(d, NLAB_REASON_NO_NETWORK,
                  "use another --network: netlab rm -f, then run it again",
                  "%s runs with --network none: it has only lo", cname(a));
        return false;
}

/* Does b listen on port/proto? why: what leads to that port, for the message. */
bool diag_listener_step(struct nlab_diag *d, const struct nlab_party *b, unsigned port,
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
                        diag_pass(d, "%s listens on %u/%s", cname(b), port, udp ? "udp" : "tcp");
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
        diag_fail(d, NLAB_REASON_NOT_LISTENING, fix, "nothing in %s listens on %u/%s%s%s", cname(b),
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
                diag_fail(d, NLAB_REASON_NOT_LISTENING, "start a server on that port",
                          "%s sent packets to %s and got: %s (nothing listens there)", cname(a),
                          what, got);
                return;
        }
        if (res->status == NLAB_PROBE_UNREACHABLE) {
                diag_fail(d, NLAB_REASON_NO_ROUTE,
                          "put both on one network, or route through a router container",
                          "%s sent packets to %s and got: %s (%s has no route there)", cname(a),
                          what, got, cname(a));
                return;
        }
        if (nlab_fw_foreign(foreign, sizeof(foreign), NULL) == 0 && foreign[0]) {
                fix = strstr(foreign, "; fix: ");
                if (fix)
                        *fix = '\0';
                diag_fail(d, NLAB_REASON_FOREIGN_FIREWALL, fix ? fix + 7 : NULL,
                          "%s sent packets to %s and got: %s; %s", cname(a), what, got, foreign);
                return;
        }
        diag_fail(d, NLAB_REASON_UNKNOWN, "look at the rules: nft list table inet netlab",
                  "%s sent packets to %s and got: %s", cname(a), what, got);
}

/* d->seen: a check already probed this path, so its answer is used instead of a second wait. */
void diag_final_probe(struct nlab_diag *d, const struct nlab_party *a, struct in_addr dst,
                      const char *dst_text, const struct target *t)
{
        struct nlab_probe_result res = {.status = NLAB_PROBE_TIMEOUT};
        char what[64];

        snprintf(what, sizeof(what), "%s%s%.0u%s%s", dst_text, t->port ? ":" : "", t->port,
                 t->port ? "/" : "", t->port ? (t->proto == NLAB_PROTO_UDP ? "udp" : "tcp") : "");
        if (d->seen)
                res = *d->seen;
        else if (nlab_probe_reach(nlab_party_netns(a), dst, t->port, t->proto, NLAB_PROBE_MS, &res,
                                  NULL) < 0)
                res.status = NLAB_PROBE_TIMEOUT;
        if (res.status != NLAB_PROBE_OK &&
            !(t->proto == NLAB_PROTO_UDP && res.status == NLAB_PROBE_TIMEOUT)) {
                probe_failed(d, a, what, &res);
                return;
        }
        d->reachable = true;
        diag_pass(d, "%s reaches %s (%u ms)", cname(a), what, res.ms);
}

/* The check's probe got an answer (even a refusal): the packets arrived, whatever the
 * networks say (a router container between two networks). */
bool diag_routed(const struct nlab_diag *d)
{
        return d->seen &&
               (d->seen->status == NLAB_PROBE_OK || d->seen->status == NLAB_PROBE_REFUSED);
}
