#include "runtime/ctr/sigrelay.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a user or a runtime sends to stop, reload or notify a process. Not the faults the kernel
 * raises for our own bug (SEGV, BUS, ...), nor job control, which stays with the terminal. */
static const int relayed[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

static void relay_set(sigset_t *set)
{
        size_t i;

        sigemptyset(set);
        for (i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
                sigaddset(set, relayed[i]);
        sigaddset(set, SIGCHLD);
}

void nlab_sigrelay_reset(void)
{
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigset_t none;
        int sig;

        for (sig = 1; sig < NSIG; sig++)
                sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and libc's own refuse: fine */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

void nlab_sigrelay_block(void)
{
        sigset_t set;

        relay_set(&set);
        sigprocmask(SIG_BLOCK, &set, NULL);
}

void nlab_sigrelay_unblock(void)
{
        sigset_t set;

        relay_set(&set);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Reap what has exited; true once child is among them, its status in *status. */
static bool reap(pid_t child, bool reap_all, int *status)
{
        bool done = false;
        pid_t p;
        int st;

        while ((p = waitpid(reap_all ? -1 : child, &st, WNOHANG)) > 0) {
                if (p != child)
                        continue;
                *status = st;
                done = true;
        }
        return done;
}

/* One pass: wait for a signal (or done_fd), pass it on. 1 when done_fd is readable. */
static int relay_once(int sfd, int done_fd, pid_t target)
{
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = done_fd, .events = POLLIN}};
        struct signalfd_siginfo si;

        if (poll(p, done_fd >= 0 ? 2 : 1, -1) < 0)
                return errno == EINTR ? 0 : -1;
        if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
            si.ssi_signo != SIGCHLD)
                kill(target, (int)si.ssi_signo);
        return done_fd >= 0 && p[1].revents ? 1 : 0;
}

static int open_sfd(void)
{
        sigset_t set;

        relay_set(&set);
        return signalfd(-1, &set, SFD_CLOEXEC);
}

int nlab_sigrelay_child(pid_t child, bool reap_all)
{
        int sfd = open_sfd(), status = 0, st;
        bool done = false;
        pid_t p;

        assert(child > 0);
        /* Checked after the signalfd exists: an exit before it still left SIGCHLD pending. */
        while (sfd >= 0 && !(done = reap(child, reap_all, &status)))
                if (relay_once(sfd, -1, child) < 0)
                        break;
        /* Without a signalfd nothing is relayed, but the child is still waited for. */
        while (!done) {
                p = waitpid(reap_all ? -1 : child, &st, 0);
                if (p == child) {
                        status = st;
                        done = true;
                } else if (p < 0 && errno != EINTR) {
                        break;
                }
        }
        if (sfd >= 0)
                close(sfd);
        nlab_sigrelay_unblock();
        return status;
}

void nlab_sigrelay_until(pid_t target, int done_fd)
{
        int sfd = open_sfd();
        struct pollfd p = {.fd = done_fd, .events = POLLIN};

        assert(done_fd >= 0);
        if (sfd < 0) {
                while (poll(&p, 1, -1) < 0 && errno == EINTR)
                        ;
        } else {
                while (relay_once(sfd, done_fd, target) == 0)
                        ;
                close(sfd);
        }
        nlab_sigrelay_unblock();
}
