/* `expect capture on TARGET contains PATTERN`: a capture open while the step above it runs, so a
 * lesson can show the packet and not only the verdict. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lab/internal.h"
#include "runtime/lab/party.h"

#define MAX_ADDRS 16
#define DRAIN_MS  100 /* for the last replies to reach the ring after the step returns */

struct addrs {
        char v[MAX_ADDRS][NLAB_PKT_ADDRLEN];
        size_t n;
};

struct matcher {
        struct lab_capture *e;
        const struct addrs *from, *to; /* NULL: any */
};

void lab_capture_arm(struct lab_ctx *c, const struct nlab_step *st)
{
        const struct nlab_step *next = st;
        struct nlab_err err;
        unsigned found = 0;

        if (!st->watchers)
                return;
        c->ncaps = 0;
        /* the parser counted them: exactly st->watchers capture checks follow st */
        while (found < st->watchers && c->ncaps < LAB_MAX_CAPTURES) {
                struct lab_capture *e;
                struct nlab_capture_req req = {0};

                next++;
                if (next->kind != NLAB_STEP_EXPECT || next->ex.kind != NLAB_EXPECT_CAPTURE)
                        continue;
                found++;
                e = &c->caps[c->ncaps++];
                memset(e, 0, sizeof(*e));
                e->ex = &next->ex;
                req.target = next->ex.subject;
                if (nlab_capture_open(&c->st, c->ext, c->next, c->party_flags, &req, &e->cap,
                                      &err) < 0)
                        snprintf(e->error, sizeof(e->error), "%s", err.msg);
        }
}

/* A name's IPv4 addresses: an address itself, a container's on each network, an external's. */
static int resolve(struct lab_ctx *c, const char *name, struct addrs *a, char *why, size_t size)
{
        struct nlab_party p;
        struct nlab_err err;
        size_t i;

        a->n = 0;
        if (nlab_party_load(&c->st, name, c->ext, c->next, c->party_flags, &p, &err) < 0) {
                snprintf(why, size, "%s", err.msg);
                return -1;
        }
        if (p.kind == NLAB_PARTY_ADDRESS)
                snprintf(a->v[a->n++], sizeof(a->v[0]), "%s", name);
        else if (p.kind == NLAB_PARTY_EXTERNAL && p.x)
                inet_ntop(AF_INET, &p.x->addr, a->v[a->n++], sizeof(a->v[0]));
        for (i = 0; p.kind == NLAB_PARTY_CONTAINER && i < nlab_party_n_endpoints(&p); i++) {
                const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(&p, i);

                if (ep->ip_address && ep->ip_address[0] && a->n < MAX_ADDRS)
                        snprintf(a->v[a->n++], sizeof(a->v[0]), "%s", ep->ip_address);
        }
        nlab_party_free(&p);
        if (a->n == 0) {
                snprintf(why, size, "%s has no IPv4 address to match packets on", name);
                return -1;
        }
        return 0;
}

static bool among(const struct addrs *a, const char *ip)
{
        size_t i;

        if (!a)
                return true;
        for (i = 0; i < a->n; i++)
                if (!strcmp(a->v[i], ip))
                        return true;
        return false;
}

static void on_packet(void *ctx, const struct nlab_capture_pkt *p)
{
        struct matcher *m = ctx;
        struct lab_capture *e = m->e;
        char line[256];
        struct nlab_pkt pkt;
        bool hit;

        nlab_pkt_decode(p->data, p->caplen, p->len, p->linktype, &pkt, line, sizeof(line));
        hit = nlab_pkt_pattern_match(&e->ex->pattern, &pkt) && among(m->from, pkt.src) &&
              among(m->to, pkt.dst);
        if (e->seen++ == 0 || (hit && e->matched == 0))
                snprintf(e->first, sizeof(e->first), "%s %s", e->cap.ifname, line);
        e->matched += hit;
}

static void collect_one(struct lab_ctx *c, struct lab_capture *e)
{
        struct addrs from, to;
        struct matcher m = {e, NULL, NULL};
        struct nlab_err err;
        int n;

        if (e->ex->from && resolve(c, e->ex->from, &from, e->error, sizeof(e->error)) < 0)
                return;
        if (e->ex->to && resolve(c, e->ex->to, &to, e->error, sizeof(e->error)) < 0)
                return;
        m.from = e->ex->from ? &from : NULL;
        m.to = e->ex->to ? &to : NULL;
        do {
                n = nlab_capture_dispatch(&e->cap, 0, on_packet, &m, &err);
        } while (n > 0);
        if (n < 0)
                snprintf(e->error, sizeof(e->error), "%s", err.msg);
        e->ran = true;
}

void lab_capture_collect(struct lab_ctx *c, const struct nlab_step *st)
{
        size_t i;

        if (!st->watchers)
                return;
        usleep(DRAIN_MS * 1000);
        for (i = 0; i < c->ncaps; i++) {
                if (c->caps[i].cap.pcap && !c->caps[i].error[0])
                        collect_one(c, &c->caps[i]);
                nlab_capture_close(&c->caps[i].cap);
        }
}

int lab_capture_check(struct lab_ctx *c, const struct nlab_expect *ex, struct lab_outcome *o,
                      struct nlab_err *err)
{
        const struct lab_capture *e = NULL;
        size_t i;

        for (i = 0; i < c->ncaps && !e; i++)
                if (c->caps[i].ex == ex)
                        e = &c->caps[i];
        if (e && e->error[0])
                return nlab_err_set(err, NLAB_E_INVALID, "capture on %s: %s", ex->subject,
                                    e->error);
        if (!e || !e->ran)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "nothing captured on %s: the step above did not run",
                                    ex->subject);
        o->held = ex->lacks ? e->matched == 0 : e->matched > 0;
        if (e->matched)
                snprintf(o->saw, sizeof(o->saw), "%u of %u packets on %s matched, first: %s",
                         e->matched, e->seen, ex->subject, e->first);
        else if (e->seen)
                snprintf(o->saw, sizeof(o->saw), "none of %u packets on %s matched; the first: %s",
                         e->seen, ex->subject, e->first);
        else
                snprintf(o->saw, sizeof(o->saw), "no packets on %s", ex->subject);
        return 0;
}
