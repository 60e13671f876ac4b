#include "shim/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/ctr/exitcode.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/shimwire.h"

/* Before its first connection the supervisor waits this long, then gives up: the netlab that
 * started it died before it could connect. */
#define FIRST_CLIENT_MS 5000

struct nlab_sup_client {
        struct nlab_sup_tag tag;
        int fd;
        struct nlab_sup_client *next;
};

struct nlab_sup_ctr {
        struct nlab_sup_tag tag;
        int pid; /* in our pid namespace */
        int out_fd, stdin_fd;
        struct nlab_log_writer log;
        char id[sizeof(((struct nlab_shim_reg *)0)->id)];
        struct nlab_sup_ctr *next;
};

int nlab_sup_init(struct nlab_sup *s, const char *netlab, const char *root)
{
        memset(s, 0, sizeof(*s));
        s->netlab = netlab;
        s->root = root;
        s->listen_fd = s->chld_fd = -1;
        s->listen_tag.kind = NLAB_SUP_LISTEN;
        s->chld_tag.kind = NLAB_SUP_CHLD;
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        return s->epfd < 0 ? -1 : 0;
}

static int watch(struct nlab_sup *s, int fd, struct nlab_sup_tag *tag)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

        return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int nlab_sup_watch_fixed(struct nlab_sup *s)
{
        if (watch(s, s->listen_fd, &s->listen_tag) < 0 || watch(s, s->chld_fd, &s->chld_tag) < 0)
                return -1;
        return 0;
}

static void accept_client(struct nlab_sup *s)
{
        struct nlab_sup_client *c;
        char hello = NLAB_SHIM_HELLO;
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0)
                return;
        c = calloc(1, sizeof(*c));
        if (!c || send(fd, &hello, 1, MSG_NOSIGNAL) != 1 ||
            (c->fd = fd, watch(s, fd, &c->tag)) < 0) {
                free(c);
                close(fd);
                return;
        }
        c->tag.kind = NLAB_SUP_CLIENT;
        c->next = s->clients;
        s->clients = c;
        s->served = true;
}

static void drop_client(struct nlab_sup *s, struct nlab_sup_client *c)
{
        struct nlab_sup_client **p;

        for (p = &s->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        close(c->fd); /* also leaves the epoll set */
        free(c);
}

static int set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static bool reg_valid(const struct nlab_shim_reg *r, int n_fds)
{
        return r->pid > 0 && memchr(r->id, '\0', sizeof(r->id)) && r->id[0] &&
               memchr(r->log_path, '\0', sizeof(r->log_path)) && r->log_path[0] == '/' &&
               r->max_size > 0 && r->max_file >= 1 && r->max_file <= NLAB_LOG_MAX_FILES &&
               (r->has_output != 0) + (r->has_stdin != 0) == n_fds;
}

static struct nlab_sup_ctr *new_ctr(struct nlab_sup *s, const struct nlab_shim_reg *r, int fds[2])
{
        struct nlab_sup_ctr *c = calloc(1, sizeof(*c));
        struct nlab_log_opts o = {.max_size = r->max_size, .max_file = r->max_file};
        int i = 0;

        if (!c)
                return NULL;
        c->tag.kind = NLAB_SUP_OUTPUT;
        c->pid = r->pid;
        memcpy(c->id, r->id, sizeof(c->id));
        c->out_fd = r->has_output ? fds[i++] : -1;
        c->stdin_fd = r->has_stdin ? fds[i] : -1;
        c->log.fd = -1;
        if (c->out_fd >= 0) {
                nlab_log_writer_open(&c->log, r->log_path, &o);
                if (set_nonblock(c->out_fd) < 0 || watch(s, c->out_fd, &c->tag) < 0) {
                        nlab_log_writer_close(&c->log);
                        free(c);
                        return NULL;
                }
        }
        c->next = s->ctrs;
        s->ctrs = c;
        return c;
}

/* One registration per message: the container's identity and its fds. */
static void read_client(struct nlab_sup *s, struct nlab_sup_client *c)
{
        struct nlab_shim_reg reg;
        union {
                char buf[CMSG_SPACE(2 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = &reg, .iov_len = sizeof(reg)};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = u.buf,
                           .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *cm;
        int fds[2] = {-1, -1}, n_fds = 0, i;
        char ack = NLAB_SHIM_ACK;
        ssize_t n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                        for (i = 0; i < (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)); i++)
                                if (n_fds < 2)
                                        memcpy(&fds[n_fds++], CMSG_DATA(cm) + i * sizeof(int),
                                               sizeof(int));
        if (n != (ssize_t)sizeof(reg) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
            !reg_valid(&reg, n_fds) || !new_ctr(s, &reg, fds) ||
            send(c->fd, &ack, 1, MSG_NOSIGNAL) != 1) {
                for (i = 0; i < n_fds; i++)
                        close(fds[i]);
                drop_client(s, c);
        }
}

static void stop_relay(struct nlab_sup_ctr *c)
{
        if (c->out_fd < 0)
                return;
        close(c->out_fd);
        c->out_fd = -1;
        nlab_log_writer_close(&c->log);
}

/* Until the pipe or pty has nothing more; a pty whose other end is gone says EIO. */
static void relay(struct nlab_sup *s, struct nlab_sup_ctr *c, bool drain)
{
        for (;;) {
                ssize_t n = read(c->out_fd, s->buf, sizeof(s->buf));
                if (n > 0) {
                        nlab_log_writer_write(&c->log, s->buf, (size_t)n);
                        if (drain)
                                continue;
                        return;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN && !drain)
                        return;
                stop_relay(c);
                return;
        }
}

static void remember_teardown(struct nlab_sup *s, int pid)
{
        if (s->n_teardowns == s->cap_teardowns) {
                size_t cap = s->cap_teardowns ? 2 * s->cap_teardowns : 16;
                int *t = realloc(s->teardowns, cap * sizeof(*t));
                if (!t)
                        return; /* reaped as an unknown child: only the count is off */
                s->teardowns = t;
                s->cap_teardowns = cap;
        }
        s->teardowns[s->n_teardowns++] = pid;
}

static bool forget_teardown(struct nlab_sup *s, int pid)
{
        size_t i;

        for (i = 0; i < s->n_teardowns; i++)
                if (s->teardowns[i] == pid) {
                        s->teardowns[i] = s->teardowns[--s->n_teardowns];
                        return true;
                }
        return false;
}

/* The teardown runs with the whole runtime: `netlab --root ROOT __shim-exit ID CODE -1`. A
 * failed fork is retried briefly; failing that, the record keeps saying running. */
static void start_teardown(struct nlab_sup *s, const char *id, int code)
{
        struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
        char code_s[16];
        sigset_t none;
        int tries, pid = -1;

        snprintf(code_s, sizeof(code_s), "%d", code);
        for (tries = 0; tries < 50 && pid < 0; tries++) {
                pid = fork();
                if (pid < 0)
                        nanosleep(&pause, NULL);
        }
        if (pid == 0) {
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execl(s->netlab, s->netlab, "--root", s->root, "__shim-exit", id, code_s, "-1",
                      (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                remember_teardown(s, pid);
}

static struct nlab_sup_ctr *take_ctr(struct nlab_sup *s, int pid)
{
        struct nlab_sup_ctr **p, *c;

        for (p = &s->ctrs; *p; p = &(*p)->next)
                if ((*p)->pid == pid) {
                        c = *p;
                        *p = c->next;
                        return c;
                }
        return NULL;
}

static void reap(struct nlab_sup *s)
{
        struct signalfd_siginfo si;
        struct nlab_sup_ctr *c;
        int pid, status;

        while (read(s->chld_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                ;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (forget_teardown(s, pid))
                        continue;
                c = take_ctr(s, pid);
                if (!c)
                        continue; /* a start that was aborted before it registered */
                if (c->out_fd >= 0)
                        relay(s, c, true);
                stop_relay(c);
                if (c->stdin_fd >= 0)
                        close(c->stdin_fd);
                start_teardown(s, c->id, nlab_exit_code(status));
                free(c);
        }
}

/* true when children are to be reaped: done after the batch, since reaping frees containers
 * that later events of the same batch may point at. */
static bool handle(struct nlab_sup *s, struct epoll_event *ev)
{
        struct nlab_sup_tag *tag = ev->data.ptr;

        switch (tag->kind) {
        case NLAB_SUP_LISTEN:
                accept_client(s);
                break;
        case NLAB_SUP_CHLD:
                return true;
        case NLAB_SUP_CLIENT:
                read_client(s, (struct nlab_sup_client *)tag);
                break;
        case NLAB_SUP_OUTPUT:
                relay(s, (struct nlab_sup_ctr *)tag, false);
                break;
        }
        return false;
}

/* Only teardown pids can be left: nothing else is kept once idle. */
static void sup_free(struct nlab_sup *s)
{
        free(s->teardowns);
        s->teardowns = NULL;
        close(s->epfd);
}

static bool idle(const struct nlab_sup *s)
{
        return !s->ctrs && !s->clients && s->n_teardowns == 0;
}

int nlab_sup_run(struct nlab_sup *s)
{
        struct epoll_event ev[32];
        bool chld;
        int n, i;

        for (;;) {
                n = epoll_wait(s->epfd, ev, 32, s->served ? -1 : FIRST_CLIENT_MS);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 && !s->served) {
                        sup_free(s);
                        return 0;
                }
                if (n < 0) {
                        sup_free(s);
                        return 1;
                }
                for (chld = false, i = 0; i < n; i++)
                        chld |= handle(s, &ev[i]);
                if (chld)
                        reap(s);
                /* Exiting resets whoever is still in the listener's backlog: they start a new
                 * supervisor rather than join a pid namespace about to end. */
                if (s->served && idle(s)) {
                        sup_free(s);
                        return 0;
                }
        }
}
