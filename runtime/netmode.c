#include "runtime/netmode.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container.h"
#include "runtime/fsutil.h"
#include "runtime/hostsfile.h"

static const char *mode_of(const json_t *cfg)
{
        const char *m = json_string_value(
                json_object_get(json_object_get(cfg, "HostConfig"), "NetworkMode"));

        return m ? m : "bridge";
}

int nlab_netmode_prepare(struct nlab_store *st, json_t *cfg, const struct nlab_run_req *req,
                         struct nlab_err *err)
{
        const char *mode = mode_of(cfg);

        (void)st;
        if (strcmp(mode, "none") && strcmp(mode, "host"))
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "network %s not found (available: none, host)", mode);
        if (req->ip || req->mac || req->aliases.n)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "--ip, --mac-address and --network-alias are only supported "
                                    "on user-defined networks, not on \"%s\"",
                                    mode);
        return 0;
}

int nlab_netmode_claim(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err)
{
        (void)st;
        (void)id;
        (void)cfg;
        (void)err;
        return 0;
}

void nlab_netmode_release(struct nlab_store *st, const char *id, const json_t *cfg)
{
        (void)st;
        (void)id;
        (void)cfg;
}

int nlab_netmode_namespaces(struct nlab_store *st, const json_t *cfg, int *clone_flags,
                            int *join_fd, struct nlab_err *err)
{
        (void)st;
        (void)err;
        *join_fd = -1;
        if (strcmp(mode_of(cfg), "host") != 0)
                *clone_flags |= CLONE_NEWNET;
        return 0;
}

static struct nlab_strv view(const json_t *cfg, const char *key)
{
        const json_t *arr = json_object_get(json_object_get(cfg, "HostConfig"), key);
        struct nlab_strv sv = {0};
        size_t i;

        for (i = 0; i < json_array_size(arr); i++)
                nlab_strv_push(&sv, json_string_value(json_array_get(arr, i)));
        return sv;
}

static int write_ctr_file(struct nlab_store *st, const char *id, const char *name,
                          const char *text, struct nlab_err *err)
{
        char path[PATH_MAX];

        if (!text)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory writing %s", name);
        if (nlab_store_path(st, path, sizeof(path), "containers", id, name, err) < 0)
                return -1;
        return nlab_write_file(path, text, strlen(text), 0644, err);
}

int nlab_netmode_etc_files(struct nlab_store *st, const char *id, const json_t *cfg,
                           struct nlab_err *err)
{
        struct nlab_strv add = view(cfg, "ExtraHosts"), dns = view(cfg, "Dns"),
                         search = view(cfg, "DnsSearch"), opts = view(cfg, "DnsOptions");
        struct nlab_resolv_opts ro = {&dns, &search, &opts};
        char *host_resolv = NULL, *hosts, *resolv;
        int r;

        hosts = nlab_hosts_render(&add, NULL, 0);
        nlab_read_file("/etc/resolv.conf", &host_resolv, NULL, NULL);
        resolv = nlab_resolv_render(host_resolv, &ro);
        r = write_ctr_file(st, id, "hosts", hosts, err);
        if (r == 0)
                r = write_ctr_file(st, id, "resolv.conf", resolv, err);
        free(hosts);
        free(resolv);
        free(host_resolv);
        nlab_strv_free(&add);
        nlab_strv_free(&dns);
        nlab_strv_free(&search);
        nlab_strv_free(&opts);
        return r;
}

int nlab_netmode_start(struct nlab_store *st, const char *id, const json_t *cfg, int pid,
                       struct nlab_err *err)
{
        (void)st;
        (void)id;
        (void)cfg;
        (void)pid;
        (void)err;
        return 0;
}

void nlab_netmode_stop(struct nlab_store *st, const char *id, const json_t *cfg)
{
        (void)st;
        (void)id;
        (void)cfg;
}
