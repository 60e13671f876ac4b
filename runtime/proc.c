#include "runtime/proc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

unsigned long long nlab_proc_starttime(int pid)
{
        char path[64], buf[1024];
        unsigned long long start = 0;
        const char *p;
        FILE *f;
        int field;

        if (pid <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (!fgets(buf, sizeof(buf), f)) {
                fclose(f);
                return 0;
        }
        fclose(f);
        /* The command name may hold spaces and parentheses: count fields after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return 0;
        if (p[1] == ' ' && p[2] == 'Z')
                return 0; /* a zombie has exited */
        for (field = 2; *p && field < 22; p++)
                if (*p == ' ')
                        field++;
        if (sscanf(p, "%llu", &start) != 1)
                return 0;
        return start;
}

bool nlab_proc_alive(int pid, unsigned long long starttime)
{
        unsigned long long now = nlab_proc_starttime(pid);

        return now != 0 && (starttime == 0 || now == starttime);
}

int nlab_proc_wait_gone(int pid, unsigned long long starttime, int timeout_ms)
{
        struct pollfd pfd;
        int fd, r;

        if (!nlab_proc_alive(pid, starttime))
                return 1;
        fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return errno == ESRCH ? 1 : -1;
        /* The pid might have been reused between the check and pidfd_open. */
        if (!nlab_proc_alive(pid, starttime)) {
                close(fd);
                return 1;
        }
        pfd.fd = fd;
        pfd.events = POLLIN;
        do
                r = poll(&pfd, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        close(fd);
        if (r < 0)
                return -1;
        if (r == 0)
                return nlab_proc_alive(pid, starttime) ? 0 : 1;
        /* pidfd readable means exited; a zombie still waiting for its parent counts as gone. */
        return 1;
}
