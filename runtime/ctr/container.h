/* Container lifecycle: create, start, stop, kill, remove, and reading their records. */
#ifndef NLAB_CONTAINER_H
#define NLAB_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/base/runreq.h"
#include "runtime/ctr/shim.h"
#include "runtime/base/store.h"

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

/* Load config (parsed and checked; free it with nlab_ctr_config_free) and state; no lock, no
 * change. A record whose shim died is reported as exited (137) but stays as it is until
 * nlab_container_reconcile. */
int nlab_container_load(struct nlab_store *st, const char *id, struct nlab_ctr_config *config,
                        struct nlab_ctr_state *state, struct nlab_err *err);
/* The lifecycle step for a record whose shim died: under the lock, tear down what it left and
 * record the exit. Nothing to do (the usual case) takes no lock. Every mutating command calls
 * it before acting, and ps before listing. */
int nlab_container_reconcile(struct nlab_store *st, const char *id, struct nlab_err *err);
/* The shim's teardown once the container's process has exited (an nlab_shim_exit_fn). */
void nlab_container_shim_exited(struct nlab_store *st, const char *id, int code);
bool nlab_container_running(const struct nlab_ctr_state *state);
/* Docker-shaped inspect document. */
json_t *nlab_container_inspect(const struct nlab_ctr_config *config,
                               const struct nlab_ctr_state *state);

#endif
