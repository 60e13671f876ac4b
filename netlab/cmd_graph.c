/* netlab graph [--format text|dot]: the lab as networks, containers, addresses, aliases, ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/format.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/netmode.h"
#include "runtime/net/network.h"

struct lab {
        struct nlab_net *nets;
        size_t n_nets;
        json_t *ctrs; /* [{cfg, running}] of every container */
};

static int load_lab(struct nlab_cli *cli, struct lab *lab, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i;

        if (nlab_network_list(&cli->st, &lab->nets, &lab->n_nets, err) < 0)
                return -1;
        if (nlab_store_list(&cli->st, &ids, &n, err) < 0)
                return -1;
        lab->ctrs = json_array();
        for (i = 0; i < n; i++) {
                struct nlab_ctr_state state;
                json_t *cfg;
                if (nlab_container_load(&cli->st, ids[i], &cfg, &state, NULL) < 0)
                        continue;
                json_array_append_new(lab->ctrs, json_pack("{s:o,s:b}", "cfg", cfg, "running",
                                                           nlab_container_running(&state)));
        }
        nlab_store_free_list(ids, n);
        return 0;
}

static const char *subnet_of(const struct nlab_net *net, char buf[NLAB_CIDR_STRLEN])
{
        return nlab_cidr_format(&net->pool.subnet, buf);
}

static void extras(const json_t *cfg, const json_t *ep, char *buf, size_t size)
{
        const json_t *aliases = json_object_get(ep, "Aliases"), *v;
        char ports[512];
        size_t i, len = 0;

        buf[0] = '\0';
        json_array_foreach(aliases, i, v) len +=
            (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                             i ? "," : " aliases:", json_string_value(v));
        nlab_format_ports(json_object_get(json_object_get(cfg, "NetworkSettings"), "Ports"), ports,
                          sizeof(ports));
        if (ports[0])
                snprintf(buf + len, len < size ? size - len : 0, " ports: %s", ports);
}

static const char *status(const json_t *c)
{
        return json_is_true(json_object_get(c, "running")) ? "" : " (stopped)";
}

static void text_network(const struct lab *lab, const struct nlab_net *net)
{
        const char *name = net->name;
        char subnet[NLAB_CIDR_STRLEN];
        json_t *c;
        size_t i;

        if (net->bridge[0])
                printf("network %s  bridge %s  %s%s\n", name, net->bridge, subnet_of(net, subnet),
                       net->internal ? "  internal" : "");
        else
                printf("network %s\n", name);
        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg");
                const json_t *ep = json_object_get(nlab_netmode_networks(cfg), name);
                const char *mode = nlab_netmode_of(cfg);
                char more[768];
                if (ep) {
                        extras(cfg, ep, more, sizeof(more));
                        printf("  - %s %s%s%s\n", json_string_value(json_object_get(cfg, "Name")),
                               json_string_value(json_object_get(ep, "IPAddress")), more,
                               status(c));
                } else if (!strcmp(mode, name)) {
                        printf("  - %s%s\n", json_string_value(json_object_get(cfg, "Name")),
                               status(c));
                }
        }
}

static const char *name_of_id(const struct lab *lab, const char *id)
{
        json_t *c;
        size_t i;

        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg");
                if (!strcmp(json_string_value(json_object_get(cfg, "Id")), id))
                        return json_string_value(json_object_get(cfg, "Name"));
        }
        return id;
}

static void print_text(const struct lab *lab)
{
        json_t *c;
        size_t i;

        for (i = 0; i < lab->n_nets; i++)
                text_network(lab, &lab->nets[i]);
        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg");
                const char *ref = nlab_netmode_container_ref(nlab_netmode_of(cfg));
                if (ref)
                        printf("%s shares the network namespace of %s\n",
                               json_string_value(json_object_get(cfg, "Name")),
                               name_of_id(lab, ref));
        }
}

static void print_dot(const struct lab *lab)
{
        char subnet[NLAB_CIDR_STRLEN];
        json_t *c;
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
        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg"), *ep;
                const char *cn = json_string_value(json_object_get(cfg, "Name"));
                const char *mode = nlab_netmode_of(cfg), *name;
                printf("  \"ctr:%s\" [shape=ellipse, label=\"%s%s\"];\n", cn, cn, status(c));
                json_object_foreach((json_t *)nlab_netmode_networks(cfg), name, ep)
                {
                        char more[768];
                        extras(cfg, ep, more, sizeof(more));
                        printf("  \"ctr:%s\" -- \"net:%s\" [label=\"%s%s\"];\n", cn, name,
                               json_string_value(json_object_get(ep, "IPAddress")), more);
                }
                if (nlab_netmode_container_ref(mode))
                        printf(
                            "  \"ctr:%s\" -- \"ctr:%s\" [style=dotted, label=\"shares netns\"];\n",
                            cn, name_of_id(lab, nlab_netmode_container_ref(mode)));
                else if (!strcmp(mode, "host") || !strcmp(mode, "none"))
                        printf("  \"ctr:%s\" -- \"net:%s\";\n", cn, mode);
        }
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
        free(lab.nets);
        json_decref(lab.ctrs);
        nlab_parsed_free(&p, 2);
        return code;
}
