#include "runtime/base/unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int nlab_unix_addr(const char *path, struct sockaddr_un *a, int *dir_fd)
{
        const char *slash = strrchr(path, '/');
        char dir[4096];

        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        *dir_fd = -1;
        if ((size_t)snprintf(a->sun_path, sizeof(a->sun_path), "%s", path) < sizeof(a->sun_path))
                return 0;
        /* Too long for sun_path: name it through an fd of its directory instead. */
        if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        *dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dir_fd < 0)
                return -1;
        if ((size_t)snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s", *dir_fd,
                             slash + 1) >= sizeof(a->sun_path)) {
                close(*dir_fd);
                *dir_fd = -1;
                errno = ENAMETOOLONG;
                return -1;
        }
        return 0;
}

int nlab_unix_connect(const char *path, int timeout_s)
{
        return nlab_unix_connect_type(path, SOCK_STREAM, timeout_s);
}

int nlab_unix_connect_type(const char *path, int type, int timeout_s)
{
        struct sockaddr_un a;
        struct timeval tv = {.tv_sec = timeout_s};
        int fd, dir_fd, e;

        if (nlab_unix_addr(path, &a, &dir_fd) < 0)
                return -1;
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                        e = errno;
                        close(fd);
                        fd = -1;
                        errno = e;
                }
        }
        e = errno;
        if (dir_fd >= 0)
                close(dir_fd);
        errno = e;
        return fd;
}
