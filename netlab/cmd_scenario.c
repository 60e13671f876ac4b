/* netlab scenario run|check|list: flags and files; runtime/lab/runner.c runs the labs,
 * cmd_scenario_print.c prints them (and --step), cmd_scenario_report.c writes --json and --junit,
 * cmd_scenario_grade.c grades a class. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/scenario_print.h"
#include "netlab/scenario_report.h"
#include "runtime/lab/files.h"
#include "runtime/base/userns.h"
#include "runtime/lab/runner.h"
#include "runtime/lab/scenario.h"
#include "runtime/lab/scenario_trust.h"

/* Ending a kept lab starts with a reset inside it: its containers' cgroups live in the host's
 * hierarchy and would outlive the namespaces. */
static void print_kept(const struct nlab_run_lab *lab)
{
        char self[PATH_MAX], via[PATH_MAX + 16];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                snprintf(self, sizeof(self), "netlab");
        else
                self[n] = '\0';
        /* rootless: the pid is the lab host's, and only its root may enter */
        snprintf(via, sizeof(via), "%s lab shell ", self);
        if (!nlab_userns_nested())
                via[0] = '\0';
        printf("The lab is still up. Enter it with:\n"
               "  %snsenter -t %d -n -m -p env NETLAB_ROOT=%s sh\n"
               "End it with:\n"
               "  %snsenter -t %d -n -m -p env NETLAB_ROOT=%s %s system reset --force\n"
               "  %skill %d; rmdir %s\n",
               via, (int)lab->init, lab->dir, via, (int)lab->init, lab->dir, self, via,
               (int)lab->init, lab->dir);
}

/* The lab's worker took the terminal's foreground (nlab_run_opts.foreground): take it back, as a
 * shell does after a job, without the SIGTTOU that would stop a background process. */
static void take_terminal_back(void)
{
        sigset_t ttou, old;

        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        tcsetpgrp(STDIN_FILENO, getpgrp());
        sigprocmask(SIG_SETMASK, &old, NULL);
}

static int run_one(struct scenario_opts *o, const struct nlab_scenario *s, unsigned tap_base)
{
        struct nlab_run_opts ro = {.keep = o->keep, .step = o->step};
        struct nlab_run_lab lab;
        struct nlab_err err;
        int code;

        o->tap_n = tap_base;
        ro.foreground = o->step && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
        o->tty = ro.foreground && tcgetattr(STDIN_FILENO, &o->cooked) == 0;
        code = nlab_scenario_run(s, &ro, &scenario_report_ops, &o->rep, &lab, &err);
        if (ro.foreground)
                take_terminal_back();
        if (o->tty) /* the lab's prompts left it without echo, or the lab was killed mid-key */
                tcsetattr(STDIN_FILENO, TCSANOW, &o->cooked);
        if (code < -1) {
                fprintf(stderr, "netlab: error: %s\n", err.msg);
                scenario_report_lost(&o->rep, s, err.msg);
                return 1;
        }
        if (o->keep)
                print_kept(&lab);
        if (code < 0)
                scenario_report_lost(&o->rep, s, "the lab ended early");
        if (code < 0 && o->rep.inner)
                printf("%s%s: the lab ended early\n", o->tap ? "# " : "", s->file);
        return code < 0 ? 1 : code;
}

/* The lab is the one running now, in this state root: nothing is created or removed. */
static int check_one(struct scenario_opts *o, const struct nlab_scenario *s)
{
        struct nlab_err err;
        int code = nlab_scenario_check(s, o->root, &scenario_report_ops, &o->rep, &err);

        if (code < 0)
                fprintf(stderr, "netlab: error: %s\n", err.msg);
        return code < 0 ? 1 : code;
}

/* A parse error is printed as located (FILE:LINE:COL: error: ...), a read error as usual;
 * without trust, a file that asks for the host is refused too. */
static int load_file(const char *path, bool trust, struct nlab_scenario *s)
{
        struct nlab_err err;

        if (nlab_scenario_load(path, nlab_cli_grammar(), s, &err) < 0) {
                fprintf(stderr, "%s%s\n", err.kind == NLAB_E_SYSTEM ? "netlab: error: " : "",
                        err.msg);
                return -1;
        }
        if (trust || nlab_scenario_check_trust(s, nlab_cli_grammar(), &err) == 0)
                return 0;
        fprintf(stderr, "netlab: error: %s\n", err.msg);
        return -1;
}

static const struct nlab_flag run_flags[] = {
    {"tap", 0, NLAB_FLAG_BOOL, NULL},    {"step", 0, NLAB_FLAG_BOOL, NULL},
    {"keep", 0, NLAB_FLAG_BOOL, NULL},   {"trust", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 'h', NLAB_FLAG_BOOL, NULL}, {"json", 0, NLAB_FLAG_BOOL, NULL},
    {"junit", 0, NLAB_FLAG_VALUE, NULL}, {"lang", 0, NLAB_FLAG_VALUE, NULL},
};
#define N_RUN_FLAGS (sizeof(run_flags) / sizeof(run_flags[0]))

static int run_all(struct scenario_opts *o, const struct nlab_strv *files,
                   struct nlab_scenario *all)
{
        unsigned tap_base = 0;
        int r, status = 0;
        size_t i;

        if (!o->check) /* the lab's worker handles Ctrl-C, then the lab ends */
                signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN); /* a closed pipe must not skip the cleanup */
        for (i = 0; i < files->n; i++) {
                r = o->check ? check_one(o, &all[i]) : run_one(o, &all[i], tap_base);
                tap_base += nlab_scenario_results(&all[i], o->check);
                if (r)
                        status = r == 130 ? 130 : 1;
                if (r == 130)
                        break;
                if (o->rep.inner && !o->tap && i + 1 < files->n)
                        printf("\n");
        }
        signal(SIGINT, SIG_DFL);
        return status;
}

/* Every file is read and checked before any runs. */
static int run_files(struct scenario_opts *o, const struct nlab_strv *files)
{
        struct nlab_scenario *all = calloc(files->n, sizeof(*all));
        unsigned total = 0;
        int status = !all;
        size_t i;

        o->fancy = isatty(STDOUT_FILENO) && !o->tap;
        for (i = 0; all && i < files->n; i++) {
                if (load_file(files->v[i], o->trust || o->check, &all[i]) < 0)
                        status = 1;
                total += nlab_scenario_results(&all[i], o->check);
        }
        /* check builds nothing; with --json or --junit - stdout is the report's */
        if (!status && !o->check &&
            nlab_cli_preflight(all, files->n, o->tap, o->rep.inner ? stdout : stderr) < 0)
                status = 1;
        if (!status && o->tap)
                printf("1..%u\n", total);
        if (!status)
                status = run_all(o, files, all);
        for (i = 0; all && i < files->n; i++)
                nlab_scenario_free(&all[i]);
        free(all);
        return status;
}

/* --json and --junit -: the report replaces the text on stdout. */
static int setup_report(struct scenario_opts *o, const char *cmd, bool json, const char *junit)
{
        o->rep = (struct scenario_report){.inner = &scenario_printer,
                                          .inner_ctx = o,
                                          .mode = o->check ? "check" : "run",
                                          .json = json};
        if (json && junit && !strcmp(junit, "-"))
                return nlab_cli_usage_error(cmd, "--json and --junit - both want stdout", false);
        if ((json || junit) && (o->tap || o->step || o->keep))
                return nlab_cli_usage_error(
                    cmd, "--json and --junit go without --tap, --step, --keep", false);
        if (json || (junit && !strcmp(junit, "-")))
                o->rep.inner = NULL;
        if (junit && scenario_report_open_junit(&o->rep, junit) < 0)
                return 1;
        return 0;
}

static int scenario_run(struct nlab_cli *cli, bool check, int argc, char **argv)
{
        const char *cmd = check ? "scenario check" : "scenario run";
        struct nlab_strv files = {0};
        struct nlab_parsed p = {0};
        struct scenario_opts o = {.check = check, .root = cli->root};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse(cmd, run_flags, N_RUN_FLAGS, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        o.tap = p.set[0], o.step = p.set[1] && !p.set[0], o.keep = p.set[2], o.trust = p.set[3];
        if (check && (p.set[1] || o.keep || o.trust)) {
                code = nlab_cli_usage_error(cmd, "--step, --keep and --trust are for scenario run",
                                            false);
        } else if (nlab_cli_pick_lang(p.value[7], &o.zh) < 0) {
                fprintf(stderr, "netlab: error: --lang \"%s\": want en or zh\n", p.value[7]);
                code = 1;
        } else if (p.npos == 0) {
                code = nlab_cli_usage_error(cmd, "no scenario file given", false);
        } else if (geteuid() != 0) {
                fprintf(stderr,
                        "netlab: error: %s needs root: it enters the lab's namespaces (try: sudo "
                        "netlab %s ...)\n",
                        cmd, cmd);
                code = 1;
        } else if (nlab_scenario_expand(p.pos, (size_t)p.npos, &files, &err) < 0) {
                code = nlab_cli_fail(&err, false);
        } else if (o.keep && files.n != 1) {
                code = nlab_cli_usage_error(cmd, "--keep takes exactly one file", false);
        } else if ((code = setup_report(&o, cmd, p.set[5], p.value[6])) == 0) {
                code = run_files(&o, &files);
                scenario_report_finish(&o.rep);
        }
out:
        nlab_parsed_free(&p, N_RUN_FLAGS);
        nlab_strv_free(&files);
        return code;
}

static int scenario_list(int argc, char **argv)
{
        const char *dir = getenv("NETLAB_SCENARIOS");
        struct nlab_strv files = {0};
        struct nlab_err err;
        size_t i;
        int status = 0;
        bool zh;

        if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
                return nlab_cli_help("scenario list");
        if (argc > 1)
                return nlab_cli_usage_error("scenario list", "too many arguments", false);
        if (argc == 1)
                dir = argv[0];
        if (!dir || !dir[0])
                dir = "scenarios";
        if (nlab_scenario_dir(dir, &files, &err) < 0)
                return nlab_cli_fail(&err, false);
        nlab_cli_pick_lang(NULL, &zh);
        for (i = 0; i < files.n; i++) {
                struct nlab_scenario s;
                const char *base = strrchr(files.v[i], '/');
                if (load_file(files.v[i], true, &s) < 0) {
                        status = 1;
                        continue;
                }
                printf("%-28s %s\n", base ? base + 1 : files.v[i],
                       s.title || s.title_zh ? scenario_title(&s, zh) : "");
                nlab_scenario_free(&s);
        }
        nlab_strv_free(&files);
        return status;
}

int nlab_cmd_scenario(struct nlab_cli *cli, int argc, char **argv)
{
        if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
                return nlab_cli_help("scenario") || argc < 1;
        if (!strcmp(argv[0], "run") || !strcmp(argv[0], "check"))
                return scenario_run(cli, argv[0][0] == 'c', argc - 1, argv + 1);
        if (!strcmp(argv[0], "grade"))
                return nlab_scenario_grade(argc - 1, argv + 1);
        if (!strcmp(argv[0], "list"))
                return scenario_list(argc - 1, argv + 1);
        return nlab_cli_usage_error("scenario", "unknown subcommand (run, check, grade, list)",
                                    false);
}
