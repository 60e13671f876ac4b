/* Starting a created container: its start request (image, mounts, environment, cgroup, seccomp,
 * --init, log bound) built from the record, the /etc files, the shim, the network, release. */
#include "runtime/ctr/container.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/ctr/cgroup.h"
#include "runtime/ctr/helperbin.h"
#include "runtime/ctr/image.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/netmode.h"
#include "runtime/ctr/seccomp_cache.h"
#include "runtime/ctr/secopt.h"
#include "runtime/ctr/caps.h"

/* Binds entries "/host:/ctr[:ro]" (checked at create) as the sandbox mounts them. */
static struct nlab_volume *volumes_of(const struct nlab_strv *binds, size_t *n)
{
        struct nlab_volume *v = calloc(binds->n + 1, sizeof(*v));
        size_t i;

        for (i = 0; v && i < binds->n; i++) {
                char *spec = strdup(binds->v[i]);
                char *c1 = spec ? strchr(spec, ':') : NULL;
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c1) {
                        free(spec);
                        continue;
                }
                *c1 = '\0';
                if (c2)
                        *c2 = '\0';
                v[i].host = spec;
                v[i].ctr = c1 + 1;
                v[i].ro = c2 && !strcmp(c2 + 1, "ro");
        }
        *n = binds->n;
        return v;
}

static void free_volumes(struct nlab_volume *v, size_t n)
{
        size_t i;

        for (i = 0; v && i < n; i++)
                free(v[i].host);
        free(v);
}

static int env_with_hostname(const struct nlab_ctr_config *cfg, struct nlab_strv *env)
{
        char line[300];

        memset(env, 0, sizeof(*env));
        if (nlab_strv_append(env, &cfg->env) < 0)
                return -1;
        snprintf(line, sizeof(line), "HOSTNAME=%s", cfg->hostname);
        if (nlab_strv_push(env, line) < 0 || nlab_strv_push(env, "HOME=/root") < 0)
                return -1;
        if (cfg->tty && nlab_strv_push(env, "TERM=xterm") < 0)
                return -1;
        return 0;
}

/* KEY=VALUE lines, NULL-terminated, for the sandbox to write. */
static int kv_lines(const struct nlab_kvs *kvs, struct nlab_strv *out)
{
        size_t i;

        memset(out, 0, sizeof(*out));
        for (i = 0; i < kvs->n; i++) {
                char *line;
                int r;
                if (asprintf(&line, "%s=%s", kvs->v[i].key, kvs->v[i].val) < 0)
                        return -1;
                r = nlab_strv_push(out, line);
                free(line);
                if (r < 0)
                        return -1;
        }
        return 0;
}

struct start_ctx {
        char dir[PATH_MAX], lower[PATH_MAX], log[PATH_MAX];
        struct nlab_strv env, sysctls;
        struct nlab_strv init_argv; /* --init: NLAB_INIT_PATH -- CMD... */
        char init_bin[PATH_MAX];
        struct sock_fprog seccomp;
        struct nlab_volume *vols;
        size_t n_vols;
        struct nlab_dev_rule *dev_rules;
        struct nlab_devnode *devnodes;
        struct nlab_cgroup_spec cg;
        char cg_join[NLAB_CGROUP_MAX][PATH_MAX];
        size_t n_cg_join;
        int join_fd;
};

static void start_ctx_free(struct start_ctx *sc)
{
        nlab_strv_free(&sc->env);
        nlab_seccomp_free(&sc->seccomp);
        nlab_strv_free(&sc->sysctls);
        nlab_strv_free(&sc->init_argv);
        free_volumes(sc->vols, sc->n_vols);
        free(sc->dev_rules);
        free(sc->devnodes);
        if (sc->join_fd >= 0)
                close(sc->join_fd);
}

/* --device grants as the host has them now: the node to create and the rule that opens it. */
static int devices_for(const struct nlab_ctr_config *cfg, struct start_ctx *sc,
                       struct nlab_err *err)
{
        size_t i, n = cfg->n_devices;

        sc->dev_rules = calloc(n + 1, sizeof(*sc->dev_rules));
        sc->devnodes = calloc(n + 1, sizeof(*sc->devnodes));
        if (!sc->dev_rules || !sc->devnodes)
                return nlab_err_sys(err, ENOMEM, "prepare devices");
        for (i = 0; i < n; i++) {
                const struct nlab_ctr_device *d = &cfg->devices[i];
                struct nlab_devnode *node = &sc->devnodes[i];
                struct stat sb;
                if (nlab_dev_access_parse(d->perms, &sc->dev_rules[i].access) < 0)
                        return nlab_err_set(err, NLAB_E_INVALID, "device %zu: bad record", i);
                if (stat(d->host, &sb) < 0)
                        return nlab_err_sys(err, errno, "device %s", d->host);
                snprintf(node->ctr, sizeof(node->ctr), "%s", d->ctr);
                node->mode = sb.st_mode;
                node->rdev = sb.st_rdev;
                sc->dev_rules[i].type = S_ISBLK(sb.st_mode) ? 'b' : 'c';
                sc->dev_rules[i].major = major(sb.st_rdev);
                sc->dev_rules[i].minor = minor(sb.st_rdev);
        }
        sc->cg.extra = sc->dev_rules;
        sc->cg.n_extra = n;
        return 0;
}

static int cgroup_for(const struct nlab_ctr_config *cfg, struct start_ctx *sc, struct nlab_err *err)
{
        sc->cg.pids_max = cfg->pids_limit;
        sc->cg.memory_max = cfg->memory;
        sc->cg.nano_cpus = cfg->nano_cpus;
        sc->cg.all_devices = cfg->privileged;
        return devices_for(cfg, sc, err);
}

/* The record's LogConfig through the same rules as --log-opt; older records get the default. */
static int log_opts_of(const struct nlab_ctr_config *cfg, struct nlab_log_opts *o,
                       struct nlab_err *err)
{
        struct nlab_strv kv = {0};
        int r = kv_lines(&cfg->log_config, &kv);

        if (r < 0)
                r = nlab_err_sys(err, ENOMEM, "log options");
        else
                r = nlab_log_opts_parse(&kv, o, err);
        nlab_strv_free(&kv);
        return r;
}

/* --init: netlab-init (found like netlab-shim) runs the command as its child. */
static int init_for(const struct nlab_ctr_config *cfg, struct start_ctx *sc, struct nlab_err *err)
{

        if (!cfg->init)
                return 0;
        if (nlab_helper_bin("netlab-init", "NETLAB_INIT_BIN", "init", sc->init_bin,
                            sizeof(sc->init_bin), err) < 0)
                return -1;
        if (nlab_strv_push(&sc->init_argv, NLAB_INIT_PATH) < 0 ||
            nlab_strv_push(&sc->init_argv, "--") < 0 ||
            nlab_strv_append(&sc->init_argv, &cfg->cmd) < 0)
                return nlab_err_sys(err, ENOMEM, "prepare --init");
        return 0;
}

static int fill_shim_req(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg,
                         const struct nlab_attach *io, struct start_ctx *sc,
                         struct nlab_shim_req *req, struct nlab_err *err)
{
        enum nlab_image_kind kind;
        int i;

        if (nlab_image_parse(cfg->image, &kind, err) < 0 ||
            nlab_image_prepare(st, kind, sc->lower, sizeof(sc->lower), err) < 0 ||
            nlab_store_path(st, sc->dir, sizeof(sc->dir), "containers", id, NULL, err) < 0 ||
            nlab_store_path(st, sc->log, sizeof(sc->log), "containers", id, "log", err) < 0)
                return -1;
        sc->vols = volumes_of(&cfg->binds, &sc->n_vols);
        if (!sc->vols || env_with_hostname(cfg, &sc->env) < 0 ||
            kv_lines(&cfg->sysctls, &sc->sysctls) < 0)
                return nlab_err_sys(err, ENOMEM, "prepare start");
        if (cgroup_for(cfg, sc, err) < 0 ||
            nlab_cgroup_join_files(st, id, &sc->cg, sc->cg_join, &sc->n_cg_join, err) < 0 ||
            init_for(cfg, sc, err) < 0)
                return -1;
        memset(req, 0, sizeof(*req));
        req->st = st;
        req->id = id;
        req->sb.image = kind;
        req->sb.lower = sc->lower;
        req->sb.ctr_dir = sc->dir;
        req->sb.hostname = cfg->hostname;
        req->sb.argv = cfg->init ? sc->init_argv.v : cfg->cmd.v;
        req->sb.init_bin = cfg->init ? sc->init_bin : NULL;
        req->sb.env = sc->env.v;
        req->sb.workdir = cfg->workdir;
        req->sb.volumes = sc->vols;
        req->sb.n_volumes = sc->n_vols;
        req->sb.devnodes = sc->devnodes;
        req->sb.n_devnodes = sc->cg.n_extra;
        req->sb.cgroup_join = (const char(*)[PATH_MAX])sc->cg_join;
        req->sb.n_cgroup_join = sc->n_cg_join;
        req->sb.nproc_max = sc->n_cg_join ? 0 : (long)sc->cg.pids_max; /* rootless: no cgroup */
        req->sb.tty = cfg->tty;
        req->sb.privileged = cfg->privileged;
        req->sb.sysctls = sc->sysctls.v;
        req->sb.state_root = st->root;
        if (nlab_caps_compute(&cfg->cap_add, &cfg->cap_drop, cfg->privileged, &req->sb.caps, err) <
            0)
                return -1;
        /* read here, before clone: the container's process only hands it to the kernel */
        if (nlab_seccomp_for(st->root, &cfg->security_opt, cfg->privileged, req->sb.caps,
                             &sc->seccomp, err) < 0)
                return -1;
        req->sb.seccomp = sc->seccomp.filter ? &sc->seccomp : NULL;
        for (i = 0; i < 3; i++)
                req->sb.stdio[i] = io->attached ? io->stdio[i] : -1;
        req->attached = io->attached;
        req->interactive = cfg->open_stdin;
        req->log_path = sc->log;
        if (log_opts_of(cfg, &req->log_opts, err) < 0)
                return -1;
        req->on_exit = nlab_container_shim_exited;
        req->clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
        req->join_netns_fd = -1;
        if (nlab_netmode_namespaces(st, cfg, &req->clone_flags, &sc->join_fd, err) < 0)
                return -1;
        req->sb.own_net = (req->clone_flags & CLONE_NEWNET) != 0;
        return 0;
}

static int write_etc_files(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg,
                           struct nlab_err *err)
{
        char path[PATH_MAX], line[128];

        snprintf(line, sizeof(line), "%s\n", cfg->hostname);
        if (nlab_store_path(st, path, sizeof(path), "containers", id, "hostname", err) < 0 ||
            nlab_write_file(path, line, strlen(line), 0644, err) < 0)
                return -1;
        return nlab_netmode_etc_files(st, id, cfg, err);
}

int nlab_container_start(struct nlab_store *st, const char *id, const struct nlab_attach *io,
                         struct nlab_shim_handle *h, struct nlab_err *err)
{
        struct start_ctx sc = {.join_fd = -1};
        struct nlab_shim_req req;
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg = {0};
        int r = -1;

        memset(h, 0, sizeof(*h));
        h->go_fd = h->err_fd = h->exit_fd = -1;
        /* Held until the shim has recorded "running": a concurrent start then sees it. The shim
         * writes that record while we hold the lock for it, and takes the lock only at exit. */
        if (nlab_store_lock(st, err) < 0)
                return -1;
        if (nlab_container_reconcile(st, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0)
                goto out;
        if (nlab_container_running(&state)) {
                r = nlab_err_set(err, NLAB_E_CONFLICT, "container %s is already running", cfg.name);
                goto out;
        }
        if (fill_shim_req(st, id, &cfg, io, &sc, &req, err) < 0 ||
            write_etc_files(st, id, &cfg, err) < 0)
                goto out;
        req.join_netns_fd = sc.join_fd;
        if (nlab_shim_spawn(&req, h, err) < 0)
                goto out;
        /* Made with their limits while it still waits; released, it moves itself in before
         * anything else, so nothing runs unlimited. The shim's teardown (finish) removes them. */
        if (nlab_cgroup_create(st, id, &sc.cg, 0, err) < 0 ||
            nlab_netmode_start(st, id, &cfg, h->pid, err) < 0) {
                nlab_shim_abort(h);
                nlab_proc_wait_gone(h->pid, 0, 5000);
                goto out;
        }
        r = nlab_shim_release(h, err);
out:
        nlab_store_unlock(st);
        start_ctx_free(&sc);
        nlab_ctr_config_free(&cfg);
        return r;
}
