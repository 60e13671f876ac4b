/* scenario grade: the labs run in children, several at once; each lab's worker writes its row
 * into memory shared with the grader. */
#include "runtime/lab/grade.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lab/files.h"
#include "runtime/lab/runner.h"
#include "runtime/lab/scenario_trust.h"

static void nop_scenario(void *ctx, const struct nlab_scenario *s)
{
        (void)ctx, (void)s;
}

static void nop_step(void *ctx, const struct nlab_step *st)
{
        (void)ctx, (void)st;
}

static void first_line(char *dst, size_t size, const char *src)
{
        snprintf(dst, size, "%.*s", (int)strcspn(src ? src : "", "\n"), src ? src : "");
}

static void on_result(void *ctx, const struct nlab_step *st, const struct nlab_step_result *res)
{
        struct nlab_grade_row *row = ctx;
        bool held = res->mark == NLAB_MARK_OK || res->mark == NLAB_MARK_XFAIL;

        if (st->kind == NLAB_STEP_EXPECT && held)
                row->passed++;
        if (held || row->first_fail[0] ||
            (res->mark == NLAB_MARK_SKIP && st->kind != NLAB_STEP_EXPECT))
                return;
        row->line = st->line;
        first_line(row->first_fail, sizeof(row->first_fail), st->text);
        snprintf(row->evidence, sizeof(row->evidence), "%s",
                 res->mark == NLAB_MARK_SKIP ? "not run" : (res->evidence ? res->evidence : ""));
        snprintf(row->reason, sizeof(row->reason), "%s", res->reason ? res->reason : "");
}

static void not_graded(struct nlab_grade_row *row)
{
        row->status = NLAB_GRADE_ERROR;
        row->interrupted = true;
        snprintf(row->error, sizeof(row->error), "interrupted (Ctrl-C): not graded");
}

static void on_done(void *ctx, const struct nlab_scenario *s, const struct nlab_run_summary *sum)
{
        struct nlab_grade_row *row = ctx;

        (void)s;
        row->ms = sum->ms;
        if (sum->interrupted)
                not_graded(row);
        if (sum->error) {
                row->status = NLAB_GRADE_ERROR;
                snprintf(row->error, sizeof(row->error), "%s", sum->error);
        }
}

static const struct nlab_runner_ops collect = {.start = nop_scenario,
                                               .note = nop_step,
                                               .begin = nop_step,
                                               .result = on_result,
                                               .done = on_done};

/* Parse and vet one file; 0 when it can run. */
static int load(const char *path, const struct nlab_grade_opts *o, struct nlab_scenario *s,
                struct nlab_grade_row *row)
{
        const char *base = strrchr(path, '/');
        struct nlab_err err;
        size_t len;

        snprintf(row->student, sizeof(row->student), "%s", base ? base + 1 : path);
        len = strlen(row->student);
        if (len > 4 && !strcmp(row->student + len - 4, ".lab"))
                row->student[len - 4] = '\0';
        if (nlab_scenario_load(path, o->g, s, &err) < 0) {
                row->status = NLAB_GRADE_UNPARSABLE;
                first_line(row->error, sizeof(row->error), err.msg);
                return -1;
        }
        row->total = (unsigned)s->nexpect;
        if (o->trust || nlab_scenario_check_trust(s, o->g, &err) == 0)
                return 0;
        row->status = NLAB_GRADE_REFUSED;
        first_line(row->error, sizeof(row->error), err.msg);
        return -1;
}

/* In a child of the grader: one lab, its row filled by the lab's worker. */
static pid_t start_lab(const struct nlab_scenario *s, struct nlab_grade_row *row)
{
        struct nlab_run_opts ro = {.keep = false};
        struct nlab_run_lab lab;
        struct nlab_err err;
        pid_t pid;
        int code;

        fflush(NULL);
        pid = fork();
        if (pid != 0)
                return pid;
        code = nlab_scenario_run(s, &ro, &collect, row, &lab, &err);
        if (code < -1 || code == -1) {
                row->status = NLAB_GRADE_ERROR;
                snprintf(row->error, sizeof(row->error), "%s",
                         code < -1 ? err.msg : "the lab ended early");
        }
        _exit(0);
}

/* Wait for one of the running labs; returns its slot, or jobs when none is left. */
static size_t reap(pid_t *running, size_t jobs)
{
        pid_t pid;
        size_t i;

        for (;;) {
                pid = waitpid(-1, NULL, 0);
                if (pid < 0 && errno != EINTR)
                        return jobs;
                for (i = 0; pid > 0 && i < jobs; i++)
                        if (running[i] == pid) {
                                running[i] = 0;
                                return i;
                        }
        }
}

/* Ctrl-C reaches every running lab, which removes itself; no new lab starts after it. */
static void run_all(struct nlab_scenario *all, const bool *ok, size_t n, unsigned jobs,
                    struct nlab_grade_row *shared)
{
        pid_t running[jobs];
        size_t i, slot = 0, busy = 0, at[jobs];
        bool stop = false;

        memset(running, 0, sizeof(running));
        for (i = 0; i < n; i++) {
                if (!ok[i])
                        continue;
                while (busy == jobs || (busy && stop)) {
                        slot = reap(running, jobs);
                        busy--;
                        stop = stop || shared[at[slot]].interrupted;
                }
                if (stop) {
                        not_graded(&shared[i]);
                        continue;
                }
                for (slot = 0; running[slot]; slot++)
                        ;
                at[slot] = i;
                running[slot] = start_lab(&all[i], &shared[i]);
                if (running[slot] < 0) {
                        running[slot] = 0;
                        shared[i].status = NLAB_GRADE_ERROR;
                        snprintf(shared[i].error, sizeof(shared[i].error), "fork: %s",
                                 strerror(errno));
                        continue;
                }
                busy++;
        }
        while (busy && reap(running, jobs) < jobs)
                busy--;
}

int nlab_grade(char *const *files, size_t n, const struct nlab_grade_opts *o,
               struct nlab_grade_row *rows, struct nlab_err *err)
{
        size_t bytes = (n ? n : 1) * sizeof(*rows), i;
        struct nlab_scenario *all = calloc(n ? n : 1, sizeof(*all));
        bool *ok = calloc(n ? n : 1, sizeof(*ok));
        struct nlab_grade_row *shared =
            mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int r = 0;

        assert(o && o->g && o->jobs > 0 && (rows || !n));
        if (!all || !ok || shared == MAP_FAILED) {
                r = nlab_err_sys(err, errno ? errno : ENOMEM, "grade: memory for %zu labs", n);
                goto out;
        }
        memset(shared, 0, bytes);
        for (i = 0; i < n; i++)
                ok[i] = load(files[i], o, &all[i], &shared[i]) == 0;
        run_all(all, ok, n, o->jobs, shared);
        for (i = 0; i < n; i++) {
                if (ok[i] && shared[i].status == NLAB_GRADE_RAN)
                        shared[i].failed = shared[i].total - shared[i].passed;
                rows[i] = shared[i];
        }
out:
        for (i = 0; all && i < n; i++)
                nlab_scenario_free(&all[i]);
        free(all);
        free(ok);
        if (shared != MAP_FAILED)
                munmap(shared, bytes);
        return r;
}

unsigned nlab_grade_score(const struct nlab_grade_row *r)
{
        if (r->status != NLAB_GRADE_RAN || !r->total)
                return 0;
        return (r->passed * 100 + r->total / 2) / r->total;
}
