/* Challenges: a .lab file whose commands before its first `task` line build the starting lab, and
 * whose expectations after it are the goals a student reaches by hand (docs/challenges.md).
 * challenge.c parses (pure); challenge_run.c builds the start in a state root, checks the goals
 * and removes the lab again. */
#ifndef NLAB_LAB_CHALLENGE_H
#define NLAB_LAB_CHALLENGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/grammar.h"
#include "runtime/lab/runner.h"
#include "runtime/lab/scenario.h"

struct nlab_challenge {
        struct nlab_scenario s; /* the file with its task lines left out */
        char **task;            /* the task text, one line each */
        char **task_zh;         /* each line's Chinese variant (task.zh), or NULL */
        size_t ntask;
        unsigned task_line; /* the first task line: steps after it are goals */
};

/* Parse text (len bytes) named file: `task TEXT` and `task.zh TEXT` lines are the challenge's, the
 * rest is the scenario language. Before the first task line: commands, external hosts and notes
 * (the start); after it: task lines, notes and expectations (the goals), at least one. Errors
 * are "FILE:LINE[:COL]: error: MSG". */
int nlab_challenge_parse(const char *file, const char *text, size_t len,
                         const struct nlab_grammar *g, struct nlab_challenge *out,
                         struct nlab_err *err);
/* Read path (at most 1 MiB) and parse it. */
int nlab_challenge_load(const char *path, const struct nlab_grammar *g, struct nlab_challenge *out,
                        struct nlab_err *err);
void nlab_challenge_free(struct nlab_challenge *c);
/* Whether step i is a goal (an expectation after the task). */
bool nlab_challenge_is_goal(const struct nlab_challenge *c, const struct nlab_step *st);

/* A failed goal's hint: why the traffic does not arrive (diagnose's reason without its "fix:"
 * part, which would be the answer), else what the check saw; for a goal that something must not
 * work, that it does. Empty for a goal that held. */
void nlab_challenge_hint(const struct nlab_step *st, const struct nlab_step_result *r, char *out,
                         size_t size);

/* Called as each step of the start ends: status is the command's exit status, output its output. */
typedef void (*nlab_challenge_progress)(void *ctx, const struct nlab_step *st, int status,
                                        const char *output);

/* Build c's start in the state root `root`, which must hold no lab (no container, user network or
 * external host, no active challenge), and record c's file (an absolute path) as the active
 * challenge. Each command runs as this binary with --root; an external host is `external add`.
 * A failed command, or *stop set (Ctrl-C), removes everything again (a system reset of root). */
int nlab_challenge_start(const struct nlab_challenge *c, const char *root,
                         volatile sig_atomic_t *stop, nlab_challenge_progress progress, void *ctx,
                         struct nlab_err *err);
/* The active challenge's file into path; NLAB_E_NOTFOUND when there is none. */
int nlab_challenge_active(const char *root, char *path, size_t size, struct nlab_err *err);
/* Check c's goals against the lab in root as it is now (nlab_scenario_check; a failed resolves
 * goal gets diagnose's reason too, as reach goals do): 0 all hold, 1 not, -1 with err. */
int nlab_challenge_check(const struct nlab_challenge *c, const char *root,
                         const struct nlab_runner_ops *ops, void *ctx, struct nlab_err *err);
/* Remove the active challenge's lab: everything in root, what the student added too (a system
 * reset), and the record. NLAB_E_NOTFOUND when no challenge is active. */
int nlab_challenge_reset(const char *root, struct nlab_err *err);

#endif
