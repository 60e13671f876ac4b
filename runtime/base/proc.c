#include "runtime/base/proc.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
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

int nlab_proc_pidfd(int pid, unsigned long long starttime, struct nlab_err *err)
{
        int fd;

        if (pid <= 0 || starttime == 0 || !nlab_proc_alive(pid, starttime))
                return nlab_err_set(err, NLAB_E_CONFLICT, "process %d has exited", pid);
        fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0 && errno == ENOSYS)
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "pidfd_open: this kernel has no pidfds; joining a container "
                                    "safely needs Linux 5.8 or newer");
        if (fd < 0)
                return nlab_err_sys(err, errno, "pidfd_open %d", pid);
        /* The pid may have been reused before pidfd_open: if the start time still matches
         * now, the fd refers to the process we checked, and it cannot change any more. */
        if (!nlab_proc_alive(pid, starttime)) {
                close(fd);
                return nlab_err_set(err, NLAB_E_CONFLICT, "process %d has exited", pid);
        }
        return fd;
}

int nlab_proc_setns(int pidfd, int nstypes, struct nlab_err *err)
{
        if (setns(pidfd, nstypes) == 0)
                return 0;
        if (errno == EINVAL)
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "setns on a pidfd failed (Invalid argument): joining a "
                                    "container by pidfd needs Linux 5.8 or newer");
        return nlab_err_sys(err, errno, "join namespaces by pidfd");
}

const char *nlab_proc_netns_path(int pid, char buf[NLAB_NETNS_PATH_LEN])
{
        snprintf(buf, NLAB_NETNS_PATH_LEN, "/proc/%d/ns/net", pid);
        return buf;
}

int nlab_proc_pidfd_pid(int pidfd)
{
        char path[64], line[128];
        FILE *f;
        int pid = -1;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Pid:\t%d", &pid) == 1)
                        break;
        fclose(f);
        return pid > 0 ? pid : -1;
}
