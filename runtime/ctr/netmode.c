#include "runtime/ctr/netmode.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/net/attach.h"
#include "runtime/ctr/container.h"
#include "runtime/base/fsutil.h"
#include "runtime/net/hostsfile.h"
#include "runtime/net/netglue.h"
#include "runtime/net/network.h"
#include "runtime/base/proc.h"

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

#define CONTAINER_MODE "container:"

const char *nlab_netmode_container_ref(const char *mode)
{
        size_t n = strlen(CONTAINER_MODE);

        return mode && !strncmp(mode, CONTAINER_MODE, n) ? mode + n : NULL;
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

static int prepare_container_mode(struct nlab_store *st, json_t *cfg, const char *ref,
                                  const struct nlab_run_req *req, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], full[sizeof(CONTAINER_MODE) + NLAB_ID_LEN];
        json_t *tcfg = NULL;

        if (!ref[0])
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --network container: expected container:NAME or "
                                    "container:ID");
        if (check_container_mode(req, err) < 0 || nlab_store_resolve(st, ref, id, err) < 0)
                return -1;
        if (nlab_store_load(st, id, "config.json", &tcfg, err) < 0)
                return -1;
        /* Same network namespace, same /etc/hostname. */
        json_object_set(json_object_get(cfg, "Config"), "Hostname",
                        json_object_get(json_object_get(tcfg, "Config"), "Hostname"));
        json_decref(tcfg);
        snprintf(full, sizeof(full), CONTAINER_MODE "%s", id);
        json_object_set_new(json_object_get(cfg, "HostConfig"), "NetworkMode", json_string(full));
        return 0;
}

int nlab_netmode_prepare(struct nlab_store *st, json_t *cfg, const struct nlab_run_req *req,
                         struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        json_t *ep = NULL, *nets = json_object();
        struct nlab_net net;

        json_object_set_new(cfg, "NetworkSettings",
                            json_pack("{s:o,s:{}}", "Networks", nets, "Ports"));
        if (nlab_netmode_container_ref(mode))
                return prepare_container_mode(st, cfg, nlab_netmode_container_ref(mode), req, err);
        if (nlab_network_load(st, mode, &net, err) < 0)
                return -1;
        if (strcmp(net.name, mode) != 0) {
                /* Referred to by id: record the name. */
                json_object_set_new(json_object_get(cfg, "HostConfig"), "NetworkMode",
                                    json_string(net.name));
        }
        if (!net.bridge[0]) {
                if (req->ip || req->mac || req->aliases.n)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "--ip, --mac-address and --network-alias need a bridge "
                                            "network, not \"%s\"",
                                            mode);
                return 0;
        }
        if (nlab_attach_request(&net, req->ip, req->mac, &req->aliases, &ep, err) < 0)
                return -1;
        json_object_set_new(nets, net.name, ep);
        return 0;
}

/* A live holder accounts for an address if its config has it on this network; one being
 * created has no config yet, and an unreadable record keeps its claims. */
bool nlab_netmode_address_held(const struct nlab_store *st, const char *holder, const char *net,
                               const char *ip)
{
        struct nlab_ctr_state state;
        json_t *cfg = NULL;
        const char *have;
        bool held;

        if (nlab_store_load_state(st, holder, &state, NULL) < 0 ||
            state.status == NLAB_CTR_CREATING ||
            nlab_store_load(st, holder, "config.json", &cfg, NULL) < 0)
                return true;
        have = json_string_value(
            json_object_get(json_object_get(nlab_netmode_networks(cfg), net), "IPAddress"));
        held = have && !strcmp(have, ip);
        json_decref(cfg);
        return held;
}

int nlab_netmode_claim(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err)
{
        json_t *nets = nlab_netmode_networks(cfg), *ep;
        const char *name, *done_upto = NULL;
        int r = 0;

        json_object_foreach(nets, name, ep)
        {
                struct nlab_net net;
                if (nlab_network_load(st, name, &net, err) < 0) {
                        r = -1;
                        break;
                }
                r = nlab_attach_claim(st, &net, id, json_string_value(json_object_get(cfg, "Name")),
                                      ep, nlab_netmode_address_held, err);
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

/* The pid (and its start time) whose netns a container:NAME container joins; fails unless
 * it runs. */
static int container_pid(struct nlab_store *st, const char *ref, int *pid,
                         unsigned long long *start, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        json_t *tcfg = NULL;
        int r = 0;

        if (nlab_container_load(st, ref, &tcfg, &state, err) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "cannot join network of container %.12s: it no longer exists",
                                    ref);
        if (!nlab_container_running(&state))
                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                 "cannot join network of a non running container: %s",
                                 json_string_value(json_object_get(tcfg, "Name")));
        *pid = state.pid;
        *start = state.pid_start;
        json_decref(tcfg);
        return r;
}

int nlab_netmode_namespaces(struct nlab_store *st, const json_t *cfg, int *clone_flags,
                            int *join_fd, struct nlab_err *err)
{
        const char *mode = nlab_netmode_of(cfg);
        const char *ref = nlab_netmode_container_ref(mode);
        unsigned long long start = 0;
        int pid = 0;

        *join_fd = -1;
        if (!strcmp(mode, "host"))
                return 0;
        if (!ref) {
                *clone_flags |= CLONE_NEWNET;
                return 0;
        }
        if (!strcmp(ref, json_string_value(json_object_get(cfg, "Id"))))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "cannot join own network namespace (--network container:%s)",
                                    json_string_value(json_object_get(cfg, "Name")));
        if (container_pid(st, ref, &pid, &start, err) < 0)
                return -1;
        /* A pidfd, not /proc/PID: setns(pidfd, CLONE_NEWNET) in the shim joins this very
         * process even if the pid has been reused by then. */
        *join_fd = nlab_proc_pidfd(pid, start, err);
        if (*join_fd < 0) {
                nlab_err_prefix(err, "cannot join network of container %.12s", ref);
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
static const char *resolver_of(const json_t *cfg)
{
        const json_t *ep;
        const char *name;

        json_object_foreach((json_t *)nlab_netmode_networks(cfg), name, ep)
        {
                if (!nlab_network_is_predefined(name))
                        return json_string_value(json_object_get(ep, "Gateway"));
        }
        return NULL;
}

int nlab_netmode_write_resolv(struct nlab_store *st, const char *id, const json_t *cfg,
                              struct nlab_err *err)
{
        struct nlab_strv dns = view(cfg, "Dns"), search = view(cfg, "DnsSearch"),
                         opts = view(cfg, "DnsOptions"), own = {0};
        struct nlab_resolv_opts ro = {&dns, &search, &opts};
        const char *gw = resolver_of(cfg);
        char *host_resolv = NULL, *resolv;
        int r;

        if (gw) {
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
        const char *target = nlab_netmode_container_ref(nlab_netmode_of(cfg));
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
        if (nlab_netmode_container_ref(nlab_netmode_of(cfg)))
                return copy_from_target(st, id, cfg, err);
        if (nlab_netmode_write_hosts(st, id, cfg, err) < 0)
                return -1;
        return nlab_netmode_write_resolv(st, id, cfg, err);
}

int nlab_netmode_start(struct nlab_store *st, const char *id, json_t *cfg, int pid,
                       struct nlab_err *err)
{
        json_t *nets = nlab_netmode_networks(cfg), *ep;
        char netns[NLAB_NETNS_PATH_LEN], ifname[16];
        const char *name;
        int i = 0;

        nlab_proc_netns_path(pid, netns);
        /* a flushed table is rebuilt before anything is attached or published (never fail open) */
        if (json_object_size(nets) > 0 && nlab_netglue_fw_check(st, id, err) < 0)
                return -1;
        json_object_foreach(nets, name, ep)
        {
                struct nlab_net net;
                if (nlab_network_load(st, name, &net, err) < 0)
                        goto undo;
                snprintf(ifname, sizeof(ifname), "eth%d", i);
                if (nlab_attach_up(st, &net, id, ep, nets, netns, ifname, i == 0, err) < 0)
                        goto undo;
                i++;
        }
        /* Nothing is published while stopped, whatever an older record says. */
        json_object_del(json_object_get(cfg, "NetworkSettings"), "PortsTarget");
        if (nlab_netglue_ctr_up(st, id, cfg, err) < 0)
                goto undo;
        return nlab_store_save(st, id, "config.json", cfg, err);
undo:
        json_object_foreach(nets, name, ep) nlab_attach_down(id, ep, nets, NULL);
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
