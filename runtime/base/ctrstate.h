/* A container's state.json, parsed and checked once when it is loaded, written back whole. */
#ifndef NLAB_CTRSTATE_H
#define NLAB_CTRSTATE_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"

#define NLAB_TIME_ZERO "0001-01-01T00:00:00Z" /* Docker's "never" */

enum nlab_ctr_status {
        NLAB_CTR_CREATING, /* half-made: its creator (creator_pid) is still at work, or died */
        NLAB_CTR_CREATED,
        NLAB_CTR_RUNNING,
        NLAB_CTR_EXITED,
};

/* Processes are named by pid and start time, so a reused pid is never mistaken for them. */
struct nlab_ctr_state {
        enum nlab_ctr_status status;
        int pid; /* the container's first process; 0 when none */
        unsigned long long pid_start;
        int shim_pid; /* its supervisor while running */
        unsigned long long shim_start;
        int creator_pid; /* while creating */
        unsigned long long creator_start;
        int exit_code;
        char started_at[48], finished_at[48]; /* RFC 3339, NLAB_TIME_ZERO when never */
        char error[256];                      /* why it exited, when not by itself */
};

/* A fresh record: created, never started. */
void nlab_ctr_state_init(struct nlab_ctr_state *s);
/* "creating", "created", "running", "exited". */
const char *nlab_ctr_status_name(enum nlab_ctr_status status);
int nlab_ctr_state_parse(const json_t *doc, struct nlab_ctr_state *s, struct nlab_err *err);
json_t *nlab_ctr_state_to_json(const struct nlab_ctr_state *s);

#endif
