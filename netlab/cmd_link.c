/* netlab link set|show|reset CONTAINER[/IFACE]: rate, delay, jitter and loss on an interface. */
#include <stdio.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/base/suggest.h"
#include "runtime/ctr/linkcond.h"

/* The condition flags are the names nlab_linkcond_set takes: the one table of them. */
static const struct nlab_flag set_flags[] = {
    {"rate", 0, NLAB_FLAG_VALUE, NULL},   {"delay", 0, NLAB_FLAG_VALUE, NULL},
    {"jitter", 0, NLAB_FLAG_VALUE, NULL}, {"loss", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
static const struct nlab_flag plain_flags[] = {
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_link_set = NLAB_FLAGS(set_flags);
const struct nlab_flags nlab_flags_link_plain = NLAB_FLAGS(plain_flags);

#define NSET (sizeof(set_flags) / sizeof(set_flags[0]))

/* Exactly one CONTAINER[/IFACE]; prints the usage error itself. */
static int one_target(const char *cmd, const struct nlab_parsed *p, int *code)
{
        char msg[128];

        if (p->npos == 1)
                return 0;
        snprintf(msg, sizeof(msg), "\"netlab %s\" requires exactly 1 argument: CONTAINER[/IFACE]",
                 cmd);
        *code = nlab_cli_usage_error(cmd, msg, false);
        return -1;
}

static int link_set(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_linkcond c = {0};
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;
        size_t i;

        if (nlab_cli_parse("link set", set_flags, NSET, argc, argv, 0, &p, false, &code) != 0 ||
            one_target("link set", &p, &code) < 0)
                goto out;
        for (i = 0; i < NSET; i++)
                if (p.set[i] && set_flags[i].type == NLAB_FLAG_VALUE &&
                    nlab_linkcond_set(&c, set_flags[i].name, p.value[i], &err) < 0)
                        goto fail;
        if (nlab_ctr_link_set(&cli->st, p.pos[0], &c, &err) < 0)
                goto fail;
        goto out;
fail:
        code = nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, NSET);
        return code;
}

static int link_show(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_qdisc_state s;
        struct nlab_parsed p = {0};
        struct nlab_err err;
        char text[160], ctr[256], iface[16];
        int code = 0;

        if (nlab_cli_parse("link show", plain_flags, 1, argc, argv, 0, &p, false, &code) != 0 ||
            one_target("link show", &p, &code) < 0)
                goto out;
        if (nlab_ctr_link_show(&cli->st, p.pos[0], &s, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        /* the target parsed again only to name the interface the default picked */
        nlab_link_target_parse(p.pos[0], ctr, sizeof(ctr), iface, sizeof(iface), NULL);
        if (s.other[0])
                printf("%s/%s: qdisc %s (not set by netlab link)\n", ctr, iface, s.other);
        else if (s.cond.set)
                printf("%s/%s: %s\n", ctr, iface,
                       nlab_linkcond_format(&s.cond, text, sizeof(text)));
        else
                printf("%s/%s: no conditions\n", ctr, iface);
out:
        nlab_parsed_free(&p, 1);
        return code;
}

static int link_reset(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("link reset", plain_flags, 1, argc, argv, 0, &p, false, &code) != 0 ||
            one_target("link reset", &p, &code) < 0)
                goto out;
        if (nlab_ctr_link_reset(&cli->st, p.pos[0], &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, 1);
        return code;
}

static const struct {
        const char *name;
        int (*fn)(struct nlab_cli *cli, int argc, char **argv);
        const struct nlab_flags *flags;
} subcommands[] = {
    {"set", link_set, &nlab_flags_link_set},
    {"show", link_show, &nlab_flags_link_plain},
    {"reset", link_reset, &nlab_flags_link_plain},
};
#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

int nlab_link_help_only(const char *cmd, int argc, char **argv)
{
        int code = nlab_cli_group_help(cmd, argc, argv);
        size_t i;

        for (i = 0; code < 0 && i < NSUB; i++)
                if (!strcmp(subcommands[i].name, argv[0]))
                        return nlab_cli_sub_help(cmd, argv[0], subcommands[i].flags->v,
                                                 subcommands[i].flags->n, argc - 1, argv + 1, 0);
        return code;
}

int nlab_cmd_link(struct nlab_cli *cli, int argc, char **argv)
{
        const char *names[NSUB], *near;
        size_t i;

        for (i = 0; i < NSUB; i++) {
                if (!strcmp(subcommands[i].name, argv[0]))
                        return subcommands[i].fn(cli, argc - 1, argv + 1);
                names[i] = subcommands[i].name;
        }
        near = nlab_suggest(argv[0], names, NSUB, 2);
        if (near)
                fprintf(stderr,
                        "netlab: error: unknown command \"link %s\": did you mean \"link %s\"?\n",
                        argv[0], near);
        else
                fprintf(stderr,
                        "netlab: error: unknown command \"link %s\": expected set, show or "
                        "reset\n",
                        argv[0]);
        return 1;
}
