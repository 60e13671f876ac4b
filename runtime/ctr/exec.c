#include "runtime/ctr/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ctr/caps.h"
#include "runtime/ctr/cgroup.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/exitcode.h"
#include "runtime/ctr/image.h"
#include "runtime/base/proc.h"
#include "runtime/ctr/sandbox.h"
#include "runtime/ctr/seccomp_cache.h"
#include "runtime/ctr/sigrelay.h"

struct exec_plan {
        int pidfd; /* the container's first process, pinned (no pid reuse) */
        uint64_t caps;
        char **env;
        struct nlab_strv env_owned;
        const char *workdir;
        char *workdir_owned;
        struct sock_fprog seccomp; /* the container's filter; filter NULL: none */
        struct rlimit nproc;       /* rootless: the first process's RLIMIT_NPROC (no cgroup) */
};

static void plan_free(struct exec_plan *plan)
{
        nlab_strv_free(&plan->env_owned);
        free(plan->workdir_owned);
        nlab_seccomp_free(&plan->seccomp);
        if (plan->pidfd >= 0)
                close(plan->pidfd);
        plan->pidfd = -1;
}

/* In the process that has joined the container: become the command. */
static void exec_in_container(const struct nlab_exec_req *req, const struct exec_plan *plan,
                              int err_fd)
{
        struct nlab_sandbox_failure f = {0};
        struct nlab_err err;
        size_t i;
        int k;

        nlab_sigrelay_reset();
        setsid();
        for (k = 0; k < 3; k++)
                if (req->stdio[k] >= 0)
                        dup2(req->stdio[k], k);
        if (req->tty)
                ioctl(0, TIOCSCTTY, 0);
        if (plan->workdir && plan->workdir[0] && chdir(plan->workdir) < 0) {
                f.errnum = errno;
                snprintf(f.what, sizeof(f.what), "chdir %s", plan->workdir);
                goto fail;
        }
        if (setrlimit(RLIMIT_NPROC, &plan->nproc) < 0) {
                f.errnum = errno;
                snprintf(f.what, sizeof(f.what), "set RLIMIT_NPROC");
                goto fail;
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || nlab_caps_apply(plan->caps, &err) < 0) {
                f.errnum = errno ? errno : EPERM;
                snprintf(f.what, sizeof(f.what), "drop capabilities");
                goto fail;
        }
        clearenv();
        for (i = 0; plan->env[i]; i++)
                putenv(plan->env[i]);
        if (plan->seccomp.filter &&
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &plan->seccomp) < 0) {
                f.errnum = errno;
                snprintf(f.what, sizeof(f.what), "load seccomp filter");
                goto fail;
        }
        execvp(req->argv[0], req->argv);
        f.stage = 1;
        f.errnum = errno;
        snprintf(f.what, sizeof(f.what), "%s", req->argv[0]);
fail:
        if (write(err_fd, &f, sizeof(f)) < 0) {
                /* the exit code still tells */
        }
        _exit(f.stage == 1 ? (f.errnum == ENOENT ? 127 : 126) : 125);
}

/* "not running", with why for the notes' `run -d --name c1 busybox`: its shell, with no
 * terminal and no stdin, reads end of input and exits at once. */
static int not_running(const struct nlab_ctr_config *cfg, struct nlab_err *err)
{
        const char *cmd = cfg->cmd.n == 1 ? cfg->cmd.v[0] : "";
        const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;

        if (!cfg->tty && !cfg->open_stdin && !strcmp(base, "sh"))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "container %s is not running: its command, sh, exits at once "
                                    "without -it; start it with run -itd, or give it a command "
                                    "(busybox sleep 1d)",
                                    cfg->name);
        return nlab_err_set(err, NLAB_E_CONFLICT, "container %s is not running", cfg->name);
}

/* The join failed with ESRCH: the container's process ended between load and join. */
static int ended_meanwhile(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg;

        if (nlab_container_load(st, id, &cfg, &state, err) < 0)
                return -1;
        not_running(&cfg, err);
        nlab_ctr_config_free(&cfg);
        return -1;
}

static int build_plan(struct nlab_store *st, const char *id, const struct nlab_exec_req *req,
                      struct exec_plan *plan, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg;
        struct nlab_strv all = {0};
        struct rlimit own;
        char line[300];
        int r = -1;

        if (nlab_container_load(st, id, &cfg, &state, err) < 0)
                return -1;
        if (!nlab_container_running(&state)) {
                not_running(&cfg, err);
                goto out;
        }
        plan->pidfd = nlab_proc_pidfd(state.pid, state.pid_start, err);
        if (plan->pidfd < 0 && err->kind == NLAB_E_CONFLICT) { /* it exited since the load */
                not_running(&cfg, err);
                goto out;
        }
        if (plan->pidfd < 0) {
                nlab_err_prefix(err, "container %s", cfg.name);
                goto out;
        }
        /* without a cgroup (rootless) the pids bound is the first process's RLIMIT_NPROC; never
         * above our own, which a user namespace may not raise */
        getrlimit(RLIMIT_NPROC, &own);
        plan->nproc = own;
        if (prlimit(state.pid, RLIMIT_NPROC, NULL, &plan->nproc) < 0)
                plan->nproc = own;
        if (plan->nproc.rlim_max > own.rlim_max)
                plan->nproc.rlim_max = own.rlim_max;
        if (plan->nproc.rlim_cur > plan->nproc.rlim_max)
                plan->nproc.rlim_cur = plan->nproc.rlim_max;
        nlab_strv_append(&all, &cfg.env);
        snprintf(line, sizeof(line), "HOSTNAME=%s", cfg.hostname);
        nlab_strv_push(&all, line);
        nlab_strv_push(&all, "HOME=/root");
        if (req->tty)
                nlab_strv_push(&all, "TERM=xterm");
        nlab_strv_append(&all, req->env);
        if (nlab_caps_compute(&cfg.cap_add, &cfg.cap_drop, cfg.privileged, &plan->caps, err) < 0) {
                nlab_strv_free(&all);
                goto out;
        }
        /* the same filter as the container's first process, as Docker does for exec */
        if (nlab_seccomp_for(st->root, &cfg.security_opt, cfg.privileged, plan->caps,
                             &plan->seccomp, err) < 0) {
                nlab_strv_free(&all);
                goto out;
        }
        plan->env_owned = all;
        plan->env = all.v;
        plan->workdir_owned = strdup(cfg.workdir ? cfg.workdir : "");
        plan->workdir = req->workdir ? req->workdir : plan->workdir_owned;
        r = 0;
out:
        nlab_ctr_config_free(&cfg);
        return r;
}

/* Non-dumpable first (CVE-2019-5736): once in the container's namespaces, its processes must
 * not be able to open our /proc/PID/exe (the host's netlab binary) or read our memory. The
 * flag passes to the child forked inside and lasts until it execs the command. */
static int join(int pidfd, struct nlab_err *err)
{
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return nlab_err_sys(err, errno, "make the exec process non-dumpable");
        return nlab_proc_setns(
            pidfd, CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS, err);
}

/* A foreground exec whose netlab is killed (SIGKILL, a closed terminal) leaves nothing running:
 * the helper gets SIGHUP then, and relays it to the command, as a terminal that went away would. */
static void hang_up_with(pid_t caller)
{
        prctl(PR_SET_PDEATHSIG, SIGHUP);
        if (getppid() != caller) /* gone before the line above */
                raise(SIGHUP);
}

int nlab_exec_start(struct nlab_store *st, const char *id, const struct nlab_exec_req *req,
                    int *pid, struct nlab_err *err)
{
        struct exec_plan plan = {.pidfd = -1};
        struct nlab_sandbox_failure f;
        int errp[2];
        pid_t child, caller;
        ssize_t n;

        if (build_plan(st, id, req, &plan, err) < 0) {
                plan_free(&plan);
                return -1;
        }
        if (pipe2(errp, O_CLOEXEC) < 0) {
                plan_free(&plan);
                return nlab_err_sys(err, errno, "pipe");
        }
        /* From here, a signal to us is for the command: the helper and then we relay it. */
        nlab_sigrelay_block();
        caller = getpid();
        child = fork();
        if (child < 0) {
                int e = errno;
                nlab_sigrelay_unblock();
                plan_free(&plan);
                close(errp[0]);
                close(errp[1]);
                return nlab_err_sys(err, e, "fork");
        }
        if (child == 0) {
                pid_t inner;
                close(errp[0]);
                /* The container's device rules and limits apply to what exec runs too. */
                if (nlab_cgroup_join_self(st, id, err) < 0 || join(plan.pidfd, err) < 0) {
                        struct nlab_sandbox_failure jf = {.errnum = err->errnum};
                        snprintf(jf.what, sizeof(jf.what), "%s", err->msg);
                        if (write(errp[1], &jf, sizeof(jf)) < 0) {
                                /* the exit code still tells */
                        }
                        _exit(125);
                }
                /* Its own process group: a Ctrl-C on the terminal reaches the command once,
                 * through us, not a second time through the helper. */
                setpgid(0, 0);
                if (!req->detached)
                        hang_up_with(caller);
                /* Joining a pid namespace applies to children: fork once more. */
                inner = fork();
                if (inner == 0)
                        exec_in_container(req, &plan, errp[1]);
                close(errp[1]);
                _exit(inner < 0 ? 125 : nlab_exit_code(nlab_sigrelay_child(inner, false)));
        }
        close(errp[1]);
        plan_free(&plan);
        n = read(errp[0], &f, sizeof(f));
        close(errp[0]);
        *pid = child;
        if (n != (ssize_t)sizeof(f))
                return 0;
        nlab_sigrelay_child(child, false);
        f.what[sizeof(f.what) - 1] = '\0';
        if (f.stage == 1 && f.errnum == ENOENT)
                return nlab_image_cmd_not_found(f.what, err);
        if (f.stage == 1)
                return nlab_err_set(err, NLAB_E_NOEXEC, "exec: \"%s\": %s", f.what,
                                    strerror(f.errnum));
        if (f.errnum == ESRCH)
                return ended_meanwhile(st, id, err);
        return nlab_err_set(err, NLAB_E_SYSTEM, "exec: %s%s%s", f.what, f.errnum ? ": " : "",
                            f.errnum ? strerror(f.errnum) : "");
}

int nlab_exec_wait(int pid)
{
        return nlab_exit_code(nlab_sigrelay_child(pid, false));
}
