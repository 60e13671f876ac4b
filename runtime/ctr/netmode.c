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
#include "runtime/base/suggest.h"

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

static int prepare_container_mode(struct nlab_store *st, struct nlab_ctr_config *cfg,
                                  const char *ref, const struct nlab_run_req *req,
                                  struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], full[sizeof(CONTAINER_MODE) + NLAB_ID_LEN];
        struct nlab_ctr_config tcfg;
        int r;

        if (!ref[0])
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --network container: expected container:NAME or "
                                    "container:ID");
        if (check_container_mode(req, err) < 0 || nlab_store_resolve(st, ref, id, err) < 0)
                return -1;
        if (nlab_store_load_config(st, id, &tcfg, err) < 0)
                return -1;
        snprintf(full, sizeof(full), CONTAINER_MODE "%s", id);
        /* Same network namespace, same /etc/hostname. */
        r = nlab_ctr_config_set(&cfg->hostname, tcfg.hostname) < 0 ||
                    nlab_ctr_config_set(&cfg->network_mode, full) < 0
                ? nlab_err_set(err, NLAB_E_SYSTEM, "out of memory")
                : 0;
        nlab_ctr_config_free(&tcfg);
        return r;
}

/* containr:c1 or contianer:c1 (a network name has no colon): the container mode misspelt. */
static int misspelt_container_mode(const char *mode, struct nlab_err *err)
{
        static const char *const word[] = {"container"};
        const char *colon = strchr(mode, ':');
        char head[32];

        if (!colon || (size_t)(colon - mode) >= sizeof(head))
                return 0;
        snprintf(head, sizeof(head), "%.*s", (int)(colon - mode), mode);
        if (!nlab_suggest(head, word, 1, nlab_suggest_bound(head)))
                return 0;
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid --network \"%s\": did you mean container:%s?", mode,
                            colon + 1);
}

int nlab_netmode_prepare(struct nlab_store *st, struct nlab_ctr_config *cfg,
                         const struct nlab_run_req *req, struct nlab_err *err)
{
        const char *mode = cfg->network_mode;
        struct nlab_ctr_endpoint ep;
        struct nlab_net net;

        if (nlab_netmode_container_ref(mode))
                return prepare_container_mode(st, cfg, nlab_netmode_container_ref(mode), req, err);
        if (misspelt_container_mode(mode, err) < 0)
                return -1;
        /* reads never save the predefined records; the first container to use one does */
        if (nlab_network_ensure_predefined(st, err) < 0 ||
            nlab_network_load(st, mode, &net, err) < 0)
                return -1;
        /* Referred to by id: record the name. */
        if (strcmp(net.name, mode) != 0 && nlab_ctr_config_set(&cfg->network_mode, net.name) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        if (!net.bridge[0]) {
                if (req->ip || req->mac || req->aliases.n)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "--ip, --mac-address and --network-alias need a bridge "
                                            "network, not \"%s\"",
                                            req->network ? req->network : mode);
                return 0;
        }
        if (nlab_attach_request(&net, req->ip, req->mac, &req->aliases, &ep, err) < 0)
                return -1;
        if (nlab_ctr_config_push_endpoint(cfg, &ep) < 0) {
                nlab_ctr_endpoint_free(&ep);
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        }
        return 0;
}

/* A live holder accounts for an address if its config has it on this network; one being
 * created has no config yet, and an unreadable record keeps its claims. */
bool nlab_netmode_address_held(const struct nlab_store *st, const char *holder, const char *net,
                               const char *ip)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg;
        const struct nlab_ctr_endpoint *ep;
        bool held;

        if (nlab_store_load_state(st, holder, &state, NULL) < 0 ||
            state.status == NLAB_CTR_CREATING || nlab_store_load_config(st, holder, &cfg, NULL) < 0)
                return true;
        ep = nlab_ctr_config_endpoint(&cfg, net);
        held = ep && ep->ip_address && !strcmp(ep->ip_address, ip);
        nlab_ctr_config_free(&cfg);
        return held;
}

int nlab_netmode_claim(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                       struct nlab_err *err)
{
        size_t i, done;

        for (done = 0; done < cfg->n_networks; done++) {
                struct nlab_ctr_endpoint *ep = &cfg->networks[done];
                struct nlab_net net;
                if (nlab_network_load(st, ep->network, &net, err) < 0 ||
                    nlab_attach_claim(st, &net, id, cfg->name, ep, nlab_netmode_address_held, err) <
                        0)
                        break;
        }
        if (done == cfg->n_networks)
                return 0;
        for (i = 0; i < done; i++)
                nlab_attach_release(st, cfg->networks[i].network, id, &cfg->networks[i]);
        return -1;
}

void nlab_netmode_release(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg)
{
        size_t i;

        for (i = 0; i < cfg->n_networks; i++)
                nlab_attach_release(st, cfg->networks[i].network, id, &cfg->networks[i]);
}

/* The pid (and its start time) whose netns a container:NAME container joins; fails unless
 * it runs. */
static int container_pid(struct nlab_store *st, const char *ref, int *pid,
                         unsigned long long *start, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config tcfg;
        int r = 0;

        if (nlab_container_load(st, ref, &tcfg, &state, err) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "cannot join network of container %.12s: it no longer exists",
                                    ref);
        if (!nlab_container_running(&state))
                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                 "cannot join network of a non running container: %s", tcfg.name);
        *pid = state.pid;
        *start = state.pid_start;
        nlab_ctr_config_free(&tcfg);
        return r;
}

int nlab_netmode_namespaces(struct nlab_store *st, const struct nlab_ctr_config *cfg,
                            int *clone_flags, int *join_fd, struct nlab_err *err)
{
        const char *mode = cfg->network_mode;
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
        if (!strcmp(ref, cfg->id))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "cannot join own network namespace (--network container:%s)",
                                    cfg->name);
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

static struct nlab_strv copy(const struct nlab_strv *from)
{
        struct nlab_strv sv = {0};

        nlab_strv_append(&sv, from);
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

int nlab_netmode_write_hosts(struct nlab_store *st, const char *id,
                             const struct nlab_ctr_config *cfg, struct nlab_err *err)
{
        struct nlab_hosts_line *own = calloc(cfg->n_networks + 1, sizeof(*own));
        size_t n = 0, i;
        char *text;
        int r;

        for (i = 0; own && i < cfg->n_networks; i++) {
                if (!cfg->networks[i].ip_address)
                        continue;
                own[n].ip = cfg->networks[i].ip_address;
                own[n++].names = cfg->hostname;
        }
        text = nlab_hosts_render(&cfg->extra_hosts, own, n);
        r = write_ctr_file(st, id, "hosts", text, err);
        free(text);
        free(own);
        return r;
}

/* The nameserver for a container on user-defined networks: the gateway of the first one. */
static const char *resolver_of(const struct nlab_ctr_config *cfg)
{
        size_t i;

        for (i = 0; i < cfg->n_networks; i++)
                if (!nlab_network_is_predefined(cfg->networks[i].network))
                        return cfg->networks[i].gateway;
        return NULL;
}

int nlab_netmode_write_resolv(struct nlab_store *st, const char *id,
                              const struct nlab_ctr_config *cfg, struct nlab_err *err)
{
        struct nlab_strv dns = copy(&cfg->dns), search = copy(&cfg->dns_search),
                         opts = copy(&cfg->dns_options), own = {0};
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

static int copy_from_target(struct nlab_store *st, const char *id,
                            const struct nlab_ctr_config *cfg, struct nlab_err *err)
{
        static const char *const files[] = {"hosts", "resolv.conf"};
        const char *target = nlab_netmode_container_ref(cfg->network_mode);
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

int nlab_netmode_etc_files(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg,
                           struct nlab_err *err)
{
        if (nlab_netmode_container_ref(cfg->network_mode))
                return copy_from_target(st, id, cfg, err);
        if (nlab_netmode_write_hosts(st, id, cfg, err) < 0)
                return -1;
        return nlab_netmode_write_resolv(st, id, cfg, err);
}

int nlab_netmode_start(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg, int pid,
                       struct nlab_err *err)
{
        struct nlab_ctr_endpoints nets = nlab_ctr_config_endpoints(cfg);
        char netns[NLAB_NETNS_PATH_LEN], ifname[16];
        size_t i;

        nlab_proc_netns_path(pid, netns);
        /* a flushed table is rebuilt before anything is attached or published (never fail open) */
        if (cfg->n_networks > 0 && nlab_netglue_fw_check(st, id, err) < 0)
                return -1;
        for (i = 0; i < cfg->n_networks; i++) {
                struct nlab_net net;
                if (nlab_network_load(st, cfg->networks[i].network, &net, err) < 0)
                        goto undo;
                snprintf(ifname, sizeof(ifname), "eth%zu", i);
                if (nlab_attach_up(st, &net, id, &cfg->networks[i], &nets, netns, ifname, i == 0,
                                   err) < 0)
                        goto undo;
        }
        /* Nothing is published while stopped, whatever an older record says. */
        nlab_ctr_config_set(&cfg->ports_target, NULL);
        if (nlab_netglue_ctr_up(st, id, cfg, err) < 0)
                goto undo;
        return nlab_store_save_config(st, id, cfg, err);
undo:
        for (i = 0; i < cfg->n_networks; i++)
                nlab_attach_down(id, &cfg->networks[i], &nets, NULL);
        return -1;
}

void nlab_netmode_stop(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg)
{
        /* The veths go with the network namespace once its last process and its bind mount are
         * gone; deleting them here would only wait for the kernel (about 25 ms each). A start
         * that finds a stale one removes it (nlab_attach_up). Its firewall elements go now. */
        struct nlab_ctr_endpoints nets = nlab_ctr_config_endpoints(cfg);
        size_t i;

        for (i = 0; i < cfg->n_networks; i++)
                nlab_attach_unfilter(id, &cfg->networks[i], &nets);
        nlab_netglue_ctr_down(st, id, cfg);
}
