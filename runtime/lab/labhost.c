/* The scenario sandbox (a lab host of its own) and external test hosts beside it. */
#include "runtime/lab/labhost.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/kernel/endpoint.h"
#include "runtime/kernel/link.h"
#include "runtime/base/proc.h"
#include "runtime/base/store.h"
#include "runtime/ctr/cgroup.h"

/* What the lab's processes tell the caller, in order: the init's pid, then the status. */
struct lab_report {
        int kind; /* 0 pid, 1 status, 2 setup failed */
        int value;
        char msg[200];
};

static void report(int fd, int kind, int value, const char *msg)
{
        struct lab_report r = {.kind = kind, .value = value};

        if (msg)
                snprintf(r.msg, sizeof(r.msg), "%s", msg);
        if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
                return; /* the caller is gone; nothing to tell */
}

static int read_report(int fd, struct lab_report *r)
{
        size_t got = 0;

        while (got < sizeof(*r)) {
                ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        return 0;
}

/* Inside the new namespaces, as their pid 1: private mounts, the tmpfs, a /proc for this pid
 * namespace, lo up. */
static int lab_mounts(const char *dir, char *msg, size_t size)
{
        struct nlab_err err;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                snprintf(msg, size, "make mounts private: %s", strerror(errno));
                return -1;
        }
        if (mount("netlab-lab", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0) {
                snprintf(msg, size, "mount tmpfs on %s: %s", dir, strerror(errno));
                return -1;
        }
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                snprintf(msg, size, "mount /proc: %s", strerror(errno));
                return -1;
        }
        if (nlab_netns_lo_up("/proc/self/ns/net", &err) < 0) {
                snprintf(msg, size, "%s", err.msg);
                return -1;
        }
        return 0;
}

static volatile sig_atomic_t lab_stop;

static void on_term(int sig)
{
        (void)sig;
        lab_stop = 1;
}

/* The lab's init: reap everything (shims double-fork and land here) until the worker ends,
 * report its status, and with keep stay up until SIGTERM. */
static _Noreturn void lab_init(pid_t worker, bool keep, int fd)
{
        struct sigaction sa = {.sa_handler = on_term};
        int status, code = -1;
        pid_t p;

        sigaction(SIGTERM, &sa, NULL);
        for (;;) {
                p = wait(&status);
                if (p == worker) {
                        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                        break;
                }
                if (p < 0 && errno == ECHILD)
                        break;
        }
        if (keep) {
                int null = open("/dev/null", O_RDWR);
                prctl(PR_SET_PDEATHSIG, 0);
                dup2(null, 0), dup2(null, 1), dup2(null, 2);
                report(fd, 1, code, NULL);
                close(fd);
                while (!lab_stop)
                        if (wait(NULL) < 0 && errno == ECHILD)
                                pause();
                _exit(0);
        }
        report(fd, 1, code, NULL);
        _exit(code < 0 ? 1 : 0);
}

/* Runs in C1 after unshare: becomes the pid namespace's init, which forks the worker. Returns
 * only in the worker. */
static int lab_start(const char *dir, bool keep, int fd)
{
        char msg[200];
        pid_t worker;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (lab_mounts(dir, msg, sizeof(msg)) < 0) {
                report(fd, 2, 0, msg);
                _exit(1);
        }
        worker = fork();
        if (worker < 0) {
                report(fd, 2, 0, "fork the lab worker");
                _exit(1);
        }
        if (worker == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                return 0;
        }
        lab_init(worker, keep, fd);
}

int nlab_lab_read_start(int fd, pid_t *init, struct nlab_err *err)
{
        struct lab_report r;

        /* a short read leaves r undefined: only a whole report may be looked at */
        if (read_report(fd, &r) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "lab sandbox: it ended before it started");
        if (r.kind != 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "lab sandbox: %.*s", (int)sizeof(r.msg),
                                    r.kind == 2 ? r.msg : "it ended before it started");
        *init = r.value;
        return 0;
}

/* The lab's pid 1 as its parent, the outer, sees it; and whether the caller died. */
static volatile sig_atomic_t outer_init, caller_died;

/* PDEATHSIG: the caller is gone, so the lab ends now; its leftovers go once pid 1 is gone. */
static void on_caller_death(int sig)
{
        (void)sig;
        caller_died = 1;
        if (outer_init > 0)
                kill(outer_init, SIGKILL);
}

/* The caller died before PDEATHSIG was set: nobody holds the report pipe's read end. */
static bool caller_gone(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLOUT};

        return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static bool is_mount_point(const char *dir)
{
        char parent[PATH_MAX];
        struct stat a, b;

        snprintf(parent, sizeof(parent), "%s/..", dir);
        return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* What outlives the lab's pid namespace: its containers' cgroups (the records are on the
 * tmpfs) and the mount point. The tmpfs is mounted only in the lab's mount namespace, which
 * the outer shares: unmounted here, the directory is an empty one of the host's. */
static void remove_leftovers(const char *dir)
{
        struct nlab_store st;
        char **ids;
        size_t i, n;

        if (is_mount_point(dir) && nlab_store_open(&st, dir, NULL) == 0) {
                if (nlab_store_list(&st, &ids, &n, NULL) == 0) {
                        for (i = 0; i < n; i++)
                                nlab_cgroup_remove(&st, ids[i]);
                        nlab_store_free_list(ids, n);
                }
                nlab_store_close(&st);
                umount2(dir, MNT_DETACH);
        }
        rmdir(dir);
}

/* The outer: the caller's child that makes the namespaces and forks pid 1 into them, then waits
 * for it and removes what the lab leaves on the host, also when the caller was killed. Returns
 * only in the lab's worker. */
static int outer_main(const char *dir, bool keep, int fd)
{
        struct sigaction sa = {.sa_handler = on_caller_death};
        pid_t init;

        signal(SIGINT, SIG_IGN);  /* the worker handles Ctrl-C and ends the lab */
        signal(SIGPIPE, SIG_IGN); /* a report to a dead caller must not end the cleanup */
        sigaction(SIGTERM, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (caller_gone(fd)) {
                rmdir(dir);
                _exit(1);
        }
        if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) < 0) {
                char msg[128];
                snprintf(msg, sizeof(msg), "unshare: %s", strerror(errno));
                report(fd, 2, 0, msg);
                _exit(1);
        }
        init = fork();
        if (init == 0) {
                signal(SIGTERM, SIG_DFL);
                signal(SIGPIPE, SIG_DFL);
                return lab_start(dir, keep, fd);
        }
        outer_init = init;
        if (caller_died && init > 0)
                kill(init, SIGKILL);
        report(fd, init < 0 ? 2 : 0, init, init < 0 ? "fork the lab init" : NULL);
        /* A group of its own, so that a kill of the caller's whole group still leaves the outer
         * to clean up; pid 1 and the worker stay in the caller's, where Ctrl-C reaches them. */
        setpgid(0, 0);
        while (init > 0 && waitpid(init, NULL, 0) < 0 && errno == EINTR)
                ;
        remove_leftovers(dir);
        _exit(0);
}

int nlab_lab_spawn(const char *dir, bool keep, struct nlab_lab *lab, struct nlab_err *err)
{
        int pfd[2], status;
        pid_t c1;

        assert(dir && lab);
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "lab: pipe");
        c1 = fork();
        if (c1 < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return nlab_err_sys(err, errno, "lab: fork");
        }
        if (c1 == 0) {
                close(pfd[0]);
                return outer_main(dir, keep, pfd[1]);
        }
        close(pfd[1]);
        if (nlab_lab_read_start(pfd[0], &lab->init, err) < 0) {
                close(pfd[0]);
                waitpid(c1, &status, 0);
                return -1;
        }
        lab->outer = c1;
        lab->fd = pfd[0];
        lab->keep = keep;
        return 1;
}

int nlab_lab_wait(struct nlab_lab *lab)
{
        struct lab_report r;
        int code = -1;

        while (read_report(lab->fd, &r) == 0)
                if (r.kind == 1) {
                        code = r.value;
                        break;
                }
        close(lab->fd);
        lab->fd = -1;
        /* Kept (pid 1 reported, and no longer dies with the outer): the outer's watch ends here,
         * or it would take the lab's files when we exit. */
        if (lab->keep && code >= 0)
                kill(lab->outer, SIGKILL);
        while (waitpid(lab->outer, NULL, 0) < 0 && errno == EINTR)
                ;
        return code;
}

/* ---- external hosts ---- */

int nlab_external_create(const char *name, const char *subnet, unsigned index,
                         struct nlab_external *x, struct nlab_err *err)
{
        char path[NLAB_NETNS_PATH_LEN];

        if (nlab_external_plan(name, subnet, index, x, err) < 0)
                return -1;
        x->pid = nlab_external_hold_netns(err);
        if (x->pid < 0)
                return -1;
        snprintf(x->netns_path, sizeof(x->netns_path), "%s",
                 nlab_proc_netns_path((int)x->pid, path));
        if (nlab_external_wire(x, err) < 0) {
                nlab_err_prefix(err, "external %s", name);
                nlab_external_destroy(x);
                return -1;
        }
        return 0;
}

void nlab_external_destroy(struct nlab_external *x)
{
        if (!x || x->pid <= 0)
                return;
        nlab_external_unwire(x);
        kill(x->pid, SIGKILL);
        waitpid(x->pid, NULL, 0);
        x->pid = 0;
}
