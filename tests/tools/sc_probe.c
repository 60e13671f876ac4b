/* Tries syscalls that Docker's default seccomp profile refuses and prints "NAME ok" or
 * "NAME ERRNO" for each, so a test can tell the filter's EPERM from the kernel's own answer.
 * Built static so it runs inside the busybox image. Usage: sc_probe NAME... */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long try_clone_userns(void)
{
        long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        return pid;
}

static long try_socket(int family)
{
        int fd = socket(family, SOCK_SEQPACKET, 0);

        if (fd >= 0)
                close(fd);
        return fd;
}

#ifdef __x86_64__
/* socket(AF_VSOCK) through the 32-bit socketcall entry, which a filter that admits the x86
 * arch (Docker's) lets past its socket family checks. */
static long try_socketcall_vsock(void)
{
        unsigned *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        long r;

        if (args == MAP_FAILED)
                return -1;
        args[0] = AF_VSOCK;
        args[1] = SOCK_STREAM;
        args[2] = 0;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(102), "b"(1), "c"(args) : "memory");
        if (r < 0) {
                errno = (int)-r;
                return -1;
        }
        return r;
}
#endif

static long run(const char *name)
{
        if (!strcmp(name, "keyctl"))
                return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1);
        if (!strcmp(name, "add_key"))
                return syscall(SYS_add_key, "user", "netlab-probe", "x", 1,
                               KEY_SPEC_PROCESS_KEYRING);
        if (!strcmp(name, "request_key"))
                return syscall(SYS_request_key, "user", "netlab-probe-absent", NULL, 0);
        if (!strcmp(name, "unshare_user"))
                return unshare(CLONE_NEWUSER);
        if (!strcmp(name, "clone_user"))
                return try_clone_userns();
        /* a NULL argument block: EINVAL if it reaches the kernel, ENOSYS from the filter */
        if (!strcmp(name, "clone3"))
                return syscall(SYS_clone3, NULL, 0);
        if (!strcmp(name, "personality"))
                return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */);
        if (!strcmp(name, "vsock"))
                return try_socket(AF_VSOCK);
        /* CAD_OFF in a child pid namespace is EINVAL once past the capability check */
        if (!strcmp(name, "reboot"))
                return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                               LINUX_REBOOT_CMD_CAD_OFF, NULL);
#ifdef __x86_64__
        if (!strcmp(name, "socketcall_vsock"))
                return try_socketcall_vsock();
#endif
        errno = ENOTSUP;
        return -1;
}

/* Each probe in its own child, so one (unshare) cannot change what the next one sees.
 * A child killed by a signal is reported as "killed-SIG" (SIGSYS: the filter killed it). */
static void probe(const char *name)
{
        pid_t pid;
        int status;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                long r;
                errno = 0;
                r = run(name);
                printf("%s %s\n", name, r >= 0 ? "ok" : strerrorname_np(errno));
                exit(0);
        }
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status))
                printf("%s killed-%s\n", name, sigabbrev_np(WTERMSIG(status)));
}

int main(int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++)
                probe(argv[i]);
        return 0;
}
