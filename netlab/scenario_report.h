/* Machine-readable reports of scenario run, check and grade: JSON and JUnit XML. Field names
 * are documented in docs/scenarios.md and stay stable. */
#ifndef NLAB_SCENARIO_REPORT_H
#define NLAB_SCENARIO_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "runtime/lab/grade.h"
#include "runtime/lab/runner.h"

/* A reporter wraps the text printer (inner, NULL for none) and records every result. With run,
 * the callbacks run in each lab's worker, so each scenario's report is written there, at done. */
struct scenario_report {
        const struct nlab_runner_ops *inner;
        void *inner_ctx;
        const char *mode; /* "run" or "check" */
        bool json;        /* one JSON object per scenario on stdout, a line each */
        FILE *junit;      /* <testsuite> per scenario, or NULL */
        /* per scenario */
        const struct nlab_scenario *s;
        json_t *doc, *steps;
        char *cases;
        size_t cases_len;
        FILE *cases_f;
        unsigned ncases, nfail, nskip;
};

extern const struct nlab_runner_ops scenario_report_ops;

/* Open the JUnit output (path, or "-" for stdout) and write its head; -1 with a message printed. */
int scenario_report_open_junit(struct scenario_report *r, const char *path);
/* A scenario whose lab could not be made or ended before its report: an entry saying why. */
void scenario_report_lost(struct scenario_report *r, const struct nlab_scenario *s,
                          const char *why);
/* Write the JUnit tail and close; free what the last scenario left. */
void scenario_report_finish(struct scenario_report *r);

/* netlab scenario grade DIR [--jobs N] [--csv FILE|--json FILE] [--trust] */
int nlab_scenario_grade(int argc, char **argv);

/* The grade table: text, CSV or JSON. */
void scenario_grade_print_table(FILE *f, const struct nlab_grade_row *rows, size_t n);
void scenario_grade_print_csv(FILE *f, const struct nlab_grade_row *rows, size_t n);
void scenario_grade_print_json(FILE *f, const struct nlab_grade_row *rows, size_t n, unsigned ms);

#endif
