#include "runtime/ctr/seccomp_cache.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/ctr/seccomp_profile.h"
#include "runtime/ctr/secopt.h"

/* Part of the cache key: bump it when build() changes what it emits for the same table. */
#define BUILD_REV 1

static const struct {
        uint32_t token;
        unsigned bit;
} arches[] = {
    {SCMP_ARCH_X86_64, NLAB_SC_AMD64},    {SCMP_ARCH_X32, NLAB_SC_X32},
    {SCMP_ARCH_X86, NLAB_SC_X86},         {SCMP_ARCH_AARCH64, NLAB_SC_ARM64},
    {SCMP_ARCH_ARM, NLAB_SC_ARM},         {SCMP_ARCH_PPC64LE, NLAB_SC_PPC64LE},
    {SCMP_ARCH_S390X, NLAB_SC_S390X},     {SCMP_ARCH_S390, NLAB_SC_S390},
    {SCMP_ARCH_RISCV64, NLAB_SC_RISCV64},
};

/* The profile's arch bit for the native arch, which is the only one the filter admits. */
static unsigned native_arch(void)
{
        uint32_t token = seccomp_arch_native();
        size_t i;

        for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
                if (arches[i].token == token)
                        return arches[i].bit;
        return NLAB_SC_OTHER;
}

static const enum scmp_compare ops[] = {
    [NLAB_SC_EQ] = SCMP_CMP_EQ,
    [NLAB_SC_LT] = SCMP_CMP_LT,
    [NLAB_SC_GT] = SCMP_CMP_GT,
    [NLAB_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, const struct nlab_sc_rule *r, const char *name,
                    struct nlab_err *err)
{
        uint32_t action = r->action == NLAB_SC_ENOSYS ? SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ALLOW;
        struct scmp_arg_cmp cmp = {r->arg.index, ops[r->arg.op], r->arg.value, r->arg.value2};
        int nr = seccomp_syscall_resolve_name(name);
        int rc;

        /* Not a call on this arch or unknown to this libseccomp: skipped, as Docker does
         * (negative numbers are libseccomp's pseudo numbers for other arches' calls). */
        if (nr < 0)
                return 0;
        if (r->arg.op == NLAB_SC_ANY)
                rc = seccomp_rule_add(ctx, action, nr, 0);
        else
                rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
        if (rc < 0 && rc != -EEXIST)
                return nlab_err_sys(err, -rc, "seccomp rule for %s", name);
        return 0;
}

/* Compile the default profile for caps and write the BPF to fd.
 * Unlike Docker, only the native arch is admitted: Docker also lets x86_64 containers make
 * 32-bit (int 0x80) and x32 calls, where socketcall reaches AF_VSOCK and AF_ALG past the socket
 * filter. netlab's images are native, so such a call kills the process; the filter is also a
 * third of the size, which makes loading it (the kernel JITs it) three times cheaper. */
static int build(int fd, unsigned arch, uint64_t caps, struct nlab_err *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(NLAB_SC_DEFAULT_ERRNO));
        const struct nlab_sc_rule *rules;
        size_t n, i;
        int r = -1, rc;

        if (!ctx)
                return nlab_err_sys(err, ENOMEM, "seccomp init");
        rules = nlab_sc_default_rules(&n);
        /* a binary search over syscall numbers instead of a linear chain of ~370 checks */
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (rc < 0) {
                nlab_err_sys(err, -rc, "seccomp: kill on a foreign arch");
                goto out;
        }
        for (i = 0; i < n; i++) {
                const char *const *name;
                if (!nlab_sc_rule_applies(&rules[i], caps, arch))
                        continue;
                for (name = rules[i].names; *name; name++)
                        if (add_rule(ctx, &rules[i], *name, err) < 0)
                                goto out;
        }
        rc = seccomp_export_bpf(ctx, fd);
        if (rc < 0) {
                nlab_err_sys(err, -rc, "export seccomp filter");
                goto out;
        }
        r = 0;
out:
        seccomp_release(ctx);
        return r;
}

static int read_prog(int fd, const char *name, struct sock_fprog *prog, struct nlab_err *err)
{
        struct stat sb;
        size_t len, got = 0;
        char *buf;

        if (fstat(fd, &sb) < 0)
                return nlab_err_sys(err, errno, "seccomp filter %s", name);
        len = (size_t)sb.st_size;
        if (!S_ISREG(sb.st_mode) || len == 0 || len % sizeof(struct sock_filter) ||
            len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "seccomp filter %s: not a BPF program (%zu bytes)", name, len);
        buf = malloc(len);
        if (!buf)
                return nlab_err_sys(err, ENOMEM, "seccomp filter %s", name);
        while (got < len) {
                ssize_t k = pread(fd, buf + got, len - got, (off_t)got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        free(buf);
                        return nlab_err_sys(err, k < 0 ? errno : EIO, "read seccomp filter %s",
                                            name);
                }
                got += (size_t)k;
        }
        prog->len = (unsigned short)(len / sizeof(struct sock_filter));
        prog->filter = (struct sock_filter *)buf;
        return 0;
}

/* An unnamed file (O_TMPFILE) where the file system has them, so a build killed half-way
 * leaves nothing behind; else a named one, O_EXCL|O_NOFOLLOW, in tmp. */
static int open_temp(int dfd, char *tmp, size_t size)
{
        int fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

        tmp[0] = '\0';
        if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
                return fd;
        snprintf(tmp, size, ".seccomp.%d.tmp", (int)getpid());
        unlinkat(dfd, tmp, 0); /* left by a killed process that had our pid */
        return openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* Name the complete file, so readers see all of it or nothing. */
static int publish(int dfd, int fd, const char *tmp, const char *name)
{
        char proc[64];

        if (tmp[0])
                return renameat(dfd, tmp, dfd, name);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        /* EEXIST: a concurrent start published the same program first */
        if (linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST)
                return 0;
        return -1;
}

/* A miss: compile into a temp file, read it back, then publish it under its key. */
static int build_cached(int dfd, const char *name, unsigned arch, uint64_t caps,
                        struct sock_fprog *prog, struct nlab_err *err)
{
        char tmp[64];
        int fd, r;

        fd = open_temp(dfd, tmp, sizeof(tmp));
        if (fd < 0)
                return nlab_err_sys(err, errno, "create seccomp filter %s", name);
        r = build(fd, arch, caps, err);
        if (r == 0 && fsync(fd) < 0)
                r = nlab_err_sys(err, errno, "write seccomp filter %s", name);
        if (r == 0)
                r = read_prog(fd, name, prog, err);
        if (r == 0 && publish(dfd, fd, tmp, name) < 0) {
                r = nlab_err_sys(err, errno, "store seccomp filter %s", name);
                nlab_seccomp_free(prog);
        }
        close(fd);
        if (r < 0 && tmp[0])
                unlinkat(dfd, tmp, 0);
        return r;
}

static int open_cache_dir(const char *root, struct nlab_err *err)
{
        char dir[4096];
        int dfd;

        if (snprintf(dir, sizeof(dir), "%s/seccomp", root) >= (int)sizeof(dir))
                return nlab_err_sys(err, ENAMETOOLONG, "seccomp cache under %s", root);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return nlab_err_sys(err, errno, "create %s", dir);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return nlab_err_sys(err, errno, "open %s", dir);
        return dfd;
}

int nlab_seccomp_load(const char *root, uint64_t caps, struct sock_fprog *prog,
                      struct nlab_err *err)
{
        const struct scmp_version *v = seccomp_version();
        char name[200], ver[48];
        int dfd, fd, r;

        assert(root && prog);
        prog->filter = NULL;
        prog->len = 0;
        snprintf(ver, sizeof(ver), "%u.%u.%u-b%d", v->major, v->minor, v->micro, BUILD_REV);
        if (nlab_sc_cache_name(name, sizeof(name), seccomp_arch_native(), caps, ver) < 0)
                return nlab_err_sys(err, ENAMETOOLONG, "seccomp filter name");
        dfd = open_cache_dir(root, err);
        if (dfd < 0)
                return -1;
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                r = read_prog(fd, name, prog, err);
                close(fd);
        } else if (errno == ENOENT) {
                r = build_cached(dfd, name, native_arch(), caps, prog, err);
        } else {
                r = nlab_err_sys(err, errno, "open seccomp filter %s", name);
        }
        close(dfd);
        return r;
}

int nlab_seccomp_for(const char *root, const struct nlab_strv *secopt, bool privileged,
                     uint64_t caps, struct sock_fprog *prog, struct nlab_err *err)
{
        struct nlab_secopt so;

        prog->filter = NULL;
        prog->len = 0;
        if (nlab_secopt_parse(secopt, &so, err) < 0)
                return -1;
        /* As Docker: --privileged runs without a filter. */
        if (privileged || so.seccomp_unconfined)
                return 0;
        return nlab_seccomp_load(root, caps, prog, err);
}

void nlab_seccomp_free(struct sock_fprog *prog)
{
        free(prog->filter);
        prog->filter = NULL;
        prog->len = 0;
}
