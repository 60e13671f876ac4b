/* The per-container supervisor: holds the namespaces, reaps the process, logs, tears down. */
#ifndef NLAB_SHIM_H
#define NLAB_SHIM_H

#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/sandbox.h"
#include "runtime/base/store.h"

/* Runs once the container's process has exited (teardown, state, --rm): in the shim when
 * attached; when detached, in the netlab that the small supervisor (shim/main.c) execs at the
 * end, `netlab __shim-exit ID CODE EXIT_FD`, which passes the same function. */
typedef void (*nlab_shim_exit_fn)(struct nlab_store *st, const char *id, int exit_code);

struct nlab_shim_req {
        struct nlab_store *st;
        const char *id;
        struct nlab_sandbox sb; /* stdio: the caller's fds when attached, else ignored */
        int clone_flags;        /* namespaces to create */
        int join_netns_fd;      /* --network container:NAME; -1 otherwise */
        bool attached;          /* stdio belongs to the caller; report the exit code */
        bool interactive;       /* detached -i: keep stdin open */
        const char *log_path;
        struct nlab_log_opts log_opts; /* detached: the log's bound */
        nlab_shim_exit_fn on_exit;
};

struct nlab_shim_handle {
        int shim_pid;
        int pid; /* the container's first process, as seen from the host */
        int go_fd;
        int err_fd;
        int exit_fd; /* attached only: 4 bytes of exit code once the shim has finished */
};

/* Detached, the shim is the small binary netlab-shim (NETLAB_SHIM_BIN, beside netlab, or the
 * build tree's shim/) once the container runs; a missing one fails the start (NLAB_E_NOTFOUND).
 * Start the shim and the container's process, which waits (namespaces made, nothing run yet). */
int nlab_shim_spawn(const struct nlab_shim_req *req, struct nlab_shim_handle *h,
                    struct nlab_err *err);
/* Let the process run; returns -1 with NOCMD/NOEXEC/SYSTEM if it never reached exec. */
int nlab_shim_release(struct nlab_shim_handle *h, struct nlab_err *err);
/* Abort a spawned container that must not run (network setup failed). */
void nlab_shim_abort(struct nlab_shim_handle *h);
/* Attached: wait for the exit code. */
int nlab_shim_wait_exit(struct nlab_shim_handle *h, int *code, struct nlab_err *err);

/* The shim's last step, in the netlab it execs: run on_exit, then hand the exit code to an
 * attached caller through exit_fd (-1: detached). */
void nlab_shim_finish(struct nlab_store *st, const char *id, int code, int exit_fd,
                      nlab_shim_exit_fn on_exit);

#endif
