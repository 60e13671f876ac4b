/* netlab network create|ls|inspect|rm|prune|connect|disconnect */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/filter.h"
#include "netlab/format.h"
#include "runtime/ctr/connect.h"
#include "runtime/net/network.h"

static const struct nlab_flag create_flags[] = {
    {"driver", 'd', NLAB_FLAG_VALUE, NULL}, {"subnet", 0, NLAB_FLAG_VALUE, NULL},
    {"gateway", 0, NLAB_FLAG_VALUE, NULL},  {"ip-range", 0, NLAB_FLAG_VALUE, NULL},
    {"internal", 0, NLAB_FLAG_BOOL, NULL},  {"opt", 'o', NLAB_FLAG_LIST, NULL},
    {"label", 0, NLAB_FLAG_LIST, NULL},     {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_create = NLAB_FLAGS(create_flags);

static int net_create(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_net_create_req req = {0};
        struct nlab_parsed p = {0};
        char id[NLAB_ID_LEN + 1];
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("network create", create_flags, 8, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 1) {
                code = nlab_cli_usage_error(
                    "network create", "\"netlab network create\" requires exactly 1 argument: NAME",
                    false);
                goto out;
        }
        req.name = p.pos[0];
        req.driver = p.value[0];
        req.subnet = p.value[1];
        req.gateway = p.value[2];
        req.ip_range = p.value[3];
        req.internal = p.set[4];
        req.opts = p.list[5];
        req.labels = p.list[6];
        if (nlab_network_create(&cli->st, &req, id, &err) < 0) {
                code = nlab_cli_fail(&err, false);
        } else {
                nlab_cli_warn_foreign();
                printf("%s\n", id);
        }
out:
        nlab_parsed_free(&p, 8);
        return code;
}

static json_t *ls_row(const json_t *net)
{
        char id[16];

        snprintf(id, sizeof(id), "%.12s", json_string_value(json_object_get(net, "Id")));
        return json_pack("{s:s,s:O,s:O,s:s,s:s,s:s,s:s}", "ID", id, "Name",
                         json_object_get(net, "Name"), "Driver", json_object_get(net, "Driver"),
                         "Scope", "local", "IPv6", "false", "Internal",
                         json_is_true(json_object_get(net, "Internal")) ? "true" : "false",
                         "CreatedAt", json_string_value(json_object_get(net, "Created")));
}

static bool net_filter_one(const struct nlab_filter *f, const void *item)
{
        const json_t *net = item;
        const char *name = json_string_value(json_object_get(net, "Name"));

        if (!strcmp(f->key, "name"))
                return strstr(name, f->value) != NULL;
        if (!strcmp(f->key, "id"))
                return !strncmp(json_string_value(json_object_get(net, "Id")), f->value,
                                strlen(f->value));
        if (!strcmp(f->key, "driver"))
                return !strcmp(json_string_value(json_object_get(net, "Driver")), f->value);
        if (!strcmp(f->key, "type"))
                return !strcmp(f->value, nlab_network_is_predefined(name) ? "builtin" : "custom");
        if (!strcmp(f->key, "label"))
                return nlab_filter_label(json_object_get(net, "Labels"), f->value);
        return false;
}

static const struct nlab_flag ls_flags[] = {
    {"format", 0, NLAB_FLAG_VALUE, NULL}, {"filter", 'f', NLAB_FLAG_LIST, NULL},
    {"quiet", 'q', NLAB_FLAG_BOOL, NULL}, {"no-trunc", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_ls = NLAB_FLAGS(ls_flags);

static const struct nlab_header ls_columns[] = {
    {"ID", "NETWORK ID"}, {"Name", "NAME"},         {"Driver", "DRIVER"},
    {"Scope", "SCOPE"},   {"Internal", "INTERNAL"}, {"CreatedAt", "CREATED AT"},
    {NULL, NULL},
};

static int net_ls(struct nlab_cli *cli, int argc, char **argv)
{
        static const char *const keys[] = {"name", "id", "label", "driver", "type", NULL};
        struct nlab_parsed p = {0};
        struct nlab_filters fs = {0};
        struct nlab_err err;
        struct nlab_net *nets = NULL;
        json_t *rows = json_array();
        const char *format;
        size_t i, n = 0;
        int code = 0;

        if (nlab_cli_parse("network ls", ls_flags, 5, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (nlab_filters_parse(&p.list[1], keys, &fs, &err) < 0 ||
            nlab_network_list(&cli->st, &nets, &n, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        for (i = 0; i < n; i++) {
                json_t *rec = nlab_network_record(&cli->st, &nets[i]), *row;
                if (rec && nlab_filters_match(&fs, net_filter_one, rec)) {
                        row = ls_row(rec);
                        if (p.set[3])
                                json_object_set(row, "ID", json_object_get(rec, "Id"));
                        json_array_append_new(rows, row);
                }
                json_decref(rec);
        }
        format = p.set[2]     ? "{{.ID}}"
                 : p.value[0] ? p.value[0]
                              : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
        if (nlab_print_rows(rows, format, ls_columns, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        free(nets);
        json_decref(rows);
        nlab_filters_free(&fs);
        nlab_parsed_free(&p, 5);
        return code;
}

static const struct nlab_flag inspect_flags[] = {
    {"format", 'f', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_inspect = NLAB_FLAGS(inspect_flags);

static int net_inspect(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        json_t *docs = json_array();
        int code = 0, i;

        if (nlab_cli_parse("network inspect", inspect_flags, 2, argc, argv, 0, &p, false, &code) !=
            0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error(
                    "network inspect", "\"netlab network inspect\" requires at least 1 argument",
                    false);
                goto out;
        }
        for (i = 0; i < p.npos; i++) {
                struct nlab_net net;
                json_t *doc;
                if (nlab_network_load(&cli->st, p.pos[i], &net, &err) < 0) {
                        code = nlab_cli_fail(&err, false);
                        continue;
                }
                doc = nlab_network_inspect(&cli->st, &net);
                if (doc)
                        json_array_append_new(docs, doc);
        }
        if (nlab_print_docs(docs, p.value[0], &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(docs);
        nlab_parsed_free(&p, 2);
        return code;
}

static const struct nlab_flag rm_flags[] = {
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_rm = NLAB_FLAGS(rm_flags);

static int net_rm(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0, i;

        if (nlab_cli_parse("network rm", rm_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error(
                    "network rm", "\"netlab network rm\" requires at least 1 argument", false);
                goto out;
        }
        for (i = 0; i < p.npos; i++) {
                if (nlab_network_remove(&cli->st, p.pos[i], &err) < 0) {
                        code = nlab_cli_fail(&err, false);
                        continue;
                }
                printf("%s\n", p.pos[i]);
        }
out:
        nlab_parsed_free(&p, 2);
        return code;
}

static const struct nlab_flag prune_flags[] = {
    {"filter", 0, NLAB_FLAG_LIST, NULL},
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_prune = NLAB_FLAGS(prune_flags);

static int net_prune(struct nlab_cli *cli, int argc, char **argv)
{
        static const char *const keys[] = {"label", NULL};
        struct nlab_parsed p = {0};
        struct nlab_filters fs = {0};
        struct nlab_err err;
        struct nlab_net *nets = NULL;
        bool header = false;
        size_t i, n = 0;
        int code = 0;

        if (nlab_cli_parse("network prune", prune_flags, 3, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (nlab_filters_parse(&p.list[0], keys, &fs, &err) < 0 ||
            nlab_network_list(&cli->st, &nets, &n, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        for (i = 0; i < n; i++) {
                const char *name = nets[i].name;
                json_t *rec;
                bool match;
                if (nlab_network_is_predefined(name))
                        continue;
                rec = nlab_network_record(&cli->st, &nets[i]);
                match = rec && nlab_filters_match(&fs, net_filter_one, rec);
                json_decref(rec);
                if (!match)
                        continue;
                /* In use by a running container: not unused, keep it. */
                if (nlab_network_remove(&cli->st, name, NULL) < 0)
                        continue;
                if (!header)
                        printf("Deleted Networks:\n");
                header = true;
                printf("%s\n", name);
        }
out:
        free(nets);
        nlab_filters_free(&fs);
        nlab_parsed_free(&p, 3);
        return code;
}

/* network connect CONTAINER NETWORK: the arguments the other way round (the network perhaps
 * mistyped too). Prints the hint and returns 1 when that is what failed, else 0. */
static int swapped(struct nlab_cli *cli, const char *verb, const char *first, const char *second)
{
        char id[NLAB_ID_LEN + 1], network[sizeof(((struct nlab_net *)0)->name)];
        struct nlab_net net;

        if (nlab_network_load(&cli->st, first, &net, NULL) == 0 ||
            nlab_store_resolve(&cli->st, first, id, NULL) < 0)
                return 0;
        if (nlab_network_load(&cli->st, second, &net, NULL) == 0)
                snprintf(network, sizeof(network), "%s", second);
        else if (!nlab_network_near(&cli->st, second, network, sizeof(network)))
                return 0;
        fprintf(stderr,
                "netlab: error: network %s takes NETWORK CONTAINER: did you mean 'netlab network "
                "%s %s %s'?\n",
                verb, verb, network, first);
        return 1;
}

static const struct nlab_flag connect_flags[] = {
    {"ip", 0, NLAB_FLAG_VALUE, NULL},
    {"alias", 0, NLAB_FLAG_LIST, NULL},
    {"mac-address", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_connect = NLAB_FLAGS(connect_flags);

static int net_connect(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_connect_req req = {0};
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("network connect", connect_flags, 4, argc, argv, 0, &p, false, &code) !=
            0)
                goto out;
        if (p.npos != 2) {
                code =
                    nlab_cli_usage_error("network connect",
                                         "\"netlab network connect\" requires exactly 2 arguments: "
                                         "NETWORK CONTAINER",
                                         false);
                goto out;
        }
        req.network = p.pos[0];
        req.container = p.pos[1];
        req.ip = p.value[0];
        req.aliases = p.list[1];
        req.mac = p.value[2];
        if (nlab_network_connect(&cli->st, &req, &err) < 0)
                code = swapped(cli, "connect", p.pos[0], p.pos[1]) ? 1 : nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, 4);
        return code;
}

static const struct nlab_flag disconnect_flags[] = {
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_network_disconnect = NLAB_FLAGS(disconnect_flags);

static int net_disconnect(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("network disconnect", disconnect_flags, 2, argc, argv, 0, &p, false,
                           &code) != 0)
                goto out;
        if (p.npos != 2) {
                code = nlab_cli_usage_error("network disconnect",
                                            "\"netlab network disconnect\" requires exactly 2 "
                                            "arguments: NETWORK CONTAINER",
                                            false);
                goto out;
        }
        if (nlab_network_disconnect(&cli->st, p.pos[0], p.pos[1], p.set[0], &err) < 0)
                code =
                    swapped(cli, "disconnect", p.pos[0], p.pos[1]) ? 1 : nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, 2);
        return code;
}

static const struct {
        const char *name;
        nlab_cmd_fn fn;
} subcommands[] = {
    {"create", net_create},   {"ls", net_ls},           {"list", net_ls},
    {"inspect", net_inspect}, {"rm", net_rm},           {"remove", net_rm},
    {"prune", net_prune},     {"connect", net_connect}, {"disconnect", net_disconnect},
};

int nlab_network_help_only(const char *cmd, int argc, char **argv)
{
        int code = nlab_cli_group_help(cmd, argc, argv);
        size_t i;

        for (i = 0; code < 0 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
                if (!strcmp(subcommands[i].name, argv[0]))
                        return nlab_cli_sub_help(cmd, argv[0], NULL, 0, argc - 1, argv + 1, 0);
        return code;
}

int nlab_cmd_network(struct nlab_cli *cli, int argc, char **argv)
{
        int code = nlab_network_help_only("network", argc, argv);
        size_t i;

        if (code >= 0)
                return code;
        for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
                if (!strcmp(subcommands[i].name, argv[0]))
                        return subcommands[i].fn(cli, argc - 1, argv + 1);
        return nlab_cli_unknown_command("network", argv[0]);
}
