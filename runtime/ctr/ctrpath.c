#include "runtime/ctr/ctrpath.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int nlab_ctrpath_clean(const char *path, char *out, size_t size)
{
        size_t len = 0;
        const char *p = path;

        assert(path && out && size > 0);
        out[0] = '\0';
        while (*p) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        /* empty or ".": nothing */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash;
                        if (len == 0)
                                return -1; /* above the root */
                        slash = strrchr(out, '/');
                        len = slash ? (size_t)(slash - out) : 0;
                        out[len] = '\0';
                } else {
                        if (len + (len > 0) + n + 1 > size)
                                return -1;
                        if (len > 0)
                                out[len++] = '/';
                        memcpy(out + len, p, n);
                        len += n;
                        out[len] = '\0';
                }
                p = *end ? end + 1 : end;
        }
        return 0;
}

int nlab_ctrpath_check(const char *path, struct nlab_err *err)
{
        char clean[PATH_MAX];

        if (path[0] != '/')
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid mount path \"%s\": it must be absolute", path);
        if (nlab_ctrpath_clean(path, clean, sizeof(clean)) < 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid mount path \"%s\": \"..\" would leave the "
                                    "container's root; use a path inside it, like /mnt/data",
                                    path);
        if (!clean[0])
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid mount path \"%s\": the destination can't be \"/\"",
                                    path);
        return 0;
}

static int open_in_root(int root_fd, const char *rel)
{
        struct open_how how = {
            .flags = O_PATH | O_CLOEXEC,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
}

/* Create name in the directory parent_fd; never follows a symlink that is already there. */
static int create_at(int parent_fd, const char *name, bool is_dir)
{
        int fd;

        if (is_dir)
                return mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
        fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno == EEXIST ? 0 : -1;
        close(fd);
        return 0;
}

int nlab_ctrpath_mountpoint(int root_fd, const char *path, bool is_dir)
{
        char clean[PATH_MAX], name[NAME_MAX + 1];
        char *p;
        int parent;

        if (nlab_ctrpath_clean(path, clean, sizeof(clean)) < 0 || !clean[0]) {
                errno = EINVAL;
                return -1;
        }
        parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        for (p = clean; parent >= 0;) {
                char *slash = strchr(p, '/');
                bool last = !slash;
                int fd, e;
                if (snprintf(name, sizeof(name), "%.*s", last ? (int)strlen(p) : (int)(slash - p),
                             p) >= (int)sizeof(name)) {
                        close(parent);
                        errno = ENAMETOOLONG;
                        return -1;
                }
                if (slash)
                        *slash = '\0'; /* clean now holds the prefix up to this component */
                fd = open_in_root(root_fd, clean);
                if (fd < 0 && errno == ENOENT && create_at(parent, name, !last || is_dir) == 0)
                        fd = open_in_root(root_fd, clean);
                e = errno;
                close(parent);
                if (fd < 0) {
                        errno = e;
                        return -1;
                }
                parent = fd;
                if (last)
                        break;
                *slash = '/';
                p = slash + 1;
        }
        return parent;
}

int nlab_ctrpath_bind(const char *src, int target_fd, bool ro)
{
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        int tree, r, e;

        tree = (int)syscall(SYS_open_tree, AT_FDCWD, src,
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return -1;
        r = 0;
        if (ro)
                r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                                 sizeof(attr));
        if (r == 0)
                r = (int)syscall(SYS_move_mount, tree, "", target_fd, "",
                                 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        e = errno;
        close(tree);
        errno = e;
        return r;
}
