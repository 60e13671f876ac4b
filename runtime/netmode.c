#include "runtime/netmode.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/attach.h"
#include "runtime/container.h"
#include "runtime/fsutil.h"
#include "runtime/hostsfile.h"
#include "runtime/netglue.h"
#include "runtime/network.h"
#include "runtime/proc.h"

const char *nlab_netmode_of(const json_t *cfg)
{
        const char *m =
            json_string_value(json_object_get(json_object_get(cfg, "HostConfig"), "NetworkMode"));

        return m ? m : "bridge";
}

json_t *nlab_netmode_networks(const json_t *cfg)
{
        return json_object_get(json_object_get(cfg, "NetworkSettings"), "Networks");
}

static bool is_container_mode(const char *mode)
{
        return !strncmp(mode, "container:", 10);
}

/* Docker's "conflicting options" checks for --network container:NAME. */
static int check_container_mode(const struct nlab_run_req *req, struct nlab_err *err)
{
        const char *what = NULL;

        if (req->publish.n || req->publish_all)
                what = "port publishing and the container type network mode";
        else if (req->expose.n)
                what = "port exposing and the container type network mode";
        else if (req->dns.n || req->dns_search.n || req->dns_options.n)
                what = "dns and the network mode";
        else if (req->add_hosts.n)
                what = "custom host-to-IP mapping and the network mode";
        else if (req->hostname)
                what = "hostname and the network mode";
        else if (req->mac)
                what = "mac-address and the network mode";
        else if (req->ip || req->aliases.n)
                what = "network-scoped address or alias and the container type network mode";
        if (what)
                return nlab_err_set(err, NLAB_E_INVALID, "conflicting options: %s", what);
        return 0;
}

static int prepare_container_mode(struct nlab_store *st, json_t *cfg, const char *mode,
                                  const struct nlab_run_req *req, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], full[16 + NLAB_ID_LEN];
        json_t *tcfg = NULL;

        if (check_container_mode(req, err) < 0 || nlab_store_resolve(st, mode + 10, id, err) < 0)
                return -1;
        if (nlab_store_load(st, id, "config.json", &tcfg, err) < 0)
                return -1;
        /* Same network namespace, same /etc/hostname. */
        json_object_set(json_object_get(cfg, "Config"), "Hostname",
                        json_object_get(json_object_get(tcfg, "Config"), "Hostname"));
        json_decref(tcfg);
        snprintf(full, sizeof(full), "container:%s", id);
        json_object_set_new(json_object_get(cfg, "HostConfig"), "NetworkMode", json_string(full));
        return 0;
}

int nlab_netmode_prepare(struct nlab_store *st, json_t *cfg, const struct nlab_run_req *req,
                         struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        json_t *net = NULL, *ep = NULL, *nets = json_object();

        json_object_set_new(cfg, "NetworkSettings",
                            json_pack("{s:o,s:{}}", "Networks", nets, "Ports"));
        if (is_container_mode(mode))
                return prepare_container_mode(st, cfg, mode, req, err);
        if (nlab_network_load(st, mode, &net, err) < 0)
                return -1;
        if (strcmp(json_string_value(json_object_get(net, "Name")), mode) != 0) {
                /* Referred to by id: record the name. */
                json_object_set(json_object_get(cfg, "HostConfig"), "NetworkMode",
                                json_object_get(net, "Name"));
        }
        if (!json_object_get(net, "Options") || !nlab_netglue_bridge(net)) {
                json_decref(net);
                if (req->ip || req->mac || req->aliases.n)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "--ip, --mac-address and --network-alias need a bridge "
                                            "network, not \"%s\"",
                                            mode);
                return 0;
        }
        if (nlab_attach_request(net, req->ip, req->mac, &req->aliases, &ep, err) < 0) {
                json_decref(net);
                return -1;
        }
        json_object_set_new(nets, json_string_value(json_object_get(net, "Name")), ep);
        json_decref(net);
        return 0;
}

int nlab_netmode_claim(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err)
{
        json_t *nets = nlab_netmode_networks(cfg), *ep;
        const char *name, *done_upto = NULL;
        int r = 0;

        json_object_foreach(nets, name, ep)
        {
                json_t *net;
                if (nlab_network_load(st, name, &net, err) < 0) {
                        r = -1;
                        break;
                }
                r = nlab_attach_claim(st, net, id, json_string_value(json_object_get(cfg, "Name")),
                                      ep, err);
                json_decref(net);
                if (r < 0)
                        break;
                done_upto = name;
        }
        if (r == 0)
                return 0;
        json_object_foreach(nets, name, ep)
        {
                if (!done_upto)
                        break;
                nlab_attach_release(st, name, id, ep);
                if (!strcmp(name, done_upto))
                        break;
        }
        return -1;
}

void nlab_netmode_release(struct nlab_store *st, const char *id, const json_t *cfg)
{
        json_t *ep;
        const char *name;

        json_object_foreach(nlab_netmode_networks(cfg), name, ep)
            nlab_attach_release(st, name, id, ep);
}

int nlab_netmode_container_pid(struct nlab_store *st, const json_t *cfg, int *pid,
                               unsigned long long *start, struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        json_t *state = NULL, *tcfg = NULL;
        int r = 0;

        if (nlab_container_load(st, mode + 10, &tcfg, &state, err) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "cannot join network of container %.12s: it no longer exists",
                                    mode + 10);
        if (!nlab_container_running(state))
                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                 "cannot join network of a non running container: %s",
                                 json_string_value(json_object_get(tcfg, "Name")));
        *pid = (int)json_integer_value(json_object_get(state, "Pid"));
        *start = (unsigned long long)json_integer_value(json_object_get(state, "PidStart"));
        json_decref(state);
        json_decref(tcfg);
        return r;
}

int nlab_netmode_namespaces(struct nlab_store *st, const json_t *cfg, int *clone_flags,
                            int *join_fd, struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        unsigned long long start;
        int pid;

        *join_fd = -1;
        if (!strcmp(mode, "host"))
                return 0;
        if (!is_container_mode(mode)) {
                *clone_flags |= CLONE_NEWNET;
                return 0;
        }
        if (!strcmp(mode + 10, json_string_value(json_object_get(cfg, "Id"))))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "cannot join own network namespace (--network container:%s)",
                                    json_string_value(json_object_get(cfg, "Name")));
        if (nlab_netmode_container_pid(st, cfg, &pid, &start, err) < 0)
                return -1;
        /* A pidfd, not /proc/PID: setns(pidfd, CLONE_NEWNET) in the shim joins this very
         * process even if the pid has been reused by then. */
        *join_fd = nlab_proc_pidfd(pid, start, err);
        if (*join_fd < 0) {
                nlab_err_prefix(err, "cannot join network of container %.12s", mode + 10);
                return -1;
        }
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

static int write_ctr_file(struct nlab_store *st, const char *id, const char *name, const char *text,
                          struct nlab_err *err)
{
        char path[PATH_MAX];
        int fd;

        if (!text)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory writing %s", name);
        if (nlab_store_path(st, path, sizeof(path), "containers", id, name, err) < 0)
                return -1;
        /* Rewrite in place: a running container sees this inode through a bind mount. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open %s", path);
        if (write(fd, text, strlen(text)) < 0) {
                int e = errno;
                close(fd);
                return nlab_err_sys(err, e, "write %s", path);
        }
        close(fd);
        return 0;
}

int nlab_netmode_write_hosts(struct nlab_store *st, const char *id, const json_t *cfg,
                             struct nlab_err *err)
{
        struct nlab_strv add = view(cfg, "ExtraHosts");
        const json_t *nets = nlab_netmode_networks(cfg), *ep;
        const char *host =
            json_string_value(json_object_get(json_object_get(cfg, "Config"), "Hostname"));
        struct nlab_hosts_line *own = calloc(json_object_size(nets) + 1, sizeof(*own));
        const char *name;
        size_t n = 0;
        char *text;
        int r;

        json_object_foreach((json_t *)nets, name, ep)
        {
                if (!own || !json_object_get(ep, "IPAddress"))
                        continue;
                own[n].ip = json_string_value(json_object_get(ep, "IPAddress"));
                own[n++].names = host;
        }
        text = nlab_hosts_render(&add, own, n);
        r = write_ctr_file(st, id, "hosts", text, err);
        free(text);
        free(own);
        nlab_strv_free(&add);
        return r;
}

/* The nameserver for a container on user-defined networks: the gateway of the first one. */
static const char *resolver_of(struct nlab_store *st, const json_t *cfg, char *buf, size_t size)
{
        const json_t *ep;
        const char *name;

        json_object_foreach((json_t *)nlab_netmode_networks(cfg), name, ep)
        {
                if (nlab_network_is_predefined(name))
                        continue;
                (void)st;
                snprintf(buf, size, "%s", json_string_value(json_object_get(ep, "Gateway")));
                return buf;
        }
        return NULL;
}

int nlab_netmode_write_resolv(struct nlab_store *st, const char *id, const json_t *cfg,
                              struct nlab_err *err)
{
        struct nlab_strv dns = view(cfg, "Dns"), search = view(cfg, "DnsSearch"),
                         opts = view(cfg, "DnsOptions"), own = {0};
        struct nlab_resolv_opts ro = {&dns, &search, &opts};
        char *host_resolv = NULL, *resolv, gw[64];
        int r;

        if (resolver_of(st, cfg, gw, sizeof(gw))) {
                /* netlab-dns answers names and forwards the rest (to --dns if given). */
                nlab_strv_push(&own, gw);
                ro.nameservers = &own;
                nlab_strv_push(&opts, "ndots:0");
        }
        nlab_read_file("/etc/resolv.conf", &host_resolv, NULL, NULL);
        resolv = nlab_resolv_render(host_resolv, &ro);
        r = write_ctr_file(st, id, "resolv.conf", resolv, err);
        free(resolv);
        free(host_resolv);
        nlab_strv_free(&dns);
        nlab_strv_free(&search);
        nlab_strv_free(&opts);
        nlab_strv_free(&own);
        return r;
}

static int copy_from_target(struct nlab_store *st, const char *id, const json_t *cfg,
                            struct nlab_err *err)
{
        static const char *const files[] = {"hosts", "resolv.conf"};
        const char *target = nlab_netmode_of(cfg) + 10;
        char path[PATH_MAX];
        size_t i;

        for (i = 0; i < 2; i++) {
                char *text = NULL;
                int r;
                if (nlab_store_path(st, path, sizeof(path), "containers", target, files[i], err) <
                        0 ||
                    nlab_read_file(path, &text, NULL, err) < 0)
                        return -1;
                r = write_ctr_file(st, id, files[i], text, err);
                free(text);
                if (r < 0)
                        return -1;
        }
        return 0;
}

int nlab_netmode_etc_files(struct nlab_store *st, const char *id, const json_t *cfg,
                           struct nlab_err *err)
{
        if (is_container_mode(nlab_netmode_of(cfg)))
                return copy_from_target(st, id, cfg, err);
        if (nlab_netmode_write_hosts(st, id, cfg, err) < 0)
                return -1;
        return nlab_netmode_write_resolv(st, id, cfg, err);
}

int nlab_netmode_start(struct nlab_store *st, const char *id, json_t *cfg, int pid,
                       struct nlab_err *err)
{
        json_t *nets = nlab_netmode_networks(cfg), *ep;
        char netns[64], ifname[16];
        const char *name;
        int i = 0;

        snprintf(netns, sizeof(netns), "/proc/%d/ns/net", pid);
        /* a flushed table is rebuilt before anything is attached or published (never fail open) */
        if (json_object_size(nets) > 0 && nlab_netglue_fw_check(st, id, err) < 0)
                return -1;
        json_object_foreach(nets, name, ep)
        {
                json_t *net;
                int r;
                if (nlab_network_load(st, name, &net, err) < 0)
                        goto undo;
                snprintf(ifname, sizeof(ifname), "eth%d", i);
                r = nlab_attach_up(st, net, id, ep, nets, netns, ifname, i == 0, err);
                json_decref(net);
                if (r < 0)
                        goto undo;
                i++;
        }
        /* Nothing is published while stopped, whatever an older record says. */
        json_object_del(json_object_get(cfg, "NetworkSettings"), "PortsTarget");
        if (nlab_netglue_ctr_up(st, id, cfg, err) < 0)
                goto undo;
        return nlab_store_save(st, id, "config.json", cfg, err);
undo:
        json_object_foreach(nets, name, ep) nlab_attach_down(id, ep, nets);
        return -1;
}

void nlab_netmode_stop(struct nlab_store *st, const char *id, const json_t *cfg)
{
        /* The veths go with the network namespace once its last process and its bind mount are
         * gone; deleting them here would only wait for the kernel (about 25 ms each). A start
         * that finds a stale one removes it (nlab_attach_up). Its firewall elements go now. */
        json_t *nets = nlab_netmode_networks((json_t *)cfg), *ep;
        const char *name;

        json_object_foreach(nets, name, ep) nlab_attach_unfilter(id, ep, nets);
        nlab_netglue_ctr_down(st, id, cfg);
}
