/* netlab-init: the container's pid 1 under `run --init`, like Docker's docker-init (tini). A
 * command run as pid 1 gets no default signal action (the kernel drops SIGINT and SIGTERM for
 * it unless it installed a handler), and nothing else reaps the orphans of the container. This
 * init runs the command as its child, passes signals on to it, reaps every process that ends,
 * and exits as the command did (128 + the signal when killed).
 *
 * Usage: /dev/init -- COMMAND [ARG...]   (bind-mounted read-only by runtime/ctr/sandbox.c)
 * When netlab starts it, NETLAB_INIT_REPORT_FD names the pipe that reports a failed exec the
 * way the sandbox does, so `run --init busybox nosuch` fails as it does without --init. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/ctr/exitcode.h"
#include "runtime/ctr/sandbox.h"
#include "runtime/ctr/sigrelay.h"

/* The report pipe, closed on the command's exec: an empty read tells netlab it started. */
static int take_report_fd(void)
{
        const char *s = getenv(NLAB_INIT_REPORT_ENV);
        char *end;
        long fd;

        if (!s)
                return -1;
        errno = 0;
        fd = strtol(s, &end, 10);
        unsetenv(NLAB_INIT_REPORT_ENV); /* not passed on to the command */
        if (errno || end == s || *end || fd < 3 || fd > INT_MAX ||
            fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
                return -1;
        return (int)fd;
}

static void exec_command(char **argv, int report)
{
        struct nlab_sandbox_failure f = {.stage = 1};

        nlab_sigrelay_reset();
        execvp(argv[0], argv);
        f.errnum = errno;
        snprintf(f.what, sizeof(f.what), "%s", argv[0]);
        if (report < 0 || write(report, &f, sizeof(f)) != (ssize_t)sizeof(f))
                fprintf(stderr, "netlab-init: exec %s: %s\n", argv[0], strerror(f.errnum));
        _exit(f.errnum == ENOENT || f.errnum == ENOTDIR ? 127 : 126);
}

int main(int argc, char **argv)
{
        int report = take_report_fd();
        pid_t child;

        if (argc < 3 || strcmp(argv[1], "--") != 0) {
                fprintf(stderr, "usage: %s -- COMMAND [ARG...]\n", argv[0]);
                return 2;
        }
        nlab_sigrelay_reset(); /* SIGCHLD ignored would reap behind our back */
        nlab_sigrelay_block(); /* before the fork: no signal is lost before the relay runs */
        child = fork();
        if (child < 0) {
                fprintf(stderr, "netlab-init: fork: %s\n", strerror(errno));
                return 125;
        }
        if (child == 0)
                exec_command(argv + 2, report);
        if (report >= 0)
                close(report);
        return nlab_exit_code(nlab_sigrelay_child(child, true));
}
