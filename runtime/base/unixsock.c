#include "runtime/base/unixsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int nlab_unix_connect(const char *path, int timeout_s)
{
        return nlab_unix_connect_type(path, SOCK_STREAM, timeout_s);
}

int nlab_unix_connect_type(const char *path, int type, int timeout_s)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        struct timeval tv = {.tv_sec = timeout_s};
        int fd, e;

        if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s", path) >= sizeof(a.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}
