/* Container lifecycle: create, start, stop, kill, remove, and reading their records. */
#ifndef NLAB_CONTAINER_H
#define NLAB_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/err.h"
#include "runtime/hostsfile.h"
#include "runtime/shim.h"
#include "runtime/store.h"

struct nlab_run_req {
        const char *name; /* NULL: a random one */
        const char *image;
        const char *hostname;
        const char *workdir;
        const char *network; /* NULL: the default bridge */
        const char *ip;
        const char *mac;
        const char *pids_limit, *memory, *cpus; /* NULL: the defaults (1024 pids, no others) */
        char *const *cmd; /* NULL-terminated; empty means the image's default (sh) */
        struct nlab_strv env, volumes, cap_add, cap_drop, add_hosts, dns, dns_search, dns_options,
            labels, aliases, publish, expose, security_opt, devices;
        struct nlab_strv sysctls;  /* --sysctl KEY=VALUE */
        struct nlab_strv log_opts; /* --log-opt KEY=VALUE */
        bool privileged, tty, interactive, autoremove, publish_all;
};

int nlab_container_create(struct nlab_store *st, const struct nlab_run_req *req,
                          char id[NLAB_ID_LEN + 1], struct nlab_err *err);

/* How the caller attaches: stdio fds for a foreground container, or detached (log file). */
struct nlab_attach {
        bool attached;
        int stdio[3]; /* with tty, all three are the pty slave */
};

/* Start; on success h->exit_fd (attached) yields the exit code via nlab_shim_wait_exit. */
int nlab_container_start(struct nlab_store *st, const char *id, const struct nlab_attach *io,
                         struct nlab_shim_handle *h, struct nlab_err *err);
int nlab_container_stop(struct nlab_store *st, const char *id, int timeout_s, struct nlab_err *err);
int nlab_container_kill(struct nlab_store *st, const char *id, int sig, struct nlab_err *err);
int nlab_container_remove(struct nlab_store *st, const char *id, bool force, struct nlab_err *err);

/* The shim's teardown once the container's process has exited (an nlab_shim_exit_fn). */
void nlab_container_shim_exited(struct nlab_store *st, const char *id, int code);
/* Load config and state, first reconciling a state whose shim died (reported as exited). */
int nlab_container_load(struct nlab_store *st, const char *id, json_t **config, json_t **state,
                        struct nlab_err *err);
bool nlab_container_running(const json_t *state);
/* Docker-shaped inspect document. */
json_t *nlab_container_inspect(const json_t *config, const json_t *state);

#endif
