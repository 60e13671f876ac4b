#include "runtime/lab/capture.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/linkspec.h"
#include "runtime/kernel/livecap.h"
#include "runtime/lab/party.h"
#include "runtime/net/network.h"

/* Where to open the handle: a namespace (NULL: ours) and an interface in it. */
struct spot {
        char netns[PATH_MAX];
        char ifname[NLAB_IFNAMSIZ];
        char where[192];
};

static int from_party(const struct nlab_party *p, const char *iface, struct spot *s,
                      struct nlab_err *err)
{
        const char *ns = nlab_party_netns(p);

        snprintf(s->netns, sizeof(s->netns), "%s", ns ? ns : "");
        switch (p->kind) {
        case NLAB_PARTY_ADDRESS:
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid capture target \"%s\": a container, a network, an "
                                    "external host or host, not an address",
                                    p->name);
        case NLAB_PARTY_HOST:
                snprintf(s->where, sizeof(s->where), "the lab host");
                if (!iface)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "capture on host needs an interface: -i IFACE");
                break;
        case NLAB_PARTY_EXTERNAL:
                snprintf(s->where, sizeof(s->where), "external host %s", p->name);
                break;
        case NLAB_PARTY_CONTAINER:
                snprintf(s->where, sizeof(s->where), "container %s", p->name);
                if (!p->running)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "container %s is not running: its interfaces exist "
                                            "only while it runs",
                                            p->name);
                /* its eth0 would be the host's own: make the user name the interface */
                if (p->in_host_ns && !iface)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "container %s uses --network host: name one of the "
                                            "host's interfaces with -i IFACE",
                                            p->name);
                break;
        }
        snprintf(s->ifname, sizeof(s->ifname), "%s", iface ? iface : "eth0");
        return 0;
}

static int from_network(struct nlab_store *st, const char *name, const char *iface, struct spot *s,
                        struct nlab_err *err)
{
        struct nlab_net net;

        if (nlab_network_load(st, name, &net, err) < 0)
                return -1;
        if (!net.bridge[0])
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "network %s (driver %s) has no bridge to capture on", net.name,
                                    net.driver);
        if (iface)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "network %s: capture runs on its bridge %s; give a container "
                                    "(CONTAINER/IFACE) to pick an interface",
                                    net.name, net.bridge);
        s->netns[0] = '\0';
        snprintf(s->ifname, sizeof(s->ifname), "%s", net.bridge);
        snprintf(s->where, sizeof(s->where), "network %s", net.name);
        return 0;
}

/* The target, with CONTAINER/IFACE or -i, to a namespace and interface. */
static int locate(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                  unsigned flags, const struct nlab_capture_req *req, struct spot *s,
                  struct nlab_err *err)
{
        char name[256], split_if[NLAB_IFNAMSIZ];
        const char *iface = req->iface;
        struct nlab_party p;
        struct nlab_err perr;
        int r;

        if (strchr(req->target, '/')) {
                if (iface)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "capture target \"%s\" names an interface and -i "
                                            "names %s: give one",
                                            req->target, iface);
                if (nlab_link_target_parse(req->target, name, sizeof(name), split_if,
                                           sizeof(split_if), err) < 0)
                        return -1;
                iface = split_if;
        } else {
                snprintf(name, sizeof(name), "%s", req->target);
        }
        if (iface && nlab_ifname_check(iface, err) < 0)
                return -1;
        if (nlab_party_load(st, name, ext, next, flags, &p, &perr) == 0) {
                r = from_party(&p, iface, s, err);
                nlab_party_free(&p);
                return r;
        }
        if (perr.kind != NLAB_E_NOTFOUND ||
            nlab_network_load(st, name, &(struct nlab_net){0}, NULL) < 0) {
                const char *hint = strstr(perr.msg, "did you mean");

                if (perr.kind != NLAB_E_NOTFOUND) {
                        if (err)
                                *err = perr;
                        return -1;
                }
                /* keep the container lookup's near match, the likeliest meaning */
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "no container, network or external host named %s%s%s%s", name,
                                    hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
        }
        return from_network(st, name, iface, s, err);
}

int nlab_capture_open(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                      unsigned party_flags, const struct nlab_capture_req *req,
                      struct nlab_capture *c, struct nlab_err *err)
{
        struct spot s;

        assert(st && req && req->target && c);
        memset(c, 0, sizeof(*c));
        if (locate(st, ext, next, party_flags, req, &s, err) < 0)
                return -1;
        c->pcap =
            nlab_livecap_open(s.netns[0] ? s.netns : NULL, s.ifname, req->filter, s.where, err);
        if (!c->pcap)
                return -1;
        c->linktype = pcap_datalink(c->pcap);
        snprintf(c->ifname, sizeof(c->ifname), "%s", s.ifname);
        snprintf(c->where, sizeof(c->where), "%s", s.where);
        if (req->write) {
                c->dump = pcap_dump_open(c->pcap, req->write);
                if (!c->dump) {
                        nlab_err_set(err, NLAB_E_INVALID, "cannot write %s: %s", req->write,
                                     pcap_geterr(c->pcap));
                        pcap_close(c->pcap);
                        c->pcap = NULL;
                        return -1;
                }
        }
        return 0;
}

int nlab_capture_open_cli(struct nlab_store *st, const struct nlab_capture_req *req,
                          struct nlab_capture *c, struct nlab_err *err)
{
        struct nlab_external *ext = NULL;
        size_t n = 0, up = 0, i;
        int r;

        if (nlab_external_list(st, &ext, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if (ext[i].state == NLAB_EXTERNAL_UP)
                        ext[up++] = ext[i];
        r = nlab_capture_open(st, ext, up, NLAB_PARTY_NAMED_NETNS, req, c, err);
        free(ext);
        return r;
}

int nlab_capture_fd(const struct nlab_capture *c)
{
        return pcap_get_selectable_fd(c->pcap);
}

struct relay {
        struct nlab_capture *c;
        nlab_capture_fn fn;
        void *ctx;
};

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
        struct relay *r = (struct relay *)arg;
        struct nlab_capture_pkt p = {h->ts, h->caplen, h->len, bytes, r->c->linktype};

        if (r->c->dump)
                pcap_dump((u_char *)r->c->dump, h, bytes);
        if (r->fn)
                r->fn(r->ctx, &p);
}

int nlab_capture_dispatch(struct nlab_capture *c, int max, nlab_capture_fn fn, void *ctx,
                          struct nlab_err *err)
{
        struct relay r = {c, fn, ctx};
        int n;

        n = pcap_dispatch(c->pcap, max > 0 ? max : -1, on_packet, (u_char *)&r);
        if (n < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "%s: capture on %s: %s", c->where,
                                    c->ifname, pcap_geterr(c->pcap));
        if (n > 0 && c->dump)
                pcap_dump_flush(c->dump);
        return n;
}

unsigned nlab_capture_dropped(const struct nlab_capture *c)
{
        struct pcap_stat ps;

        if (pcap_stats(c->pcap, &ps) < 0)
                return 0;
        return ps.ps_drop;
}

void nlab_capture_close(struct nlab_capture *c)
{
        if (c->dump)
                pcap_dump_close(c->dump);
        if (c->pcap)
                pcap_close(c->pcap);
        c->dump = NULL;
        c->pcap = NULL;
}
