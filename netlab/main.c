/* netlab: a container networking lab. This file picks the command; cmd_*.c do the rest. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlab/cli.h"

enum {
        CMD_RUN_CODES = 1, /* Docker's 125/126/127 exit codes */
        CMD_NO_ROOT = 2,   /* works without root and without a state root */
        CMD_OWN_SETUP = 4, /* opens the state root (and the lab host) itself: `lab` */
};

struct command {
        const char *name;
        nlab_cmd_fn fn;
        int flags;
        /* For arguments that may hold someone else's --help (run IMAGE CMD --help); NULL: any
         * --help before "--" asks for the command's help. */
        nlab_help_only_fn help_only;
};

static const struct command commands[] = {
    {"run", nlab_cmd_run, CMD_RUN_CODES, nlab_run_help_only},
    {"create", nlab_cmd_create, CMD_RUN_CODES, nlab_run_help_only},
    {"start", nlab_cmd_start, CMD_RUN_CODES, NULL},
    {"exec", nlab_cmd_exec, CMD_RUN_CODES, nlab_exec_help_only},
    {"stop", nlab_cmd_stop, 0, NULL},
    {"restart", nlab_cmd_restart, 0, NULL},
    {"kill", nlab_cmd_kill, 0, NULL},
    {"rm", nlab_cmd_rm, 0, NULL},
    {"ps", nlab_cmd_ps, 0, NULL},
    {"logs", nlab_cmd_logs, 0, NULL},
    {"inspect", nlab_cmd_inspect, 0, NULL},
    {"images", nlab_cmd_images, 0, NULL},
    {"network", nlab_cmd_network, 0, nlab_network_help_only},
    {"port", nlab_cmd_port, 0, NULL},
    {"diagnose", nlab_cmd_diagnose, 0, NULL},
    {"capture", nlab_cmd_capture, 0, NULL},
    {"explain", nlab_cmd_explain, 0, NULL},
    {"external", nlab_cmd_external, 0, nlab_external_help_only},
    {"graph", nlab_cmd_graph, 0, NULL},
    {"link", nlab_cmd_link, 0, nlab_link_help_only},
    {"scenario", nlab_cmd_scenario, CMD_NO_ROOT, NULL},
    {"challenge", nlab_cmd_challenge, 0, nlab_challenge_help_only},
    {"system", nlab_cmd_system, 0, NULL},
    {"top", nlab_cmd_top, 0, NULL},
    {"info", nlab_cmd_info, 0, NULL},
    {"doctor", nlab_cmd_doctor, 0, NULL},
    {"version", nlab_cmd_version, CMD_NO_ROOT, NULL},
    {"lab", nlab_cmd_lab, CMD_OWN_SETUP, NULL},
};

static const struct command *find_command(const char *name)
{
        size_t i;

        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

static const char *default_root(const char *flag)
{
        const char *env = getenv("NETLAB_ROOT");

        if (flag)
                return flag;
        return env && env[0] ? env : "/run/netlab";
}

/* Print the help argv (the command's arguments) asks for and return the exit code, or -1. */
static int help_only(const struct command *cmd, int argc, char **argv)
{
        int i;

        if (cmd->help_only)
                return cmd->help_only(cmd->name, argc, argv);
        for (i = 0; i < argc && strcmp(argv[i], "--"); i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return nlab_cli_help(cmd->name);
        return -1;
}

/* Rootless (a lab host of the user's own) unless we are root and --rootless is not given. */
static int choose_root(struct nlab_cli *cli, bool rootless, const char *root_flag, char *buf,
                       size_t size, bool run_codes)
{
        struct nlab_err err;

        cli->rootless = rootless;
        if (!rootless) {
                cli->root = default_root(root_flag);
                return -1;
        }
        if (nlab_keeper_default_root(root_flag, buf, size, &err) < 0)
                return nlab_cli_fail(&err, run_codes);
        cli->root = buf;
        return -1;
}

int main(int argc, char **argv)
{
        const char *root_flag = NULL;
        const struct command *cmd;
        struct nlab_cli cli;
        struct nlab_err err;
        char rootbuf[PATH_MAX], userroot[PATH_MAX];
        bool rootless = geteuid() != 0, run_codes;
        int i = 1, code;

        while (i < argc && argv[i][0] == '-') {
                if (!strcmp(argv[i], "--root") && i + 1 < argc) {
                        root_flag = argv[i + 1];
                        i += 2;
                } else if (!strncmp(argv[i], "--root=", 7)) {
                        root_flag = argv[i++] + 7;
                } else if (!strcmp(argv[i], "--rootless")) {
                        rootless = true;
                        i++;
                } else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
                        /* root looks into a student's lab: --rootless --root <theirs> */
                        if (nlab_keeper_user_root(argv[i + 1], userroot, sizeof(userroot), &err) <
                            0)
                                return nlab_cli_fail(&err, false);
                        root_flag = userroot;
                        rootless = true;
                        i += 2;
                } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        return nlab_cli_help("");
                } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
                        printf("netlab version %s\n", NLAB_VERSION);
                        return 0;
                } else {
                        fprintf(stderr, "netlab: error: unknown flag: %s (see 'netlab --help')\n",
                                argv[i]);
                        return 1;
                }
        }
        if (i >= argc)
                return nlab_cli_help(""), 1;
        if (!strcmp(argv[i], "__shim-exit")) /* not a command: netlab-shim's last step */
                return nlab_cmd_shim_exit(default_root(root_flag), argc - i - 1, argv + i + 1);
        if (!strcmp(argv[i], "help"))
                return nlab_cli_help(i + 1 < argc ? argv[i + 1] : "");
        cmd = find_command(argv[i]);
        if (!cmd)
                return nlab_cli_unknown_command("", argv[i]);
        run_codes = cmd->flags & CMD_RUN_CODES;
        memset(&cli, 0, sizeof(cli));
        cli.cmd = cmd->name;
        if ((cmd->flags & CMD_NO_ROOT) && !(rootless && !strcmp(cmd->name, "scenario"))) {
                cli.root = default_root(root_flag);               /* may be read, never opened */
                return cmd->fn(&cli, argc - i - 1, argv + i + 1); /* checks root where needed */
        }
        /* before the state root is opened: --help creates and touches nothing */
        code = help_only(cmd, argc - i - 1, argv + i + 1);
        if (code >= 0)
                return code;
        code = choose_root(&cli, rootless, root_flag, rootbuf, sizeof(rootbuf), run_codes);
        if (code >= 0)
                return code;
        if (cmd->flags & CMD_OWN_SETUP)
                return cmd->fn(&cli, argc - i - 1, argv + i + 1);
        if (rootless) {
                code = nlab_rootless_enter(&cli, run_codes, false, false);
                if (code >= 0)
                        return code;
        }
        if (cmd->flags & CMD_NO_ROOT) /* scenario, inside the lab host */
                return cmd->fn(&cli, argc - i - 1, argv + i + 1);
        if (nlab_store_open(&cli.st, cli.root, &err) < 0)
                return nlab_cli_fail(&err, run_codes);
        cli.st.crash_at = getenv("NETLAB_TEST_CRASH_AT"); /* test hook, see docs/cli.md */
        i = cmd->fn(&cli, argc - i - 1, argv + i + 1);
        nlab_store_close(&cli.st);
        return i;
}
