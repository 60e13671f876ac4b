#include "runtime/ctr/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/ctr/caps.h"
#include "runtime/ctr/ctrpath.h"
#include "runtime/ctr/sigrelay.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/sysctlspec.h"
#include "runtime/base/userns.h"

static int fail(const struct nlab_sandbox *sb, int stage, int errnum, const char *what)
{
        struct nlab_sandbox_failure f = {.stage = stage, .errnum = errnum};

        snprintf(f.what, sizeof(f.what), "%s", what);
        if (write(sb->err_fd, &f, sizeof(f)) < 0) {
                /* nobody is listening; the exit code still tells */
        }
        if (stage == 1)
                return (errnum == ENOENT || errnum == ENOTDIR) ? 127 : 126;
        return 125;
}

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data, char *what, size_t wsize)
{
        if (mount(src, dst, type, flags, data) == 0)
                return 0;
        snprintf(what, wsize, "mount %s on %s", type ? type : src, dst);
        return -1;
}

static int mount_rootfs(const struct nlab_sandbox *sb, const char *rootfs, char *what, size_t ws)
{
        char opts[8192];

        if (sb->image == NLAB_IMAGE_HOST) {
                struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
                if (do_mount("/", rootfs, NULL, MS_BIND | MS_REC, NULL, what, ws) < 0)
                        return -1;
                if (syscall(SYS_mount_setattr, AT_FDCWD, rootfs, AT_RECURSIVE, &attr,
                            sizeof(attr)) < 0) {
                        snprintf(what, ws, "make %s read-only", rootfs);
                        return -1;
                }
                return nlab_image_host_mask(rootfs, sb->state_root, what, ws);
        }
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", sb->lower,
                 sb->ctr_dir, sb->ctr_dir);
        return do_mount("overlay", rootfs, "overlay", 0, opts, what, ws);
}

/* --device nodes, with the host node's type, numbers and mode (Docker keeps them too). */
static int make_devnodes(const struct nlab_sandbox *sb, const char *rootfs, char *what, size_t ws)
{
        char path[4400], *slash;
        size_t i;

        for (i = 0; i < sb->n_devnodes; i++) {
                const struct nlab_devnode *d = &sb->devnodes[i];
                snprintf(path, sizeof(path), "%s%s", rootfs, d->ctr);
                slash = strrchr(path, '/');
                *slash = '\0';
                nlab_mkdir_p(path, 0755, NULL);
                *slash = '/';
                unlink(path); /* a --device may replace one of the default nodes */
                if (mknod(path, d->mode & (S_IFMT | 07777), d->rdev) < 0 ||
                    chmod(path, d->mode & 07777) < 0) {
                        snprintf(what, ws, "create device %s%s", d->ctr,
                                 errno == EPERM && nlab_userns_nested()
                                     ? " (a rootless lab host cannot make device nodes: --device "
                                       "needs root mode)"
                                     : "");
                        return -1;
                }
        }
        return 0;
}

/* A user namespace may not mknod: a rootless lab host binds the host's node instead (the
 * kernel still checks the host's device permissions on open, as for the lab host itself). */
static int bind_devnode(const char *name, const char *path)
{
        char host[64];
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

        if (fd < 0)
                return -1;
        close(fd);
        snprintf(host, sizeof(host), "/dev/%s", name);
        return mount(host, path, NULL, MS_BIND, NULL);
}

static int make_dev(const struct nlab_sandbox *sb, const char *rootfs, char *what, size_t ws)
{
        bool nested = nlab_userns_nested();
        static const struct {
                const char *name;
                unsigned maj, min;
        } nodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                     {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
        static const char *const links[][2] = {
            {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
            {"pts/ptmx", "ptmx"},
        };
        char dev[4096], path[4200];
        size_t i;

        snprintf(dev, sizeof(dev), "%s/dev", rootfs);
        if (do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
                     what, ws) < 0)
                return -1;
        for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dev, nodes[i].name);
                if (nested ? bind_devnode(nodes[i].name, path) < 0
                           : mknod(path, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0) {
                        snprintf(what, ws, "%s %s", nested ? "bind-mount" : "mknod", path);
                        return -1;
                }
                chmod(path, 0666);
        }
        for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dev, links[i][1]);
                if (symlink(links[i][0], path) < 0) {
                        snprintf(what, ws, "symlink %s", path);
                        return -1;
                }
        }
        snprintf(path, sizeof(path), "%s/pts", dev);
        mkdir(path, 0755);
        if (do_mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620", what, ws) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/shm", dev);
        mkdir(path, 01777);
        if (do_mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "mode=1777,size=65536k", what, ws) < 0)
                return -1;
        return make_devnodes(sb, rootfs, what, ws);
}

/* Mount points are made and opened inside the root (see ctrpath.h): the container may have left
 * symlinks in its upper layer, and those must not send a mount or a mkdir to the host. */
static int bind_inside(int root_fd, const char *src, const char *dst, bool is_dir, bool ro,
                       char *what, size_t ws)
{
        int fd = nlab_ctrpath_mountpoint(root_fd, dst, is_dir);
        int r, e;

        if (fd < 0) {
                snprintf(what, ws, "create mount point %s", dst);
                return -1;
        }
        r = nlab_ctrpath_bind(src, fd, ro);
        e = errno;
        close(fd);
        errno = e;
        if (r < 0)
                snprintf(what, ws, "bind-mount %s on %s", src, dst);
        return r;
}

static int bind_etc_files(const struct nlab_sandbox *sb, int root_fd, char *what, size_t ws)
{
        static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
        char src[4096], dst[64];
        size_t i;

        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(src, sizeof(src), "%s/%s", sb->ctr_dir, files[i]);
                snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
                if (bind_inside(root_fd, src, dst, false, false, what, ws) < 0)
                        return -1;
        }
        return 0;
}

static int bind_volumes(const struct nlab_sandbox *sb, int root_fd, char *what, size_t ws)
{
        size_t i;

        for (i = 0; i < sb->n_volumes; i++) {
                const struct nlab_volume *v = &sb->volumes[i];
                struct stat st;
                if (stat(v->host, &st) < 0) {
                        snprintf(what, ws, "volume %s", v->host);
                        return -1;
                }
                if (bind_inside(root_fd, v->host, v->ctr, S_ISDIR(st.st_mode), v->ro, what, ws) < 0)
                        return -1;
        }
        return 0;
}

/* Values go in through the container's fresh /proc, in its own namespaces, before it is locked. */
static int write_sysctls(const struct nlab_sandbox *sb, const char *proc, char *what, size_t ws)
{
        char key[300], rel[300], path[4500];
        size_t i;

        for (i = 0; sb->sysctls && sb->sysctls[i]; i++) {
                const char *value =
                    nlab_sysctl_split(sb->sysctls[i], key, sizeof(key), rel, sizeof(rel));
                int fd;
                ssize_t n = -1;
                if (!value) {
                        errno = EINVAL;
                        snprintf(what, ws, "sysctl %s", sb->sysctls[i]);
                        return -1;
                }
                snprintf(path, sizeof(path), "%s/sys/%s", proc, rel);
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd >= 0) {
                        n = write(fd, value, strlen(value));
                        close(fd);
                }
                if (n < 0) {
                        snprintf(what, ws, "sysctl %s=%s", key, value);
                        return -1;
                }
        }
        return 0;
}

/* runc's lists and a little more: kernel interfaces a container must not write, or read. */
static const char *const proc_readonly[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys",
                                            "proc/sysrq-trigger"};
static const struct {
        const char *path;
        bool dir;
} masked[] = {
    {"proc/acpi", true},
    {"proc/asound", true},
    {"proc/kcore", false},
    {"proc/keys", false},
    {"proc/latency_stats", false},
    {"proc/timer_list", false},
    {"proc/timer_stats", false},
    {"proc/sched_debug", false},
    {"proc/scsi", true},
    {"sys/firmware", true},
    {"sys/devices/virtual/powercap", true},
};

/* Bind a path onto itself and lock it read-only; a path this kernel lacks is fine. */
static int make_readonly(const char *path)
{
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                            MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};

        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return errno == ENOENT ? 0 : -1;
        return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &ro, sizeof(ro));
}

/* A file reads as /dev/null, a directory as an empty read-only tmpfs. One tmpfs for every
 * directory, bound again at each after the first (empty names it): a superblock of its own
 * would cost each container a few KiB more for nothing (issue 11). */
static int mask(const char *path, bool dir, char *empty, size_t es)
{
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                            MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
        int r;

        if (!dir) {
                r = mount("/dev/null", path, NULL, MS_BIND, NULL);
        } else if (empty[0]) {
                r = mount(empty, path, NULL, MS_BIND, NULL);
                if (r == 0)
                        r = (int)syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &ro, sizeof(ro));
        } else {
                r = mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=0,mode=0555");
                if (r == 0)
                        snprintf(empty, es, "%s", path);
        }
        return r < 0 && errno != ENOENT ? -1 : 0;
}

static int lock_kernel_files(const char *rootfs, char *what, size_t ws)
{
        char path[4200], empty[4200] = "";
        size_t i;

        for (i = 0; i < sizeof(proc_readonly) / sizeof(proc_readonly[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", rootfs, proc_readonly[i]);
                if (make_readonly(path) < 0) {
                        snprintf(what, ws, "make %s read-only", path);
                        return -1;
                }
        }
        for (i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", rootfs, masked[i].path);
                if (mask(path, masked[i].dir, empty, sizeof(empty)) < 0) {
                        snprintf(what, ws, "mask %s", path);
                        return -1;
                }
        }
        return 0;
}

static int mount_kernel_fs(const struct nlab_sandbox *sb, const char *rootfs, char *what, size_t ws)
{
        char path[4200];

        snprintf(path, sizeof(path), "%s/proc", rootfs);
        if (do_mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, what, ws) < 0 ||
            write_sysctls(sb, path, what, ws) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/sys", rootfs);
        if (do_mount("sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
                     what, ws) < 0)
                return -1;
        return sb->privileged ? 0 : lock_kernel_files(rootfs, what, ws);
}

static int setup_mounts(const struct nlab_sandbox *sb, char *what, size_t ws)
{
        char rootfs[4096];
        int root_fd, r, e;

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", sb->ctr_dir);
        if (do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, what, ws) < 0 ||
            mount_rootfs(sb, rootfs, what, ws) < 0 || mount_kernel_fs(sb, rootfs, what, ws) < 0 ||
            make_dev(sb, rootfs, what, ws) < 0)
                return -1;
        root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                snprintf(what, ws, "open %s", rootfs);
                return -1;
        }
        r = bind_etc_files(sb, root_fd, what, ws);
        if (r == 0)
                r = bind_volumes(sb, root_fd, what, ws);
        if (r == 0 && sb->init_bin)
                r = bind_inside(root_fd, sb->init_bin, NLAB_INIT_PATH, false, true, what, ws);
        e = errno;
        close(root_fd);
        errno = e;
        if (r < 0)
                return -1;
        if (chdir(rootfs) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                snprintf(what, ws, "pivot_root into %s", rootfs);
                return -1;
        }
        return 0;
}

static int loopback_up(void)
{
        struct ifreq ifr = {0};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int r;

        if (fd < 0)
                return -1;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        r = ioctl(fd, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
                ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
        return r;
}

/* A procfs of its own, detached (no mount point): a path under the host's /proc/sys/net is one
 * dcache hash chain with an entry for every netns that ever looked there, so each lookup through
 * the host's /proc cost O(containers). -1 (use /proc) where the new mount API is refused. */
static int own_proc(void)
{
        int fs = fsopen("proc", FSOPEN_CLOEXEC), mnt = -1;

        if (fs < 0)
                return -1;
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
                mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        close(fs);
        return mnt;
}

/* netlab networks are IPv4. Left on, every new interface would send IPv6 router solicitations
 * and MLD reports that the bridge floods to every container, so each start would cost more the
 * more containers exist. Set before the parent side creates eth0, so eth0 inherits "default";
 * best effort (a kernel without IPv6 has no such files). As Docker does for IPv4-only networks. */
static void ipv6_off(void)
{
        static const char *const keys[] = {"sys/net/ipv6/conf/default/disable_ipv6",
                                           "sys/net/ipv6/conf/all/disable_ipv6"};
        int proc = own_proc();
        size_t i;

        if (proc < 0)
                proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (i = 0; proc >= 0 && i < 2; i++) {
                int fd = openat(proc, keys[i], O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (write(fd, "1", 1) < 0) {
                        /* keep IPv6 then: correct, only slower */
                }
                close(fd);
        }
        if (proc >= 0)
                close(proc);
}

static int setup_stdio(const struct nlab_sandbox *sb)
{
        int i;

        if (setsid() < 0)
                return -1;
        for (i = 0; i < 3; i++)
                if (sb->stdio[i] >= 0 && dup2(sb->stdio[i], i) < 0)
                        return -1;
        if (sb->tty && ioctl(0, TIOCSCTTY, 0) < 0)
                return -1;
        return 0;
}

/* Into the cgroups netlab made while we waited, before anything else runs (cgroup.h says why
 * the process moves itself). */
static int join_cgroups(const struct nlab_sandbox *sb, char *what, size_t ws)
{
        size_t i;

        for (i = 0; i < sb->n_cgroup_join; i++) {
                int fd = open(sb->cgroup_join[i], O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, "0", 1) != 1) {
                        int e = errno;
                        if (fd >= 0)
                                close(fd);
                        snprintf(what, ws, "join cgroup %s", sb->cgroup_join[i]);
                        errno = e;
                        return -1;
                }
                close(fd);
        }
        return 0;
}

/* Without a cgroup (rootless) a fork bomb is held by the per-user process count instead; it
 * counts every process of the container's uid in the lab host, not this container's alone. */
static int bound_nproc(long max)
{
        struct rlimit rl = {.rlim_cur = (rlim_t)max, .rlim_max = (rlim_t)max};

        return setrlimit(RLIMIT_NPROC, &rl);
}

static int wait_for_go(const struct nlab_sandbox *sb)
{
        char c;
        ssize_t n;

        do
                n = read(sb->go_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        close(sb->go_fd);
        return n == 1 ? 0 : -1;
}

/* --init: the command's exec happens in netlab-init, which reports a failure on err_fd. */
static int pass_report_fd(const struct nlab_sandbox *sb)
{
        char fd[16];

        snprintf(fd, sizeof(fd), "%d", sb->err_fd);
        if (setenv(NLAB_INIT_REPORT_ENV, fd, 1) < 0)
                return -1;
        return fcntl(sb->err_fd, F_SETFD, 0);
}

int nlab_sandbox_run(const struct nlab_sandbox *sb)
{
        char what[256] = "";
        struct nlab_err err;
        size_t i;

        if (sb->die_with_parent)
                prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (sb->own_net)
                ipv6_off();
        if (wait_for_go(sb) < 0)
                return fail(sb, 0, ECANCELED, "start aborted by netlab");
        if (join_cgroups(sb, what, sizeof(what)) < 0)
                return fail(sb, 0, errno, what);
        if (sb->own_net && loopback_up() < 0)
                return fail(sb, 0, errno, "bring up lo");
        if (setup_mounts(sb, what, sizeof(what)) < 0)
                return fail(sb, 0, errno, what);
        if (sethostname(sb->hostname, strlen(sb->hostname)) < 0)
                return fail(sb, 0, errno, "sethostname");
        if (setup_stdio(sb) < 0)
                return fail(sb, 0, errno, "set up stdio");
        if (sb->workdir && sb->workdir[0]) {
                nlab_mkdir_p(sb->workdir, 0755, NULL);
                if (chdir(sb->workdir) < 0)
                        return fail(sb, 0, errno, "chdir to working directory");
        }
        if (sb->nproc_max > 0 && bound_nproc(sb->nproc_max) < 0)
                return fail(sb, 0, errno, "set RLIMIT_NPROC");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(sb, 0, errno, "no_new_privs");
        if (nlab_caps_apply(sb->caps, &err) < 0)
                return fail(sb, 0, err.errnum, err.msg);
        clearenv();
        for (i = 0; sb->env[i]; i++)
                putenv(sb->env[i]);
        /* Everything but stdio and err_fd closes on exec, so no netlab fd leaks inside. */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (sb->init_bin && pass_report_fd(sb) < 0)
                return fail(sb, 0, errno, "hand the exec report to init");
        nlab_sigrelay_reset(); /* not what the netlab that started us ignored or blocked */
        if (sb->seccomp && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, sb->seccomp) < 0)
                return fail(sb, 0, errno, "load seccomp filter");
        execvp(sb->argv[0], sb->argv);
        return fail(sb, 1, errno, sb->argv[0]);
}
