#include "netlab/graph_dot.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ctr/netmode.h"
#include "runtime/net/network.h"

#define FONT "DejaVu Sans"

/* Colours that survive a projector: dark borders and text, light fills. */
struct palette {
        const char *fill, *line;
};
static const struct palette net_colors[] = {
    {"#DCEBFA", "#1F5FA8"}, {"#DDF3E4", "#1E7B3C"}, {"#EBE3F7", "#5B3C99"},
    {"#FDEBD8", "#A34E00"}, {"#DAF1F2", "#0E6E73"},
};
static const struct palette closed_color = {"#FBE0E0", "#B42318"};

/* Where each container goes and which way the chain runs, worked out once. */
struct layout {
        const struct nlab_graph *g;
        int *home;      /* the network box a container sits in, or -1 */
        int *owner;     /* container:NAME: the owner's index, or -1 */
        bool *drawn;    /* networks with a box */
        bool *has_left; /* something attached to it sits left of its bridge */
};

void nlab_graph_html(FILE *out, const char *s)
{
        for (; s && *s; s++) {
                switch (*s) {
                case '&':
                        fputs("&amp;", out);
                        break;
                case '<':
                        fputs("&lt;", out);
                        break;
                case '>':
                        fputs("&gt;", out);
                        break;
                case '"':
                        fputs("&quot;", out);
                        break;
                default:
                        fputc(*s, out);
                }
        }
}

/* A quoted DOT id "prefix:name". */
static void qid(FILE *out, const char *prefix, const char *name)
{
        fprintf(out, "\"%s:", prefix);
        for (; *name; name++)
                fprintf(out, "%s%c", (*name == '"' || *name == '\\') ? "\\" : "", *name);
        fputc('"', out);
}

static int net_index(const struct nlab_graph *g, const char *name)
{
        size_t i;

        for (i = 0; name && i < g->n_nets; i++)
                if (!strcmp(g->nets[i].name, name))
                        return (int)i;
        return -1;
}

static int ctr_index(const struct nlab_graph *g, const char *ref)
{
        size_t i;

        for (i = 0; ref && i < g->n_ctrs; i++)
                if (!strcmp(g->ctrs[i].cfg.id, ref) || !strcmp(g->ctrs[i].cfg.name, ref))
                        return (int)i;
        return -1;
}

static const struct palette *color_of(const struct layout *l, int n)
{
        int k = 0, i;

        if (l->g->nets[n].internal)
                return &closed_color;
        for (i = 0; i < n; i++)
                k += l->drawn[i] && !l->g->nets[i].internal;
        return &net_colors[k % (int)(sizeof(net_colors) / sizeof(net_colors[0]))];
}

/* A container on several networks sits right of its first network's bridge and left of the
 * others'; a network with something on its left puts its own members on its right, so a chain
 * of networks joined by routers reads left to right. */
static void place(struct layout *l)
{
        const struct nlab_graph *g = l->g;
        size_t i, j;

        for (i = 0; i < g->n_ctrs; i++) {
                const struct nlab_ctr_config *cfg = &g->ctrs[i].cfg;
                l->owner[i] = -1;
                l->home[i] = -1;
                if (nlab_netmode_container_ref(cfg->network_mode)) {
                        l->owner[i] = ctr_index(g, nlab_netmode_container_ref(cfg->network_mode));
                        continue;
                }
                if (cfg->n_networks == 1)
                        l->home[i] = net_index(g, cfg->networks[0].network);
                else if (cfg->n_networks == 0)
                        l->home[i] = net_index(g, cfg->network_mode);
                for (j = 0; j < cfg->n_networks; j++) {
                        int n = net_index(g, cfg->networks[j].network);
                        if (n < 0)
                                continue;
                        l->drawn[n] = true;
                        if (j > 0)
                                l->has_left[n] = true;
                }
        }
        /* container:B where B is container:C: all three live in C's namespace */
        for (i = 0; i < g->n_ctrs; i++)
                for (j = 0; j < g->n_ctrs && l->owner[i] >= 0 && l->owner[l->owner[i]] >= 0; j++)
                        l->owner[i] = l->owner[l->owner[i]];
        for (i = 0; i < g->n_nets; i++)
                if (!g->nets[i].bridge[0])
                        l->drawn[i] = false; /* host and none: drawn as what they are */
                else if (nlab_network_is_user(&g->nets[i]))
                        l->drawn[i] = true;
        /* a container not started yet sits in the box of the network it will join */
        for (i = 0; i < g->n_ctrs; i++) {
                int n = l->home[i];
                if (n >= 0 && g->nets[n].bridge[0])
                        l->drawn[n] = true;
                else
                        l->home[i] = -1;
        }
}

static void bridge_node(const struct layout *l, int n, FILE *out)
{
        const struct nlab_net *net = &l->g->nets[n];
        const struct palette *pc = color_of(l, n);
        char gw[INET_ADDRSTRLEN] = "";

        inet_ntop(AF_INET, &net->pool.gateway, gw, sizeof(gw));
        fputs("    ", out);
        qid(out, "net", net->name);
        fprintf(out,
                " [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
                "CELLPADDING=\"6\" BGCOLOR=\"white\" COLOR=\"%s\">"
                "<TR><TD BGCOLOR=\"%s\"><FONT COLOR=\"white\"><B>bridge %s</B></FONT></TD></TR>",
                pc->line, pc->line, net->bridge);
        if (net->has_pool)
                fprintf(out, "<TR><TD>gateway %s/%u</TD></TR>", gw, net->pool.subnet.prefix);
        if (net->has_pool && nlab_network_is_user(net))
                fprintf(out, "<TR><TD>netlab-dns %s:53</TD></TR>", gw);
        if (!net->icc)
                fputs("<TR><TD>icc off: members cannot talk</TD></TR>", out);
        if (net->internal)
                fprintf(out, "<TR><TD BGCOLOR=\"%s\"><B>internal: no way out</B></TD></TR>",
                        closed_color.fill);
        else
                fputs("<TR><TD>NAT to the outside (masquerade)</TD></TR>", out);
        fputs("</TABLE>>];\n", out);
}

/* "eth0  10.89.0.2/24"; the interface has no name until the container first starts. */
static void address_row(const struct nlab_ctr_endpoint *ep, size_t k, FILE *out)
{
        fprintf(out, "<TR><TD PORT=\"if%zu\" ALIGN=\"LEFT\">", k);
        if (ep->ifname && ep->ifname[0]) {
                fputs("<B>", out);
                nlab_graph_html(out, ep->ifname);
                fputs("</B>  ", out);
        }
        if (ep->ip_address && ep->ip_address[0]) {
                nlab_graph_html(out, ep->ip_address);
                if (ep->has_prefix)
                        fprintf(out, "/%lld", ep->prefix_len);
        } else {
                fputs("(no address yet)", out);
        }
        if (!ep->ifname || !ep->ifname[0])
                fputs(" <I>(not started)</I>", out);
        fputs("</TD></TR>", out);
        if (ep->aliases.n) {
                size_t i;
                fputs("<TR><TD ALIGN=\"LEFT\"><I>aliases: ", out);
                for (i = 0; i < ep->aliases.n; i++) {
                        fputs(i ? ", " : "", out);
                        nlab_graph_html(out, ep->aliases.v[i]);
                }
                fputs("</I></TD></TR>", out);
        }
}

static void header_row(const struct nlab_graph_ctr *c, const char *fill, const char *prefix,
                       FILE *out)
{
        fprintf(out, "<TR><TD BGCOLOR=\"%s\"><FONT COLOR=\"white\"><B>%s",
                c->running ? fill : "#80868B", prefix);
        nlab_graph_html(out, c->cfg.name);
        fprintf(out, "</B>%s</FONT></TD></TR>", c->running ? "" : " (stopped)");
}

/* The rows that say what the container's network is, when it has no interface of its own. */
static void mode_rows(const struct layout *l, size_t i, FILE *out)
{
        const struct nlab_ctr_config *cfg = &l->g->ctrs[i].cfg;
        const char *ref = nlab_netmode_container_ref(cfg->network_mode);

        if (ref && l->owner[i] < 0) {
                fputs("<TR><TD>in the namespace of ", out);
                nlab_graph_html(out, ref);
                fputs(" (gone)</TD></TR>", out);
        } else if (!strcmp(cfg->network_mode, "host")) {
                fputs("<TR><TD>the host's own interfaces</TD></TR>", out);
        } else if (!strcmp(cfg->network_mode, "none")) {
                fputs("<TR><TD ALIGN=\"LEFT\"><B>lo</B>  127.0.0.1/8</TD></TR>"
                      "<TR><TD>no network: loopback only</TD></TR>",
                      out);
        } else if (!cfg->n_networks) {
                fputs("<TR><TD>not started: no interfaces yet</TD></TR>", out);
        }
}

static void ctr_node(const struct layout *l, size_t i, FILE *out)
{
        const struct nlab_ctr_config *cfg = &l->g->ctrs[i].cfg;
        size_t j;

        fputs("    ", out);
        qid(out, "ctr", cfg->name);
        fputs(" [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"6\" "
              "BGCOLOR=\"white\" COLOR=\"#333333\">",
              out);
        header_row(&l->g->ctrs[i], "#333333", "", out);
        /* container:NAME: one namespace, so one box with every name that lives in it */
        for (j = 0; j < l->g->n_ctrs; j++)
                if (l->owner[j] == (int)i)
                        header_row(&l->g->ctrs[j], "#555555", "+ ", out);
        for (j = 0; j < l->g->n_ctrs; j++)
                if (l->owner[j] == (int)i) {
                        fputs("<TR><TD><I>one network namespace</I></TD></TR>", out);
                        break;
                }
        mode_rows(l, i, out);
        for (j = 0; j < cfg->n_networks; j++)
                address_row(&cfg->networks[j], j, out);
        fputs("</TABLE>>];\n", out);
}

static bool in_host_box(const struct layout *l, size_t i)
{
        return l->owner[i] < 0 && !nlab_netmode_container_ref(l->g->ctrs[i].cfg.network_mode) &&
               !strcmp(l->g->ctrs[i].cfg.network_mode, "host");
}

static bool publishes(const struct nlab_ctr_config *cfg)
{
        size_t i;

        for (i = 0; i < cfg->ports.n; i++)
                if (!cfg->ports.v[i].unbound && cfg->ports.v[i].n)
                        return true;
        return false;
}

static void network_box(const struct layout *l, int n, FILE *out)
{
        const struct nlab_net *net = &l->g->nets[n];
        const struct palette *pc = color_of(l, n);
        char subnet[NLAB_CIDR_STRLEN];
        size_t i;

        fputs("  subgraph ", out);
        qid(out, "cluster_net", net->name);
        fputs(" {\n    label=<<B>network ", out);
        nlab_graph_html(out, net->name);
        fprintf(out,
                "</B>  %s%s>; style=\"rounded,filled\"; fillcolor=\"%s\"; color=\"%s\"; "
                "penwidth=%s;\n",
                net->has_pool ? nlab_cidr_format(&net->pool.subnet, subnet) : "",
                net->internal ? "  (internal: closed)" : "", pc->fill, pc->line,
                net->internal ? "4" : "2");
        bridge_node(l, n, out);
        for (i = 0; i < l->g->n_ctrs; i++)
                if (l->home[i] == n && l->owner[i] < 0)
                        ctr_node(l, i, out);
        fputs("  }\n", out);
}

/* The veth pairs: container interface to bridge, labelled with the host end's name. */
static void veth_edges(const struct layout *l, size_t i, FILE *out)
{
        const struct nlab_ctr_config *cfg = &l->g->ctrs[i].cfg;
        size_t j;

        for (j = 0; j < cfg->n_networks; j++) {
                const struct nlab_ctr_endpoint *ep = &cfg->networks[j];
                int n = net_index(l->g, ep->network);
                bool ctr_left;
                if (n < 0 || !l->drawn[n])
                        continue;
                /* a member of one network sits left of its bridge unless the chain comes
                 * from the left; a router sits right of its first network */
                ctr_left = cfg->n_networks > 1 ? j > 0 : !l->has_left[n];
                fputs("  ", out);
                if (ctr_left) {
                        qid(out, "ctr", cfg->name);
                        fprintf(out, ":if%zu -> ", j);
                        qid(out, "net", ep->network);
                } else {
                        qid(out, "net", ep->network);
                        fputs(" -> ", out);
                        qid(out, "ctr", cfg->name);
                        fprintf(out, ":if%zu", j);
                }
                fprintf(out, " [color=\"%s\", fontcolor=\"%s\", label=\"", color_of(l, n)->line,
                        color_of(l, n)->line);
                nlab_graph_html(out, ep->host_ifname ? ep->host_ifname : "");
                fputs("\"];\n", out);
        }
}

/* host [IP]:PORT -> NAME:PORT, one node per host side, inside the host box. */
static void port_nodes(const struct layout *l, size_t i, bool edges, FILE *out)
{
        const struct nlab_ctr_config *cfg = &l->g->ctrs[i].cfg;
        size_t j, k;

        for (j = 0; j < cfg->ports.n; j++) {
                const struct nlab_port_entry *e = &cfg->ports.v[j];
                for (k = 0; !e->unbound && k < e->n; k++) {
                        const struct nlab_hostport *hp = &e->v[k];
                        const char *ip =
                            hp->host_ip && hp->host_ip[0] && strcmp(hp->host_ip, "0.0.0.0")
                                ? hp->host_ip
                                : "host";
                        const char *proto = strchr(e->key, '/');
                        char id[256], cport[32];
                        snprintf(id, sizeof(id), "%s:%s:%zu", cfg->name, e->key, k);
                        snprintf(cport, sizeof(cport), "%s", e->key);
                        cport[strcspn(cport, "/")] = '\0';
                        fputs(edges ? "  " : "    ", out);
                        qid(out, "pub", id);
                        if (!edges) {
                                fputs(" [shape=box, style=\"rounded,filled,bold\", "
                                      "fillcolor=\"#FFF1C2\", color=\"#A34E00\", label=\"",
                                      out);
                                nlab_graph_html(out, ip);
                                fprintf(out, ":%s/%s\"];\n", hp->host_port ? hp->host_port : "?",
                                        proto ? proto + 1 : "tcp");
                                continue;
                        }
                        fputs(" -> ", out);
                        qid(out, "ctr", cfg->name);
                        fprintf(out,
                                " [color=\"#A34E00\", fontcolor=\"#A34E00\", penwidth=3, "
                                "arrowhead=normal, label=\"→ %s:%s\"];\n",
                                cfg->name, cport);
                }
        }
}

/* One end of an external host's link: its name and the address on that end. */
static void external_end(const struct nlab_external *x, const char *prefix,
                         const struct in_addr *addr, const char *title, FILE *out)
{
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, addr, ip, sizeof(ip));
        fputs("    ", out);
        qid(out, prefix, x->name);
        fputs(" [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"6\" "
              "BGCOLOR=\"white\" COLOR=\"#7B5EA7\"><TR><TD BGCOLOR=\"#7B5EA7\"><FONT "
              "COLOR=\"white\"><B>",
              out);
        nlab_graph_html(out, title);
        fprintf(out, "</B></FONT></TD></TR><TR><TD>%s/%u</TD></TR></TABLE>>];\n", ip, x->prefix);
}

/* The lab host's own namespace: published ports and --network host containers. */
static void host_box(const struct layout *l, FILE *out)
{
        const struct nlab_graph *g = l->g;
        size_t i;
        bool any = false;

        any = g->n_exts > 0;
        for (i = 0; i < g->n_ctrs; i++)
                any = any || in_host_box(l, i) || (l->owner[i] < 0 && publishes(&g->ctrs[i].cfg));
        if (!any)
                return;
        fputs("  subgraph cluster_host {\n    label=<<B>host</B>  (the lab host's own network "
              "namespace)>; style=\"rounded,filled\"; fillcolor=\"#F1F3F5\"; color=\"#495057\"; "
              "penwidth=2;\n",
              out);
        for (i = 0; i < g->n_ctrs; i++) {
                if (in_host_box(l, i))
                        ctr_node(l, i, out);
                else if (l->owner[i] < 0)
                        port_nodes(l, i, false, out);
        }
        for (i = 0; i < g->n_exts; i++)
                external_end(&g->exts[i], "xh", &g->exts[i].host_addr, g->exts[i].host_ifname, out);
        fputs("  }\n", out);
}

/* Outside machines (netlab external): a box of their own beyond the host, joined to it by their
 * veth, so "outside -> in" has somewhere to start. */
static void external_nodes(const struct nlab_graph *g, FILE *out)
{
        char label[64];
        size_t i;

        for (i = 0; i < g->n_exts; i++) {
                const struct nlab_external *x = &g->exts[i];
                snprintf(label, sizeof(label), "external %s", x->name);
                external_end(x, "ext", &x->addr, label, out);
                fputs("  ", out);
                qid(out, "ext", x->name);
                fputs(" -> ", out);
                qid(out, "xh", x->name);
                fputs(" [color=\"#7B5EA7\", label=\"eth0\"];\n", out);
        }
}

static void draw(const struct layout *l, FILE *out)
{
        const struct nlab_graph *g = l->g;
        size_t i;

        fputs("digraph netlab {\n  graph [rankdir=LR, newrank=true, nodesep=0.5, ranksep=1.1, "
              "pad=0.3, fontname=\"" FONT "\", fontsize=18, bgcolor=\"white\"];\n"
              "  node [shape=plain, fontname=\"" FONT "\", fontsize=15];\n"
              "  edge [fontname=\"" FONT "\", fontsize=14, penwidth=2.5, arrowhead=none];\n",
              out);
        host_box(l, out);
        for (i = 0; i < g->n_nets; i++)
                if (l->drawn[i])
                        network_box(l, (int)i, out);
        for (i = 0; i < g->n_ctrs; i++)
                if (l->home[i] < 0 && l->owner[i] < 0 &&
                    !nlab_netmode_container_ref(g->ctrs[i].cfg.network_mode) && !in_host_box(l, i))
                        ctr_node(l, i, out);
        for (i = 0; i < g->n_ctrs; i++)
                if (l->owner[i] < 0 && nlab_netmode_container_ref(g->ctrs[i].cfg.network_mode))
                        ctr_node(l, i, out); /* a sharer whose owner is gone */
        for (i = 0; i < g->n_ctrs; i++)
                if (l->owner[i] < 0) {
                        veth_edges(l, i, out);
                        port_nodes(l, i, true, out);
                }
        external_nodes(g, out);
        fputs("}\n", out);
}

int nlab_graph_dot(const struct nlab_graph *g, FILE *out)
{
        int r = -1;
        size_t nc = g->n_ctrs + 1, nn = g->n_nets + 1;
        struct layout l = {
            .g = g,
            .home = calloc(nc, sizeof(int)),
            .owner = calloc(nc, sizeof(int)),
            .drawn = calloc(nn, sizeof(bool)),
            .has_left = calloc(nn, sizeof(bool)),
        };

        assert(g && out);
        if (l.home && l.owner && l.drawn && l.has_left) {
                place(&l);
                draw(&l, out);
                r = 0;
        }
        free(l.home);
        free(l.owner);
        free(l.drawn);
        free(l.has_left);
        return r;
}
