/* The CLI end of -t: our terminal in raw mode, bytes copied both ways, window size forwarded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "netlab/cli.h"

int nlab_tty_open(int *master, int *slave, struct nlab_err *err)
{
        struct winsize ws;

        if (openpty(master, slave, NULL, NULL, NULL) < 0)
                return nlab_err_sys(err, errno, "allocate a pseudo-terminal");
        fcntl(*master, F_SETFD, FD_CLOEXEC);
        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                ioctl(*master, TIOCSWINSZ, &ws);
        return 0;
}

int nlab_stdio_prepare(struct nlab_stdio *s, bool tty, bool keep_stdin, bool discard_output,
                       struct nlab_err *err)
{
        int i;

        s->master = s->slave = s->devnull = -1;
        for (i = 0; i < 3; i++)
                s->fds[i] = i;
        if (tty) {
                if (nlab_tty_open(&s->master, &s->slave, err) < 0)
                        return -1;
                s->fds[0] = s->fds[1] = s->fds[2] = s->slave;
                return 0;
        }
        if (keep_stdin && !discard_output)
                return 0;
        s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        s->fds[0] = s->devnull;
        if (discard_output)
                s->fds[1] = s->fds[2] = s->devnull;
        return 0;
}

void nlab_stdio_spawned(struct nlab_stdio *s, bool failed)
{
        if (s->slave >= 0)
                close(s->slave);
        if (s->devnull >= 0)
                close(s->devnull);
        s->slave = s->devnull = -1;
        if (failed && s->master >= 0) {
                close(s->master);
                s->master = -1;
        }
}

static void copy_once(int from, int to, bool *open)
{
        char buf[8192];
        ssize_t n = read(from, buf, sizeof(buf));
        ssize_t off = 0;

        if (n <= 0) {
                if (n == 0 || errno != EINTR)
                        *open = false;
                return;
        }
        while (off < n) {
                ssize_t w = write(to, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                off += w;
        }
}

void nlab_tty_relay(int master, bool forward_stdin)
{
        struct termios saved, raw;
        bool is_tty = isatty(0) && tcgetattr(0, &saved) == 0;
        bool in_open = forward_stdin, out_open = true;
        sigset_t mask;
        int sfd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (is_tty) {
                raw = saved;
                cfmakeraw(&raw);
                tcsetattr(0, TCSANOW, &raw);
        }
        while (out_open) {
                struct pollfd p[3] = {{.fd = master, .events = POLLIN},
                                      {.fd = in_open ? 0 : -1, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
                        copy_once(master, 1, &out_open);
                if (p[1].revents & (POLLIN | POLLHUP)) {
                        copy_once(0, master, &in_open);
                        /* A pipe reached its end: tell the terminal's reader with Ctrl-D. */
                        if (!in_open && !is_tty && write(master, "\x04", 1) < 0)
                                out_open = false;
                }
                if (p[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        struct winsize ws;
                        if (read(sfd, &si, sizeof(si)) > 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
                                ioctl(master, TIOCSWINSZ, &ws);
                }
        }
        if (is_tty)
                tcsetattr(0, TCSANOW, &saved);
        if (sfd >= 0)
                close(sfd);
}
