/* netlab stop / restart / kill / rm / exec / logs: one runtime call per named container. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/exec.h"
#include "runtime/ctr/logfile.h"
#include "runtime/base/proc.h"

static const struct {
        const char *name;
        int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},   {"STOP", SIGSTOP},
    {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH},
};

static int parse_signal(const char *s, int *sig, struct nlab_err *err)
{
        char *end;
        long n;
        size_t i;

        if (!strncasecmp(s, "SIG", 3))
                s += 3;
        n = strtol(s, &end, 10);
        if (*s && !*end && n > 0 && n < 65) {
                *sig = (int)n;
                return 0;
        }
        for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
                if (!strcasecmp(s, signals[i].name)) {
                        *sig = signals[i].sig;
                        return 0;
                }
        }
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid signal \"%s\": use a name like KILL, TERM, HUP or a number",
                            s);
}

static int parse_seconds(const char *s, int *out, struct nlab_err *err)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(s, &end, 10);
        if (!*s || *end || errno || n < -1 || n > 86400)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid timeout \"%s\": expected whole seconds (0 to 86400)",
                                    s);
        *out = (int)n;
        return 0;
}

typedef int (*per_ctr_fn)(struct nlab_cli *cli, const char *id, const struct nlab_parsed *p,
                          struct nlab_err *err);

/* Docker's multi-container commands: act on each, print each name, report each failure. */
static int for_each_ctr(struct nlab_cli *cli, const char *cmd, const struct nlab_flag *flags,
                        size_t nflags, int argc, char **argv, per_ctr_fn fn)
{
        struct nlab_parsed p = {0};
        char id[NLAB_ID_LEN + 1];
        struct nlab_err err;
        int code = 0, i;

        if (nlab_cli_parse(cmd, flags, nflags, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1) {
                char msg[128];
                snprintf(msg, sizeof(msg), "\"netlab %s\" requires at least 1 argument", cmd);
                code = nlab_cli_usage_error(cmd, msg, false);
                goto out;
        }
        for (i = 0; i < p.npos; i++) {
                if (nlab_store_resolve(&cli->st, p.pos[i], id, &err) < 0 ||
                    fn(cli, id, &p, &err) < 0) {
                        code = nlab_cli_fail(&err, false);
                        continue;
                }
                printf("%s\n", p.pos[i]);
        }
out:
        nlab_parsed_free(&p, nflags);
        return code;
}

static const struct nlab_flag stop_flags[] = {
    {"time", 't', NLAB_FLAG_VALUE, "timeout"},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_stop = NLAB_FLAGS(stop_flags);

static int timeout_of(const struct nlab_parsed *p, int *t, struct nlab_err *err)
{
        *t = 10;
        return p->value[0] ? parse_seconds(p->value[0], t, err) : 0;
}

static int do_stop(struct nlab_cli *cli, const char *id, const struct nlab_parsed *p,
                   struct nlab_err *err)
{
        int t;

        if (timeout_of(p, &t, err) < 0)
                return -1;
        return nlab_container_stop(&cli->st, id, t, err);
}

static int do_restart(struct nlab_cli *cli, const char *id, const struct nlab_parsed *p,
                      struct nlab_err *err)
{
        struct nlab_attach io = {0};
        struct nlab_shim_handle h;

        if (do_stop(cli, id, p, err) < 0)
                return -1;
        return nlab_container_start(&cli->st, id, &io, &h, err);
}

int nlab_cmd_stop(struct nlab_cli *cli, int argc, char **argv)
{
        return for_each_ctr(cli, "stop", stop_flags, 2, argc, argv, do_stop);
}

int nlab_cmd_restart(struct nlab_cli *cli, int argc, char **argv)
{
        return for_each_ctr(cli, "restart", stop_flags, 2, argc, argv, do_restart);
}

static const struct nlab_flag kill_flags[] = {
    {"signal", 's', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_kill = NLAB_FLAGS(kill_flags);

static int do_kill(struct nlab_cli *cli, const char *id, const struct nlab_parsed *p,
                   struct nlab_err *err)
{
        int sig = SIGKILL;

        if (p->value[0] && parse_signal(p->value[0], &sig, err) < 0)
                return -1;
        return nlab_container_kill(&cli->st, id, sig, err);
}

int nlab_cmd_kill(struct nlab_cli *cli, int argc, char **argv)
{
        return for_each_ctr(cli, "kill", kill_flags, 2, argc, argv, do_kill);
}

static const struct nlab_flag rm_flags[] = {
    {"force", 'f', NLAB_FLAG_BOOL, NULL},
    {"volumes", 'v', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_rm = NLAB_FLAGS(rm_flags);

static int do_rm(struct nlab_cli *cli, const char *id, const struct nlab_parsed *p,
                 struct nlab_err *err)
{
        return nlab_container_remove(&cli->st, id, p->set[0], err);
}

int nlab_cmd_rm(struct nlab_cli *cli, int argc, char **argv)
{
        return for_each_ctr(cli, "rm", rm_flags, 3, argc, argv, do_rm);
}

static const struct nlab_flag exec_flags[] = {
    {"detach", 'd', NLAB_FLAG_BOOL, NULL},   {"interactive", 'i', NLAB_FLAG_BOOL, NULL},
    {"tty", 't', NLAB_FLAG_BOOL, NULL},      {"env", 'e', NLAB_FLAG_LIST, NULL},
    {"workdir", 'w', NLAB_FLAG_VALUE, NULL}, {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_exec = NLAB_FLAGS(exec_flags);
#define N_EXEC_FLAGS (sizeof(exec_flags) / sizeof(exec_flags[0]))

static int run_exec(struct nlab_cli *cli, const struct nlab_parsed *p, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        struct nlab_exec_req req = {.stdio = {0, 1, 2}};
        struct nlab_stdio sio;
        int pid, r;

        if (nlab_store_resolve(&cli->st, p->pos[0], id, err) < 0)
                return -1;
        req.argv = p->pos + 1;
        req.env = &p->list[3];
        req.workdir = p->value[4];
        req.tty = p->set[2];
        req.detached = p->set[0];
        if (nlab_stdio_prepare(&sio, req.tty, p->set[1] && !p->set[0], p->set[0], err) < 0)
                return -1;
        memcpy(req.stdio, sio.fds, sizeof(req.stdio));
        r = nlab_exec_start(&cli->st, id, &req, &pid, err);
        nlab_stdio_spawned(&sio, r < 0);
        if (r < 0)
                return -1;
        if (p->set[0])
                return 0; /* detached: the helper process carries on by itself */
        if (sio.master >= 0) {
                nlab_tty_relay(sio.master, p->set[1]);
                close(sio.master);
        }
        return nlab_exec_wait(pid);
}

int nlab_exec_help_only(const char *cmd, int argc, char **argv)
{
        if (!nlab_cli_asks_help(exec_flags, N_EXEC_FLAGS, argc, argv, 1))
                return -1;
        return nlab_cli_help(cmd);
}

int nlab_cmd_exec(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("exec", exec_flags, N_EXEC_FLAGS, argc, argv, 1, &p, true, &code) != 0)
                goto out;
        if (p.npos < 2) {
                code = nlab_cli_usage_error("exec",
                                            "\"netlab exec\" requires at least 2 arguments: "
                                            "CONTAINER COMMAND [ARG...]",
                                            true);
                goto out;
        }
        code = run_exec(cli, &p, &err);
        if (code < 0)
                code = nlab_cli_fail(&err, true);
out:
        nlab_parsed_free(&p, N_EXEC_FLAGS);
        return code;
}

static const struct nlab_flag logs_flags[] = {
    {"follow", 'f', NLAB_FLAG_BOOL, NULL},
    {"tail", 'n', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_logs = NLAB_FLAGS(logs_flags);
#define N_LOGS_FLAGS (sizeof(logs_flags) / sizeof(logs_flags[0]))

/* Docker's --tail: "all" or a number of lines. */
static int parse_tail(const char *s, long *out, struct nlab_err *err)
{
        char *end;
        long n;

        *out = -1;
        if (!s || !strcmp(s, "all"))
                return 0;
        errno = 0;
        n = strtol(s, &end, 10);
        if (!*s || *end || errno || n < 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --tail \"%s\": expected a number of lines or \"all\"",
                                    s);
        *out = n;
        return 0;
}

/* Copy until caught up with the newest file; false if stdout is gone. */
static bool drain(struct nlab_log_reader *r)
{
        char buf[65536];
        ssize_t n;

        while ((n = nlab_log_reader_read(r, buf, sizeof(buf), NULL)) > 0)
                if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
                        return false;
        return fflush(stdout) == 0;
}

/* Follow until the container stops: poll the files, since inotify adds little here. */
static void follow(struct nlab_cli *cli, const char *id, struct nlab_log_reader *r)
{
        for (;;) {
                struct nlab_ctr_state state;
                if (!drain(r))
                        return;
                if (nlab_container_load(&cli->st, id, NULL, &state, NULL) < 0)
                        break;
                if (!nlab_container_running(&state)) {
                        drain(r);
                        break;
                }
                poll(NULL, 0, 50);
        }
}

static int show_logs(struct nlab_cli *cli, const struct nlab_parsed *p, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], path[PATH_MAX];
        struct nlab_log_reader r;
        long tail;

        if (parse_tail(p->value[1], &tail, err) < 0 ||
            nlab_store_resolve(&cli->st, p->pos[0], id, err) < 0 ||
            nlab_store_path(&cli->st, path, sizeof(path), "containers", id, "log", err) < 0 ||
            nlab_log_reader_open(&r, path, tail, err) < 0)
                return -1;
        if (p->set[0])
                follow(cli, id, &r);
        else
                drain(&r);
        nlab_log_reader_close(&r);
        return 0;
}

int nlab_cmd_logs(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("logs", logs_flags, N_LOGS_FLAGS, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 1) {
                code = nlab_cli_usage_error("logs", "\"netlab logs\" requires exactly 1 argument",
                                            false);
                goto out;
        }
        if (show_logs(cli, &p, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, N_LOGS_FLAGS);
        return code;
}
