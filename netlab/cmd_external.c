/* netlab external add|ls|rm|exec|inspect: outside machines beside the lab host, by hand. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/format.h"
#include "runtime/base/suggest.h"
#include "runtime/net/external.h"

static const struct nlab_flag add_flags[] = {
    {"subnet", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
static const struct nlab_flag ls_flags[] = {
    {"quiet", 'q', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
static const struct nlab_flag rm_flags[] = {
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
static const struct nlab_flag plain_flags[] = {
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};

static int ext_add(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_external x;
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("external add", add_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 1) {
                code = nlab_cli_usage_error("external add",
                                            "\"netlab external add\" requires exactly 1 "
                                            "argument: NAME",
                                            false);
                goto out;
        }
        if (nlab_external_add(&cli->st, p.pos[0], p.value[0], &x, &err) < 0)
                code = nlab_cli_fail(&err, false);
        else
                printf("%s\n", x.name);
out:
        nlab_parsed_free(&p, 2);
        return code;
}

static void print_row(const struct nlab_external *x)
{
        char subnet[NLAB_CIDR_STRLEN], addr[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &x->addr, addr, sizeof(addr));
        inet_ntop(AF_INET, &x->host_addr, host, sizeof(host));
        printf("%-12s  %-18s  %-15s  %-15s  %s\n", x->name, nlab_cidr_format(&x->subnet, subnet),
               addr, host, nlab_external_state_name(x->state));
}

static int ext_ls(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_external *all = NULL;
        struct nlab_parsed p = {0};
        struct nlab_err err;
        size_t n = 0, i;
        int code = 0;

        if (nlab_cli_parse("external ls", ls_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos) {
                code = nlab_cli_usage_error("external ls",
                                            "\"netlab external ls\" accepts no arguments", false);
                goto out;
        }
        if (nlab_external_list(&cli->st, &all, &n, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (!p.set[0])
                printf("%-12s  %-18s  %-15s  %-15s  %s\n", "NAME", "SUBNET", "ADDRESS",
                       "HOST ADDRESS", "STATE");
        for (i = 0; i < n; i++) {
                if (p.set[0])
                        printf("%s\n", all[i].name);
                else
                        print_row(&all[i]);
        }
out:
        free(all);
        nlab_parsed_free(&p, 2);
        return code;
}

static int ext_rm(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;
        size_t i;

        if (nlab_cli_parse("external rm", rm_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error("external rm",
                                            "\"netlab external rm\" requires at least 1 "
                                            "argument: NAME...",
                                            false);
                goto out;
        }
        for (i = 0; i < (size_t)p.npos; i++) {
                int r = nlab_external_remove(&cli->st, p.pos[i], p.set[0], &err);
                if (r < 0)
                        code = nlab_cli_fail(&err, false);
                else if (r == 0)
                        printf("%s\n", p.pos[i]);
        }
out:
        nlab_parsed_free(&p, 2);
        return code;
}

static json_t *inspect_doc(const struct nlab_external *x)
{
        char subnet[NLAB_CIDR_STRLEN], addr[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &x->addr, addr, sizeof(addr));
        inet_ntop(AF_INET, &x->host_addr, host, sizeof(host));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Name", x->name, "Created",
                         x->created, "State", nlab_external_state_name(x->state), "Subnet",
                         nlab_cidr_format(&x->subnet, subnet), "Address", addr, "Interface", "eth0",
                         "HostAddress", host, "HostInterface", x->host_ifname, "NetworkNamespace",
                         x->netns_path);
}

static int ext_inspect(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_external x;
        struct nlab_err err;
        json_t *docs = json_array();
        int code = 0;
        size_t i;

        if (nlab_cli_parse("external inspect", plain_flags, 1, argc, argv, 0, &p, false, &code) !=
            0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error("external inspect",
                                            "\"netlab external inspect\" requires at least 1 "
                                            "argument: NAME...",
                                            false);
                goto out;
        }
        for (i = 0; i < (size_t)p.npos; i++) {
                if (nlab_external_load(&cli->st, p.pos[i], &x, &err) < 0)
                        code = nlab_cli_fail(&err, false);
                else
                        json_array_append_new(docs, inspect_doc(&x));
        }
        if (nlab_print_docs(docs, NULL, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(docs);
        nlab_parsed_free(&p, 1);
        return code;
}

/* Exit codes as `netlab exec`: CMD's own, 126/127 when it cannot run, 125 for netlab's. */
static int ext_exec(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("external exec", plain_flags, 1, argc, argv, 1, &p, true, &code) != 0)
                goto out;
        if (p.npos < 2) {
                code = nlab_cli_usage_error("external exec",
                                            "\"netlab external exec\" requires at least 2 "
                                            "arguments: NAME COMMAND [ARG...]",
                                            true);
                goto out;
        }
        fflush(stdout);
        code = nlab_external_exec(&cli->st, p.pos[0], p.pos + 1, &err);
        if (code < 0)
                code = nlab_cli_fail(&err, true);
out:
        nlab_parsed_free(&p, 1);
        return code;
}

static const struct {
        const char *name;
        int (*fn)(struct nlab_cli *cli, int argc, char **argv);
        const struct nlab_flag *flags;
        size_t nflags;
        int stop_after; /* exec: flags after NAME belong to the command */
} subcommands[] = {
    {"add", ext_add, add_flags, 2, 0},
    {"ls", ext_ls, ls_flags, 2, 0},
    {"list", ext_ls, ls_flags, 2, 0},
    {"rm", ext_rm, rm_flags, 2, 0},
    {"remove", ext_rm, rm_flags, 2, 0},
    {"exec", ext_exec, plain_flags, 1, 1},
    {"inspect", ext_inspect, plain_flags, 1, 0},
};

int nlab_external_help_only(const char *cmd, int argc, char **argv)
{
        int code = nlab_cli_group_help(cmd, argc, argv);
        size_t i;

        for (i = 0; code < 0 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
                if (!strcmp(subcommands[i].name, argv[0]))
                        return nlab_cli_sub_help(cmd, argv[0], subcommands[i].flags,
                                                 subcommands[i].nflags, argc - 1, argv + 1,
                                                 subcommands[i].stop_after);
        return code;
}

int nlab_cmd_external(struct nlab_cli *cli, int argc, char **argv)
{
        const char *names[sizeof(subcommands) / sizeof(subcommands[0])], *near;
        size_t i, n = sizeof(subcommands) / sizeof(subcommands[0]);

        for (i = 0; i < n; i++) {
                if (!strcmp(subcommands[i].name, argv[0]))
                        return subcommands[i].fn(cli, argc - 1, argv + 1);
                names[i] = subcommands[i].name;
        }
        near = nlab_suggest(argv[0], names, n, 2);
        if (near)
                fprintf(stderr,
                        "netlab: error: unknown command \"external %s\": did you mean "
                        "\"external %s\"?\n",
                        argv[0], near);
        else
                fprintf(stderr,
                        "netlab: error: unknown command \"external %s\": expected add, ls, rm, "
                        "exec or inspect\n",
                        argv[0]);
        return 1;
}
