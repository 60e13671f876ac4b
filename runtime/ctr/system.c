#include "runtime/ctr/system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "runtime/ctr/cgroup.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/shimsup.h"
#include "runtime/kernel/firewall.h"
#include "runtime/base/fsutil.h"
#include "runtime/net/external.h"
#include "runtime/net/netglue.h"
#include "runtime/net/network.h"
#include "runtime/kernel/sysctl.h"

/* Keep the first error; later steps still run, so one stuck piece does not block the rest. */
static void keep_first(struct nlab_err *err, const struct nlab_err *e, int r)
{
        if (r < 0 && err && err->kind == NLAB_E_OK)
                *err = *e;
}

static void remove_containers(struct nlab_store *st, struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0;
        struct nlab_err e;

        if (nlab_store_list(st, &ids, &n, &e) < 0) {
                keep_first(err, &e, -1);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                int r;

                nlab_err_clear(&e);
                r = nlab_container_remove(st, ids[i], true, &e);
                if (e.kind != NLAB_E_NOTFOUND) /* --rm got there first */
                        keep_first(err, &e, r);
        }
        nlab_store_free_list(ids, n);
}

/* Every network with a bridge, the predefined one too: bridge, firewall entries, DNS. */
static void remove_networks(struct nlab_store *st, struct nlab_err *err)
{
        struct nlab_net *all;
        struct nlab_err e;
        size_t i, n;

        if (nlab_network_list(st, &all, &n, &e) < 0) {
                keep_first(err, &e, -1);
                return;
        }
        for (i = 0; i < n; i++)
                nlab_netglue_network_down(st, &all[i]);
        free(all);
}

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* netlab-dns holds an flock on its pidfile while it runs: a pid read from a file we can lock
 * is stale, so we never signal a stranger that reused it. */
static void stop_dns(struct nlab_store *st)
{
        char path[PATH_MAX], buf[32] = "";
        ssize_t n;
        int fd, pid;

        if (nlab_path(path, sizeof(path), NULL, "%s/dns/netlab-dns.pid", st->root) < 0)
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return;
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        pid = n > 0 ? atoi(buf) : 0;
        for (int i = 0; i < 50 && pid > 1 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
                kill(pid, i < 30 ? SIGTERM : SIGKILL);
                nap_ms(100);
        }
        close(fd);
}

/* A netns bind mount left by a shim that died before it could unmount. */
static void unmount_netns(struct nlab_store *st)
{
        char dir[PATH_MAX], path[PATH_MAX + 256];
        struct dirent *d;
        DIR *dp;

        if (nlab_path(dir, sizeof(dir), NULL, "%s/netns", st->root) < 0 || !(dp = opendir(dir)))
                return;
        while ((d = readdir(dp)))
                if (d->d_name[0] != '.' &&
                    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < sizeof(path))
                        umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
        closedir(dp);
}

static void empty_root(struct nlab_store *st, struct nlab_err *err)
{
        char path[PATH_MAX + 256];
        struct nlab_err e;
        struct dirent *d;
        DIR *dp = opendir(st->root);

        if (!dp) {
                keep_first(err, &e, nlab_err_sys(&e, errno, "state root %s", st->root));
                return;
        }
        while ((d = readdir(dp))) {
                if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                        continue;
                /* a rootless lab host's keeper outlives a reset; `lab down` ends it */
                if (!strncmp(d->d_name, "keeper.", 7))
                        continue;
                if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->root, d->d_name) >=
                    sizeof(path))
                        continue;
                keep_first(err, &e, nlab_rm_rf(path, &e));
        }
        closedir(dp);
}

int nlab_system_reset(struct nlab_store *st, struct nlab_err *err)
{
        struct nlab_err e;

        nlab_err_clear(err);
        remove_containers(st, err);
        nlab_shim_sup_stop(st->root);
        nlab_cgroup_remove_all(st);
        remove_networks(st, err);
        keep_first(err, &e, nlab_external_remove_all(st, &e));
        stop_dns(st);
        unmount_netns(st);
        keep_first(err, &e, nlab_fw_teardown(&e));
        keep_first(err, &e, nlab_forward_restore(st->root, &e));
        empty_root(st, err);
        return err && err->kind != NLAB_E_OK ? -1 : 0;
}
