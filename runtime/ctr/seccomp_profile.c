#include "runtime/ctr/seccomp_profile.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define CAP(c) (1ULL << (c))
#define NS_FLAGS                                                                                   \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
         CLONE_NEWCGROUP)

/* The allowlist of moby profiles/seccomp/default.json, names as libseccomp spells them. */
static const char *const allowed[] = {"accept",
                                      "accept4",
                                      "access",
                                      "adjtimex",
                                      "alarm",
                                      "bind",
                                      "brk",
                                      "cachestat",
                                      "capget",
                                      "capset",
                                      "chdir",
                                      "chmod",
                                      "chown",
                                      "chown32",
                                      "clock_adjtime",
                                      "clock_adjtime64",
                                      "clock_getres",
                                      "clock_getres_time64",
                                      "clock_gettime",
                                      "clock_gettime64",
                                      "clock_nanosleep",
                                      "clock_nanosleep_time64",
                                      "close",
                                      "close_range",
                                      "connect",
                                      "copy_file_range",
                                      "creat",
                                      "dup",
                                      "dup2",
                                      "dup3",
                                      "epoll_create",
                                      "epoll_create1",
                                      "epoll_ctl",
                                      "epoll_ctl_old",
                                      "epoll_pwait",
                                      "epoll_pwait2",
                                      "epoll_wait",
                                      "epoll_wait_old",
                                      "eventfd",
                                      "eventfd2",
                                      "execve",
                                      "execveat",
                                      "exit",
                                      "exit_group",
                                      "faccessat",
                                      "faccessat2",
                                      "fadvise64",
                                      "fadvise64_64",
                                      "fallocate",
                                      "fanotify_mark",
                                      "fchdir",
                                      "fchmod",
                                      "fchmodat",
                                      "fchmodat2",
                                      "fchown",
                                      "fchown32",
                                      "fchownat",
                                      "fcntl",
                                      "fcntl64",
                                      "fdatasync",
                                      "fgetxattr",
                                      "flistxattr",
                                      "flock",
                                      "fork",
                                      "fremovexattr",
                                      "fsetxattr",
                                      "fstat",
                                      "fstat64",
                                      "fstatat64",
                                      "fstatfs",
                                      "fstatfs64",
                                      "fsync",
                                      "ftruncate",
                                      "ftruncate64",
                                      "futex",
                                      "futex_requeue",
                                      "futex_time64",
                                      "futex_wait",
                                      "futex_waitv",
                                      "futex_wake",
                                      "futimesat",
                                      "getcpu",
                                      "getcwd",
                                      "getdents",
                                      "getdents64",
                                      "getegid",
                                      "getegid32",
                                      "geteuid",
                                      "geteuid32",
                                      "getgid",
                                      "getgid32",
                                      "getgroups",
                                      "getgroups32",
                                      "getitimer",
                                      "getpeername",
                                      "getpgid",
                                      "getpgrp",
                                      "getpid",
                                      "getppid",
                                      "getpriority",
                                      "getrandom",
                                      "getresgid",
                                      "getresgid32",
                                      "getresuid",
                                      "getresuid32",
                                      "getrlimit",
                                      "get_robust_list",
                                      "getrusage",
                                      "getsid",
                                      "getsockname",
                                      "getsockopt",
                                      "get_thread_area",
                                      "gettid",
                                      "gettimeofday",
                                      "getuid",
                                      "getuid32",
                                      "getxattr",
                                      "getxattrat",
                                      "inotify_add_watch",
                                      "inotify_init",
                                      "inotify_init1",
                                      "inotify_rm_watch",
                                      "io_cancel",
                                      "ioctl",
                                      "io_destroy",
                                      "io_getevents",
                                      "io_pgetevents",
                                      "io_pgetevents_time64",
                                      "ioprio_get",
                                      "ioprio_set",
                                      "io_setup",
                                      "io_submit",
                                      "ipc",
                                      "kill",
                                      "landlock_add_rule",
                                      "landlock_create_ruleset",
                                      "landlock_restrict_self",
                                      "lchown",
                                      "lchown32",
                                      "lgetxattr",
                                      "link",
                                      "linkat",
                                      "listen",
                                      "listmount",
                                      "listxattr",
                                      "listxattrat",
                                      "llistxattr",
                                      "_llseek",
                                      "lremovexattr",
                                      "lseek",
                                      "lsetxattr",
                                      "lstat",
                                      "lstat64",
                                      "madvise",
                                      "map_shadow_stack",
                                      "membarrier",
                                      "memfd_create",
                                      "memfd_secret",
                                      "mincore",
                                      "mkdir",
                                      "mkdirat",
                                      "mknod",
                                      "mknodat",
                                      "mlock",
                                      "mlock2",
                                      "mlockall",
                                      "mmap",
                                      "mmap2",
                                      "mprotect",
                                      "mq_getsetattr",
                                      "mq_notify",
                                      "mq_open",
                                      "mq_timedreceive",
                                      "mq_timedreceive_time64",
                                      "mq_timedsend",
                                      "mq_timedsend_time64",
                                      "mq_unlink",
                                      "mremap",
                                      "mseal",
                                      "msgctl",
                                      "msgget",
                                      "msgrcv",
                                      "msgsnd",
                                      "msync",
                                      "munlock",
                                      "munlockall",
                                      "munmap",
                                      "name_to_handle_at",
                                      "nanosleep",
                                      "newfstatat",
                                      "_newselect",
                                      "open",
                                      "openat",
                                      "openat2",
                                      "pause",
                                      "pidfd_open",
                                      "pidfd_send_signal",
                                      "pipe",
                                      "pipe2",
                                      "pkey_alloc",
                                      "pkey_free",
                                      "pkey_mprotect",
                                      "poll",
                                      "ppoll",
                                      "ppoll_time64",
                                      "prctl",
                                      "pread64",
                                      "preadv",
                                      "preadv2",
                                      "prlimit64",
                                      "process_mrelease",
                                      "pselect6",
                                      "pselect6_time64",
                                      "pwrite64",
                                      "pwritev",
                                      "pwritev2",
                                      "read",
                                      "readahead",
                                      "readlink",
                                      "readlinkat",
                                      "readv",
                                      "recv",
                                      "recvfrom",
                                      "recvmmsg",
                                      "recvmmsg_time64",
                                      "recvmsg",
                                      "remap_file_pages",
                                      "removexattr",
                                      "removexattrat",
                                      "rename",
                                      "renameat",
                                      "renameat2",
                                      "restart_syscall",
                                      "riscv_hwprobe",
                                      "rmdir",
                                      "rseq",
                                      "rt_sigaction",
                                      "rt_sigpending",
                                      "rt_sigprocmask",
                                      "rt_sigqueueinfo",
                                      "rt_sigreturn",
                                      "rt_sigsuspend",
                                      "rt_sigtimedwait",
                                      "rt_sigtimedwait_time64",
                                      "rt_tgsigqueueinfo",
                                      "sched_getaffinity",
                                      "sched_getattr",
                                      "sched_getparam",
                                      "sched_get_priority_max",
                                      "sched_get_priority_min",
                                      "sched_getscheduler",
                                      "sched_rr_get_interval",
                                      "sched_rr_get_interval_time64",
                                      "sched_setaffinity",
                                      "sched_setattr",
                                      "sched_setparam",
                                      "sched_setscheduler",
                                      "sched_yield",
                                      "seccomp",
                                      "select",
                                      "semctl",
                                      "semget",
                                      "semop",
                                      "semtimedop",
                                      "semtimedop_time64",
                                      "send",
                                      "sendfile",
                                      "sendfile64",
                                      "sendmmsg",
                                      "sendmsg",
                                      "sendto",
                                      "setfsgid",
                                      "setfsgid32",
                                      "setfsuid",
                                      "setfsuid32",
                                      "setgid",
                                      "setgid32",
                                      "setgroups",
                                      "setgroups32",
                                      "setitimer",
                                      "setpgid",
                                      "setpriority",
                                      "setregid",
                                      "setregid32",
                                      "setresgid",
                                      "setresgid32",
                                      "setresuid",
                                      "setresuid32",
                                      "setreuid",
                                      "setreuid32",
                                      "setrlimit",
                                      "set_robust_list",
                                      "setsid",
                                      "setsockopt",
                                      "set_thread_area",
                                      "set_tid_address",
                                      "setuid",
                                      "setuid32",
                                      "setxattr",
                                      "setxattrat",
                                      "shmat",
                                      "shmctl",
                                      "shmdt",
                                      "shmget",
                                      "shutdown",
                                      "sigaltstack",
                                      "signalfd",
                                      "signalfd4",
                                      "sigprocmask",
                                      "sigreturn",
                                      "socketcall",
                                      "socketpair",
                                      "splice",
                                      "stat",
                                      "stat64",
                                      "statfs",
                                      "statfs64",
                                      "statmount",
                                      "statx",
                                      "symlink",
                                      "symlinkat",
                                      "sync",
                                      "sync_file_range",
                                      "syncfs",
                                      "sysinfo",
                                      "tee",
                                      "tgkill",
                                      "time",
                                      "timer_create",
                                      "timer_delete",
                                      "timer_getoverrun",
                                      "timer_gettime",
                                      "timer_gettime64",
                                      "timer_settime",
                                      "timer_settime64",
                                      "timerfd_create",
                                      "timerfd_gettime",
                                      "timerfd_gettime64",
                                      "timerfd_settime",
                                      "timerfd_settime64",
                                      "times",
                                      "tkill",
                                      "truncate",
                                      "truncate64",
                                      "ugetrlimit",
                                      "umask",
                                      "uname",
                                      "unlink",
                                      "unlinkat",
                                      "uretprobe",
                                      "utime",
                                      "utimensat",
                                      "utimensat_time64",
                                      "utimes",
                                      "vfork",
                                      "vmsplice",
                                      "wait4",
                                      "waitid",
                                      "waitpid",
                                      "write",
                                      "writev",
                                      NULL};

/* Docker gates these on kernel >= 4.8 (ptrace could bypass seccomp before); netlab needs newer. */
static const char *const ptrace_calls[] = {"process_vm_readv", "process_vm_writev", "ptrace", NULL};
static const char *const socket_call[] = {"socket", NULL};
static const char *const personality_call[] = {"personality", NULL};
static const char *const clone_call[] = {"clone", NULL};
static const char *const clone3_call[] = {"clone3", NULL};
static const char *const ppc64le_calls[] = {"sync_file_range2", "swapcontext", NULL};
static const char *const arm_calls[] = {"arm_fadvise64_64",
                                        "arm_sync_file_range",
                                        "sync_file_range2",
                                        "breakpoint",
                                        "cacheflush",
                                        "set_tls",
                                        NULL};
static const char *const arch_prctl_call[] = {"arch_prctl", NULL};
static const char *const modify_ldt_call[] = {"modify_ldt", NULL};
static const char *const s390_calls[] = {"s390_pci_mmio_read", "s390_pci_mmio_write",
                                         "s390_runtime_instr", NULL};
static const char *const riscv_calls[] = {"riscv_flush_icache", NULL};
static const char *const dac_read_search_calls[] = {"open_by_handle_at", NULL};
static const char *const sys_admin_calls[] = {"bpf",
                                              "clone",
                                              "clone3",
                                              "fanotify_init",
                                              "fsconfig",
                                              "fsmount",
                                              "fsopen",
                                              "fspick",
                                              "lookup_dcookie",
                                              "lsm_get_self_attr",
                                              "lsm_list_modules",
                                              "lsm_set_self_attr",
                                              "mount",
                                              "mount_setattr",
                                              "move_mount",
                                              "open_tree",
                                              "perf_event_open",
                                              "quotactl",
                                              "quotactl_fd",
                                              "setdomainname",
                                              "sethostname",
                                              "setns",
                                              "syslog",
                                              "umount",
                                              "umount2",
                                              "unshare",
                                              NULL};
static const char *const sys_boot_calls[] = {"reboot", NULL};
static const char *const sys_chroot_calls[] = {"chroot", NULL};
static const char *const sys_module_calls[] = {"delete_module", "init_module", "finit_module",
                                               NULL};
static const char *const sys_pacct_calls[] = {"acct", NULL};
static const char *const sys_ptrace_calls[] = {
    "kcmp",   "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
    "ptrace", NULL};
static const char *const sys_rawio_calls[] = {"iopl", "ioperm", NULL};
static const char *const sys_time_calls[] = {"settimeofday", "stime", "clock_settime",
                                             "clock_settime64", NULL};
static const char *const sys_tty_config_calls[] = {"vhangup", NULL};
static const char *const sys_nice_calls[] = {"get_mempolicy", "mbind", "set_mempolicy",
                                             "set_mempolicy_home_node", NULL};
static const char *const syslog_calls[] = {"syslog", NULL};
static const char *const bpf_calls[] = {"bpf", NULL};
static const char *const perfmon_calls[] = {"perf_event_open", NULL};

#define ARG(i, o, v)                                                                               \
        {                                                                                          \
                .op = (o), .index = (i), .value = (v)                                              \
        }

static const struct nlab_sc_rule rules[] = {
    {.names = allowed},
    {.names = ptrace_calls},
    /* every address family but AF_ALG (38) and AF_VSOCK (40) */
    {.names = socket_call, .arg = ARG(0, NLAB_SC_LT, AF_ALG)},
    {.names = socket_call, .arg = ARG(0, NLAB_SC_EQ, AF_ALG + 1)},
    {.names = socket_call, .arg = ARG(0, NLAB_SC_GT, AF_VSOCK)},
    /* PER_LINUX, UNAME26, PER_LINUX32 and their mix, and the query 0xffffffff */
    {.names = personality_call, .arg = ARG(0, NLAB_SC_EQ, 0x0)},
    {.names = personality_call, .arg = ARG(0, NLAB_SC_EQ, 0x0008)},
    {.names = personality_call, .arg = ARG(0, NLAB_SC_EQ, 0x20000)},
    {.names = personality_call, .arg = ARG(0, NLAB_SC_EQ, 0x20008)},
    {.names = personality_call, .arg = ARG(0, NLAB_SC_EQ, 0xffffffff)},
    {.names = ppc64le_calls, .arches_in = NLAB_SC_PPC64LE},
    {.names = arm_calls, .arches_in = NLAB_SC_ARM | NLAB_SC_ARM64},
    {.names = arch_prctl_call, .arches_in = NLAB_SC_AMD64 | NLAB_SC_X32},
    {.names = modify_ldt_call, .arches_in = NLAB_SC_AMD64 | NLAB_SC_X32 | NLAB_SC_X86},
    {.names = s390_calls, .arches_in = NLAB_SC_S390 | NLAB_SC_S390X},
    {.names = riscv_calls, .arches_in = NLAB_SC_RISCV64},
    {.names = dac_read_search_calls, .caps_in = CAP(CAP_DAC_READ_SEARCH)},
    {.names = sys_admin_calls, .caps_in = CAP(CAP_SYS_ADMIN)},
    /* threads and fork, but no new namespaces without SYS_ADMIN (s390 swaps clone's args) */
    {.names = clone_call,
     .arg = {.op = NLAB_SC_MASKED_EQ, .index = 0, .value = NS_FLAGS, .value2 = 0},
     .caps_out = CAP(CAP_SYS_ADMIN),
     .arches_out = NLAB_SC_S390 | NLAB_SC_S390X},
    {.names = clone_call,
     .arg = {.op = NLAB_SC_MASKED_EQ, .index = 1, .value = NS_FLAGS, .value2 = 0},
     .caps_out = CAP(CAP_SYS_ADMIN),
     .arches_in = NLAB_SC_S390 | NLAB_SC_S390X},
    /* clone3's flags sit in memory a filter cannot read: ENOSYS makes libc use clone */
    {.names = clone3_call, .action = NLAB_SC_ENOSYS, .caps_out = CAP(CAP_SYS_ADMIN)},
    {.names = sys_boot_calls, .caps_in = CAP(CAP_SYS_BOOT)},
    {.names = sys_chroot_calls, .caps_in = CAP(CAP_SYS_CHROOT)},
    {.names = sys_module_calls, .caps_in = CAP(CAP_SYS_MODULE)},
    {.names = sys_pacct_calls, .caps_in = CAP(CAP_SYS_PACCT)},
    {.names = sys_ptrace_calls, .caps_in = CAP(CAP_SYS_PTRACE)},
    {.names = sys_rawio_calls, .caps_in = CAP(CAP_SYS_RAWIO)},
    {.names = sys_time_calls, .caps_in = CAP(CAP_SYS_TIME)},
    {.names = sys_tty_config_calls, .caps_in = CAP(CAP_SYS_TTY_CONFIG)},
    {.names = sys_nice_calls, .caps_in = CAP(CAP_SYS_NICE)},
    {.names = syslog_calls, .caps_in = CAP(CAP_SYSLOG)},
    {.names = bpf_calls, .caps_in = CAP(CAP_BPF)},
    {.names = perfmon_calls, .caps_in = CAP(CAP_PERFMON)},
};

const struct nlab_sc_rule *nlab_sc_default_rules(size_t *n)
{
        *n = sizeof(rules) / sizeof(rules[0]);
        return rules;
}

bool nlab_sc_rule_applies(const struct nlab_sc_rule *r, uint64_t caps, unsigned arch)
{
        if ((caps & r->caps_in) != r->caps_in || (caps & r->caps_out))
                return false;
        if (r->arches_in && !(r->arches_in & arch))
                return false;
        return !(r->arches_out & arch);
}

uint64_t nlab_sc_relevant_caps(void)
{
        uint64_t m = 0;
        size_t i;

        for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
                m |= rules[i].caps_in | rules[i].caps_out;
        return m;
}

static bool names_has(const char *const *names, const char *name)
{
        for (; *names; names++)
                if (!strcmp(*names, name))
                        return true;
        return false;
}

static bool arg_matches(const struct nlab_sc_arg *a, const uint64_t args[6])
{
        uint64_t v = args[a->index];

        switch (a->op) {
        case NLAB_SC_ANY:
                return true;
        case NLAB_SC_EQ:
                return v == a->value;
        case NLAB_SC_LT:
                return v < a->value;
        case NLAB_SC_GT:
                return v > a->value;
        case NLAB_SC_MASKED_EQ:
                return (v & a->value) == a->value2;
        }
        return false;
}

int nlab_sc_decide(const char *name, uint64_t caps, unsigned arch, const uint64_t args[6])
{
        size_t i;

        for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                const struct nlab_sc_rule *r = &rules[i];
                if (!nlab_sc_rule_applies(r, caps, arch) || !names_has(r->names, name) ||
                    !arg_matches(&r->arg, args))
                        continue;
                return r->action == NLAB_SC_ENOSYS ? ENOSYS : 0;
        }
        return NLAB_SC_DEFAULT_ERRNO;
}

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
        const unsigned char *p = data;

        while (len--)
                h = (h ^ *p++) * 16777619u;
        return h;
}

/* Any edit of the table changes the hash, so a stale cached filter is never loaded. */
static uint32_t table_hash(void)
{
        uint32_t h = 2166136261u;
        size_t i;

        for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
                const struct nlab_sc_rule *r = &rules[i];
                const char *const *n;
                uint64_t nums[] = {r->action,    r->arg.op,     r->arg.index,
                                   r->arg.value, r->arg.value2, r->caps_in,
                                   r->caps_out,  r->arches_in,  r->arches_out};
                for (n = r->names; *n; n++)
                        h = fnv1a(h, *n, strlen(*n) + 1);
                h = fnv1a(h, nums, sizeof(nums));
        }
        return h;
}

int nlab_sc_cache_name(char *buf, size_t size, uint32_t arch_token, uint64_t caps,
                       const char *builder_version)
{
        int n = snprintf(buf, size, "default-%08x-%016llx-%08x-%s.bpf", arch_token,
                         (unsigned long long)(caps & nlab_sc_relevant_caps()), table_hash(),
                         builder_version);

        return n < 0 || (size_t)n >= size ? -1 : 0;
}
