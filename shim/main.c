/* netlab-shim: the small supervisor a container's shim becomes once the container runs. It
 * relays detached output into the bounded log, reaps the process, and then execs netlab to
 * tear down, so the whole netlab binary is resident only while a container starts and ends.
 *
 * Usage (from runtime/shim.c only):
 *   netlab-shim PID OUTPUT_FD STDIN_FD EXIT_FD LOG_PATH MAX_SIZE MAX_FILE NETLAB ROOT ID
 * An fd of -1 is absent. At exit it execs: NETLAB --root ROOT __shim-exit ID CODE EXIT_FD */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ctr/exitcode.h"
#include "runtime/ctr/logfile.h"

struct args {
        int pid, output, stdin_keep, exit_fd;
        const char *log_path, *netlab, *root, *id;
        struct nlab_log_opts log;
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
        char *end;

        errno = 0;
        *out = strtol(s, &end, 10);
        return errno || end == s || *end || *out < lo || *out > hi ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
        long v[6];
        const long lo[6] = {1, -1, -1, -1, 1, 1};
        const long hi[6] = {INT_MAX, INT_MAX, INT_MAX, INT_MAX, LONG_MAX, NLAB_LOG_MAX_FILES};
        const int at[6] = {1, 2, 3, 4, 6, 7};

        if (argc != 11)
                return -1;
        for (int i = 0; i < 6; i++)
                if (parse_long(argv[at[i]], lo[i], hi[i], &v[i]) < 0)
                        return -1;
        a->pid = (int)v[0];
        a->output = (int)v[1];
        a->stdin_keep = (int)v[2];
        a->exit_fd = (int)v[3];
        a->log_path = argv[5];
        a->log.max_size = (uint64_t)v[4];
        a->log.max_file = (unsigned)v[5];
        a->netlab = argv[8];
        a->root = argv[9];
        a->id = argv[10];
        return 0;
}

/* Copy a detached container's output (pty or pipe) into the log until the process is gone. */
static void relay_output(int output, struct nlab_log_writer *log, int pid)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        struct pollfd p[2] = {{.fd = output, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        /* small on purpose: every page it ever touches stays resident in every idle shim */
        static char buf[16384];

        for (;;) {
                if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents & POLLIN) {
                        ssize_t n = read(output, buf, sizeof(buf));
                        if (n > 0) {
                                nlab_log_writer_write(log, buf, (size_t)n);
                                continue;
                        }
                }
                if (p[0].revents & (POLLHUP | POLLERR) || p[1].revents)
                        break;
        }
        if (pidfd >= 0)
                close(pidfd);
}

int main(int argc, char **argv)
{
        struct args a;
        char code[16], exit_fd[16];
        int status = 0;

        if (parse_args(argc, argv, &a) < 0) {
                fprintf(stderr, "netlab-shim: started by netlab only\n");
                return 2;
        }
        if (a.output >= 0) {
                struct nlab_log_writer log;
                nlab_log_writer_open(&log, a.log_path, &a.log);
                relay_output(a.output, &log, a.pid);
                nlab_log_writer_close(&log);
                close(a.output);
        }
        while (waitpid(a.pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (a.stdin_keep >= 0)
                close(a.stdin_keep);
        snprintf(code, sizeof(code), "%d", nlab_exit_code(status));
        snprintf(exit_fd, sizeof(exit_fd), "%d", a.exit_fd);
        execl(a.netlab, a.netlab, "--root", a.root, "__shim-exit", a.id, code, exit_fd,
              (char *)NULL);
        /* No teardown from here: the next netlab command sees the shim gone and reconciles. */
        return 127;
}
