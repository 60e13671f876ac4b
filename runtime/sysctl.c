#include "runtime/sysctl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/link.h"

int nlab_sysctl_write(const char *key, const char *value, struct nlab_err *err)
{
        char path[256];
        size_t len;
        ssize_t n;
        int fd;

        assert(key && value);
        if (strstr(key, ".."))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid sysctl key \"%s\"", key);
        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "sysctl %s", key);
        len = strlen(value);
        n = write(fd, value, len);
        if (n < 0 || (size_t)n != len) {
                int e = n < 0 ? errno : EIO;

                close(fd);
                return nlab_err_sys(err, e, "sysctl %s=%s", key, value);
        }
        close(fd);
        return 0;
}

int nlab_sysctl_ip_forward(struct nlab_err *err)
{
        return nlab_sysctl_write("net/ipv4/ip_forward", "1", err);
}

int nlab_sysctl_route_localnet(const char *bridge, struct nlab_err *err)
{
        char key[128];

        if (nlab_ifname_check(bridge, err) < 0)
                return -1;
        snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", bridge);
        return nlab_sysctl_write(key, "1", err);
}
