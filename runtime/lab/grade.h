/* Grading a class: one .lab per student, each run in a sandbox of its own (as scenario run
 * does), several at once, into one row per student. A file that does not parse, or asks for the
 * host without trust, is a row of its own; it never stops the class. */
#ifndef NLAB_LAB_GRADE_H
#define NLAB_LAB_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/grammar.h"

enum nlab_grade_status {
        NLAB_GRADE_RAN,        /* every step ran (some may have failed) */
        NLAB_GRADE_UNPARSABLE, /* error holds the located parse error */
        NLAB_GRADE_REFUSED,    /* asks for the host without trust; error says where */
        NLAB_GRADE_ERROR,      /* the lab could not be made or ended early; error says why */
};

struct nlab_grade_row {
        char student[128]; /* the file name without .lab */
        enum nlab_grade_status status;
        unsigned passed, failed, total; /* expectations; expect-fail that failed counts as passed */
        unsigned ms;
        bool interrupted; /* Ctrl-C: this lab, or the class, stopped before it was graded */
        /* the first step that did not hold (an expectation, or the command that stopped the lab):
         * its line, text, what was observed and why, for the teacher's table */
        unsigned line;
        char first_fail[256];
        char evidence[512];
        char reason[384];
        char error[512];
};

struct nlab_grade_opts {
        unsigned jobs; /* labs at once, at least 1 */
        bool trust;    /* as scenario run --trust */
        const struct nlab_grammar *g;
};

/* Grade files[0..n) into rows[0..n), in the same order. Returns 0, or -1 with err when the
 * grading itself could not be done (no memory, no fork). */
int nlab_grade(char *const *files, size_t n, const struct nlab_grade_opts *o,
               struct nlab_grade_row *rows, struct nlab_err *err);

/* The score in percent of a row: passed of total, 0 without expectations or when it did not run. */
unsigned nlab_grade_score(const struct nlab_grade_row *r);

#endif
