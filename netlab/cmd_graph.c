/* netlab graph [--format text|dot]: the lab as networks, containers, addresses, aliases, ports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/format.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/netmode.h"
#include "runtime/net/network.h"

struct lab_ctr {
        struct nlab_ctr_config cfg;
        bool running;
};

struct lab {
        struct nlab_net *nets;
        size_t n_nets;
        struct lab_ctr *ctrs; /* every container */
        size_t n_ctrs;
};

static int load_lab(struct nlab_cli *cli, struct lab *lab, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i;

        if (nlab_network_list(&cli->st, &lab->nets, &lab->n_nets, err) < 0)
                return -1;
        if (nlab_store_list(&cli->st, &ids, &n, err) < 0)
                return -1;
        lab->ctrs = calloc(n + 1, sizeof(*lab->ctrs));
        for (i = 0; lab->ctrs && i < n; i++) {
                struct lab_ctr *c = &lab->ctrs[lab->n_ctrs];
                struct nlab_ctr_state state;
                if (nlab_container_load(&cli->st, ids[i], &c->cfg, &state, NULL) < 0) {
                        nlab_ctr_config_free(&c->cfg);
                        continue;
                }
                c->running = nlab_container_running(&state);
                lab->n_ctrs++;
        }
        nlab_store_free_list(ids, n);
        return lab->ctrs ? 0 : nlab_err_sys(err, ENOMEM, "graph");
}

static void free_lab(struct lab *lab)
{
        size_t i;

        for (i = 0; i < lab->n_ctrs; i++)
                nlab_ctr_config_free(&lab->ctrs[i].cfg);
        free(lab->ctrs);
        free(lab->nets);
}

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

static const char *status(const struct lab_ctr *c)
{
        return c->running ? "" : " (stopped)";
}

/* A saved endpoint has its address; print "" rather than NULL if a record lacks it. */
static const char *address(const struct nlab_ctr_endpoint *ep)
{
        return ep->ip_address ? ep->ip_address : "";
}

static void text_network(const struct lab *lab, const struct nlab_net *net)
{
        const char *name = net->name;
        char subnet[NLAB_CIDR_STRLEN];
        size_t i;

        if (net->bridge[0])
                printf("network %s  bridge %s  %s%s\n", name, net->bridge, subnet_of(net, subnet),
                       net->internal ? "  internal" : "");
        else
                printf("network %s\n", name);
        for (i = 0; i < lab->n_ctrs; i++) {
                const struct lab_ctr *c = &lab->ctrs[i];
                const struct nlab_ctr_endpoint *ep = nlab_ctr_config_endpoint(&c->cfg, name);
                char more[768];
                if (ep) {
                        extras(&c->cfg, ep, more, sizeof(more));
                        printf("  - %s %s%s%s\n", c->cfg.name, address(ep), more, status(c));
                } else if (!strcmp(c->cfg.network_mode, name)) {
                        printf("  - %s%s\n", c->cfg.name, status(c));
                }
        }
}

static const char *name_of_id(const struct lab *lab, const char *id)
{
        size_t i;

        for (i = 0; i < lab->n_ctrs; i++)
                if (!strcmp(lab->ctrs[i].cfg.id, id))
                        return lab->ctrs[i].cfg.name;
        return id;
}

static void print_text(const struct lab *lab)
{
        size_t i;

        for (i = 0; i < lab->n_nets; i++)
                text_network(lab, &lab->nets[i]);
        for (i = 0; i < lab->n_ctrs; i++) {
                const struct nlab_ctr_config *cfg = &lab->ctrs[i].cfg;
                const char *ref = nlab_netmode_container_ref(cfg->network_mode);
                if (ref)
                        printf("%s shares the network namespace of %s\n", cfg->name,
                               name_of_id(lab, ref));
        }
}

static void dot_container(const struct lab *lab, const struct lab_ctr *c)
{
        const char *cn = c->cfg.name, *mode = c->cfg.network_mode;
        size_t j;

        printf("  \"ctr:%s\" [shape=ellipse, label=\"%s%s\"];\n", cn, cn, status(c));
        for (j = 0; j < c->cfg.n_networks; j++) {
                const struct nlab_ctr_endpoint *ep = &c->cfg.networks[j];
                char more[768];
                extras(&c->cfg, ep, more, sizeof(more));
                printf("  \"ctr:%s\" -- \"net:%s\" [label=\"%s%s\"];\n", cn, ep->network,
                       address(ep), more);
        }
        if (nlab_netmode_container_ref(mode))
                printf("  \"ctr:%s\" -- \"ctr:%s\" [style=dotted, label=\"shares netns\"];\n", cn,
                       name_of_id(lab, nlab_netmode_container_ref(mode)));
        else if (!strcmp(mode, "host") || !strcmp(mode, "none"))
                printf("  \"ctr:%s\" -- \"net:%s\";\n", cn, mode);
}

static void print_dot(const struct lab *lab)
{
        char subnet[NLAB_CIDR_STRLEN];
        size_t i;

        printf("graph netlab {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n");
        printf("  \"host\" [shape=box3d, label=\"host\"];\n");
        for (i = 0; i < lab->n_nets; i++) {
                const struct nlab_net *net = &lab->nets[i];
                const char *name = net->name;
                bool bridge = net->bridge[0];
                printf("  \"net:%s\" [shape=box, style=rounded, label=\"%s\\n%s%s%s\"];\n", name,
                       name, bridge ? net->bridge : net->driver, bridge ? "\\n" : "",
                       bridge ? subnet_of(net, subnet) : "");
                if (bridge && !net->internal)
                        printf("  \"net:%s\" -- \"host\" [style=dashed];\n", name);
        }
        for (i = 0; i < lab->n_ctrs; i++)
                dot_container(lab, &lab->ctrs[i]);
        printf("}\n");
}

static const struct nlab_flag graph_flags[] = {
    {"format", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_graph = NLAB_FLAGS(graph_flags);

int nlab_cmd_graph(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct lab lab = {0};
        struct nlab_err err;
        const char *fmt;
        int code = 0;

        if (nlab_cli_parse("graph", graph_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        fmt = p.value[0] ? p.value[0] : "text";
        if (p.npos || (strcmp(fmt, "text") && strcmp(fmt, "dot"))) {
                code = nlab_cli_usage_error("graph",
                                            p.npos ? "\"netlab graph\" accepts no arguments"
                                                   : "--format takes text or dot",
                                            false);
                goto out;
        }
        if (load_lab(cli, &lab, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (!strcmp(fmt, "dot"))
                print_dot(&lab);
        else
                print_text(&lab);
out:
        free_lab(&lab);
        nlab_parsed_free(&p, 2);
        return code;
}
