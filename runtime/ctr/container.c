#include "runtime/ctr/container.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/ctr/caps.h"
#include "runtime/ctr/ctrpath.h"
#include "runtime/ctr/cgroup.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/hostname.h"
#include "runtime/base/ids.h"
#include "runtime/ctr/image.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/netmode.h"
#include "runtime/net/external.h"
#include "runtime/net/ports.h"
#include "runtime/base/proc.h"
#include "runtime/ctr/secopt.h"
#include "runtime/base/sysctlspec.h"
#include "runtime/kernel/sysctl.h"

static const char default_path[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static int check_volume(const char *spec, struct nlab_err *err)
{
        char host[4096], ctr[4096];
        const char *c1 = strchr(spec, ':'), *c2;
        struct stat sb;

        if (!c1 || spec[0] != '/' || c1[1] != '/')
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid volume \"%s\": expected /HOSTDIR:/CTRDIR[:ro|rw]",
                                    spec);
        c2 = strchr(c1 + 1, ':');
        if (c2 && strcmp(c2, ":ro") && strcmp(c2, ":rw"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid volume mode in \"%s\": expected ro or rw", spec);
        snprintf(host, sizeof(host), "%.*s", (int)(c1 - spec), spec);
        snprintf(ctr, sizeof(ctr), "%.*s", c2 ? (int)(c2 - c1 - 1) : (int)strlen(c1 + 1), c1 + 1);
        if (nlab_ctrpath_check(ctr, err) < 0) {
                nlab_err_prefix(err, "volume \"%s\"", spec);
                return -1;
        }
        if (stat(host, &sb) < 0)
                return nlab_err_sys(err, errno, "volume \"%s\": host path %s", spec, host);
        return 0;
}

static int check_env(const struct nlab_strv *env, struct nlab_err *err)
{
        size_t i;

        for (i = 0; i < env->n; i++)
                if (env->v[i][0] == '=' || !strchr(env->v[i], '='))
                        return nlab_err_set(
                            err, NLAB_E_INVALID,
                            "invalid environment variable \"%s\": expected KEY=VALUE", env->v[i]);
        return 0;
}

/* A key this kernel does not have would only fail the start: say so at create, with a guess. */
static int sysctl_on_kernel(const char *spec, struct nlab_err *err)
{
        char key[256], near[256];
        const char *eq = strchr(spec, '=');

        snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - spec : (long)strlen(spec)), spec);
        if (nlab_sysctl_exists(key, near, sizeof(near)) != 0)
                return 0; /* present, or malformed (nlab_sysctl_check's to refuse) */
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid argument \"%s\" for \"--sysctl\" flag: sysctl '%s' does not "
                            "exist on this kernel%s%s%s",
                            spec, key, near[0] ? " (did you mean " : "", near, near[0] ? "?)" : "");
}

static int check_sysctls(const struct nlab_run_req *req, struct nlab_err *err)
{
        enum nlab_sysctl_netns net = NLAB_SYSCTL_NET_OWN;
        size_t i;

        if (req->network && !strcmp(req->network, "host"))
                net = NLAB_SYSCTL_NET_HOST;
        else if (nlab_netmode_container_ref(req->network))
                net = NLAB_SYSCTL_NET_JOINED;
        for (i = 0; i < req->sysctls.n; i++)
                if (nlab_sysctl_check(req->sysctls.v[i], net, err) < 0 ||
                    sysctl_on_kernel(req->sysctls.v[i], err) < 0)
                        return -1;
        return 0;
}

/* What the limit flags mean, parsed once at create and kept in HostConfig as Docker shows it. */
struct limits {
        int64_t pids, memory, nano_cpus;
};

static int check_device(const char *spec, struct nlab_err *err)
{
        struct nlab_device_spec d;
        struct stat sb;

        if (nlab_device_parse(spec, &d, err) < 0)
                return -1;
        if (stat(d.host, &sb) < 0)
                return nlab_err_sys(err, errno,
                                    "error gathering device information while adding custom "
                                    "device \"%s\"",
                                    d.host);
        if (!S_ISCHR(sb.st_mode) && !S_ISBLK(sb.st_mode))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "error gathering device information while adding custom "
                                    "device \"%s\": not a device node (expected a character or "
                                    "block device, e.g. /dev/net/tun)",
                                    d.host);
        return 0;
}

static int parse_limits(const struct nlab_run_req *req, struct limits *lim, struct nlab_err *err)
{
        size_t i;

        lim->pids = NLAB_DEFAULT_PIDS_LIMIT;
        lim->memory = lim->nano_cpus = 0;
        if (req->pids_limit && nlab_pids_parse(req->pids_limit, &lim->pids, err) < 0)
                return -1;
        if (req->memory && nlab_memory_parse(req->memory, &lim->memory, err) < 0)
                return -1;
        if (req->cpus &&
            nlab_cpus_parse(req->cpus, sysconf(_SC_NPROCESSORS_ONLN), &lim->nano_cpus, err) < 0)
                return -1;
        for (i = 0; i < req->devices.n; i++)
                if (check_device(req->devices.v[i], err) < 0)
                        return -1;
        return 0;
}

static int validate(const struct nlab_run_req *req, struct limits *lim, struct nlab_err *err)
{
        struct nlab_log_opts log;
        enum nlab_image_kind kind;
        struct nlab_secopt so;
        uint64_t caps;
        size_t i;

        if (nlab_image_parse(req->image, &kind, err) < 0)
                return -1;
        if (req->name && nlab_name_check(req->name, err) < 0)
                return -1;
        if (req->hostname && nlab_hostname_check(req->hostname, err) < 0)
                return -1;
        if (check_sysctls(req, err) < 0)
                return -1;
        if (req->workdir && req->workdir[0] != '/')
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "the working directory \"%s\" is invalid: it needs to be an "
                                    "absolute path",
                                    req->workdir);
        for (i = 0; i < req->volumes.n; i++)
                if (check_volume(req->volumes.v[i], err) < 0)
                        return -1;
        for (i = 0; i < req->add_hosts.n; i++)
                if (nlab_add_host_check(req->add_hosts.v[i], err) < 0)
                        return -1;
        if (check_env(&req->env, err) < 0 || nlab_secopt_parse(&req->security_opt, &so, err) < 0 ||
            parse_limits(req, lim, err) < 0 || nlab_log_opts_parse(&req->log_opts, &log, err) < 0)
                return -1;
        return nlab_caps_compute(&req->cap_add, &req->cap_drop, req->privileged, &caps, err);
}

/* HostConfig.Sysctls as Docker's inspect shows it: {"net.ipv4.ip_forward": "1"}. */
static int sysctls_of(const struct nlab_strv *sv, struct nlab_kvs *out)
{
        size_t i;

        for (i = 0; i < sv->n; i++) {
                const char *eq = strchr(sv->v[i], '=');
                char *key = strndup(sv->v[i], (size_t)(eq - sv->v[i]));
                int r = key ? nlab_kvs_put(out, key, eq + 1) : -1;
                free(key);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static int devices_of(const struct nlab_strv *specs, struct nlab_ctr_config *c)
{
        size_t i;

        c->devices = calloc(specs->n + 1, sizeof(*c->devices));
        if (!c->devices)
                return -1;
        for (i = 0; i < specs->n; i++) {
                struct nlab_device_spec d;
                struct nlab_ctr_device *dv = &c->devices[c->n_devices];
                char perms[4] = "", *p = perms;
                if (nlab_device_parse(specs->v[i], &d, NULL) < 0)
                        continue; /* validated already */
                if (d.access & NLAB_DEV_READ)
                        *p++ = 'r';
                if (d.access & NLAB_DEV_WRITE)
                        *p++ = 'w';
                if (d.access & NLAB_DEV_MKNOD)
                        *p++ = 'm';
                c->n_devices++;
                if (nlab_ctr_config_set(&dv->host, d.host) < 0 ||
                    nlab_ctr_config_set(&dv->ctr, d.ctr) < 0 ||
                    nlab_ctr_config_set(&dv->perms, perms) < 0)
                        return -1;
        }
        return 0;
}

/* Docker's shape; the values in force, defaults included, so inspect shows the bound. */
static int log_config_of(const struct nlab_strv *kv, struct nlab_ctr_config *c)
{
        struct nlab_log_opts o;
        char size[32], files[16];

        nlab_log_opts_parse(kv, &o, NULL); /* validated already */
        nlab_log_size_format(o.max_size, size, sizeof(size));
        snprintf(files, sizeof(files), "%u", o.max_file);
        return nlab_ctr_config_set(&c->log_type, "netlab") < 0 ||
                       nlab_kvs_put(&c->log_config, "max-size", size) < 0 ||
                       nlab_kvs_put(&c->log_config, "max-file", files) < 0
                   ? -1
                   : 0;
}

static int labels_of(const struct nlab_strv *labels, struct nlab_kvs *out)
{
        size_t i;

        for (i = 0; i < labels->n; i++) {
                const char *eq = strchr(labels->v[i], '=');
                char key[256];
                snprintf(key, sizeof(key), "%.*s",
                         (int)(eq ? eq - labels->v[i] : (long)strlen(labels->v[i])), labels->v[i]);
                if (nlab_kvs_put(out, key, eq ? eq + 1 : "") < 0)
                        return -1;
        }
        return 0;
}

/* Config: what runs, and how. */
static int config_part(const struct nlab_run_req *req, const char *id, struct nlab_ctr_config *c)
{
        char shortid[NLAB_SHORT_LEN + 1];
        size_t i;
        int r = 0;

        snprintf(shortid, sizeof(shortid), "%.12s", id);
        if (req->cmd && req->cmd[0])
                for (i = 0; r == 0 && req->cmd[i]; i++)
                        r = nlab_strv_push(&c->cmd, req->cmd[i]);
        else
                r = nlab_strv_push(&c->cmd, "sh");
        c->tty = req->tty;
        c->open_stdin = req->interactive;
        return r < 0 || nlab_strv_push(&c->env, default_path) < 0 ||
                       nlab_strv_append(&c->env, &req->env) < 0 ||
                       nlab_ctr_config_set(&c->hostname, req->hostname ? req->hostname : shortid) <
                           0 ||
                       nlab_ctr_config_set(&c->config_image, req->image) < 0 ||
                       nlab_ctr_config_set(&c->workdir, req->workdir ? req->workdir : "") < 0 ||
                       labels_of(&req->labels, &c->labels) < 0
                   ? -1
                   : 0;
}

/* HostConfig: what it may do and reach. */
static int host_part(const struct nlab_run_req *req, const struct limits *lim,
                     struct nlab_ctr_config *c)
{
        c->privileged = req->privileged;
        c->init = req->init;
        c->auto_remove = req->autoremove;
        c->publish_all = req->publish_all;
        c->pids_limit = lim->pids;
        c->memory = lim->memory;
        c->nano_cpus = lim->nano_cpus;
        return nlab_ctr_config_set(&c->network_mode, req->network ? req->network : "bridge") < 0 ||
                       nlab_strv_append(&c->cap_add, &req->cap_add) < 0 ||
                       nlab_strv_append(&c->cap_drop, &req->cap_drop) < 0 ||
                       nlab_strv_append(&c->security_opt, &req->security_opt) < 0 ||
                       nlab_strv_append(&c->binds, &req->volumes) < 0 ||
                       nlab_strv_append(&c->extra_hosts, &req->add_hosts) < 0 ||
                       nlab_strv_append(&c->dns, &req->dns) < 0 ||
                       nlab_strv_append(&c->dns_search, &req->dns_search) < 0 ||
                       nlab_strv_append(&c->dns_options, &req->dns_options) < 0 ||
                       sysctls_of(&req->sysctls, &c->sysctls) < 0 ||
                       devices_of(&req->devices, c) < 0 || log_config_of(&req->log_opts, c) < 0
                   ? -1
                   : 0;
}

static int build_config(const struct nlab_run_req *req, const struct limits *lim, const char *id,
                        struct nlab_ctr_config *c, struct nlab_err *err)
{
        char created[64];

        memset(c, 0, sizeof(*c));
        nlab_now_rfc3339(created, sizeof(created));
        if (nlab_ctr_config_set(&c->id, id) < 0 || nlab_ctr_config_set(&c->name, "") < 0 ||
            nlab_ctr_config_set(&c->created, created) < 0 ||
            nlab_ctr_config_set(&c->image, req->image) < 0 || config_part(req, id, c) < 0 ||
            host_part(req, lim, c) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        return 0;
}

static int make_dirs(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        static const char *const subs[] = {NULL, "upper", "work", "rootfs"};
        char path[PATH_MAX];
        size_t i;

        for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                if (nlab_store_path(st, path, sizeof(path), "containers", id, subs[i], err) < 0)
                        return -1;
                if (mkdir(path, 0700) < 0)
                        return nlab_err_sys(err, errno, "mkdir %s", path);
        }
        /* The record's own entry in containers/ must outlive a crash too (no-op on tmpfs). */
        if (nlab_store_path(st, path, sizeof(path), "containers", id, NULL, err) < 0)
                return -1;
        return nlab_fsync_parent(path, err);
}

static int claim_some_name(struct nlab_store *st, const struct nlab_run_req *req, const char *id,
                           char *name, size_t size, struct nlab_err *err)
{
        unsigned seed;
        int tries;

        if (req->name) {
                snprintf(name, size, "%s", req->name);
                if (nlab_external_exists(st, name)) /* diagnose and graph take names for both */
                        return nlab_err_set(
                            err, NLAB_E_CONFLICT,
                            "the name \"%s\" is used by an external host: choose "
                            "another name, or remove it with: netlab external rm %s",
                            name, name);
                return nlab_store_claim_name(st, name, id, err);
        }
        for (tries = 0; tries < 64; tries++) {
                if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
                        seed = (unsigned)getpid() + (unsigned)tries;
                nlab_name_random(name, size, seed);
                if (tries >= 8) /* the two-word space is small: add a digit like Docker */
                        snprintf(name + strlen(name), size - strlen(name), "%u", seed % 10);
                if (nlab_store_claim_name(st, name, id, NULL) == 0)
                        return 0;
        }
        return nlab_err_set(err, NLAB_E_CONFLICT, "could not find a free random name");
}

/* Written before anything is claimed: if we are killed, whoever meets one of our claims sees
 * a record still "creating" by a dead process and takes the claim over. */
static int save_creating(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        struct nlab_ctr_state s;

        nlab_ctr_state_init(&s);
        s.status = NLAB_CTR_CREATING;
        s.creator_pid = getpid();
        s.creator_start = nlab_proc_starttime(getpid());
        return nlab_store_save_state(st, id, &s, err);
}

/* Claim and record everything, in the order a crash test can stop at (NETLAB_TEST_CRASH_AT). */
static int create_locked(struct nlab_store *st, const struct nlab_run_req *req, const char *id,
                         struct nlab_ctr_config *cfg, char *name, size_t size, struct nlab_err *err)
{
        struct nlab_ctr_state state;

        if (make_dirs(st, id, err) < 0 || save_creating(st, id, err) < 0)
                return -1;
        nlab_store_test_point(st, "create:record");
        if (claim_some_name(st, req, id, name, size, err) < 0)
                return -1;
        if (nlab_ctr_config_set(&cfg->name, name) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        nlab_store_test_point(st, "create:name");
        if (nlab_netmode_claim(st, id, cfg, err) < 0)
                return -1;
        nlab_store_test_point(st, "create:ip");
        if (nlab_ports_claim(st, id, cfg, err) < 0)
                return -1;
        nlab_store_test_point(st, "create:ports");
        if (nlab_store_save_config(st, id, cfg, err) < 0)
                return -1;
        nlab_store_test_point(st, "create:config");
        nlab_ctr_state_init(&state);
        return nlab_store_save_state(st, id, &state, err);
}

int nlab_container_create(struct nlab_store *st, const struct nlab_run_req *req,
                          char id[NLAB_ID_LEN + 1], struct nlab_err *err)
{
        char name[160] = "", dir[PATH_MAX];
        struct nlab_ctr_config cfg;
        struct limits lim;
        int r;

        assert(st && req && id);
        if (validate(req, &lim, err) < 0 || nlab_id_new(id, err) < 0)
                return -1;
        r = build_config(req, &lim, id, &cfg, err);
        if (r == 0 && (nlab_netmode_prepare(st, &cfg, req, err) < 0 ||
                       nlab_ports_prepare(req, &cfg, err) < 0))
                r = -1;
        if (r == 0 && nlab_store_lock(st, err) < 0)
                r = -1;
        if (r < 0) {
                nlab_ctr_config_free(&cfg);
                return -1;
        }
        r = create_locked(st, req, id, &cfg, name, sizeof(name), err);
        if (r < 0) {
                /* Releases only what names this id: a claim held by another stays theirs. */
                nlab_ports_release(st, id, &cfg);
                nlab_netmode_release(st, id, &cfg);
                nlab_store_release_name(st, name, id);
                if (nlab_store_path(st, dir, sizeof(dir), "containers", id, NULL, NULL) == 0)
                        nlab_rm_rf(dir, NULL);
        }
        nlab_store_unlock(st);
        nlab_ctr_config_free(&cfg);
        return r;
}

bool nlab_container_running(const struct nlab_ctr_state *state)
{
        return state->status == NLAB_CTR_RUNNING;
}

static void set_exited(struct nlab_ctr_state *s, int code, const char *error)
{
        s->status = NLAB_CTR_EXITED;
        s->pid = 0;
        s->exit_code = code;
        if (error)
                snprintf(s->error, sizeof(s->error), "%s", error);
}

static void unmount_netns(struct nlab_store *st, const char *id)
{
        char path[PATH_MAX];

        if (nlab_store_path(st, path, sizeof(path), "netns", id, NULL, NULL) < 0)
                return;
        umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW); /* a bind mount of an older netlab */
        unlink(path);
}

/* What every stop ends with, whoever notices it (the shim, or a later command if it died). */
static void finish(struct nlab_store *st, const char *id, int code, const char *error)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg;

        if (nlab_store_load_config(st, id, &cfg, NULL) == 0)
                nlab_netmode_stop(st, id, &cfg);
        unmount_netns(st, id);
        nlab_cgroup_remove(st, id);
        if (nlab_store_load_state(st, id, &state, NULL) < 0)
                nlab_ctr_state_init(&state);
        set_exited(&state, code, error);
        nlab_now_rfc3339(state.finished_at, sizeof(state.finished_at));
        nlab_store_save_state(st, id, &state, NULL);
        nlab_ctr_config_free(&cfg);
}

/* Runs in the shim, a separate process: it takes the lock like any command. Nobody holds the
 * lock while waiting for a shim to finish, so this cannot deadlock. */
void nlab_container_shim_exited(struct nlab_store *st, const char *id, int code)
{
        struct nlab_ctr_config cfg;

        /* Without the lock (root gone or broken) the record is still better finished. */
        nlab_store_lock(st, NULL);
        finish(st, id, code, NULL);
        if (nlab_store_load_config(st, id, &cfg, NULL) == 0 && cfg.auto_remove)
                nlab_container_remove(st, id, false, NULL);
        nlab_ctr_config_free(&cfg);
        nlab_store_unlock(st);
}

/* A record that says running whose shim is gone: the container died with it (PDEATHSIG). */
static bool shim_died(const struct nlab_ctr_state *state)
{
        return nlab_container_running(state) &&
               !nlab_proc_alive(state->shim_pid, state->shim_start);
}

#define SHIM_DIED "the container's shim died"

int nlab_container_reconcile(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        struct nlab_ctr_state s;

        /* The common case, a live shim or a stopped record, takes no lock. */
        if (nlab_store_load_state(st, id, &s, NULL) < 0 || !shim_died(&s))
                return 0;
        if (nlab_store_lock(st, err) < 0)
                return -1;
        if (nlab_store_load_state(st, id, &s, NULL) == 0 && shim_died(&s))
                finish(st, id, 137, SHIM_DIED);
        nlab_store_unlock(st);
        return 0;
}

int nlab_container_load(struct nlab_store *st, const char *id, struct nlab_ctr_config *config,
                        struct nlab_ctr_state *state, struct nlab_err *err)
{
        struct nlab_ctr_state s;

        if (config)
                memset(config, 0, sizeof(*config)); /* freeable whatever happens */
        if (nlab_store_load_state(st, id, &s, err) < 0)
                return -1;
        if (s.status == NLAB_CTR_CREATING)
                /* Half-made (or being made): not a container yet, for anyone but its creator. */
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s", id);
        if (shim_died(&s))
                /* Report what reconciling will record, without recording it: a read changes
                 * nothing. */
                set_exited(&s, 137, SHIM_DIED);
        if (config && nlab_store_load_config(st, id, config, err) < 0)
                return -1;
        if (state)
                *state = s;
        return 0;
}

static int signal_container(const struct nlab_ctr_state *state, int sig, struct nlab_err *err)
{
        int pid = state->pid;

        if (!nlab_proc_alive(pid, state->pid_start))
                return 0;
        if (kill(pid, sig) < 0 && errno != ESRCH)
                return nlab_err_sys(err, errno, "signal %d to pid %d", sig, pid);
        return 0;
}

/* Wait until the container's end is recorded (by its supervisor's teardown, or by an attached
 * run's shim), so the caller sees the final state; then for the lock, which the teardown holds
 * through --rm's removal. A supervisor that died leaves it to reconciling. */
static void wait_shim(struct nlab_store *st, const char *id, const struct nlab_ctr_state *was)
{
        struct timespec ms = {.tv_nsec = 1000 * 1000};
        struct nlab_ctr_state now;
        int waited_ms = 0;

        /* The process's end is an event; the teardown's record, a few ms later, is polled. */
        nlab_proc_wait_gone(was->pid, was->pid_start, 10000);
        while (waited_ms++ < 10000 && nlab_store_load_state(st, id, &now, NULL) == 0 &&
               nlab_container_running(&now) && now.pid == was->pid &&
               nlab_proc_alive(was->shim_pid, was->shim_start))
                nanosleep(&ms, NULL);
        if (nlab_store_lock(st, NULL) == 0)
                nlab_store_unlock(st);
}

/* Signal a running container under the lock; the wait for it to go happens unlocked, since
 * the shim takes the lock to record the exit. 1: signalled, 0: not running. */
static int signal_if_running(struct nlab_store *st, const char *id, int sig,
                             struct nlab_ctr_state *state, struct nlab_ctr_config *cfg,
                             struct nlab_err *err)
{
        int r;

        if (nlab_store_lock(st, err) < 0)
                return -1;
        r = nlab_container_reconcile(st, id, err);
        if (r == 0)
                r = nlab_container_load(st, id, cfg, state, err);
        if (r == 0 && nlab_container_running(state))
                r = signal_container(state, sig, err) < 0 ? -1 : 1;
        nlab_store_unlock(st);
        return r;
}

int nlab_container_stop(struct nlab_store *st, const char *id, int timeout_s, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        int r, gone;

        r = signal_if_running(st, id, SIGTERM, &state, NULL, err);
        if (r <= 0)
                return r;
        gone =
            nlab_proc_wait_gone(state.pid, state.pid_start, timeout_s < 0 ? -1 : timeout_s * 1000);
        if (gone != 1)
                signal_container(&state, SIGKILL, NULL);
        wait_shim(st, id, &state);
        return 0;
}

int nlab_container_kill(struct nlab_store *st, const char *id, int sig, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg = {0};
        int r;

        r = signal_if_running(st, id, sig, &state, &cfg, err);
        if (r == 0)
                r = nlab_err_set(err, NLAB_E_CONFLICT, "container %s is not running", cfg.name);
        if (r == 1 && sig == SIGKILL)
                wait_shim(st, id, &state);
        nlab_ctr_config_free(&cfg);
        return r < 0 ? -1 : 0;
}

/* A record whose create was killed: give back what it claimed, if it got as far as saying. */
static int remove_abandoned(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        struct nlab_ctr_config cfg;
        char dir[PATH_MAX];

        if (nlab_store_load_config(st, id, &cfg, NULL) == 0) {
                nlab_ports_release(st, id, &cfg);
                nlab_netmode_release(st, id, &cfg);
                nlab_store_release_name(st, cfg.name, id);
                nlab_ctr_config_free(&cfg);
        }
        if (nlab_store_path(st, dir, sizeof(dir), "containers", id, NULL, err) < 0)
                return -1;
        return nlab_rm_rf(dir, err);
}

/* Under the lock: 1 if id was an abandoned half-made record (now removed). */
static int collect_if_abandoned(struct nlab_store *st, const char *id, struct nlab_err *err)
{
        struct nlab_ctr_state state;

        if (nlab_store_load_state(st, id, &state, NULL) < 0 || !nlab_store_state_abandoned(&state))
                return 0;
        return remove_abandoned(st, id, err) < 0 ? -1 : 1;
}

/* Under the lock, the container stopped: give back its claims and remove its record. */
static int remove_stopped(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg,
                          struct nlab_err *err)
{
        char dir[PATH_MAX];

        unmount_netns(st, id);
        nlab_cgroup_remove(st, id);
        nlab_ports_release(st, id, cfg);
        nlab_netmode_release(st, id, cfg);
        nlab_store_release_name(st, cfg->name, id);
        if (nlab_store_path(st, dir, sizeof(dir), "containers", id, NULL, err) < 0)
                return -1;
        return nlab_rm_rf(dir, err);
}

int nlab_container_remove(struct nlab_store *st, const char *id, bool force, struct nlab_err *err)
{
        struct nlab_ctr_state state;
        struct nlab_ctr_config cfg = {0};
        struct nlab_err gone;
        int r;

        if (nlab_store_lock(st, err) < 0)
                return -1;
        r = collect_if_abandoned(st, id, err);
        if (r != 0)
                goto unlock;
        r = nlab_container_reconcile(st, id, err);
        if (r == 0)
                r = nlab_container_load(st, id, &cfg, &state, err);
        if (r < 0 || !nlab_container_running(&state))
                goto remove;
        if (!force) {
                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                 "cannot remove container \"%s\": container is running: "
                                 "stop the container before removing or force remove",
                                 cfg.name);
                goto unlock;
        }
        signal_container(&state, SIGKILL, NULL);
        /* The shim needs the lock to record the exit: wait for it unlocked. */
        nlab_store_unlock(st);
        wait_shim(st, id, &state);
        if (nlab_store_lock(st, err) < 0) {
                r = -1;
                goto out;
        }
        /* Finish for the shim if it could not; --rm may have removed the record. */
        r = nlab_container_reconcile(st, id, err);
        if (r < 0)
                goto unlock;
        r = nlab_container_load(st, id, NULL, &state, &gone);
        if (r < 0) {
                r = gone.kind == NLAB_E_NOTFOUND ? 0 : nlab_err_set(err, gone.kind, "%s", gone.msg);
                goto unlock;
        }
remove:
        if (r == 0)
                r = remove_stopped(st, id, &cfg, err);
unlock:
        nlab_store_unlock(st);
out:
        nlab_ctr_config_free(&cfg);
        return r < 0 ? -1 : 0;
}
