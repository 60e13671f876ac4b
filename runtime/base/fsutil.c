#include "runtime/base/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

int nlab_path(char *buf, size_t size, struct nlab_err *err, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= size)
                return nlab_err_sys(err, ENAMETOOLONG, "path %.64s...", buf);
        return 0;
}

int nlab_mkdir_p(const char *path, mode_t mode, struct nlab_err *err)
{
        char tmp[4096];
        char *p;

        if (nlab_path(tmp, sizeof(tmp), err, "%s", path) < 0)
                return -1;
        for (p = tmp + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                        return nlab_err_sys(err, errno, "mkdir %s", tmp);
                *p = '/';
        }
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return nlab_err_sys(err, errno, "mkdir %s", tmp);
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

bool nlab_fs_volatile(int fd)
{
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return false;
        return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

int nlab_fsync_parent(const char *path, struct nlab_err *err)
{
        char dir[4096];
        char *slash;
        int fd, r = 0;

        if (nlab_path(dir, sizeof(dir), err, "%s", path) < 0)
                return -1;
        slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open %s", dir);
        if (!nlab_fs_volatile(fd) && fsync(fd) < 0)
                r = nlab_err_sys(err, errno, "fsync %s", dir);
        close(fd);
        return r;
}

/* A temporary file nobody else can have planted: O_EXCL refuses a leftover or a symlink. */
static int open_tmp(const char *tmp, mode_t mode)
{
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

        if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* a killed writer with our pid */
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        return fd;
}

int nlab_write_file(const char *path, const void *data, size_t len, mode_t mode,
                    struct nlab_err *err)
{
        char tmp[4096];
        bool durable;
        int fd;

        if (nlab_path(tmp, sizeof(tmp), err, "%s.tmp.%d", path, (int)getpid()) < 0)
                return -1;
        fd = open_tmp(tmp, mode);
        if (fd < 0)
                return nlab_err_sys(err, errno, "create %s", tmp);
        durable = !nlab_fs_volatile(fd);
        if (write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
                int e = errno;
                close(fd);
                unlink(tmp);
                return nlab_err_sys(err, e, "write %s", tmp);
        }
        close(fd);
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return nlab_err_sys(err, e, "rename %s", path);
        }
        return durable ? nlab_fsync_parent(path, err) : 0;
}

int nlab_read_file(const char *path, char **out, size_t *len, struct nlab_err *err)
{
        size_t cap = 4096, used = 0;
        char *buf;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open %s", path);
        buf = malloc(cap);
        if (!buf) {
                close(fd);
                return nlab_err_sys(err, ENOMEM, "read %s", path);
        }
        for (;;) {
                ssize_t n;
                if (used + 1 >= cap) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                close(fd);
                                return nlab_err_sys(err, ENOMEM, "read %s", path);
                        }
                        buf = nb;
                        cap *= 2;
                }
                n = read(fd, buf + used, cap - used - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        free(buf);
                        close(fd);
                        return nlab_err_sys(err, e, "read %s", path);
                }
                if (n == 0)
                        break;
                used += (size_t)n;
        }
        close(fd);
        buf[used] = '\0';
        *out = buf;
        if (len)
                *len = used;
        return 0;
}

static int rm_at(int dirfd, const char *name, dev_t dev, struct nlab_err *err);

static int rm_dir_contents(int fd, dev_t dev, struct nlab_err *err)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                close(fd);
                return nlab_err_sys(err, errno, "opendir");
        }
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (rm_at(dirfd(d), de->d_name, dev, err) < 0)
                        r = -1;
        }
        closedir(d);
        return r;
}

static int rm_at(int dirfd, const char *name, dev_t dev, struct nlab_err *err)
{
        struct stat st;
        int fd;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : nlab_err_sys(err, errno, "stat %s", name);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return nlab_err_sys(err, errno, "unlink %s", name);
                return 0;
        }
        /* Never descend into another file system: a leftover mount must not lose its data. */
        if (st.st_dev != dev)
                return nlab_err_sys(err, EBUSY, "remove %s", name);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open %s", name);
        if (rm_dir_contents(fd, dev, err) < 0)
                return -1;
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return nlab_err_sys(err, errno, "rmdir %s", name);
        return 0;
}

int nlab_rm_rf(const char *path, struct nlab_err *err)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : nlab_err_sys(err, errno, "stat %s", path);
        return rm_at(AT_FDCWD, path, st.st_dev, err);
}

void nlab_now_rfc3339(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        char base[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

void nlab_unlink_if_owner(const char *path, const char *owner)
{
        char holder[128];
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return;
        n = read(fd, holder, sizeof(holder) - 1);
        close(fd);
        holder[n > 0 ? n : 0] = '\0';
        if (!strcmp(holder, owner))
                unlink(path);
}

ssize_t nlab_read_full(int fd, void *buf, size_t len)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, (char *)buf + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}
