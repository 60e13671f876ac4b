#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "runtime/kernel/fwforeign.h"

int nlab_cli_fail(const struct nlab_err *err, bool docker_run_codes)
{
        fprintf(stderr, "netlab: error: %s\n", err->msg);
        if (!docker_run_codes)
                return 1;
        if (err->kind == NLAB_E_NOCMD)
                return 127;
        if (err->kind == NLAB_E_NOEXEC)
                return 126;
        return 125;
}

void nlab_cli_warn_foreign(void)
{
        char msg[1024];

        if (nlab_fw_foreign(msg, sizeof(msg), NULL) == 0 && msg[0])
                fprintf(stderr, "netlab: warning: %s\n", msg);
}

int nlab_cli_usage_error(const char *cmd, const char *msg, bool docker_run_codes)
{
        /* One line; the pointer to --help only where the message offers nothing better. */
        if (strstr(msg, "did you mean") || strstr(msg, "not supported"))
                fprintf(stderr, "netlab: error: %s\n", msg);
        else
                fprintf(stderr, "netlab: error: %s (see 'netlab %s --help')\n", msg, cmd);
        return docker_run_codes ? 125 : 1;
}

bool nlab_cli_asks_help(const struct nlab_flag *flags, size_t nflags, int argc, char **argv,
                        int stop_after)
{
        struct nlab_parsed p = {0};
        int help = nlab_flag_index(flags, nflags, "help");
        bool asks;

        if (help < 0)
                return false;
        asks = nlab_args_parse(flags, nflags, argc, argv, stop_after, &p, NULL) == 0 && p.set[help];
        nlab_parsed_free(&p, nflags);
        return asks;
}

int nlab_cli_parse(const char *cmd, const struct nlab_flag *flags, size_t nflags, int argc,
                   char **argv, int stop_after, struct nlab_parsed *p, bool run_codes, int *code)
{
        struct nlab_err err;
        int help = nlab_flag_index(flags, nflags, "help");

        if (nlab_args_parse(flags, nflags, argc, argv, stop_after, p, &err) < 0) {
                *code = nlab_cli_usage_error(cmd, err.msg, run_codes);
                return -1;
        }
        if (help >= 0 && p->set[help]) {
                *code = nlab_cli_help(cmd);
                return 1;
        }
        return 0;
}

int nlab_cli_pick_lang(const char *flag, bool *zh)
{
        static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
        size_t i;

        if (flag) {
                *zh = !strcmp(flag, "zh");
                return *zh || !strcmp(flag, "en") ? 0 : -1;
        }
        *zh = false;
        for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
                const char *v = getenv(vars[i]);
                if (v && v[0]) {
                        *zh = !strncmp(v, "zh_", 3) || !strcmp(v, "zh");
                        break;
                }
        }
        return 0;
}

int nlab_cli_group_help(const char *cmd, int argc, char **argv)
{
        if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
                return nlab_cli_help(cmd) || argc < 1;
        return -1;
}

int nlab_cli_sub_help(const char *cmd, const char *sub, const struct nlab_flag *flags,
                      size_t nflags, int argc, char **argv, int stop_after)
{
        char helpname[64];
        int i;

        if (flags && !nlab_cli_asks_help(flags, nflags, argc, argv, stop_after))
                return -1;
        for (i = 0; !flags && i < argc && strcmp(argv[i], "--") && strcmp(argv[i], "--help"); i++)
                ;
        if (!flags && (i == argc || strcmp(argv[i], "--help")))
                return -1;
        snprintf(helpname, sizeof(helpname), "%s %s", cmd, sub);
        return nlab_cli_help(helpname);
}
