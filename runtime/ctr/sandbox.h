/* Inside the container's first process: mounts, pivot_root, hostname, capabilities, exec. */
#ifndef NLAB_SANDBOX_H
#define NLAB_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/ctr/cgroup.h"
#include "runtime/ctr/image.h"

struct sock_fprog;

struct nlab_volume {
        char *host;
        char *ctr;
        bool ro;
};

struct nlab_sandbox {
        enum nlab_image_kind image;
        const char *lower;   /* image rootfs (busybox) */
        const char *ctr_dir; /* holds rootfs/, upper/, work/, hosts, hostname, resolv.conf */
        const char *hostname;
        char *const *argv;
        char *const *env; /* KEY=VALUE, NULL-terminated */
        const char *workdir;
        const struct nlab_volume *volumes;
        size_t n_volumes;
        const struct nlab_devnode *devnodes; /* --device nodes to create */
        size_t n_devnodes;
        const char (*cgroup_join)[PATH_MAX]; /* written "0" first thing after go: joins them */
        size_t n_cgroup_join;
        long nproc_max; /* > 0: RLIMIT_NPROC, the pids bound where there is no cgroup (rootless) */
        uint64_t caps;
        const struct sock_fprog *seccomp; /* loaded just before exec; NULL: none */
        bool privileged;        /* /proc and /sys as mounted, nothing masked (as in Docker) */
        char *const *sysctls;   /* KEY=VALUE, NULL-terminated; written before /proc/sys is locked */
        const char *state_root; /* hidden from the host image */
        const char *init_bin;   /* --init: netlab-init on the host, bound at NLAB_INIT_PATH */
        bool tty;               /* stdio[0] is a pty slave to become the controlling terminal */
        bool own_net;           /* the process got a fresh network namespace: bring lo up */
        bool die_with_parent;   /* PDEATHSIG: an attached run's shim stays its parent */
        int stdio[3];
        int go_fd;  /* blocks until the parent side has finished networking */
        int err_fd; /* CLOEXEC: an errno written here means exec never happened */
};

/* Where --init puts netlab-init: Docker's first --init path, on the container's own /dev tmpfs,
 * so it needs no mount point in the image (the host image is read-only). argv then starts with
 * NLAB_INIT_PATH "--"; err_fd goes to init (NLAB_INIT_REPORT_ENV) to report the command's exec. */
#define NLAB_INIT_PATH       "/dev/init"
#define NLAB_INIT_REPORT_ENV "NETLAB_INIT_REPORT_FD"

/* Failure report written to err_fd: which stage failed and the errno. */
struct nlab_sandbox_failure {
        int stage; /* 0 = setup, 1 = exec */
        int errnum;
        char what[256];
};

/* Runs in the cloned child; only returns on failure, with the exit code to _exit with. */
int nlab_sandbox_run(const struct nlab_sandbox *sb);

#endif
