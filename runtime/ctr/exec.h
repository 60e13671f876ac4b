/* Run another process inside a running container's namespaces. */
#ifndef NLAB_EXEC_H
#define NLAB_EXEC_H

#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/base/strv.h"
#include "runtime/base/store.h"

struct nlab_exec_req {
        char *const *argv;
        const struct nlab_strv *env; /* KEY=VALUE added to the container's */
        const char *workdir;         /* NULL: the container's */
        bool tty;
        bool detached; /* -d: the command outlives us; else our death hangs it up (SIGHUP) */
        int stdio[3];
};

/* Start the process; *pid is the helper to wait for with nlab_exec_wait. Blocks the relayed
 * signals (runtime/ctr/sigrelay.h) in the caller from here on, so none is lost before the wait. */
int nlab_exec_start(struct nlab_store *st, const char *id, const struct nlab_exec_req *req,
                    int *pid, struct nlab_err *err);
/* Exit code of the command; a failure to start it (126, 127) came from nlab_exec_start. Until
 * then, a signal to the caller (Ctrl-C, SIGTERM, ...) is passed on to the command. */
int nlab_exec_wait(int pid);

#endif
