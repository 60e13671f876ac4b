/* diagnose --capture: the probe again with captures open along its path, so the user sees the
 * packets and the link where they stop. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/base/pktfmt.h"
#include "runtime/kernel/livecap.h"
#include "runtime/lab/capture.h"
#include "runtime/lab/diagnose.h"
#include "runtime/lab/party.h"
#include "runtime/lab/probe.h"
#include "runtime/net/network.h"

#define DRAIN_MS 100

struct open_point {
        pcap_t *pcap;
        struct nlab_trace_point *pt;
};

#define MAX_SOURCES 8

struct trace_ctx {
        struct nlab_trace *t;
        struct open_point open[NLAB_TRACE_POINTS];
        char filter[64];
        char dst[INET_ADDRSTRLEN];
        /* A's addresses: its ARP belongs to the probe, another machine's ARP does not */
        char src[MAX_SOURCES][INET_ADDRSTRLEN];
        size_t nsrc;
};

struct point_ctx {
        const struct trace_ctx *c;
        struct nlab_trace_point *pt;
};

static void add_point(struct trace_ctx *c, const char *netns, const char *ifname, const char *fmt,
                      const char *a, const char *b)
{
        struct nlab_trace_point *pt;
        struct open_point *o;
        struct nlab_err err;

        if (c->t->n == NLAB_TRACE_POINTS)
                return;
        o = &c->open[c->t->n];
        pt = &c->t->pts[c->t->n++];
        snprintf(pt->where, sizeof(pt->where), fmt, a, b);
        o->pt = pt;
        o->pcap = nlab_livecap_open(netns, ifname, c->filter, pt->where, &err);
        if (!o->pcap)
                snprintf(pt->error, sizeof(pt->error), "%s", err.msg);
}

/* A party's own interface: a container's on net (or its first), an external host's eth0. */
static void add_party(struct trace_ctx *c, const struct nlab_party *p, const char *net)
{
        const struct nlab_ctr_endpoint *ep = NULL;
        const char *ifname = "eth0";

        if (p->kind == NLAB_PARTY_EXTERNAL) {
                add_point(c, p->netns[0] ? p->netns : NULL, ifname, "%s %s", nlab_party_name(p),
                          ifname);
                return;
        }
        if (p->kind != NLAB_PARTY_CONTAINER || p->in_host_ns || !p->running)
                return;
        ep = net ? nlab_party_endpoint(p, net) : NULL;
        if (!ep && nlab_party_n_endpoints(p))
                ep = nlab_party_endpoint_at(p, 0);
        if (!ep)
                return;
        if (ep->ifname && ep->ifname[0])
                ifname = ep->ifname;
        add_point(c, nlab_party_netns(p), ifname, "%s %s", nlab_party_name(p), ifname);
}

static void add_bridge(struct trace_ctx *c, struct nlab_store *st, const char *net)
{
        struct nlab_net n;

        if (!net || nlab_network_load(st, net, &n, NULL) < 0 || !n.bridge[0])
                return;
        add_point(c, NULL, n.bridge, "network %s (%s)", n.name, n.bridge);
}

/* The network a and b share, else NULL (then each side's first). */
static const char *shared_net(const struct nlab_party *a, const struct nlab_party *b)
{
        size_t i;

        if (a->kind != NLAB_PARTY_CONTAINER || b->kind != NLAB_PARTY_CONTAINER)
                return NULL;
        for (i = 0; i < nlab_party_n_endpoints(a); i++) {
                const char *net = nlab_party_endpoint_at(a, i)->network;

                if (nlab_party_endpoint(b, net))
                        return net;
        }
        return NULL;
}

static const char *first_net(const struct nlab_party *p)
{
        if (p->kind != NLAB_PARTY_CONTAINER || p->in_host_ns || !nlab_party_n_endpoints(p))
                return NULL;
        return nlab_party_endpoint_at(p, 0)->network;
}

static bool from_source(const struct trace_ctx *c, const char *ip)
{
        size_t i;

        if (!c->nsrc)
                return true; /* the host: any of its addresses may be the source */
        for (i = 0; i < c->nsrc; i++)
                if (!strcmp(c->src[i], ip))
                        return true;
        return false;
}

/* The probe's packets: to or from B's address, and A's ARP for the next hop. */
static void on_packet(void *arg, const struct nlab_capture_pkt *p)
{
        struct point_ctx *pc = arg;
        struct nlab_trace_point *pt = pc->pt;
        char line[sizeof(pt->lines[0])];
        struct nlab_pkt pkt;

        nlab_pkt_decode(p->data, p->caplen, p->len, p->linktype, &pkt, line, sizeof(line));
        if (pkt.proto == NLAB_PKT_ARP ? !from_source(pc->c, pkt.src)
                                      : strcmp(pkt.src, pc->c->dst) && strcmp(pkt.dst, pc->c->dst))
                return;
        if (pt->seen < NLAB_TRACE_LINES)
                memcpy(pt->lines[pt->seen], line, sizeof(line));
        pt->seen++;
}

static void note_sources(struct trace_ctx *c, const struct nlab_party *a)
{
        size_t i;

        if (a->kind == NLAB_PARTY_EXTERNAL && a->x)
                inet_ntop(AF_INET, &a->x->addr, c->src[c->nsrc++], sizeof(c->src[0]));
        for (i = 0; a->kind == NLAB_PARTY_CONTAINER && !a->in_host_ns &&
                    i < nlab_party_n_endpoints(a) && c->nsrc < MAX_SOURCES;
             i++) {
                const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(a, i);

                if (ep->ip_address && ep->ip_address[0])
                        snprintf(c->src[c->nsrc++], sizeof(c->src[0]), "%s", ep->ip_address);
        }
}

static void drain(struct trace_ctx *c)
{
        struct nlab_capture cap = {0};
        size_t i;

        usleep(DRAIN_MS * 1000);
        c->t->stop = -1;
        for (i = 0; i < c->t->n; i++) {
                if (c->open[i].pcap) {
                        cap.pcap = c->open[i].pcap;
                        cap.linktype = pcap_datalink(cap.pcap);
                        struct point_ctx pc = {c, c->open[i].pt};

                        while (nlab_capture_dispatch(&cap, 0, on_packet, &pc, NULL) > 0)
                                ;
                        pcap_close(c->open[i].pcap);
                        c->open[i].pcap = NULL;
                }
                if (c->t->stop < 0 && !c->t->pts[i].error[0] && !c->t->pts[i].seen)
                        c->t->stop = (int)i;
        }
}

static void add_points(struct trace_ctx *c, struct nlab_store *st, const struct nlab_party *a,
                       const struct nlab_party *b)
{
        const char *net = shared_net(a, b);

        add_party(c, a, net);
        if (net) {
                add_bridge(c, st, net);
        } else {
                add_bridge(c, st, first_net(a));
                if (!first_net(a) || !first_net(b) || strcmp(first_net(a), first_net(b)))
                        add_bridge(c, st, first_net(b));
        }
        add_party(c, b, net);
}

static int probe(struct nlab_trace *t, const struct nlab_party *a, struct in_addr ip, unsigned port,
                 enum nlab_proto proto, struct nlab_err *err)
{
        static const char *const names[] = {"icmp echo", "tcp", "udp"};
        struct nlab_probe_result res;
        char addr[INET_ADDRSTRLEN], dst[32];

        inet_ntop(AF_INET, &ip, addr, sizeof(addr));
        snprintf(dst, sizeof(dst), port ? "%s:%u" : "%s", addr, port);
        if (nlab_probe_reach(nlab_party_netns(a), ip, port, proto, NLAB_PROBE_MS, &res, err) < 0)
                return -1;
        snprintf(t->probe, sizeof(t->probe), "%s to %s from %s: %s", names[proto], dst,
                 nlab_party_name(a), nlab_probe_status_str(res.status));
        return 0;
}

/* The CLI's external hosts: the recorded ones that are up. */
static int load_externals(struct nlab_store *st, struct nlab_external **ext, size_t *up,
                          struct nlab_err *err)
{
        size_t n = 0, i;

        *up = 0;
        if (nlab_external_list(st, ext, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if ((*ext)[i].state == NLAB_EXTERNAL_UP)
                        (*ext)[(*up)++] = (*ext)[i];
        return 0;
}

int nlab_capture_trace(struct nlab_store *st, const char *from, const char *to,
                       struct nlab_trace *t, struct nlab_err *err)
{
        struct trace_ctx c = {.t = t};
        struct nlab_external *ext = NULL;
        struct nlab_party a, b;
        enum nlab_proto proto;
        char name[128], why[256];
        struct in_addr ip;
        unsigned port;
        size_t next;
        int r;

        memset(t, 0, sizeof(*t));
        t->stop = -1;
        if (nlab_diagnose_target(to, name, sizeof(name), &port, &proto, err) < 0 ||
            load_externals(st, &ext, &next, err) < 0)
                return -1;
        r = nlab_party_load(st, from, ext, next, NLAB_PARTY_NAMED_NETNS, &a, err);
        if (r < 0)
                goto out_ext;
        r = nlab_party_load(st, name, ext, next, NLAB_PARTY_NAMED_NETNS, &b, err);
        if (r < 0) {
                nlab_party_free(&a);
                goto out_ext;
        }
        r = nlab_party_target_address(&a, &b, &ip, why, sizeof(why));
        if (r < 0) {
                snprintf(t->probe, sizeof(t->probe), "no probe: %s", why);
                r = 0;
                goto out;
        }
        inet_ntop(AF_INET, &ip, c.dst, sizeof(c.dst));
        note_sources(&c, &a);
        /* the probe's packets and the ARP that must come first */
        snprintf(c.filter, sizeof(c.filter), "host %s or arp", c.dst);
        add_points(&c, st, &a, &b);
        r = probe(t, &a, ip, port, proto, err);
        drain(&c);
out:
        nlab_party_free(&a);
        nlab_party_free(&b);
out_ext:
        free(ext);
        return r;
}
