#include "runtime/ctr/shim.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/ctr/exitcode.h"
#include "runtime/ctr/helperbin.h"
#include "runtime/ctr/image.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/shimsup.h"

struct shim_msg {
        int pid;
        int errnum;
        char what[200];
};

static void write_full(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                p += n;
                len -= (size_t)n;
        }
}

static int write_state_running(struct nlab_store *st, const char *id, int pid, int shim_pid,
                               unsigned long long shim_start)
{
        struct nlab_ctr_state state;

        nlab_ctr_state_init(&state);
        state.status = NLAB_CTR_RUNNING;
        state.pid = pid;
        state.pid_start = nlab_proc_starttime(pid);
        state.shim_pid = shim_pid;
        state.shim_start = shim_start;
        nlab_now_rfc3339(state.started_at, sizeof(state.started_at));
        return nlab_store_save_state(st, id, &state, NULL);
}

/* <root>/netns/ID names the container's netns for nsenter and ip(8). A symlink to its /proc entry
 * rather than a bind mount: every new mount namespace copies every mount of its parent, so 1000
 * bind mounts made each start (and each pivot_root's detach) 1.6 ms slower. The link lives as
 * long as the container's process does; the shim removes it when that exits. */
static int link_netns(struct nlab_store *st, const char *id, int pid, char *what, size_t ws)
{
        char src[64], dst[PATH_MAX];

        nlab_proc_netns_path(pid, src);
        if (nlab_store_path(st, dst, sizeof(dst), "netns", id, NULL, NULL) < 0 ||
            (unlink(dst) < 0 && errno != ENOENT) || symlink(src, dst) < 0) {
                snprintf(what, ws, "link network namespace at %s", dst);
                return -1;
        }
        return 0;
}

struct shim_fds {
        int ready_w, exit_w, go_r, err_w, sup_fd;
};

/* Found before forking, so a missing supervisor is an error of the start, not a lost shim. */
struct shim_bins {
        char supervisor[PATH_MAX];
        char netlab[PATH_MAX];
};

/* The container's output goes to the shim (pty or pipe), which bounds and rotates the log. */
static void open_detached_stdio(const struct nlab_shim_req *req, struct nlab_sandbox *sb,
                                int *output, int *stdin_keep)
{
        int in[2], out[2];

        if (sb->tty) {
                int slave;
                if (openpty(output, &slave, NULL, NULL, NULL) < 0)
                        return;
                sb->stdio[0] = sb->stdio[1] = sb->stdio[2] = slave;
                return;
        }
        if (pipe2(out, O_CLOEXEC) < 0)
                return;
        *output = out[0];
        if (req->interactive && pipe2(in, O_CLOEXEC) == 0) {
                sb->stdio[0] = in[0];
                *stdin_keep = in[1];
        } else {
                sb->stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        sb->stdio[1] = sb->stdio[2] = out[1];
}

static void null_own_stdio(void)
{
        int fd = open("/dev/null", O_RDWR);
        int i;

        for (i = 0; i < 3 && fd >= 0; i++)
                dup2(fd, i);
        if (fd > 2)
                close(fd);
}

static int dup_high(int fd)
{
        return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* The shim must not keep the caller's lock or pipes alive: close all but what it needs, in
 * ranges between the kept fds rather than one close per possible fd. */
static void close_other_fds(int *keep, size_t n)
{
        unsigned lo = 3;
        size_t i;

        qsort(keep, n, sizeof(*keep), cmp_int);
        for (i = 0; i < n; i++) {
                if (keep[i] < (int)lo)
                        continue;
                if ((unsigned)keep[i] > lo)
                        syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
                lo = (unsigned)keep[i] + 1;
        }
        syscall(SYS_close_range, lo, ~0U, 0);
}

/* The container's pid as /proc (and so every other netlab command) numbers it: the detached
 * shim runs in the supervisor's pid namespace, where clone's answer means something else. */
static int outer_pid(int pid)
{
        int fd = (int)syscall(SYS_pidfd_open, pid, 0), outer;

        if (fd < 0)
                return -1;
        outer = nlab_proc_pidfd_pid(fd);
        close(fd);
        return outer;
}

/* Detached: the supervisor takes over the output, the held stdin and the reaping. */
static int hand_over(const struct nlab_shim_req *req, int sup_fd, int pid, int output,
                     int stdin_keep)
{
        struct nlab_shim_reg reg;

        memset(&reg, 0, sizeof(reg));
        snprintf(reg.id, sizeof(reg.id), "%s", req->id);
        snprintf(reg.log_path, sizeof(reg.log_path), "%s", req->log_path ? req->log_path : "");
        reg.pid = pid;
        reg.has_output = output >= 0;
        reg.has_stdin = stdin_keep >= 0;
        reg.max_size = req->log_opts.max_size;
        reg.max_file = req->log_opts.max_file;
        return nlab_shim_sup_register(sup_fd, &reg, output, stdin_keep);
}

/* What the shim records once the container's process exists. Detached, the supervisor takes
 * it first: whatever fails after that, the aborted process is reaped and torn down like any
 * other, and a record never says running for a process nobody watches. */
static void record_start(const struct nlab_shim_req *req, const struct nlab_shim_sup *sup,
                         int sup_fd, int pid, int output, int stdin_keep, struct shim_msg *msg)
{
        int outer = req->attached ? pid : outer_pid(pid);

        msg->pid = outer;
        if (outer < 0) {
                msg->errnum = errno ? errno : ESRCH;
                snprintf(msg->what, sizeof(msg->what), "find the container's process");
                return;
        }
        if (!req->attached && hand_over(req, sup_fd, pid, output, stdin_keep) < 0) {
                msg->errnum = errno;
                snprintf(msg->what, sizeof(msg->what), "hand the container to its supervisor");
                return;
        }
        if ((req->clone_flags & CLONE_NEWNET) &&
            link_netns(req->st, req->id, outer, msg->what, sizeof(msg->what)) < 0) {
                msg->errnum = errno;
                return;
        }
        if (write_state_running(req->st, req->id, outer, req->attached ? getpid() : sup->pid,
                                req->attached ? nlab_proc_starttime(getpid()) : sup->start) < 0) {
                msg->errnum = EIO;
                snprintf(msg->what, sizeof(msg->what), "write state");
        }
}

/* Attached, this process stays as the container's shim; detached, it starts the container in
 * the supervisor's pid namespace, hands it over and exits, so the container becomes the
 * supervisor's child. */
static void shim_main(const struct nlab_shim_req *req, const struct nlab_shim_sup *sup,
                      struct shim_fds fds)
{
        struct nlab_sandbox sb = req->sb;
        struct shim_msg msg = {0};
        int output = -1, stdin_keep = -1, i;
        pid_t pid;

        prctl(PR_SET_NAME, req->attached ? "netlab-shim" : "netlab-starter");
        if (req->attached) {
                for (i = 0; i < 3; i++)
                        sb.stdio[i] = dup_high(sb.stdio[i]);
        } else {
                open_detached_stdio(req, &sb, &output, &stdin_keep);
        }
        {
                int keep[] = {fds.ready_w,        fds.exit_w,  fds.go_r,    fds.err_w,
                              fds.sup_fd,         sb.stdio[0], sb.stdio[1], sb.stdio[2],
                              req->join_netns_fd, output,      stdin_keep};
                close_other_fds(keep, sizeof(keep) / sizeof(keep[0]));
        }
        null_own_stdio();
        sb.go_fd = fds.go_r;
        sb.err_fd = fds.err_w;
        /* Detached, the starter exits first: the pid namespace, not PDEATHSIG, ties the
         * container to its supervisor. */
        sb.die_with_parent = req->attached;
        pid = (pid_t)syscall(SYS_clone, req->clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                close(fds.ready_w);
                if (fds.exit_w >= 0)
                        close(fds.exit_w);
                if (fds.sup_fd >= 0)
                        close(fds.sup_fd);
                if (output >= 0)
                        close(output);
                if (req->join_netns_fd >= 0 && setns(req->join_netns_fd, CLONE_NEWNET) < 0)
                        _exit(125);
                _exit(nlab_sandbox_run(&sb));
        }
        close(fds.go_r);
        close(fds.err_w);
        for (i = 0; i < 3; i++)
                if (sb.stdio[i] >= 0)
                        close(sb.stdio[i]);
        if (pid < 0) {
                msg.errnum = errno;
                snprintf(msg.what, sizeof(msg.what), "create namespaces");
                write_full(fds.ready_w, &msg, sizeof(msg));
                _exit(1);
        }
        record_start(req, sup, fds.sup_fd, pid, output, stdin_keep, &msg);
        write_full(fds.ready_w, &msg, sizeof(msg));
        if (!req->attached)
                _exit(0);
        close(fds.ready_w);
        if (req->join_netns_fd >= 0)
                close(req->join_netns_fd);
        {
                /* The caller's netlab stays resident while it waits anyway: reap and tear down
                 * here. */
                int status = 0;
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                nlab_shim_finish(req->st, req->id, nlab_exit_code(status), fds.exit_w,
                                 req->on_exit);
                _exit(0);
        }
}

/* The supervisor: NETLAB_SHIM_BIN, beside our own binary, the build tree's shim/, then
 * /usr/local/bin. */
static int find_bins(struct shim_bins *b, struct nlab_err *err)
{
        ssize_t n = readlink("/proc/self/exe", b->netlab, sizeof(b->netlab) - 1);

        if (n <= 0)
                return nlab_err_sys(err, errno, "find the netlab binary");
        b->netlab[n] = '\0';
        return nlab_helper_bin("netlab-shim", "NETLAB_SHIM_BIN", "shim", b->supervisor,
                               sizeof(b->supervisor), err);
}

static void close_pair(int p[2])
{
        if (p[0] >= 0)
                close(p[0]);
        if (p[1] >= 0)
                close(p[1]);
}

int nlab_shim_spawn(const struct nlab_shim_req *req, struct nlab_shim_handle *h,
                    struct nlab_err *err)
{
        int ready[2] = {-1, -1}, go[2] = {-1, -1}, errp[2] = {-1, -1}, ex[2] = {-1, -1};
        struct nlab_shim_sup sup = {.fd = -1, .pidns_fd = -1};
        struct shim_bins bins;
        struct shim_msg msg;
        pid_t first;
        int status;

        if (!req->attached &&
            (find_bins(&bins, err) < 0 ||
             nlab_shim_sup_connect(req->st->root, bins.supervisor, bins.netlab, &sup, err) < 0))
                return -1;
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
            (req->attached && pipe2(ex, O_CLOEXEC) < 0)) {
                int e = errno;
                close_pair(ready);
                close_pair(go);
                close_pair(errp);
                close_pair(ex);
                nlab_shim_sup_close(&sup);
                return nlab_err_sys(err, e, "create pipes");
        }
        first = fork();
        if (first < 0) {
                int e = errno;
                close_pair(ready);
                close_pair(go);
                close_pair(errp);
                close_pair(ex);
                nlab_shim_sup_close(&sup);
                return nlab_err_sys(err, e, "fork shim");
        }
        if (first == 0) {
                /* Double fork: the shim is nobody's child but init's, like a daemon; detached,
                 * it is forked into the supervisor's pid namespace. */
                struct shim_fds fds = {ready[1], ex[1], go[0], errp[1], sup.fd};
                close(ready[0]);
                close(go[1]);
                close(errp[0]);
                if (ex[0] >= 0)
                        close(ex[0]);
                setsid();
                if (sup.pidns_fd >= 0 && setns(sup.pidns_fd, CLONE_NEWPID) < 0)
                        _exit(1);
                if (fork() != 0)
                        _exit(0);
                shim_main(req, &sup, fds);
        }
        close(ready[1]);
        close(go[0]);
        close(errp[1]);
        if (ex[1] >= 0)
                close(ex[1]);
        while (waitpid(first, &status, 0) < 0 && errno == EINTR)
                ;
        h->go_fd = go[1];
        /* Our copy of the connection: once the container is handed over the supervisor has it
         * to watch; if it never is, the supervisor may end. */
        nlab_shim_sup_close(&sup);
        h->err_fd = errp[0];
        h->exit_fd = ex[0];
        if (nlab_read_full(ready[0], &msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
                close(ready[0]);
                nlab_shim_abort(h);
                return nlab_err_set(err, NLAB_E_SYSTEM, "shim exited before the container started");
        }
        close(ready[0]);
        h->pid = msg.pid;
        if (msg.errnum) {
                nlab_shim_abort(h);
                return nlab_err_sys(err, msg.errnum, "%s", msg.what);
        }
        return 0;
}

void nlab_shim_abort(struct nlab_shim_handle *h)
{
        /* Closing go without a byte makes the waiting process give up and exit. */
        if (h->go_fd >= 0)
                close(h->go_fd);
        if (h->err_fd >= 0)
                close(h->err_fd);
        if (h->exit_fd >= 0)
                close(h->exit_fd);
        h->go_fd = h->err_fd = h->exit_fd = -1;
}

int nlab_shim_release(struct nlab_shim_handle *h, struct nlab_err *err)
{
        struct nlab_sandbox_failure f;
        ssize_t n;

        write_full(h->go_fd, "g", 1);
        close(h->go_fd);
        h->go_fd = -1;
        n = nlab_read_full(h->err_fd, &f, sizeof(f));
        close(h->err_fd);
        h->err_fd = -1;
        if (n == 0)
                return 0; /* closed on exec: the command is running */
        if (n != (ssize_t)sizeof(f))
                return nlab_err_set(err, NLAB_E_SYSTEM, "container process died during setup");
        f.what[sizeof(f.what) - 1] = '\0';
        if (f.stage == 1 && (f.errnum == ENOENT || f.errnum == ENOTDIR))
                return nlab_image_cmd_not_found(f.what, err);
        if (f.stage == 1)
                return nlab_err_set(err, NLAB_E_NOEXEC, "exec: \"%s\": %s", f.what,
                                    strerror(f.errnum));
        return nlab_err_sys(err, f.errnum, "container setup: %s", f.what);
}

int nlab_shim_wait_exit(struct nlab_shim_handle *h, int *code, struct nlab_err *err)
{
        ssize_t n = nlab_read_full(h->exit_fd, code, sizeof(*code));

        close(h->exit_fd);
        h->exit_fd = -1;
        if (n != (ssize_t)sizeof(*code))
                return nlab_err_set(err, NLAB_E_SYSTEM, "lost the container's shim");
        return 0;
}

void nlab_shim_finish(struct nlab_store *st, const char *id, int code, int exit_fd,
                      nlab_shim_exit_fn on_exit)
{
        assert(st && id && on_exit);
        on_exit(st, id, code);
        if (exit_fd >= 0) {
                write_full(exit_fd, &code, sizeof(code));
                close(exit_fd);
        }
}
