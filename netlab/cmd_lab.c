/* Rootless mode's CLI side: entering the lab host (every command), and `netlab lab`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "runtime/ctr/system.h"
#include "runtime/net/keepctl.h"

static void print_news(const struct nlab_cli *cli, const struct nlab_keeper_news *news)
{
        if (news->started && news->idmap_note[0])
                fprintf(stderr, "netlab: note: %s\n", news->idmap_note);
        if (news->started && news->egress_note[0])
                fprintf(stderr, "netlab: note: %s\n", news->egress_note);
        if (news->started)
                fprintf(stderr,
                        "netlab: note: rootless: containers get no cgroup (this host does not "
                        "delegate one to uid %u): processes are bounded per lab user (1024, "
                        "RLIMIT_NPROC), not per container, and -m/--cpus are refused\n",
                        (unsigned)getuid());
        (void)cli;
}

/* Clear what a lost lab host left, from inside the new one (files its containers made belong to
 * ids only the lab host can remove). */
static int forget_lost(struct nlab_cli *cli, int lost_pid, struct nlab_err *err)
{
        struct nlab_store st;
        int n = 0;

        if (nlab_store_open(&st, cli->root, err) < 0)
                return -1;
        if (nlab_keeper_forget(&st, &n, err) < 0) {
                nlab_store_close(&st);
                return -1;
        }
        nlab_store_close(&st);
        if (lost_pid > 0)
                fprintf(stderr,
                        "netlab: note: the lab host (keeper pid %d) was gone: %d container%s "
                        "removed\n",
                        lost_pid, n, n == 1 ? " was" : "s were");
        else
                fprintf(stderr, "netlab: note: the lab host was gone: %d container%s removed\n", n,
                        n == 1 ? " was" : "s were");
        return 0;
}

/* The parent stays in the host's pid namespace and passes on the child's exit; the terminal's
 * own SIGINT and SIGQUIT reach the child directly (same process group). */
static int wait_child(pid_t child, const sigset_t *set)
{
        struct signalfd_siginfo si;
        int fd = signalfd(-1, set, SFD_CLOEXEC), status;

        for (;;) {
                if (waitpid(child, &status, WNOHANG) == child)
                        break;
                if (fd < 0 || read(fd, &si, sizeof(si)) != sizeof(si)) {
                        if (fd >= 0 && errno == EINTR)
                                continue;
                        waitpid(child, &status, 0);
                        break;
                }
                if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGINT && si.ssi_signo != SIGQUIT)
                        kill(child, (int)si.ssi_signo);
        }
        if (fd >= 0)
                close(fd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A process that joined the lab host but stayed in the host's pid namespace ends without exit
 * handlers: LeakSanitizer's tracer would be born in the lab's pid namespace, where it cannot see
 * us, and wait forever. */
static _Noreturn void leave(int code)
{
        fflush(NULL);
        _exit(code);
}

int nlab_rootless_enter(struct nlab_cli *cli, bool run_codes, bool quiet, bool stop_after)
{
        static const int sigs[] = {SIGCHLD, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2};
        struct nlab_keeper_news news;
        struct nlab_err err;
        sigset_t set, old;
        size_t i;
        pid_t child;
        int code;

        if (nlab_keeper_ensure(cli->root, &cli->keeper, &news, &err) < 0)
                return nlab_cli_fail(&err, run_codes);
        if (!quiet)
                print_news(cli, &news);
        if (nlab_keeper_join(&cli->keeper, &err) < 0 ||
            (news.lost_pid && forget_lost(cli, news.lost_pid, &err) < 0)) {
                nlab_keeper_release(&cli->keeper);
                leave(nlab_cli_fail(&err, run_codes));
        }
        nlab_keeper_release(&cli->keeper);
        cli->joined = true;
        sigemptyset(&set);
        for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                sigaddset(&set, sigs[i]);
        sigprocmask(SIG_BLOCK, &set, &old);
        fflush(NULL);
        child = fork();
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                return -1;
        }
        if (child < 0) {
                nlab_err_sys(&err, errno, "fork into the lab host");
                leave(nlab_cli_fail(&err, run_codes));
        }
        code = wait_child(child, &set);
        if (stop_after && code == 0 && nlab_keeper_stop(cli->root, &cli->keeper, &err) < 0)
                code = nlab_cli_fail(&err, run_codes);
        leave(code);
}

static const struct nlab_flag lab_flags[] = {
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
#define N_LAB_FLAGS (sizeof(lab_flags) / sizeof(lab_flags[0]))

/* The keeper's egress stack and published ports ("egress ..." then "forward ..." lines). */
static void print_forwards(const struct nlab_cli *cli)
{
        struct nlab_keepctl_req req = {.op = NLAB_KC_LIST};
        struct nlab_err err;
        char *text = NULL, *line, *save = NULL;
        int n = 0;

        if (nlab_keepctl_call(cli->root, &req, &text, &err) < 0) {
                printf("Egress:      unknown (%s)\n", err.msg);
                return;
        }
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!strncmp(line, "egress ", 7))
                        printf("Egress:      %s\n", line + 7);
                else if (!strncmp(line, "forward ", 8))
                        printf("%s %s\n", n++ ? "            " : "Forwards:   ", line + 8);
        }
        if (n == 0)
                printf("Forwards:    none\n");
        free(text);
}

static void print_status_head(const struct nlab_cli *cli)
{
        const struct nlab_keeper *k = &cli->keeper;

        printf("Mode:        %s\n", cli->rootless ? "rootless" : "root");
        printf("State root:  %s\n", cli->root);
        if (!cli->rootless) {
                printf("Lab host:    the host itself (no keeper)\n");
                return;
        }
        printf("Keeper:      outer pid %d, lab host pid %d\n", k->outer_pid, k->inner_pid);
        printf("User ids:    %s (%s)\n", k->uid_map,
               k->idmap == NLAB_IDMAP_SUBIDS ? "subordinate ids" : "single id");
        printf("Group ids:   %s\n", k->gid_map);
        print_forwards(cli);
}

static int lab_status(struct nlab_cli *cli)
{
        char *net_ls[] = {"ls", NULL}, *ps_a[] = {"-a", NULL};
        int lost, code;
        struct nlab_err err;

        if (cli->rootless && !cli->joined) {
                /* status does not start a lab host: it says there is none */
                if (!nlab_keeper_find(cli->root, &cli->keeper, &lost)) {
                        printf("Mode:        rootless\nState root:  %s\n", cli->root);
                        if (lost)
                                printf("Keeper:      gone (the next command clears what it held "
                                       "and starts a new one)\n");
                        else
                                printf("Keeper:      none (the next command starts one)\n");
                        return 0;
                }
                code = nlab_rootless_enter(cli, false, true, false);
                if (code >= 0)
                        return code;
        }
        if (nlab_store_open(&cli->st, cli->root, &err) < 0)
                return nlab_cli_fail(&err, false);
        print_status_head(cli);
        printf("\nNetworks:\n");
        fflush(stdout);
        code = nlab_cmd_network(cli, 1, net_ls);
        printf("\nContainers:\n");
        fflush(stdout);
        if (code == 0)
                code = nlab_cmd_ps(cli, 1, ps_a);
        nlab_store_close(&cli->st);
        return code;
}

static int lab_shell(struct nlab_cli *cli, int argc, char **argv)
{
        const char *shell = getenv("SHELL");
        int code;

        if (!cli->rootless) {
                fprintf(stderr, "netlab: error: root mode has no lab host: netlab's networks are "
                                "the host's own, so your shell already is in them (for a lab "
                                "host, use 'netlab --rootless lab shell')\n");
                return 1;
        }
        code = nlab_rootless_enter(cli, false, false, false);
        if (code >= 0)
                return code;
        /* netlab inside the shell is uid 0 of the lab host: it must use this lab's state root */
        setenv("NETLAB_ROOT", cli->root, 1);
        if (argc > 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "netlab: error: lab shell: %s: %s\n", argv[0], strerror(errno));
                return errno == ENOENT ? 127 : 126;
        }
        if (!shell || !shell[0])
                shell = "/bin/sh";
        execl(shell, shell, (char *)NULL);
        fprintf(stderr, "netlab: error: lab shell: %s: %s\n", shell, strerror(errno));
        return 126;
}

static int lab_down(struct nlab_cli *cli)
{
        struct nlab_err err;
        int code;

        if (!cli->rootless) {
                fprintf(stderr, "netlab: error: root mode has no lab host to take down (to "
                                "remove everything netlab made: 'netlab system reset')\n");
                return 1;
        }
        code = nlab_rootless_enter(cli, false, true, true);
        if (code >= 0)
                return code;
        if (nlab_store_open(&cli->st, cli->root, &err) < 0 || nlab_system_reset(&cli->st, &err) < 0)
                return nlab_cli_fail(&err, false);
        nlab_store_close(&cli->st);
        return 0;
}

int nlab_cmd_lab(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        char msg[256];
        int code = 0;

        if (argc < 1)
                return nlab_cli_help("lab"), 1;
        if (nlab_cli_parse("lab", lab_flags, N_LAB_FLAGS, argc, argv, 1, &p, false, &code) != 0)
                return code;
        nlab_parsed_free(&p, N_LAB_FLAGS);
        if (!strcmp(argv[0], "status") && argc == 1)
                return lab_status(cli);
        if (!strcmp(argv[0], "down") && argc == 1)
                return lab_down(cli);
        if (!strcmp(argv[0], "shell"))
                return lab_shell(cli, argc - 1, argv + 1);
        snprintf(msg, sizeof(msg),
                 strcmp(argv[0], "status") && strcmp(argv[0], "down")
                     ? "unknown command \"lab %s\" (accepted: status, shell, down)"
                     : "\"lab %s\" takes no arguments",
                 argv[0]);
        return nlab_cli_usage_error("lab", msg, false);
}
