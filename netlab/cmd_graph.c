/* netlab graph [--format text|dot]: the lab as networks, containers, addresses, aliases, ports. */
#include <stdio.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/format.h"
#include "runtime/container.h"
#include "runtime/netglue.h"
#include "runtime/netmode.h"
#include "runtime/network.h"

struct lab {
        json_t *nets; /* network records */
        json_t *ctrs; /* [{cfg, state}] of every container */
};

static int load_lab(struct nlab_cli *cli, struct lab *lab, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i;

        if (nlab_network_list(&cli->st, &lab->nets, err) < 0)
                return -1;
        if (nlab_store_list(&cli->st, &ids, &n, err) < 0)
                return -1;
        lab->ctrs = json_array();
        for (i = 0; i < n; i++) {
                json_t *cfg, *state;
                if (nlab_container_load(&cli->st, ids[i], &cfg, &state, NULL) < 0)
                        continue;
                json_array_append_new(lab->ctrs,
                                      json_pack("{s:o,s:o}", "cfg", cfg, "state", state));
        }
        nlab_store_free_list(ids, n);
        return 0;
}

static const char *subnet_of(const json_t *net)
{
        return json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(net, "IPAM"), "Config"), 0), "Subnet"));
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

static const char *status(const json_t *state)
{
        return nlab_container_running(state) ? "" : " (stopped)";
}

static void text_network(const struct lab *lab, const json_t *net)
{
        const char *name = json_string_value(json_object_get(net, "Name"));
        const char *bridge = nlab_netglue_bridge(net);
        json_t *c;
        size_t i;

        if (bridge)
                printf("network %s  bridge %s  %s%s\n", name, bridge, subnet_of(net),
                       json_is_true(json_object_get(net, "Internal")) ? "  internal" : "");
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
                               status(json_object_get(c, "state")));
                } else if (!strcmp(mode, name)) {
                        printf("  - %s%s\n", json_string_value(json_object_get(cfg, "Name")),
                               status(json_object_get(c, "state")));
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
        json_t *net, *c;
        size_t i;

        json_array_foreach(lab->nets, i, net) text_network(lab, net);
        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg");
                const char *mode = nlab_netmode_of(cfg);
                if (!strncmp(mode, "container:", 10))
                        printf("%s shares the network namespace of %s\n",
                               json_string_value(json_object_get(cfg, "Name")),
                               name_of_id(lab, mode + 10));
        }
}

static void print_dot(const struct lab *lab)
{
        json_t *net, *c;
        size_t i;

        printf("graph netlab {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n");
        printf("  \"host\" [shape=box3d, label=\"host\"];\n");
        json_array_foreach(lab->nets, i, net)
        {
                const char *name = json_string_value(json_object_get(net, "Name"));
                const char *bridge = nlab_netglue_bridge(net);
                printf("  \"net:%s\" [shape=box, style=rounded, label=\"%s\\n%s%s%s\"];\n", name,
                       name, bridge ? bridge : json_string_value(json_object_get(net, "Driver")),
                       bridge ? "\\n" : "", bridge ? subnet_of(net) : "");
                if (bridge && !json_is_true(json_object_get(net, "Internal")))
                        printf("  \"net:%s\" -- \"host\" [style=dashed];\n", name);
        }
        json_array_foreach(lab->ctrs, i, c)
        {
                const json_t *cfg = json_object_get(c, "cfg"), *ep;
                const char *cn = json_string_value(json_object_get(cfg, "Name"));
                const char *mode = nlab_netmode_of(cfg), *name;
                printf("  \"ctr:%s\" [shape=ellipse, label=\"%s%s\"];\n", cn, cn,
                       status(json_object_get(c, "state")));
                json_object_foreach((json_t *)nlab_netmode_networks(cfg), name, ep)
                {
                        char more[768];
                        extras(cfg, ep, more, sizeof(more));
                        printf("  \"ctr:%s\" -- \"net:%s\" [label=\"%s%s\"];\n", cn, name,
                               json_string_value(json_object_get(ep, "IPAddress")), more);
                }
                if (!strncmp(mode, "container:", 10))
                        printf(
                            "  \"ctr:%s\" -- \"ctr:%s\" [style=dotted, label=\"shares netns\"];\n",
                            cn, name_of_id(lab, mode + 10));
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
        json_decref(lab.nets);
        json_decref(lab.ctrs);
        nlab_parsed_free(&p, 2);
        return code;
}
