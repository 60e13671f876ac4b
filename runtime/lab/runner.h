/* The scenario engine: runs a parsed .lab file in a lab of its own (runtime/labhost.h) and reports
 * every step through callbacks; the caller prints. Commands run as the netlab binary would run
 * them by hand, checks run natively (runtime/probe.h), and a failed check is explained by
 * diagnose. */
#ifndef NLAB_LAB_RUNNER_H
#define NLAB_LAB_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/base/err.h"
#include "runtime/lab/scenario.h"

enum nlab_mark {
        NLAB_MARK_FAIL,
        NLAB_MARK_OK,
        NLAB_MARK_XFAIL, /* expect-fail that failed, as the lab means it to */
        NLAB_MARK_SKIP,  /* not run: an earlier command failed, or Ctrl-C */
};

struct nlab_step_result {
        enum nlab_mark mark;
        const char *text;   /* what the mark is about: the step, or the external host made */
        const char *why;    /* what was seen, then why it failed; NULL when nothing to say */
        const char *output; /* a command's output (stdout and stderr), NULL for other steps */
        /* For reports (--json, --junit, grading), the parts of why apart: */
        const char *evidence; /* what the check observed ("tcp 10.89.0.2:80: connected in 3 ms"),
                                 or why it could not run; NULL when nothing was observed */
        const char *reason;   /* why the traffic did not arrive (diagnose), NULL when not known */
        const char *reason_code; /* its short name ("different-networks", see reason.h), or NULL */
        unsigned ms;             /* how long the step took */
};

struct nlab_run_summary {
        unsigned passed, failed, xfailed; /* passed and xfailed count expectations only */
        unsigned skipped;                 /* steps not run */
        unsigned ms;                      /* the whole run */
        bool interrupted;
        const char *error; /* the lab's state root could not be opened: nothing ran */
};

/* What --step's prompt answered before a step. */
enum nlab_step_answer {
        NLAB_STEP_GO,    /* run the step */
        NLAB_STEP_SHELL, /* open a shell in the lab host, then ask again */
        NLAB_STEP_QUIT,  /* run nothing more: the lab is removed as after Ctrl-C */
};

/* Called in the lab's worker, in step order; ctx is the caller's. */
struct nlab_runner_ops {
        void (*start)(void *ctx, const struct nlab_scenario *s); /* before the lab is made */
        void (*note)(void *ctx, const struct nlab_step *st);
        void (*begin)(void *ctx, const struct nlab_step *st); /* a step is about to run */
        void (*result)(void *ctx, const struct nlab_step *st, const struct nlab_step_result *r);
        void (*done)(void *ctx, const struct nlab_scenario *s, const struct nlab_run_summary *sum);
        /* With nlab_run_opts.step: after begin, before the step runs (Ctrl-C returns too). */
        enum nlab_step_answer (*ask)(void *ctx, const struct nlab_step *st);
};

struct nlab_run_opts {
        bool keep; /* leave the lab up afterwards */
        bool step; /* ask before each step (ops->ask) */
        /* stdin is a terminal and the caller is its foreground: the lab's worker takes it, so that
         * Ctrl-C reaches the lab alone and a shell gets job control; the caller takes it back. */
        bool foreground;
};

struct nlab_run_lab {
        pid_t init;   /* with keep: the lab's pid 1, to enter or end it */
        char dir[32]; /* its state root */
};

/* How many results a run of s reports (every step but notes; with check, only the externals and
 * expectations): a TAP plan. */
unsigned nlab_scenario_results(const struct nlab_scenario *s, bool check);

/* Run s in a fresh lab; command steps run this very binary (/proc/self/exe). Returns the lab's exit
 * status (0 all held, 1 a failure, 130 Ctrl-C), -1 when the lab ended early, or < -1 with err set
 * when it could not be made. Without keep the lab and its directory are gone on return. */
int nlab_scenario_run(const struct nlab_scenario *s, const struct nlab_run_opts *o,
                      const struct nlab_runner_ops *ops, void *ctx, struct nlab_run_lab *lab,
                      struct nlab_err *err);

/* Check s's expectations against the lab in the state root `root` as it is now, in this process:
 * commands are not run (nor reported), nothing is created or removed. An external host must exist
 * as /run/netns/NAME; one that does not is reported as a failure. Returns 0 when all held, 1 when
 * one failed, or -1 with err when root holds no lab. */
int nlab_scenario_check(const struct nlab_scenario *s, const char *root,
                        const struct nlab_runner_ops *ops, void *ctx, struct nlab_err *err);

#endif
