/* The container's cgroups: where they go on this host's layout, making them with their limits and
 * device rules, joining them, and removing them.
 *
 * Layouts: pure v2 (one hierarchy, limits as pids.max/memory.max/cpu.max, devices by a BPF
 * program) and v1 or hybrid (a hierarchy per controller; devices by the v1 devices controller).
 * On v1 the container's cgroups nest under the caller's own ones, so whatever limits the caller
 * (a session, a CI job) keeps applying. On v2 a cgroup with processes cannot hand controllers to
 * children, so there they hang off the root, as Docker's cgroupfs driver does. */
#include "runtime/ctr/cgroup.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/userns.h"

#define CGROOT "/sys/fs/cgroup"

enum hier { H_PIDS, H_MEMORY, H_CPU, H_DEVICES, H_UNIFIED, H_N };
static const char *const v1_name[] = {"pids", "memory", "cpu", "devices"};

struct plan {
        char dir[H_N][PATH_MAX]; /* "" when that hierarchy is not used */
        bool v2;                 /* pure v2: everything is in dir[H_UNIFIED] */
        bool bpf;                /* devices by a BPF program on dir[H_UNIFIED] */
};

/* The caller's cgroup in the v1 hierarchy holding ctrl, from /proc/self/cgroup. */
static int own_path(const char *ctrl, char *out, size_t size)
{
        char line[PATH_MAX + 64];
        FILE *f = fopen("/proc/self/cgroup", "re");
        int r = -1;

        if (!f)
                return -1;
        while (r < 0 && fgets(line, sizeof(line), f)) {
                char *list = strchr(line, ':'), *path, *tok, *save = NULL;
                if (!list || !(path = strchr(list + 1, ':')))
                        continue;
                *path++ = '\0';
                path[strcspn(path, "\n")] = '\0';
                if (!ctrl[0] && !list[1]) /* "0::/path", the v2 hierarchy */
                        r = snprintf(out, size, "%s", path) < (int)size ? 0 : -1;
                for (tok = strtok_r(list + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                        if (!strcmp(tok, ctrl) && snprintf(out, size, "%s", path) < (int)size) {
                                r = 0;
                                break;
                        }
        }
        fclose(f);
        return r;
}

/* Distinct per state root, so two roots (two test sandboxes) never share a cgroup parent: a
 * random key kept in the root (its device and inode numbers are reused by the next tmpfs). */
static void root_key(const struct nlab_store *st, char out[17])
{
        char path[PATH_MAX], buf[17] = "";
        uint64_t h = 0;
        int fd, tries;

        snprintf(out, 17, "%016llx", 0ULL);
        if (nlab_path(path, sizeof(path), NULL, "%s/cgroup.key", st->root) < 0)
                return;
        for (tries = 0; tries < 2; tries++) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd >= 0) {
                        ssize_t n = read(fd, buf, 16);
                        close(fd);
                        if (n == 16 && strspn(buf, "0123456789abcdef") == 16) {
                                memcpy(out, buf, 17);
                                return;
                        }
                }
                if (getrandom(&h, sizeof(h), 0) != (ssize_t)sizeof(h))
                        h = (uint64_t)getpid() * 1099511628211ULL ^ (uint64_t)time(NULL);
                snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)h);
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        continue; /* another command made it first: read theirs */
                if (write(fd, buf, 16) == 16) {
                        memcpy(out, buf, 17);
                        close(fd);
                        return;
                }
                close(fd);
                unlink(path);
        }
}

static bool is_cgroup2(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

enum nlab_cgroup_layout nlab_cgroup_layout(void)
{
        if (is_cgroup2(CGROOT))
                return NLAB_CGROUP_V2;
        return is_cgroup2(CGROOT "/unified") ? NLAB_CGROUP_HYBRID : NLAB_CGROUP_V1;
}

static int plan_v1(const char *key, const char *id, const struct nlab_cgroup_spec *spec,
                   struct plan *p, struct nlab_err *err)
{
        /* Tests set this to exercise the v2 device program on a hybrid host's unified mount. */
        const char *force = getenv("NETLAB_CGROUP_DEVICES");
        bool want[H_N] = {true, spec->memory_max > 0, spec->nano_cpus > 0, true, false};
        char own[PATH_MAX];
        int h;

        p->bpf = force && !strcmp(force, "bpf");
        if (p->bpf) {
                want[H_DEVICES] = false;
                if (!is_cgroup2(CGROOT "/unified"))
                        return nlab_err_set(err, NLAB_E_SYSTEM,
                                            "NETLAB_CGROUP_DEVICES=bpf: no cgroup2 mount at "
                                            "%s/unified",
                                            CGROOT);
                if (own_path("", own, sizeof(own)) < 0)
                        snprintf(own, sizeof(own), "/");
                if (nlab_path(p->dir[H_UNIFIED], PATH_MAX, err, "%s/unified%s/netlab/%s/%s", CGROOT,
                              strcmp(own, "/") ? own : "", key, id) < 0)
                        return -1;
        }
        for (h = 0; h < H_UNIFIED; h++) {
                char mnt[64];
                if (!want[h])
                        continue;
                snprintf(mnt, sizeof(mnt), "%s/%s", CGROOT, v1_name[h]);
                if (access(mnt, F_OK) < 0 || own_path(v1_name[h], own, sizeof(own)) < 0)
                        return nlab_err_set(err, NLAB_E_SYSTEM,
                                            "the cgroup v1 %s controller is not mounted at %s",
                                            v1_name[h], mnt);
                if (nlab_path(p->dir[h], PATH_MAX, err, "%s%s/netlab/%s/%s", mnt,
                              strcmp(own, "/") ? own : "", key, id) < 0)
                        return -1;
        }
        return 0;
}

static int make_plan(const struct nlab_store *st, const char *id,
                     const struct nlab_cgroup_spec *spec, struct plan *p, struct nlab_err *err)
{
        char key[17];

        memset(p, 0, sizeof(*p));
        root_key(st, key);
        if (!is_cgroup2(CGROOT))
                return plan_v1(key, id, spec, p, err);
        p->v2 = true;
        p->bpf = true;
        return nlab_path(p->dir[H_UNIFIED], PATH_MAX, err, "%s/netlab/%s/%s", CGROOT, key, id);
}

static int write_at(const char *dir, const char *file, const char *val, struct nlab_err *err)
{
        char path[PATH_MAX];
        size_t len = strlen(val);
        int fd, e;
        ssize_t n;

        if (nlab_path(path, sizeof(path), err, "%s/%s", dir, file) < 0)
                return -1;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "cgroup: open %s", path);
        n = write(fd, val, len);
        e = errno;
        close(fd);
        if (n != (ssize_t)len)
                return nlab_err_sys(err, n < 0 ? e : EIO, "cgroup: write \"%s\" to %s", val, path);
        return 0;
}

static int write_num(const char *dir, const char *file, int64_t v, struct nlab_err *err)
{
        char buf[32];

        if (v <= 0)
                snprintf(buf, sizeof(buf), "max");
        else
                snprintf(buf, sizeof(buf), "%lld", (long long)v);
        return write_at(dir, file, buf, err);
}

static bool has_file(const char *dir, const char *file)
{
        char path[PATH_MAX];

        return snprintf(path, sizeof(path), "%s/%s", dir, file) < (int)sizeof(path) &&
               access(path, F_OK) == 0;
}

/* On v2 each level must hand the controllers down; best effort, since a controller that did
 * not come down shows up as a missing pids.max or memory.max with its name. */
static void delegate(const char *dir)
{
        static const char *const ctrls[] = {"+pids", "+memory", "+cpu"};
        size_t i;

        for (i = 0; i < 3; i++)
                write_at(dir, "cgroup.subtree_control", ctrls[i], NULL);
}

static int mkdir_shared(const char *path, bool v2, struct nlab_err *err)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return nlab_err_sys(err, errno, "cgroup: mkdir %s", path);
        if (v2)
                delegate(path);
        return 0;
}

/* The two levels above the container (netlab/, netlab/<rootkey>/) are shared and made on demand. */
static int make_dirs(const char *dir, bool v2, struct nlab_err *err)
{
        char key_dir[PATH_MAX], top[PATH_MAX], *slash;
        int tries;

        snprintf(key_dir, sizeof(key_dir), "%s", dir);
        if ((slash = strrchr(key_dir, '/')) != NULL)
                *slash = '\0';
        snprintf(top, sizeof(top), "%s", key_dir);
        if ((slash = strrchr(top, '/')) != NULL)
                *slash = '\0';
        if (v2) {
                char root[PATH_MAX];
                snprintf(root, sizeof(root), "%s", top);
                if ((slash = strrchr(root, '/')) != NULL)
                        *slash = '\0';
                delegate(root);
        }
        /* A concurrent remove may take an empty parent away between our mkdirs: try again. */
        for (tries = 0; tries < 5; tries++) {
                if (mkdir_shared(top, v2, err) < 0 || mkdir_shared(key_dir, v2, err) < 0)
                        return -1;
                if (mkdir(dir, 0755) == 0)
                        return 0;
                if (errno != ENOENT)
                        return nlab_err_sys(err, errno, "cgroup: mkdir %s", dir);
        }
        return nlab_err_sys(err, ENOENT, "cgroup: mkdir %s", dir);
}

static int rules_all(const struct nlab_cgroup_spec *spec, struct nlab_dev_rule **out, size_t *n)
{
        size_t nd;
        const struct nlab_dev_rule *def = nlab_dev_default_rules(&nd);

        *out = calloc(nd + spec->n_extra, sizeof(**out));
        if (!*out)
                return -1;
        memcpy(*out, def, nd * sizeof(*def));
        if (spec->n_extra)
                memcpy(*out + nd, spec->extra, spec->n_extra * sizeof(*spec->extra));
        *n = nd + spec->n_extra;
        return 0;
}

static int devices_v1(const char *dir, const struct nlab_cgroup_spec *spec, struct nlab_err *err)
{
        struct nlab_dev_rule *rules;
        char line[64];
        size_t i, n;
        int r;

        if (spec->all_devices)
                return 0; /* a new v1 cgroup inherits its parent's "a *:* rwm" */
        if (rules_all(spec, &rules, &n) < 0)
                return nlab_err_sys(err, ENOMEM, "cgroup: device rules");
        r = write_at(dir, "devices.deny", "a", err);
        for (i = 0; r == 0 && i < n; i++) {
                if (nlab_dev_rule_format(&rules[i], line, sizeof(line)) < 0)
                        r = nlab_err_set(err, NLAB_E_INVALID, "cgroup: device rule too long");
                else
                        r = write_at(dir, "devices.allow", line, err);
                /* A default the caller's own cgroup denies stays denied; a --device must not. */
                if (r < 0 && err && err->errnum == EPERM && i < n - spec->n_extra)
                        r = 0;
        }
        free(rules);
        return r;
}

static int devices_bpf(const char *dir, const struct nlab_cgroup_spec *spec, struct nlab_err *err)
{
        struct nlab_dev_rule *rules;
        size_t n;
        int fd, r;

        if (spec->all_devices)
                return 0;
        if (rules_all(spec, &rules, &n) < 0)
                return nlab_err_sys(err, ENOMEM, "cgroup: device rules");
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                r = nlab_err_sys(err, errno, "cgroup: open %s", dir);
        else
                r = nlab_devbpf_attach(fd, rules, n, err);
        if (fd >= 0)
                close(fd);
        free(rules);
        if (r < 0)
                nlab_err_prefix(err, "cgroup %s: ", dir);
        return r;
}

static int cpu_max_v2(const char *dir, int64_t nano, struct nlab_err *err)
{
        char buf[64];

        snprintf(buf, sizeof(buf), "%lld %d", (long long)(nano * NLAB_CPU_PERIOD / 1000000000),
                 NLAB_CPU_PERIOD);
        return write_at(dir, "cpu.max", buf, err);
}

static int limits_v2(const char *dir, const struct nlab_cgroup_spec *spec, struct nlab_err *err)
{
        /* A new cgroup starts at "max": unlimited needs no pids controller. */
        if (spec->pids_max > 0 && write_num(dir, "pids.max", spec->pids_max, err) < 0)
                return -1;
        if (spec->memory_max > 0) {
                if (write_num(dir, "memory.max", spec->memory_max, err) < 0)
                        return -1;
                /* Docker's default --memory-swap is twice --memory: as much swap as memory. */
                if (has_file(dir, "memory.swap.max") &&
                    write_num(dir, "memory.swap.max", spec->memory_max, err) < 0)
                        return -1;
        }
        if (spec->nano_cpus > 0 && cpu_max_v2(dir, spec->nano_cpus, err) < 0)
                return -1;
        return 0;
}

static int apply(const struct plan *p, enum hier h, const struct nlab_cgroup_spec *spec,
                 struct nlab_err *err)
{
        const char *dir = p->dir[h];

        switch (h) {
        case H_PIDS:
                return write_num(dir, "pids.max", spec->pids_max, err);
        case H_MEMORY:
                if (write_num(dir, "memory.limit_in_bytes", spec->memory_max, err) < 0)
                        return -1;
                if (has_file(dir, "memory.memsw.limit_in_bytes"))
                        return write_num(dir, "memory.memsw.limit_in_bytes", 2 * spec->memory_max,
                                         err);
                return 0;
        case H_CPU:
                if (write_num(dir, "cpu.cfs_period_us", NLAB_CPU_PERIOD, err) < 0)
                        return -1;
                return write_num(dir, "cpu.cfs_quota_us",
                                 spec->nano_cpus * NLAB_CPU_PERIOD / 1000000000, err);
        case H_DEVICES:
                return devices_v1(dir, spec, err);
        case H_UNIFIED:
                if (p->v2 && limits_v2(dir, spec, err) < 0)
                        return -1;
                return p->bpf ? devices_bpf(dir, spec, err) : 0;
        default:
                return 0;
        }
}

static int record_path(const struct nlab_store *st, const char *id, char *buf, size_t size,
                       struct nlab_err *err)
{
        return nlab_store_path(st, buf, size, "containers", id, "cgroups", err);
}

static int save_record(const struct nlab_store *st, const char *id, const struct plan *p,
                       struct nlab_err *err)
{
        char path[PATH_MAX], text[H_N * (PATH_MAX + 1)];
        size_t len = 0;
        int h;

        for (h = 0; h < H_N; h++)
                if (p->dir[h][0])
                        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", p->dir[h]);
        if (record_path(st, id, path, sizeof(path), err) < 0)
                return -1;
        return nlab_write_file(path, text, len, 0600, err);
}

/* Give up on a directory that still holds tasks after this long: kill them and retry. */
static void kill_members(const char *dir)
{
        char path[PATH_MAX], line[32];
        FILE *f;

        if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path) ||
            !(f = fopen(path, "re")))
                return;
        while (fgets(line, sizeof(line), f))
                kill(atoi(line), SIGKILL);
        fclose(f);
}

/* A pid namespace's last tasks may still be exiting when its init has been reaped. */
static void rmdir_wait(const char *dir)
{
        struct timespec ms = {0, 1000000};
        int i;

        for (i = 0; i < 2000; i++) {
                if (rmdir(dir) == 0 || errno != EBUSY)
                        return;
                if (i % 100 == 99)
                        kill_members(dir);
                nanosleep(&ms, NULL);
        }
}

/* dir (netlab/<rootkey>/) and then its parent, each when empty. */
static void remove_key_levels(const char *dir)
{
        char path[PATH_MAX], *slash;

        snprintf(path, sizeof(path), "%s", dir);
        if (rmdir(path) < 0 || (slash = strrchr(path, '/')) == NULL)
                return;
        *slash = '\0';
        rmdir(path);
}

/* Remove dir and, when they became empty, its netlab/<rootkey>/ and netlab/ parents. */
static void remove_dir(const char *dir)
{
        char path[PATH_MAX], *slash;

        rmdir_wait(dir);
        snprintf(path, sizeof(path), "%s", dir);
        if ((slash = strrchr(path, '/')) != NULL) {
                *slash = '\0';
                remove_key_levels(path);
        }
}

static void undo(const struct plan *p, int upto)
{
        int h;

        for (h = upto; h >= 0; h--)
                if (p->dir[h][0])
                        remove_dir(p->dir[h]);
}

/* In a rootless lab host the host's cgroups are not ours to write (a delegated subtree is not
 * used yet): no cgroup, pids bounded by RLIMIT_NPROC in the sandbox, and limits that only a
 * cgroup can enforce are refused rather than silently dropped. */
static int rootless_skip(const struct nlab_cgroup_spec *spec, struct nlab_err *err)
{
        if (!nlab_userns_nested())
                return 0;
        if (spec->memory_max > 0 || spec->nano_cpus > 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "%s needs a cgroup, and rootless mode on this host has none "
                                    "(run as root for memory and CPU limits)",
                                    spec->memory_max > 0 ? "--memory" : "--cpus");
        return 1;
}

int nlab_cgroup_create(const struct nlab_store *st, const char *id,
                       const struct nlab_cgroup_spec *spec, int pid, struct nlab_err *err)
{
        char path[PATH_MAX], num[24];
        struct plan p;
        int h, r;

        assert(st && id && spec);
        r = rootless_skip(spec, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        nlab_cgroup_remove(st, id); /* what a teardown that never ran left */
        if (make_plan(st, id, spec, &p, err) < 0 || save_record(st, id, &p, err) < 0)
                return -1;
        for (h = 0; h < H_N; h++)
                if (p.dir[h][0] && (make_dirs(p.dir[h], p.v2, err) < 0 ||
                                    apply(&p, (enum hier)h, spec, err) < 0)) {
                        undo(&p, h);
                        goto fail;
                }
        /* Only once every limit is in place: the process is never in half of its cgroups. */
        snprintf(num, sizeof(num), "%d", pid);
        for (h = 0; pid > 0 && h < H_N; h++)
                if (p.dir[h][0] && write_at(p.dir[h], "cgroup.procs", num, err) < 0) {
                        undo(&p, H_N - 1);
                        goto fail;
                }
        return 0;
fail:
        if (record_path(st, id, path, sizeof(path), NULL) == 0)
                unlink(path);
        return -1;
}

/* The record's lines, each checked to be a netlab cgroup. */
static int load_record(const struct nlab_store *st, const char *id, char dirs[H_N][PATH_MAX],
                       int *n, struct nlab_err *err)
{
        char path[PATH_MAX], *text, *line, *save = NULL;
        size_t len;

        *n = 0;
        if (record_path(st, id, path, sizeof(path), err) < 0 ||
            nlab_read_file(path, &text, &len, err) < 0)
                return -1;
        for (line = strtok_r(text, "\n", &save); line && *n < H_N;
             line = strtok_r(NULL, "\n", &save))
                if (!strncmp(line, CGROOT "/", strlen(CGROOT) + 1) && strstr(line, "/netlab/") &&
                    !strstr(line, "/../") && strlen(line) < PATH_MAX)
                        snprintf(dirs[(*n)++], PATH_MAX, "%s", line);
        free(text);
        return 0;
}

/* Moving a whole process (cgroup.procs, or another thread's id) takes the kernel's global
 * threadgroup lock, whose writer waits for an RCU grace period: up to tens of ms per start on a
 * busy machine. A thread moving itself through v1's tasks file ("0") skips that lock; it is the
 * whole process while it has one thread. v2 has no such file (cgroup.threads needs threaded mode).
 */
static const char *self_join_file(const char *dir)
{
        return is_cgroup2(dir) ? "cgroup.procs" : "tasks";
}

int nlab_cgroup_join_files(const struct nlab_store *st, const char *id,
                           const struct nlab_cgroup_spec *spec,
                           char files[NLAB_CGROUP_MAX][PATH_MAX], size_t *n, struct nlab_err *err)
{
        struct plan p;
        int h;

        assert(st && id && spec && files && n);
        *n = 0;
        h = rootless_skip(spec, err);
        if (h != 0)
                return h < 0 ? -1 : 0;
        if (make_plan(st, id, spec, &p, err) < 0)
                return -1;
        for (h = 0; h < H_N; h++) {
                if (!p.dir[h][0])
                        continue;
                /* not made yet: the v2 test is on the hierarchy it will be in */
                if (nlab_path(files[*n], PATH_MAX, err, "%s/%s", p.dir[h],
                              (p.v2 || h == H_UNIFIED) ? "cgroup.procs" : "tasks") < 0)
                        return -1;
                (*n)++;
        }
        return 0;
}

int nlab_cgroup_join_self(const struct nlab_store *st, const char *id, struct nlab_err *err)
{
        char dirs[H_N][PATH_MAX];
        int i, n;

        if (load_record(st, id, dirs, &n, NULL) < 0)
                return 0; /* started before netlab had cgroups */
        for (i = 0; i < n; i++)
                if (write_at(dirs[i], self_join_file(dirs[i]), "0", err) < 0)
                        return -1;
        return 0;
}

void nlab_cgroup_remove(const struct nlab_store *st, const char *id)
{
        char dirs[H_N][PATH_MAX], path[PATH_MAX];
        int i, n;

        if (load_record(st, id, dirs, &n, NULL) < 0)
                return;
        for (i = n - 1; i >= 0; i--)
                remove_dir(dirs[i]);
        if (record_path(st, id, path, sizeof(path), NULL) == 0)
                unlink(path);
}

/* Every container directory under dir (this root's netlab/<rootkey>/), then dir and netlab/. */
static void remove_key_dir(const char *key_dir)
{
        char path[PATH_MAX + 256];
        struct dirent *e;
        DIR *d = opendir(key_dir);

        if (!d)
                return;
        while ((e = readdir(d)))
                if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
                    (size_t)snprintf(path, sizeof(path), "%s/%s", key_dir, e->d_name) <
                        sizeof(path))
                        rmdir_wait(path);
        closedir(d);
        remove_key_levels(key_dir);
}

void nlab_cgroup_remove_all(const struct nlab_store *st)
{
        /* Every hierarchy a container may use; without memory or cpu, those that every one does. */
        struct nlab_cgroup_spec all = {.memory_max = 1, .nano_cpus = 1}, base = {0};
        char key_dir[PATH_MAX], *slash;
        struct plan p;
        int h;

        /* The plan of any one container: its directories' parents are the root's key dirs. */
        if (make_plan(st, "x", &all, &p, NULL) < 0 && make_plan(st, "x", &base, &p, NULL) < 0)
                return;
        for (h = 0; h < H_N; h++) {
                if (!p.dir[h][0])
                        continue;
                snprintf(key_dir, sizeof(key_dir), "%s", p.dir[h]);
                if ((slash = strrchr(key_dir, '/')) != NULL) {
                        *slash = '\0';
                        remove_key_dir(key_dir);
                }
        }
}
