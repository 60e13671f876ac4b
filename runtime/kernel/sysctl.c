#include "runtime/kernel/sysctl.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/suggest.h"
#include "runtime/kernel/link.h"

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

int nlab_sysctl_read(const char *key, char *buf, size_t size, struct nlab_err *err)
{
        char path[256];
        ssize_t n;
        int fd;

        assert(key && buf && size > 1);
        if (strstr(key, ".."))
                return nlab_err_set(err, NLAB_E_INVALID, "invalid sysctl key \"%s\"", key);
        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nlab_err_sys(err, errno, "sysctl %s", key);
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return nlab_err_sys(err, errno, "sysctl %s", key);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

/* net.ipv4.conf.eth0.rp_filter -> net/ipv4/conf/default/rp_filter: the same keys, present here.
 * The key is the last part: a link name may itself hold dots (eth0.100). */
static void host_path(const char *dotted, char *path, size_t size)
{
        static const char *const per_link[] = {"net.ipv4.conf.", "net.ipv6.conf.",
                                               "net.ipv4.neigh.", "net.ipv6.neigh."};
        const char *last = strrchr(dotted, '.');
        size_t i;

        snprintf(path, size, "/proc/sys/%s", dotted);
        for (i = 0; i < sizeof(per_link) / sizeof(per_link[0]); i++) {
                size_t len = strlen(per_link[i]);
                if (!strncmp(dotted, per_link[i], len) && last && last > dotted + len)
                        snprintf(path, size, "/proc/sys/%.*sdefault%s", (int)len, dotted, last);
        }
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
                if (*c == '.')
                        *c = '/';
}

int nlab_sysctl_exists(const char *dotted, char *near, size_t size)
{
        char path[512], *slash;
        const char *names[512], *best;
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        assert(dotted && near && size > 0);
        near[0] = '\0';
        if (!dotted[0] || strstr(dotted, "..") || strchr(dotted, '/') || strlen(dotted) > 200)
                return -1;
        host_path(dotted, path, sizeof(path));
        if (access(path, F_OK) == 0)
                return 1;
        slash = strrchr(path, '/');
        *slash = '\0';
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
                if (de->d_name[0] != '.')
                        names[n++] = de->d_name;
        best = nlab_suggest(slash + 1, names, n, 2);
        if (best)
                snprintf(near, size, "%.*s%s", (int)(strrchr(dotted, '.') - dotted + 1), dotted,
                         best);
        closedir(d);
        return 0;
}

static int record_path(const char *root, char *buf, size_t size, struct nlab_err *err)
{
        return nlab_path(buf, size, err, "%s/host/ip_forward", root);
}

/* Read the record: 1 = forwarding was off before netlab, 0 = it was on, -1 = no record. */
static int read_record(const char *path)
{
        char *text = NULL;
        size_t len;
        int r;

        if (nlab_read_file(path, &text, &len, NULL) < 0)
                return -1;
        r = text[0] == '0' ? 1 : text[0] == '1' ? 0 : -1;
        free(text);
        return r;
}

int nlab_forward_record(const char *root, bool *was_off, struct nlab_err *err)
{
        char path[4096], tmp[4200], now[16];
        int r;

        assert(root && was_off);
        if (record_path(root, path, sizeof(path), err) < 0)
                return -1;
        r = read_record(path);
        if (r >= 0) {
                *was_off = r == 1;
                return 0;
        }
        if (nlab_sysctl_read("net/ipv4/ip_forward", now, sizeof(now), err) < 0)
                return -1;
        if (strcmp(now, "0") && strcmp(now, "1"))
                return nlab_err_set(err, NLAB_E_SYSTEM,
                                    "sysctl net.ipv4.ip_forward: unexpected "
                                    "value \"%s\"",
                                    now);
        strcat(now, "\n");
        if (nlab_path(tmp, sizeof(tmp), err, "%s/host", root) < 0 ||
            nlab_mkdir_p(tmp, 0700, err) < 0 ||
            nlab_path(tmp, sizeof(tmp), err, "%s.%d", path, (int)getpid()) < 0 ||
            nlab_write_file(tmp, now, 2, 0600, err) < 0)
                return -1;
        /* link(2) creates only if absent: the first command to record wins, later ones read it */
        if (link(tmp, path) < 0 && errno != EEXIST) {
                r = nlab_err_sys(err, errno, "record %s", path);
                unlink(tmp);
                return r;
        }
        unlink(tmp);
        r = read_record(path);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "record %s: unreadable", path);
        *was_off = r == 1;
        return 0;
}

int nlab_forward_restore(const char *root, struct nlab_err *err)
{
        char path[4096];
        int r;

        assert(root);
        if (record_path(root, path, sizeof(path), err) < 0)
                return -1;
        r = read_record(path);
        if (r == 1 && nlab_sysctl_write("net/ipv4/ip_forward", "0", err) < 0)
                return -1;
        if (unlink(path) < 0 && errno != ENOENT)
                return nlab_err_sys(err, errno, "remove %s", path);
        return 0;
}
