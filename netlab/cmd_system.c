/* netlab system reset: remove everything netlab made for this state root. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "runtime/ctr/system.h"

static const struct nlab_flag reset_flags[] = {
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};

/* Like podman system reset: ask on a terminal, refuse silently destructive use elsewhere. */
static bool confirmed(const char *root)
{
        char line[16];

        if (!isatty(0))
                return false;
        printf("This removes every container, network, nftables rule and process netlab made\n"
               "for state root %s, and puts ip_forward back.\n"
               "Are you sure you want to continue? [y/N] ",
               root);
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int system_reset(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("system", reset_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 0) {
                code = nlab_cli_usage_error("system", "\"netlab system reset\" takes no arguments",
                                            false);
                goto out;
        }
        if (!p.set[0] && !confirmed(cli->root)) {
                fprintf(stderr,
                        "netlab: error: not resetting %s: confirm on a terminal or pass "
                        "--force\n",
                        cli->root);
                code = 1;
                goto out;
        }
        if (nlab_system_reset(&cli->st, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, 2);
        return code;
}

int nlab_cmd_system(struct nlab_cli *cli, int argc, char **argv)
{
        if (argc < 1)
                return nlab_cli_help("system"), 1;
        if (!strcmp(argv[0], "reset"))
                return system_reset(cli, argc - 1, argv + 1);
        fprintf(stderr,
                "netlab: error: unknown command \"system %s\" (see 'netlab system --help'; "
                "available: reset)\n",
                argv[0]);
        return 1;
}
