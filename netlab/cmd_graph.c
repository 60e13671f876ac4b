/* netlab graph [--format text|dot|svg|png] [-o FILE]: the lab as a picture. The model comes
 * from runtime/lab/graph.c, the DOT text from graph_dot.c; SVG and PNG are laid out and
 * rendered in-process by Graphviz's libgvc. */
#include <errno.h>
#include <limits.h>
#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/format.h"
#include "netlab/graph_dot.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/suggest.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/netmode.h"
#include "runtime/net/network.h"

static const char *subnet_of(const struct nlab_net *net, char buf[NLAB_CIDR_STRLEN])
{
        return nlab_cidr_format(&net->pool.subnet, buf);
}

static void extras(const struct nlab_ctr_config *cfg, const struct nlab_ctr_endpoint *ep, char *buf,
                   size_t size)
{
        char ports[512];
        size_t i, len = 0;

        buf[0] = '\0';
        for (i = 0; i < ep->aliases.n; i++)
                len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                                        i ? "," : " aliases:", ep->aliases.v[i]);
        nlab_format_ports(&cfg->ports, ports, sizeof(ports));
        if (ports[0])
                snprintf(buf + len, len < size ? size - len : 0, " ports: %s", ports);
}

static const char *status(const struct nlab_graph_ctr *c)
{
        return c->running ? "" : " (stopped)";
}

/* A saved endpoint has its address; print "" rather than NULL if a record lacks it. */
static const char *address(const struct nlab_ctr_endpoint *ep)
{
        return ep->ip_address ? ep->ip_address : "";
}

static void text_network(const struct nlab_graph *lab, const struct nlab_net *net, FILE *out)
{
        const char *name = net->name;
        char subnet[NLAB_CIDR_STRLEN];
        size_t i;

        if (net->bridge[0])
                fprintf(out, "network %s  bridge %s  %s%s\n", name, net->bridge,
                        subnet_of(net, subnet), net->internal ? "  internal" : "");
        else
                fprintf(out, "network %s\n", name);
        for (i = 0; i < lab->n_ctrs; i++) {
                const struct nlab_graph_ctr *c = &lab->ctrs[i];
                const struct nlab_ctr_endpoint *ep = nlab_ctr_config_endpoint(&c->cfg, name);
                char more[768];
                if (ep) {
                        extras(&c->cfg, ep, more, sizeof(more));
                        fprintf(out, "  - %s %s%s%s\n", c->cfg.name, address(ep), more, status(c));
                } else if (!strcmp(c->cfg.network_mode, name)) {
                        fprintf(out, "  - %s%s\n", c->cfg.name, status(c));
                }
        }
}

static const char *name_of_id(const struct nlab_graph *lab, const char *id)
{
        size_t i;

        for (i = 0; i < lab->n_ctrs; i++)
                if (!strcmp(lab->ctrs[i].cfg.id, id))
                        return lab->ctrs[i].cfg.name;
        return id;
}

static void print_text(const struct nlab_graph *lab, FILE *out)
{
        size_t i;

        for (i = 0; i < lab->n_nets; i++)
                text_network(lab, &lab->nets[i], out);
        for (i = 0; i < lab->n_ctrs; i++) {
                const struct nlab_ctr_config *cfg = &lab->ctrs[i].cfg;
                const char *ref = nlab_netmode_container_ref(cfg->network_mode);
                if (ref)
                        fprintf(out, "%s shares the network namespace of %s\n", cfg->name,
                                name_of_id(lab, ref));
        }
}

static const char *const formats[] = {"text", "dot", "svg", "png"};

/* -o lab.svg without --format: the format its extension names (checked like --format's), text
 * when it has none. */
static const char *format_of(const char *fmt, const char *file)
{
        const char *base = file ? strrchr(file, '/') : NULL, *dot;

        base = base ? base + 1 : file;
        dot = base ? strrchr(base, '.') : NULL;
        if (fmt || !dot)
                return fmt ? fmt : "text";
        if (!strcmp(dot + 1, "gv"))
                return "dot";
        if (!strcmp(dot + 1, "txt"))
                return "text";
        return dot + 1;
}

/* by: "--format X" or "-o FILE" for the message. */
static int check_format(const char *fmt, const char *by, const char *file)
{
        const size_t n = sizeof(formats) / sizeof(formats[0]);
        char msg[PATH_MAX + 160];
        const char *near;
        size_t i;

        for (i = 0; i < n && strcmp(fmt, formats[i]); i++)
                ;
        if (i == n) {
                near = nlab_suggest(fmt, formats, n, 2);
                snprintf(msg, sizeof(msg), "%s: graph writes text, dot, svg or png%s%s%s", by,
                         near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
                return nlab_cli_usage_error("graph", msg, false);
        }
        if (!file && !strcmp(fmt, "png") && isatty(STDOUT_FILENO))
                return nlab_cli_usage_error("graph",
                                            "--format png is binary: write it with -o FILE.png "
                                            "or redirect the output",
                                            false);
        return 0;
}

/* Lay the DOT text out and render it with libgvc into *data (freed with gvFreeRenderData). */
static int render(const char *dot, const char *fmt, char **data, unsigned *len,
                  struct nlab_err *err)
{
        GVC_t *gvc;
        Agraph_t *g;
        int r = -1;

        agseterr(AGERR); /* Graphviz's warnings are not the user's business */
        gvc = gvContext();
        if (!gvc)
                return nlab_err_sys(err, ENOMEM, "graph: Graphviz");
        g = agmemread(dot);
        if (!g) {
                nlab_err_set(err, NLAB_E_SYSTEM, "graph: Graphviz cannot read the graph");
        } else if (gvLayout(gvc, g, "dot") != 0) {
                nlab_err_set(err, NLAB_E_SYSTEM,
                             "graph: Graphviz layout failed (is graphviz installed?)");
        } else {
                r = gvRenderData(gvc, g, fmt, data, len) == 0 ? 0 : -1;
                if (r < 0)
                        nlab_err_set(err, NLAB_E_SYSTEM,
                                     "graph: Graphviz cannot render %s (is graphviz installed?)",
                                     fmt);
                gvFreeLayout(gvc, g);
        }
        if (g)
                agclose(g);
        gvFreeContext(gvc);
        return r;
}

/* The whole output or nothing: a file is written beside its name and renamed over it, so a
 * failure leaves no partial file and an existing one as it was. */
static int write_out(const char *file, const char *data, size_t len, struct nlab_err *err)
{
        if (file) {
                if (nlab_write_file(file, data, len, 0644, err) == 0)
                        return 0;
                nlab_err_prefix(err, "graph");
                return -1;
        }
        if (fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0)
                return 0;
        return nlab_err_sys(err, errno ? errno : EIO, "graph: standard output");
}

static int emit(const struct nlab_graph *g, const char *fmt, const char *file, struct nlab_err *err)
{
        char *text = NULL, *data = NULL;
        size_t tlen = 0;
        unsigned dlen = 0;
        FILE *m = open_memstream(&text, &tlen);
        int r = 0;

        if (!m)
                return nlab_err_sys(err, errno, "graph");
        if (!strcmp(fmt, "text"))
                print_text(g, m);
        else
                r = nlab_graph_dot(g, m);
        if (fclose(m) != 0 || r < 0) {
                free(text);
                return nlab_err_sys(err, ENOMEM, "graph");
        }
        if (!strcmp(fmt, "text") || !strcmp(fmt, "dot")) {
                r = write_out(file, text, tlen, err);
        } else {
                r = render(text, fmt, &data, &dlen, err);
                if (r == 0)
                        r = write_out(file, data, dlen, err);
                if (data)
                        gvFreeRenderData(data);
        }
        free(text);
        return r;
}

static const struct nlab_flag graph_flags[] = {
    {"format", 0, NLAB_FLAG_VALUE, NULL},
    {"output", 'o', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_graph = NLAB_FLAGS(graph_flags);

int nlab_cmd_graph(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_graph g = {0};
        struct nlab_err err;
        const char *fmt, *file;
        char by[PATH_MAX + 16];
        int code = 0;

        if (nlab_cli_parse("graph", graph_flags, 3, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        file = p.value[1];
        fmt = format_of(p.value[0], file);
        if (p.npos) {
                code =
                    nlab_cli_usage_error("graph", "\"netlab graph\" accepts no arguments", false);
                goto out;
        }
        snprintf(by, sizeof(by), "%s %s", p.value[0] ? "--format" : "-o",
                 p.value[0] ? p.value[0] : file);
        code = check_format(fmt, by, file);
        if (code)
                goto out;
        if (nlab_graph_load(&cli->st, &g, &err) < 0 || emit(&g, fmt, file, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        nlab_graph_free(&g);
        nlab_parsed_free(&p, 3);
        return code;
}
