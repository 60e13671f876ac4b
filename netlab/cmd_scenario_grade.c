/* netlab scenario grade: a class's submissions, one table. runtime/lab/grade.c runs the labs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/scenario_report.h"
#include "runtime/lab/files.h"

#define DEFAULT_JOBS 8 /* the labs mostly wait on probes: more than the cores */
#define MAX_JOBS     64

static const struct nlab_flag grade_flags[] = {
    {"jobs", 'j', NLAB_FLAG_VALUE, NULL}, {"csv", 0, NLAB_FLAG_VALUE, NULL},
    {"json", 0, NLAB_FLAG_VALUE, NULL},   {"trust", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 'h', NLAB_FLAG_BOOL, NULL},
};
#define N_GRADE_FLAGS (sizeof(grade_flags) / sizeof(grade_flags[0]))

static unsigned elapsed_ms(const struct timespec *t0)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (unsigned)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* The table goes to stdout unless --csv - or --json - takes it; a file gets CSV or JSON. */
static int print_rows(const char *csv, const char *json, const struct nlab_grade_row *rows,
                      size_t n, unsigned ms)
{
        const char *path = csv ? csv : json;
        FILE *f = stdout;

        if (!path || strcmp(path, "-"))
                scenario_grade_print_table(stdout, rows, n);
        if (!path)
                return 0;
        if (strcmp(path, "-") && !(f = fopen(path, "w"))) {
                fprintf(stderr, "netlab: error: %s %s: %s\n", csv ? "--csv" : "--json", path,
                        strerror(errno));
                return 1;
        }
        if (csv)
                scenario_grade_print_csv(f, rows, n);
        else
                scenario_grade_print_json(f, rows, n, ms);
        if (f != stdout && fclose(f) != 0)
                return 1;
        return 0;
}

static int grade_dir(const char *dir, const struct nlab_grade_opts *go, const char *csv,
                     const char *json)
{
        struct nlab_strv files = {0};
        struct nlab_grade_row *rows = NULL;
        struct timespec t0;
        struct nlab_err err;
        int code;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (nlab_scenario_dir(dir, &files, &err) < 0)
                return nlab_cli_fail(&err, false);
        if (files.n == 0) {
                fprintf(stderr, "netlab: error: %s holds no .lab files to grade\n", dir);
                nlab_strv_free(&files);
                return 1;
        }
        rows = calloc(files.n, sizeof(*rows));
        signal(SIGINT, SIG_IGN); /* each lab's worker handles Ctrl-C and removes its lab */
        if (!rows || nlab_grade(files.v, files.n, go, rows, &err) < 0)
                code = rows ? nlab_cli_fail(&err, false) : 1;
        else
                code = print_rows(csv, json, rows, files.n, elapsed_ms(&t0));
        for (size_t i = 0; rows && code == 0 && i < files.n; i++)
                if (rows[i].interrupted)
                        code = 130; /* Ctrl-C: the table is not the class's grades */
        signal(SIGINT, SIG_DFL);
        free(rows);
        nlab_strv_free(&files);
        return code;
}

int nlab_scenario_grade(int argc, char **argv)
{
        struct nlab_grade_opts go = {.jobs = DEFAULT_JOBS, .g = nlab_cli_grammar()};
        struct nlab_parsed p = {0};
        const char *cmd = "scenario grade";
        char *end = NULL;
        int code = 0;

        if (nlab_cli_parse(cmd, grade_flags, N_GRADE_FLAGS, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        go.trust = p.set[3];
        if (p.value[0])
                go.jobs = (unsigned)strtoul(p.value[0], &end, 10);
        if (p.value[0] && (*end || !p.value[0][0] || go.jobs < 1 || go.jobs > MAX_JOBS)) {
                fprintf(stderr,
                        "netlab: error: --jobs %s: give a number of labs at once, 1 to %d\n",
                        p.value[0], MAX_JOBS);
                code = 1;
        } else if (p.npos != 1) {
                code = nlab_cli_usage_error(cmd, "give one directory of .lab files", false);
        } else if (p.value[1] && p.value[2]) {
                code = nlab_cli_usage_error(cmd, "--csv and --json: give one", false);
        } else if (geteuid() != 0) {
                fprintf(stderr, "netlab: error: scenario grade needs root: each submission gets "
                                "namespaces of its own (try: sudo netlab scenario grade ...)\n");
                code = 1;
        } else {
                code = grade_dir(p.pos[0], &go, p.value[1], p.value[2]);
        }
out:
        nlab_parsed_free(&p, N_GRADE_FLAGS);
        return code;
}
