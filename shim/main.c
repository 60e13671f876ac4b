/* netlab-shim: the state root's supervisor. One process for all of a root's detached
 * containers: pid 1 of its own pid namespace, so every container, once its starter exits, is
 * its child (exit status from waitpid) and dies with it (the kernel ends a pid namespace with
 * its init). It relays each container's output into its bounded log and, once a container's
 * process is reaped, forks `netlab __shim-exit` to tear down. It exits when it has nothing left
 * to watch and nobody is connected.
 *
 * Usage (from runtime/ctr/shim.c only): netlab-shim NETLAB ROOT READY_FD
 * It listens on ROOT/shim.sock (runtime/ctr/shimwire.h) and writes one byte to READY_FD. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/base/unixsock.h"
#include "runtime/ctr/shimwire.h"
#include "shim/supervisor.h"

/* A root may hold thousands of containers, each an output fd and a log fd here. */
static void raise_fd_limit(void)
{
        struct rlimit r;

        if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
                r.rlim_cur = r.rlim_max;
                setrlimit(RLIMIT_NOFILE, &r);
        }
}

static int listen_on(const char *root)
{
        char path[PATH_MAX];
        struct sockaddr_un a;
        int fd = -1, dir_fd;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, NLAB_SHIM_SOCK) >= sizeof(path) ||
            nlab_unix_addr(path, &a, &dir_fd) < 0)
                return -1;
        unlink(a.sun_path); /* a stale one from a supervisor that is gone (we hold shim.lock) */
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0)) {
                close(fd);
                fd = -1;
        }
        if (dir_fd >= 0)
                close(dir_fd);
        return fd;
}

static int chld_signalfd(void)
{
        sigset_t set;

        signal(SIGCHLD, SIG_DFL); /* ignored, it would reap for us and hide exit codes */
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int parse_fd(const char *s)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        return errno || end == s || *end || v < 0 || v > INT_MAX ? -1 : (int)v;
}

int main(int argc, char **argv)
{
        struct nlab_sup sup;
        int ready;

        if (argc != 4 || (ready = parse_fd(argv[3])) < 0) {
                fprintf(stderr, "netlab-shim: started by netlab only\n");
                return 2;
        }
        raise_fd_limit();
        if (nlab_sup_init(&sup, argv[1], argv[2]) < 0)
                return 1;
        sup.listen_fd = listen_on(argv[2]);
        sup.chld_fd = chld_signalfd();
        if (sup.listen_fd < 0 || sup.chld_fd < 0 || nlab_sup_watch_fixed(&sup) < 0)
                return 1;
        if (write(ready, "r", 1) != 1)
                return 1;
        close(ready);
        return nlab_sup_run(&sup);
}
