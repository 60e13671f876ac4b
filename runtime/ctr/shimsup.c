#include "runtime/ctr/shimsup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/base/unixsock.h"

#define REPLY_TIMEOUT_S  10
#define READY_TIMEOUT_MS 5000

static void sup_reset(struct nlab_shim_sup *s)
{
        s->fd = s->pidns_fd = -1;
        s->pid = 0;
        s->start = 0;
}

void nlab_shim_sup_close(struct nlab_shim_sup *s)
{
        if (s->fd >= 0)
                close(s->fd);
        if (s->pidns_fd >= 0)
                close(s->pidns_fd);
        sup_reset(s);
}

/* Connected and greeted: the supervisor counts us and will not end while we hold fd. */
static int sup_try(const char *root, struct nlab_shim_sup *s)
{
        char path[PATH_MAX], ns[64], hello = 0;
        struct ucred cred;
        socklen_t len = sizeof(cred);

        sup_reset(s);
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, NLAB_SHIM_SOCK) >= sizeof(path))
                return -1;
        s->fd = nlab_unix_connect_type(path, SOCK_SEQPACKET, REPLY_TIMEOUT_S);
        if (s->fd < 0 || recv(s->fd, &hello, 1, 0) != 1 || hello != NLAB_SHIM_HELLO ||
            getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
                goto fail;
        s->pid = cred.pid;
        s->start = nlab_proc_starttime(cred.pid);
        snprintf(ns, sizeof(ns), "/proc/%d/ns/pid", cred.pid);
        s->pidns_fd = open(ns, O_RDONLY | O_CLOEXEC);
        if (s->pidns_fd >= 0 && s->start)
                return 0;
fail:
        nlab_shim_sup_close(s);
        return -1;
}

/* In the new pid namespace, as its pid 1: nothing of the caller but the ready pipe. */
static void exec_supervisor(const char *root, const char *bin, const char *netlab, int ready_w)
{
        char fd[16];
        sigset_t none;
        int null = open("/dev/null", O_RDWR);

        setsid();
        if (chdir("/") < 0 || null < 0)
                _exit(1);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        fcntl(ready_w, F_SETFD, 0);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        snprintf(fd, sizeof(fd), "%d", ready_w);
        execl(bin, "netlab-shim", netlab, root, fd, (char *)NULL);
        _exit(127);
}

static int wait_ready(int ready_r)
{
        struct pollfd p = {.fd = ready_r, .events = POLLIN};
        char c;

        if (poll(&p, 1, READY_TIMEOUT_MS) != 1)
                return -1;
        return read(ready_r, &c, 1) == 1 ? 0 : -1;
}

/* Forked twice so that it is nobody's child but init's, like a daemon. */
static int sup_start(const char *root, const char *bin, const char *netlab, struct nlab_err *err)
{
        int ready[2], status, r;
        pid_t first;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "create a pipe");
        first = fork();
        if (first == 0) {
                pid_t sup =
                    (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
                if (sup == 0)
                        exec_supervisor(root, bin, netlab, ready[1]);
                _exit(sup < 0 ? 1 : 0);
        }
        close(ready[1]);
        if (first < 0) {
                close(ready[0]);
                return nlab_err_sys(err, errno, "fork");
        }
        while (waitpid(first, &status, 0) < 0 && errno == EINTR)
                ;
        r = wait_ready(ready[0]);
        close(ready[0]);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "the container supervisor %s did not start for %s", bin, root);
        return 0;
}

int nlab_shim_sup_connect(const char *root, const char *bin, const char *netlab,
                          struct nlab_shim_sup *s, struct nlab_err *err)
{
        char path[PATH_MAX];
        int lock, r = -1;

        if (sup_try(root, s) == 0)
                return 0;
        /* One starter at a time; a supervisor that was just ending is replaced. */
        if (nlab_path(path, sizeof(path), err, "%s/%s", root, NLAB_SHIM_LOCK) < 0)
                return -1;
        lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (lock < 0)
                return nlab_err_sys(err, errno, "open %s", path);
        while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
                ;
        if (sup_try(root, s) == 0)
                r = 0;
        else if (sup_start(root, bin, netlab, err) == 0)
                r = sup_try(root, s) == 0
                        ? 0
                        : nlab_err_set(err, NLAB_E_SYSTEM,
                                       "cannot reach the container supervisor at %s/%s", root,
                                       NLAB_SHIM_SOCK);
        close(lock);
        return r;
}

int nlab_shim_sup_register(int fd, const struct nlab_shim_reg *reg, int out_fd, int stdin_fd)
{
        union {
                char buf[CMSG_SPACE(2 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = (void *)reg, .iov_len = sizeof(*reg)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        int fds[2], n = 0;
        char ack = 0;

        if (out_fd >= 0)
                fds[n++] = out_fd;
        if (stdin_fd >= 0)
                fds[n++] = stdin_fd;
        if (n) {
                struct cmsghdr *cm;
                memset(&u, 0, sizeof(u));
                m.msg_control = u.buf;
                m.msg_controllen = CMSG_SPACE(n * sizeof(int));
                cm = CMSG_FIRSTHDR(&m);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(n * sizeof(int));
                memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
        }
        if (sendmsg(fd, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(*reg))
                return -1;
        if (recv(fd, &ack, 1, 0) != 1 || ack != NLAB_SHIM_ACK) {
                errno = EPROTO;
                return -1;
        }
        return 0;
}

void nlab_shim_sup_stop(const char *root)
{
        struct nlab_shim_sup s;

        if (sup_try(root, &s) < 0)
                return;
        /* Its pid namespace ends with it, taking any container left in it along. */
        kill(s.pid, SIGKILL);
        nlab_proc_wait_gone(s.pid, s.start, 5000);
        nlab_shim_sup_close(&s);
}
