/* How netlab scenario run and check print a lab as it runs: the text the teacher projects, the
 * --step prompt and its keys, TAP; the report of --json and --junit wraps it (scenario_report.h).
 */
#ifndef NLAB_SCENARIO_PRINT_H
#define NLAB_SCENARIO_PRINT_H

#include <stdbool.h>
#include <termios.h>

#include "netlab/scenario_report.h"
#include "runtime/lab/runner.h"
#include "runtime/lab/scenario.h"

struct scenario_opts {
        bool tap, step, keep, fancy, trust, check, zh;
        bool reprint; /* --step: the prompt's line was interrupted (keys, a shell): show it again */
        bool line_open; /* --step: an expectation's line waits for its mark */
        bool tty;       /* --step: stdin is a terminal, in the mode saved in cooked */
        struct termios cooked;
        unsigned tap_n;
        const char *root;           /* check: the state root of the lab built by hand */
        struct scenario_report rep; /* wraps the printer; its inner is NULL when only JSON/JUnit */
};

/* The runner's callbacks that print; ctx is a struct scenario_opts. */
extern const struct nlab_runner_ops scenario_printer;

const char *scenario_title(const struct nlab_scenario *s, bool zh);

#endif
