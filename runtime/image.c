#include "runtime/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/fsutil.h"

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
        return nlab_err_set(err, NLAB_E_NOTFOUND,
                            "unable to find image \"%s\": available images are busybox and host",
                            ref);
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
