#include "runtime/ctr/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/suggest.h"

#define BUSYBOX_BIN "/bin/busybox"

static const struct nlab_image_info catalog[] = {
    {"busybox", "a tiny rootfs from Debian's busybox-static with its applet links"},
    {"host", "the host's root file system, read-only (tools like dig, tcpdump, iperf3)"},
};

const struct nlab_image_info *nlab_image_catalog(size_t *n)
{
        *n = sizeof(catalog) / sizeof(catalog[0]);
        return catalog;
}

const char *nlab_image_name(enum nlab_image_kind kind)
{
        return kind == NLAB_IMAGE_HOST ? "host" : "busybox";
}

/* Course notes run nginx for every web server; busybox has one built in. */
static bool is_web_image(const char *repo)
{
        return !strcmp(repo, "nginx") || !strcmp(repo, "httpd") || !strcmp(repo, "tomcat");
}

static const char *tool_hint(const char *cmd)
{
        static const struct {
                const char *tool, *hint;
        } hints[] = {
            {"curl", "no curl in this image: wget -qO- URL does the same"},
            {"dig", "no dig in this image: nslookup NAME asks the same server"},
            {"ss", "no ss in this image: netstat -tln lists the listeners"},
            {"apt-get", "no package manager in this image: busybox has its tools built in"},
            {"yum", "no package manager in this image: busybox has its tools built in"},
            {"apk", "no package manager in this image: busybox has its tools built in"},
        };
        const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
        size_t i;

        for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
                if (!strcmp(base, hints[i].tool))
                        return hints[i].hint;
        return NULL;
}

int nlab_image_cmd_not_found(const char *cmd, struct nlab_err *err)
{
        const char *hint = tool_hint(cmd);

        return nlab_err_set(err, NLAB_E_NOCMD,
                            "exec: \"%s\": executable file not found in $PATH%s%s%s", cmd,
                            hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

/* "unable to find image", with the nearest built-in one (the tag aside: busybx:latest). */
static int image_not_found(const char *ref, struct nlab_err *err)
{
        static const char *const names[] = {"busybox", "host"};
        char repo[64];
        const char *near;

        snprintf(repo, sizeof(repo), "%.*s", (int)strcspn(ref, ":"), ref);
        near = nlab_suggest_name(repo, names, sizeof(names) / sizeof(names[0]));
        if (near)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "unable to find image \"%s\": did you mean %s? (available "
                                    "images are busybox and host)",
                                    ref, near);
        if (is_web_image(repo))
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "unable to find image \"%s\": available images are busybox "
                                    "and host; for a web server: busybox httpd -f -p 80 -h /www "
                                    "(it serves /www/index.html)",
                                    ref);
        return nlab_err_set(err, NLAB_E_NOTFOUND,
                            "unable to find image \"%s\": available images are busybox and host",
                            ref);
}

int nlab_image_parse(const char *ref, enum nlab_image_kind *kind, struct nlab_err *err)
{
        if (!strcmp(ref, "busybox") || !strcmp(ref, "busybox:latest")) {
                *kind = NLAB_IMAGE_BUSYBOX;
                return 0;
        }
        if (!strcmp(ref, "host") || !strcmp(ref, "host:latest")) {
                *kind = NLAB_IMAGE_HOST;
                return 0;
        }
        return image_not_found(ref, err);
}

static int copy_file(const char *from, const char *to, mode_t mode, struct nlab_err *err)
{
        char *data;
        size_t len;
        int r;

        if (nlab_read_file(from, &data, &len, err) < 0)
                return -1;
        r = nlab_write_file(to, data, len, mode, err);
        free(data);
        return r;
}

/* Applet paths ("bin/sh", "usr/bin/wget") as busybox itself lists them. */
static int list_applets(char **out, struct nlab_err *err)
{
        int pipefd[2];
        pid_t pid;
        size_t cap = 16384, used = 0;
        char *buf;
        int status;

        if (access(BUSYBOX_BIN, X_OK) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "image busybox needs %s (Debian package busybox-static)",
                                    BUSYBOX_BIN);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "pipe");
        pid = fork();
        if (pid < 0)
                return nlab_err_sys(err, errno, "fork");
        if (pid == 0) {
                dup2(pipefd[1], 1);
                execl(BUSYBOX_BIN, "busybox", "--list-full", (char *)NULL);
                _exit(127);
        }
        close(pipefd[1]);
        buf = malloc(cap);
        while (buf) {
                ssize_t n = read(pipefd[0], buf + used, cap - used - 1);
                if (n <= 0)
                        break;
                used += (size_t)n;
                if (used + 1 >= cap) {
                        char *nb = realloc(buf, cap *= 2);
                        if (!nb) {
                                free(buf);
                                buf = NULL;
                        }
                        buf = nb;
                }
        }
        close(pipefd[0]);
        waitpid(pid, &status, 0);
        if (!buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(buf);
                return nlab_err_set(err, NLAB_E_SYSTEM, "image busybox: cannot list applets");
        }
        buf[used] = '\0';
        *out = buf;
        return 0;
}

static int link_applets(const char *rootfs, char *applets, struct nlab_err *err)
{
        char *save = NULL, *line;
        char path[4096], dir[4096];

        for (line = strtok_r(applets, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *slash;
                if (!strcmp(line, "bin/busybox") || strstr(line, ".."))
                        continue;
                if (nlab_path(path, sizeof(path), err, "%s/%s", rootfs, line) < 0)
                        return -1;
                snprintf(dir, sizeof(dir), "%s", path);
                slash = strrchr(dir, '/');
                *slash = '\0';
                if (nlab_mkdir_p(dir, 0755, err) < 0)
                        return -1;
                if (symlink("/bin/busybox", path) < 0 && errno != EEXIST)
                        return nlab_err_sys(err, errno, "link %s", path);
        }
        return 0;
}

static const char *const skeleton_dirs[] = {
    "bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys",
    "dev", "tmp",  "root",    "var/log",  "run", "home", "mnt",
};

static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char etc_group[] = "root:x:0:\nnogroup:x:65534:\n";

static int build_busybox(const char *rootfs, struct nlab_err *err)
{
        char path[4096];
        char *applets = NULL;
        size_t i;
        int r;

        for (i = 0; i < sizeof(skeleton_dirs) / sizeof(skeleton_dirs[0]); i++) {
                if (nlab_path(path, sizeof(path), err, "%s/%s", rootfs, skeleton_dirs[i]) < 0 ||
                    nlab_mkdir_p(path, 0755, err) < 0)
                        return -1;
        }
        snprintf(path, sizeof(path), "%s/tmp", rootfs);
        chmod(path, 01777);
        if (nlab_path(path, sizeof(path), err, "%s/bin/busybox", rootfs) < 0 ||
            copy_file(BUSYBOX_BIN, path, 0755, err) < 0)
                return -1;
        /* Bind-mount targets for the per-container files. */
        static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};
        for (i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/etc/%s", rootfs, etc_files[i]);
                if (nlab_write_file(path, "", 0, 0644, err) < 0)
                        return -1;
        }
        snprintf(path, sizeof(path), "%s/etc/passwd", rootfs);
        if (nlab_write_file(path, etc_passwd, strlen(etc_passwd), 0644, err) < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/etc/group", rootfs);
        if (nlab_write_file(path, etc_group, strlen(etc_group), 0644, err) < 0)
                return -1;
        if (list_applets(&applets, err) < 0)
                return -1;
        r = link_applets(rootfs, applets, err);
        free(applets);
        return r;
}

int nlab_image_prepare(const struct nlab_store *st, enum nlab_image_kind kind, char *rootfs,
                       size_t size, struct nlab_err *err)
{
        char tmp[4096], top[4096];

        if (kind == NLAB_IMAGE_HOST)
                return nlab_path(rootfs, size, err, "/");
        if (nlab_path(top, sizeof(top), err, "%s/images/busybox", st->root) < 0 ||
            nlab_path(rootfs, size, err, "%s/rootfs", top) < 0)
                return -1;
        if (access(rootfs, F_OK) == 0)
                return 0;
        /* Build aside and rename, so a concurrent or interrupted build is never seen half-made. */
        if (nlab_path(tmp, sizeof(tmp), err, "%s/rootfs.tmp.%d", top, (int)getpid()) < 0 ||
            nlab_mkdir_p(tmp, 0755, err) < 0)
                return -1;
        if (build_busybox(tmp, err) < 0) {
                nlab_rm_rf(tmp, NULL);
                nlab_err_prefix(err, "image busybox");
                return -1;
        }
        if (rename(tmp, rootfs) < 0) {
                int e = errno;
                nlab_rm_rf(tmp, NULL);
                if (e != EEXIST && e != ENOTEMPTY)
                        return nlab_err_sys(err, e, "image busybox: rename %s", rootfs);
        }
        return 0;
}

/* Directories of the host that a host-image container sees empty. */
static const char *const host_hidden[] = {"root", "home", "boot"};
/* Fresh and writable. /var as a whole: /var/lib, /var/log, /var/backups (Debian keeps
 * shadow.bak there), /var/mail, /var/spool. */
static const char *const host_scratch[] = {"tmp", "run", "var"};
/* /etc entries tools need (name lookups, TLS roots, the dynamic linker, alternatives links):
 * copied, or for directories bind-mounted, into the generated /etc. Nothing else of the host's
 * /etc is visible: not shadow, gshadow, ssh keys, ssl/private, sudoers. */
static const char *const host_etc_files[] = {
    "services",    "protocols",   "nsswitch.conf",   "host.conf",  "gai.conf",       "ld.so.cache",
    "ld.so.conf",  "localtime",   "timezone",        "os-release", "debian_version", "shells",
    "ethertypes",  "rpc",         "networks",        "mime.types", "inputrc",        "profile",
    "bash.bashrc", "environment", "ssl/openssl.cnf",
};
static const char *const host_etc_dirs[] = {"ld.so.conf.d", "alternatives", "ssl/certs", "iproute2",
                                            "profile.d"};

static int fail_at(char *what, size_t ws, const char *verb, const char *path)
{
        snprintf(what, ws, "host image: %s %s", verb, path);
        return -1;
}

/* Keep system accounts (ids below 1000, and nobody), so tools that drop privileges to their own
 * user (tcpdump) still find it; people's accounts and group memberships stay on the host. */
static int filter_accounts(const char *from, const char *to, bool group)
{
        char *data, *line, *save = NULL;
        char out[65536];
        size_t len, used = 0;
        int r;

        if (nlab_read_file(from, &data, &len, NULL) < 0)
                return errno == ENOENT ? 0 : -1;
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4] = {line}, *p = line;
                unsigned long id;
                int i, n;
                for (i = 1; i < 4 && (p = strchr(p, ':')); i++)
                        f[i] = ++p;
                if (i < 4)
                        continue;
                id = strtoul(f[2], NULL, 10);
                if (id >= 1000 && id != 65534)
                        continue;
                if (group) /* name:x:gid: with no members */
                        n = snprintf(out + used, sizeof(out) - used, "%.*s:x:%lu:\n",
                                     (int)(f[1] - 1 - f[0]), f[0], id);
                else /* name:x: then the rest, the password field always "x" */
                        n = snprintf(out + used, sizeof(out) - used, "%.*s:x:%s\n",
                                     (int)(f[1] - 1 - f[0]), f[0], f[2]);
                if (n < 0 || (size_t)n >= sizeof(out) - used)
                        break;
                used += (size_t)n;
        }
        free(data);
        r = nlab_write_file(to, out, used, 0644, NULL);
        return r;
}

/* A copy of one /etc entry: a symlink stays a symlink (localtime, os-release). */
static int copy_etc_file(const char *etc, const char *name)
{
        char from[4096], to[4096], link[4096];
        struct stat sb;
        ssize_t n;

        snprintf(from, sizeof(from), "/etc/%s", name);
        snprintf(to, sizeof(to), "%s/%s", etc, name);
        if (lstat(from, &sb) < 0)
                return errno == ENOENT ? 0 : -1;
        if (S_ISLNK(sb.st_mode)) {
                n = readlink(from, link, sizeof(link) - 1);
                if (n < 0)
                        return -1;
                link[n] = '\0';
                return symlink(link, to);
        }
        return S_ISREG(sb.st_mode) ? copy_file(from, to, sb.st_mode & 0644, NULL) : 0;
}

static int bind_etc_dir(const char *etc, const char *name)
{
        char from[4096], to[4096];
        struct stat sb;

        snprintf(from, sizeof(from), "/etc/%s", name);
        snprintf(to, sizeof(to), "%s/%s", etc, name);
        if (stat(from, &sb) < 0 || !S_ISDIR(sb.st_mode))
                return 0;
        if (nlab_mkdir_p(to, 0755, NULL) < 0)
                return -1;
        return mount(from, to, NULL, MS_BIND | MS_REC, NULL);
}

static int populate_etc(const char *etc, char *what, size_t ws)
{
        static const char *const bind_targets[] = {"hostname", "hosts", "resolv.conf"};
        char path[4096];
        size_t i;

        snprintf(path, sizeof(path), "%s/ssl", etc);
        mkdir(path, 0755);
        for (i = 0; i < sizeof(host_etc_files) / sizeof(host_etc_files[0]); i++)
                if (copy_etc_file(etc, host_etc_files[i]) < 0)
                        return fail_at(what, ws, "copy /etc entry", host_etc_files[i]);
        for (i = 0; i < sizeof(host_etc_dirs) / sizeof(host_etc_dirs[0]); i++)
                if (bind_etc_dir(etc, host_etc_dirs[i]) < 0)
                        return fail_at(what, ws, "bind /etc entry", host_etc_dirs[i]);
        snprintf(path, sizeof(path), "%s/passwd", etc);
        if (filter_accounts("/etc/passwd", path, false) < 0)
                return fail_at(what, ws, "write", path);
        snprintf(path, sizeof(path), "%s/group", etc);
        if (filter_accounts("/etc/group", path, true) < 0)
                return fail_at(what, ws, "write", path);
        for (i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", etc, bind_targets[i]);
                if (nlab_write_file(path, "", 0, 0644, NULL) < 0)
                        return fail_at(what, ws, "write", path);
        }
        return 0;
}

static int make_var(const char *rootfs, char *what, size_t ws)
{
        static const char *const dirs[] = {"lib", "log", "cache", "tmp"};
        char path[4096];
        size_t i;

        for (i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/var/%s", rootfs, dirs[i]);
                if (mkdir(path, 0755) < 0)
                        return fail_at(what, ws, "mkdir", path);
        }
        chmod(path, 01777); /* var/tmp, the last one */
        snprintf(path, sizeof(path), "%s/var/run", rootfs);
        if (symlink("/run", path) < 0)
                return fail_at(what, ws, "symlink", path);
        return 0;
}

int nlab_image_host_mask(const char *rootfs, const char *state_root, char *what, size_t ws)
{
        struct mount_attr ro = {.attr_set =
                                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
        char path[4096];
        size_t i;

        for (i = 0; i < sizeof(host_hidden) / sizeof(host_hidden[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", rootfs, host_hidden[i]);
                if (access(path, F_OK) == 0 &&
                    mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=4k,mode=0755") < 0)
                        return fail_at(what, ws, "hide", path);
        }
        for (i = 0; i < sizeof(host_scratch) / sizeof(host_scratch[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", rootfs, host_scratch[i]);
                if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV,
                          i == 0 ? "mode=1777" : "mode=0755") < 0)
                        return fail_at(what, ws, "mount tmpfs on", path);
        }
        if (make_var(rootfs, what, ws) < 0)
                return -1;
        /* The state root, wherever --root put it (under /run or /var it is already hidden). */
        snprintf(path, sizeof(path), "%s%s", rootfs, state_root);
        if (access(path, F_OK) == 0 &&
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4k,mode=0755") < 0)
                return fail_at(what, ws, "hide", path);
        snprintf(path, sizeof(path), "%s/etc", rootfs);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
                return fail_at(what, ws, "mount tmpfs on", path);
        if (populate_etc(path, what, ws) < 0)
                return -1;
        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &ro, sizeof(ro)) < 0)
                return fail_at(what, ws, "make read-only", path);
        return 0;
}
