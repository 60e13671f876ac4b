/* Shared by the engine's files: one lab's state inside its worker. */
#ifndef NLAB_LAB_INTERNAL_H
#define NLAB_LAB_INTERNAL_H

#include <signal.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/lab/diagnose.h"
#include "runtime/lab/capture.h"
#include "runtime/lab/labhost.h"
#include "runtime/lab/probe.h"
#include "runtime/lab/scenario.h"
#include "runtime/base/store.h"

#define LAB_MAX_EXTERNALS 16
#define LAB_MAX_CAPTURES  NLAB_EXPECT_CAPTURES_MAX

/* An `expect capture`, armed around the step it watches (capture_expect.c). */
struct lab_capture {
        const struct nlab_expect *ex;
        struct nlab_capture cap;
        bool ran;        /* the watched step ran with this capture open */
        char error[256]; /* why it could not capture */
        unsigned seen, matched;
        char first[320]; /* the first matching packet, else the first seen */
};

struct lab_ctx {
        const char *self, *root;
        struct nlab_store st;
        struct nlab_external ext[LAB_MAX_EXTERNALS];
        size_t next;
        unsigned party_flags; /* NLAB_PARTY_NAMED_NETNS when checking a lab built by hand */
        volatile sig_atomic_t *interrupted; /* Ctrl-C: stop retrying */
        bool own_group; /* commands in a process group of their own: Ctrl-C never cuts one short */
        struct lab_capture caps[LAB_MAX_CAPTURES];
        size_t ncaps;
};

/* What an expectation found, for the mark and the explanation. */
struct lab_outcome {
        bool held;
        char saw[512]; /* what the probe saw, in a sentence */
        bool probed;   /* res is the check's last probe (reach) or lookup (resolve) */
        struct nlab_probe_result res;
};

/* A monotonic clock in ms, for timings and retry budgets. */
unsigned lab_mono_ms(void);

/* Check ex once its retry budget allows; < 0 with err when the check could not be made. */
int lab_check(struct lab_ctx *c, const struct nlab_expect *ex, struct lab_outcome *o,
              struct nlab_err *err);
/* Why a reach or resolve check came out negative (o: what it saw), from diagnose: the reason
 * stays NONE and the text empty when there is nothing to say (other checks). */
void lab_explain(struct lab_ctx *c, const struct nlab_expect *ex, const struct lab_outcome *o,
                 struct nlab_diag_why *why);
/* Run the netlab binary with --root and args; its stdout and stderr into out. */
int lab_self_exec(const struct lab_ctx *c, char *const *args, size_t nargs, char *out, size_t size,
                  int *status);
int lab_exit_code(int status);

/* Open the captures of the `expect capture` lines that watch st, before it runs (none when
 * st->watchers is 0), and read them once it ran. */
void lab_capture_arm(struct lab_ctx *c, const struct nlab_step *st);
void lab_capture_collect(struct lab_ctx *c, const struct nlab_step *st);
/* What the armed capture of ex saw. */
int lab_capture_check(struct lab_ctx *c, const struct nlab_expect *ex, struct lab_outcome *o,
                      struct nlab_err *err);

#endif
