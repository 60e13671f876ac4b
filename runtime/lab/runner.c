/* The scenario engine's step loop and the lab around it. */
#include "runtime/lab/runner.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "runtime/base/userns.h"
#include "runtime/ctr/container.h"
#include "runtime/lab/internal.h"
#include "runtime/lab/labhost.h"
#include "runtime/lab/party.h"

#define COMMAND_TIMEOUT_S 120

/* Ctrl-C in the lab's worker: finish the step, skip the rest, remove the lab. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
        (void)sig;
        interrupted = 1;
}

struct run {
        struct lab_ctx c;
        const struct nlab_runner_ops *ops;
        void *ctx;
        struct nlab_run_summary sum;
        bool aborted;
        bool check;        /* scenario check: the lab is there already, commands do not run */
        bool step;         /* --step: ops->ask before each step */
        bool foreground;   /* the worker holds the terminal's foreground (nlab_run_opts) */
        unsigned began_ms; /* when the current step began */
};

int lab_exit_code(int status)
{
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static pid_t spawn_self(const struct lab_ctx *c, char *const *args, size_t nargs, int out_fd)
{
        char *argv[nargs + 4];
        pid_t pid;
        int devnull;

        argv[0] = "netlab";
        argv[1] = "--root";
        argv[2] = (char *)c->root;
        memcpy(argv + 3, args, nargs * sizeof(char *));
        argv[nargs + 3] = NULL;
        fflush(stdout);
        pid = fork();
        if (pid != 0)
                return pid;
        signal(SIGINT, SIG_DFL);
        if (c->own_group)
                setpgid(0, 0);
        devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(out_fd, 2);
        execv(c->self, argv);
        _exit(127);
}

/* Keep what fits, drop the rest: a full pipe must not stall the command. Returns read's result;
 * EOF or an error other than "nothing yet" sets eof. */
static ssize_t read_some(int fd, char *out, size_t size, size_t *used, bool *eof)
{
        char scratch[4096];
        bool room = *used + 1 < size;
        ssize_t n =
            room ? read(fd, out + *used, size - *used - 1) : read(fd, scratch, sizeof(scratch));

        if (n > 0 && room)
                *used += (size_t)n;
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                *eof = true;
        return n;
}

/* Block until the command exits (its pidfd), collecting its output meanwhile. The pipe may never
 * reach EOF: a shim the command spawned keeps a copy of it. After Ctrl-C the command has a second
 * to end (it had the terminal's SIGINT too; `run` passes it to a container that may ignore it). */
static int collect(pid_t pid, int fd, char *out, size_t size, int *status,
                   volatile sig_atomic_t *interrupted)
{
        time_t deadline = time(NULL) + COMMAND_TIMEOUT_S;
        bool hurried = false;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        size_t used = 0;
        bool eof = false, killed = false;

        if (pidfd < 0)
                return -1;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        for (;;) {
                struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = eof ? -1 : fd, .events = POLLIN}};
                time_t left;
                int n;
                if (interrupted && *interrupted && !hurried) {
                        hurried = true;
                        deadline = time(NULL) + 1;
                }
                left = deadline - time(NULL);
                n = poll(p, 2, killed ? -1 : (left > 0 ? (int)left * 1000 : 0));
                if (n == 0 && !killed) {
                        kill(pid, SIGKILL);
                        killed = true;
                }
                if (n > 0 && p[1].revents)
                        read_some(fd, out, size, &used, &eof);
                if (n > 0 && p[0].revents)
                        break;
        }
        close(pidfd);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
        /* what is already in the pipe; a shim's copy may keep it open, so no waiting for EOF */
        while (!eof && read_some(fd, out, size, &used, &eof) > 0)
                ;
        out[used] = '\0';
        return 0;
}

int lab_self_exec(const struct lab_ctx *c, char *const *args, size_t nargs, char *out, size_t size,
                  int *status)
{
        int pfd[2], r;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        pid = spawn_self(c, args, nargs, pfd[1]);
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return -1;
        }
        r = collect(pid, pfd[0], out, size, status, c->interrupted);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, status, 0);
        }
        close(pfd[0]);
        return r;
}

static void report(struct run *r, const struct nlab_step *st, const struct nlab_step_result *res)
{
        struct nlab_step_result out = *res;

        out.ms = lab_mono_ms() - r->began_ms;
        r->ops->result(r->ctx, st, &out);
}

static void report_mark(struct run *r, const struct nlab_step *st, enum nlab_mark mark,
                        const char *text, const char *why, const char *output)
{
        struct nlab_step_result res = {
            .mark = mark, .text = text, .why = why, .output = output, .evidence = why};

        report(r, st, &res);
}

static void step_command(struct run *r, const struct nlab_step *st)
{
        char out[8192], why[64];
        int status = 0;

        if (lab_self_exec(&r->c, st->argv, st->argc, out, sizeof(out), &status) < 0) {
                snprintf(out, sizeof(out), "cannot run %s: %s", r->c.self, strerror(errno));
                status = 1 << 8;
        }
        if (lab_exit_code(status) == 0) {
                report_mark(r, st, NLAB_MARK_OK, st->text, NULL, out);
                return;
        }
        if (interrupted) { /* Ctrl-C ended it: not the command's failure */
                r->sum.skipped++;
                report_mark(r, st, NLAB_MARK_SKIP, st->text, NULL, out);
                return;
        }
        snprintf(why, sizeof(why), "exit status %d: the lab cannot go on", lab_exit_code(status));
        report_mark(r, st, NLAB_MARK_FAIL, st->text, why, out);
        r->sum.failed++;
        r->aborted = true;
}

static void step_external(struct run *r, const struct nlab_step *st)
{
        struct nlab_external *x = &r->c.ext[r->c.next];
        struct nlab_err err;
        char text[256];

        if (r->c.next == LAB_MAX_EXTERNALS ||
            nlab_external_create(st->argv[0], st->argv[1], (unsigned)r->c.next + 1, x, &err) < 0) {
                report_mark(r, st, NLAB_MARK_FAIL, st->text,
                            r->c.next == LAB_MAX_EXTERNALS ? "too many external hosts" : err.msg,
                            NULL);
                r->sum.failed++;
                r->aborted = true;
                return;
        }
        r->c.next++;
        snprintf(text, sizeof(text), "external host %s at %s", x->name, inet_ntoa(x->addr));
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " (the lab host is %s)",
                 inet_ntoa(x->host_addr));
        report_mark(r, st, NLAB_MARK_OK, text, NULL, NULL);
}

/* scenario check: the test host must be there already: `netlab external add NAME`, or made by
 * hand (ip netns add NAME). */
static void step_external_check(struct run *r, const struct nlab_step *st)
{
        struct nlab_external *x = &r->c.ext[r->c.next];
        char path[64], text[160];

        if (r->c.next < LAB_MAX_EXTERNALS &&
            nlab_external_load(&r->c.st, st->argv[0], x, NULL) == 0 &&
            x->state == NLAB_EXTERNAL_UP) {
                r->c.next++;
                snprintf(text, sizeof(text), "external host %s at %s", x->name, inet_ntoa(x->addr));
                report_mark(r, st, NLAB_MARK_OK, text, NULL, NULL);
                return;
        }
        snprintf(path, sizeof(path), "/run/netns/%s", st->argv[0]);
        if (access(path, F_OK) == 0) {
                snprintf(text, sizeof(text), "external host %s (%s)", st->argv[0], path);
                report_mark(r, st, NLAB_MARK_OK, text, NULL, NULL);
                return;
        }
        snprintf(text, sizeof(text),
                 "external host %s does not exist (add it: netlab external add %s)", st->argv[0],
                 st->argv[0]);
        report_mark(r, st, NLAB_MARK_FAIL, st->text, text, NULL);
        r->sum.failed++;
}

/* A negative verdict is explained whether or not it held (the lesson is in the why); a positive
 * one only when it failed. */
static bool wants_why(const struct nlab_expect *ex, bool held)
{
        return !held || ex->kind == NLAB_EXPECT_CANNOT_REACH ||
               ex->kind == NLAB_EXPECT_CANNOT_RESOLVE;
}

/* "because REASON" holds only when diagnose found that very reason. */
static void check_because(const struct nlab_expect *ex, const struct nlab_diag_why *why,
                          struct lab_outcome *o)
{
        size_t len = strlen(o->saw);

        if (!o->held || ex->because == NLAB_REASON_NONE || why->reason == ex->because)
                return;
        o->held = false;
        snprintf(o->saw + len, sizeof(o->saw) - len,
                 "; it holds, but not because %s: the reason found is %s",
                 nlab_reason_name(ex->because),
                 why->reason == NLAB_REASON_NONE ? "none" : nlab_reason_name(why->reason));
}

static void step_expect(struct run *r, const struct nlab_step *st)
{
        const struct nlab_expect *ex = &st->ex;
        struct nlab_step_result res = {.text = st->text};
        struct lab_outcome o = {0};
        struct nlab_diag_why w = {0};
        char why[1536];
        struct nlab_err err;

        if (lab_check(&r->c, ex, &o, &err) < 0) {
                o.held = false;
                snprintf(o.saw, sizeof(o.saw), "%s", err.msg);
        }
        if (wants_why(ex, o.held))
                lab_explain(&r->c, ex, &o, &w);
        check_because(ex, &w, &o);
        snprintf(why, sizeof(why), "%s%s",
                 ex->xfail && o.held ? "held, but this lab shows it failing: " : "", o.saw);
        if (w.text[0] && w.reason != NLAB_REASON_NONE)
                snprintf(why + strlen(why), sizeof(why) - strlen(why), "\nwhy (%s): %s",
                         nlab_reason_name(w.reason), w.text);
        else if (w.text[0] && !o.held)
                snprintf(why + strlen(why), sizeof(why) - strlen(why), "\nwhy: %s", w.text);
        res.why = why;
        res.evidence = o.saw;
        res.reason = w.text[0] ? w.text : NULL;
        res.reason_code = w.reason != NLAB_REASON_NONE ? nlab_reason_name(w.reason) : NULL;
        if (o.held && !ex->xfail) {
                r->sum.passed++;
                res.mark = NLAB_MARK_OK;
        } else if (ex->xfail && !o.held) {
                r->sum.xfailed++;
                res.mark = NLAB_MARK_XFAIL;
        } else {
                r->sum.failed++;
                res.mark = NLAB_MARK_FAIL;
        }
        report(r, st, &res);
}

/* tcsetpgrp from a process not in the foreground stops it with SIGTTOU unless that is blocked. */
static void give_terminal(pid_t pgrp)
{
        sigset_t ttou, old;

        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        tcsetpgrp(STDIN_FILENO, pgrp);
        sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The shell's child: the lab's state root, this netlab first on the PATH, the terminal's
 * foreground of its own (Ctrl-C in the shell must not reach the lab's worker). */
static _Noreturn void exec_shell(const struct lab_ctx *c, bool foreground)
{
        const char *shell = getenv("SHELL"), *path = getenv("PATH");
        char dir[PATH_MAX], newpath[PATH_MAX + 4096];
        char *slash;

        if (foreground && setpgid(0, 0) == 0)
                give_terminal(getpid());
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL); /* the CLI ignores it; the shell's pipelines must not */
        snprintf(dir, sizeof(dir), "%s", c->self);
        slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        snprintf(newpath, sizeof(newpath), "%s:%s", dir,
                 path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
        setenv("PATH", newpath, 1);
        setenv("NETLAB_ROOT", c->root, 1);
        setenv("PS1", "lab# ", 1);
        if (!shell || shell[0] != '/' || access(shell, X_OK) < 0)
                shell = "/bin/sh";
        execl(shell, shell, "-i", (char *)NULL);
        _exit(127);
}

/* A shell in the lab host (its network, mounts and pids), until it exits; the terminal's
 * foreground then comes back to the worker. */
static void lab_shell(const struct run *r)
{
        struct termios saved;
        bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
        pid_t pid;

        fflush(stdout);
        pid = fork();
        if (pid == 0)
                exec_shell(&r->c, r->foreground);
        if (pid < 0)
                return;
        if (r->foreground)
                setpgid(pid, pid); /* whichever of the two runs first */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r->foreground)
                give_terminal(getpgrp());
        if (tty)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

/* --step: ask until the answer is to go on; false when the run stops here (q or Ctrl-C). */
static bool ask_go(struct run *r, const struct nlab_step *st)
{
        for (;;) {
                enum nlab_step_answer a = r->ops->ask(r->ctx, st);
                if (interrupted)
                        return false;
                if (a == NLAB_STEP_GO)
                        return true;
                if (a == NLAB_STEP_QUIT) {
                        interrupted = 1; /* as Ctrl-C: skip the rest, remove the lab, 130 */
                        return false;
                }
                lab_shell(r);
        }
}

static void run_step(struct run *r, const struct nlab_step *st)
{
        if (st->kind == NLAB_STEP_NOTE) {
                r->ops->note(r->ctx, st);
                return;
        }
        if (r->check && st->kind == NLAB_STEP_COMMAND)
                return; /* the lab was built by hand */
        r->began_ms = lab_mono_ms();
        if (r->aborted || interrupted) {
                r->sum.skipped++;
                report_mark(r, st, NLAB_MARK_SKIP, st->text, NULL, NULL);
                return;
        }
        r->ops->begin(r->ctx, st);
        if (r->step && r->ops->ask && !ask_go(r, st)) {
                r->sum.skipped++;
                report_mark(r, st, NLAB_MARK_SKIP, st->text, NULL, NULL);
                return;
        }
        r->began_ms = lab_mono_ms(); /* the prompt's wait is not the step's time */
        lab_capture_arm(&r->c, st);
        if (st->kind == NLAB_STEP_COMMAND)
                step_command(r, st);
        else if (st->kind == NLAB_STEP_EXTERNAL && r->check)
                step_external_check(r, st);
        else if (st->kind == NLAB_STEP_EXTERNAL)
                step_external(r, st);
        else
                step_expect(r, st);
        lab_capture_collect(&r->c, st);
}

/* Containers' cgroups live outside the lab's namespaces: remove the containers as rm -f does
 * before the lab ends, or their cgroups would outlive it. */
static void remove_containers(struct nlab_store *st)
{
        char **ids;
        size_t i, n;

        if (nlab_store_list(st, &ids, &n, NULL) < 0)
                return;
        for (i = 0; i < n; i++)
                nlab_container_remove(st, ids[i], true, NULL);
        nlab_store_free_list(ids, n);
}

/* In the lab's worker: every step, then the lab's own cleanup. Returns the exit status. */
static int run_in_lab(const struct nlab_scenario *s, const struct nlab_run_opts *o,
                      const struct nlab_runner_ops *ops, void *ctx, const char *root,
                      const char *self)
{
        struct sigaction sa = {.sa_handler = on_interrupt};
        struct run r = {.ops = ops, .ctx = ctx, .step = o->step, .foreground = o->foreground};
        unsigned t0 = lab_mono_ms();
        struct nlab_err err;
        size_t i;

        /* A process group of the lab's own in the foreground: Ctrl-C reaches the worker and its
         * commands, and a shell can give the terminal back to it by a pid it can name. */
        if (r.foreground && setpgid(0, 0) == 0)
                give_terminal(getpid());
        r.c.self = self;
        r.c.root = root;
        r.c.interrupted = &interrupted;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (nlab_store_open(&r.c.st, root, &err) < 0) {
                r.sum.error = err.msg;
                ops->done(ctx, s, &r.sum);
                return 1;
        }
        for (i = 0; i < s->nsteps; i++)
                run_step(&r, &s->steps[i]);
        for (i = 0; i < r.c.next; i++)
                nlab_external_destroy(&r.c.ext[i]);
        if (!o->keep)
                remove_containers(&r.c.st);
        r.sum.interrupted = interrupted;
        r.sum.ms = lab_mono_ms() - t0;
        ops->done(ctx, s, &r.sum);
        fflush(stdout);
        nlab_store_close(&r.c.st);
        if (interrupted)
                return 130;
        return r.sum.failed ? 1 : 0;
}

unsigned nlab_scenario_results(const struct nlab_scenario *s, bool check)
{
        unsigned n = 0;
        size_t i;

        for (i = 0; i < s->nsteps; i++)
                n += s->steps[i].kind != NLAB_STEP_NOTE &&
                     !(check && s->steps[i].kind == NLAB_STEP_COMMAND);
        return n;
}

/* The running lab is read, never changed: no lock, no cleanup, and a state root that is not
 * there is not made. */
int nlab_scenario_check(const struct nlab_scenario *s, const char *root,
                        const struct nlab_runner_ops *ops, void *ctx, struct nlab_err *err)
{
        struct run r = {.ops = ops, .ctx = ctx, .check = true};
        static volatile sig_atomic_t never;
        char self[PATH_MAX], records[PATH_MAX];
        unsigned t0 = lab_mono_ms();
        ssize_t n;
        size_t i;

        assert(s && root && ops);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return nlab_err_sys(err, errno, "/proc/self/exe");
        self[n] = '\0';
        snprintf(records, sizeof(records), "%s/containers", root);
        if (access(records, F_OK) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "state root %s holds no lab (no %s): nothing to check", root,
                                    records);
        if (nlab_store_open(&r.c.st, root, err) < 0)
                return -1;
        r.c.self = self;
        r.c.root = root;
        r.c.interrupted = &never;
        r.c.party_flags = NLAB_PARTY_NAMED_NETNS;
        ops->start(ctx, s);
        for (i = 0; i < s->nsteps; i++)
                run_step(&r, &s->steps[i]);
        r.sum.ms = lab_mono_ms() - t0;
        ops->done(ctx, s, &r.sum);
        nlab_store_close(&r.c.st);
        return r.sum.failed ? 1 : 0;
}

int nlab_scenario_run(const struct nlab_scenario *s, const struct nlab_run_opts *o,
                      const struct nlab_runner_ops *ops, void *ctx, struct nlab_run_lab *lab,
                      struct nlab_err *err)
{
        char self[PATH_MAX];
        struct nlab_lab l;
        ssize_t n;
        int r, code;

        assert(s && o && ops && lab);
        memset(lab, 0, sizeof(*lab));
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
                nlab_err_sys(err, errno, "/proc/self/exe");
                return -2;
        }
        self[n] = '\0';
        /* a rootless lab host may not write the host's /run: its own sandboxes go in /tmp */
        snprintf(lab->dir, sizeof(lab->dir), "%s/netlab-lab.XXXXXX",
                 nlab_userns_nested() ? "/tmp" : "/run");
        if (!mkdtemp(lab->dir)) {
                nlab_err_sys(err, errno, "scenario %s: mkdtemp %s", s->file, lab->dir);
                return -2;
        }
        ops->start(ctx, s);
        r = nlab_lab_spawn(lab->dir, o->keep, &l, err);
        if (r == 0) {
                fflush(stdout);
                _exit(run_in_lab(s, o, ops, ctx, lab->dir, self));
        }
        if (r < 0) {
                rmdir(lab->dir);
                nlab_err_prefix(err, "scenario %s", s->file);
                return -2;
        }
        code = nlab_lab_wait(&l); /* without keep, the lab's outer removed lab->dir */
        lab->init = l.init;
        return code;
}
