/* JSON and JUnit reports of scenario run and check, and the grade table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/scenario_report.h"

static const char *const verdicts[] = {"fail", "pass", "xfail", "skip"};
static const char *const kinds[] = {"command", "note", "external", "expect"};

static void xml_escaped(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '<')
                        fputs("&lt;", f);
                else if (c == '>')
                        fputs("&gt;", f);
                else if (c == '&')
                        fputs("&amp;", f);
                else if (c == '"')
                        fputs("&quot;", f);
                else if (c < 0x20 && c != '\n' && c != '\t')
                        fputc(' ', f); /* not allowed in XML 1.0 */
                else
                        fputc(c, f);
        }
}

static json_t *str_or_null(const char *s)
{
        return s && s[0] ? json_string(s) : json_null();
}

static void drop_scenario(struct scenario_report *r)
{
        json_decref(r->doc);
        r->doc = r->steps = NULL;
        if (r->cases_f)
                fclose(r->cases_f);
        r->cases_f = NULL;
        free(r->cases);
        r->cases = NULL;
        r->ncases = r->nfail = r->nskip = 0;
}

static void on_start(void *ctx, const struct nlab_scenario *s)
{
        struct scenario_report *r = ctx;

        drop_scenario(r);
        r->s = s;
        r->steps = json_array();
        r->doc = json_pack("{s:s, s:o, s:s, s:o}", "file", s->file, "title", str_or_null(s->title),
                           "mode", r->mode, "steps", r->steps);
        if (r->junit)
                r->cases_f = open_memstream(&r->cases, &r->cases_len);
        if (r->inner)
                r->inner->start(r->inner_ctx, s);
}

static void on_note(void *ctx, const struct nlab_step *st)
{
        struct scenario_report *r = ctx;

        if (r->inner)
                r->inner->note(r->inner_ctx, st);
}

static void on_begin(void *ctx, const struct nlab_step *st)
{
        struct scenario_report *r = ctx;

        if (r->inner)
                r->inner->begin(r->inner_ctx, st);
}

static json_t *step_json(const struct nlab_step *st, const struct nlab_step_result *res)
{
        json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:o, s:o, s:i}", "line", (int)st->line, "kind",
                              kinds[st->kind], "text", st->text, "verdict", verdicts[res->mark],
                              "evidence", str_or_null(res->evidence), "reason",
                              str_or_null(res->reason), "ms", (int)res->ms);

        if (o && st->kind == NLAB_STEP_EXPECT)
                json_object_update_new(
                    o, json_pack(
                           "{s:o, s:o}", "reason_code", str_or_null(res->reason_code), "because",
                           str_or_null(st->ex.because ? nlab_reason_name(st->ex.because) : NULL)));
        if (o && st->kind == NLAB_STEP_EXPECT)
                json_object_update_new(o, json_pack("{s:s, s:s, s:s}", "check",
                                                    nlab_expect_verb(st->ex.kind), "subject",
                                                    st->ex.subject, "target", st->ex.target));
        if (o && st->kind == NLAB_STEP_COMMAND && res->mark == NLAB_MARK_FAIL)
                json_object_set_new(o, "output", str_or_null(res->output));
        return o;
}

static void junit_case(struct scenario_report *r, const struct nlab_scenario *s,
                       const struct nlab_step *st, const struct nlab_step_result *res)
{
        FILE *f = r->cases_f;
        const char *base = strrchr(s->file, '/');

        r->ncases++;
        fprintf(f, "    <testcase classname=\"");
        xml_escaped(f, base ? base + 1 : s->file);
        fprintf(f, "\" name=\"line %u: ", st->line);
        xml_escaped(f, st->text);
        fprintf(f, "\" time=\"%u.%03u\">\n", res->ms / 1000, res->ms % 1000);
        if (res->mark == NLAB_MARK_FAIL) {
                r->nfail++;
                fprintf(f, "      <failure message=\"");
                xml_escaped(f, res->evidence ? res->evidence : "failed");
                fprintf(f, "\">");
                xml_escaped(f, res->why);
                fprintf(f, "</failure>\n");
        } else if (res->mark == NLAB_MARK_SKIP) {
                r->nskip++;
                fprintf(f, "      <skipped message=\"an earlier command failed\"/>\n");
        }
        if (res->evidence && res->mark != NLAB_MARK_FAIL) {
                fprintf(f, "      <system-out>%s",
                        res->mark == NLAB_MARK_XFAIL ? "failed as this lab means it to: " : "");
                xml_escaped(f, res->why);
                fprintf(f, "</system-out>\n");
        }
        fprintf(f, "    </testcase>\n");
}

static void on_result(void *ctx, const struct nlab_step *st, const struct nlab_step_result *res)
{
        struct scenario_report *r = ctx;

        if (r->inner)
                r->inner->result(r->inner_ctx, st, res);
        if (r->steps)
                json_array_append_new(r->steps, step_json(st, res));
        if (r->cases_f)
                junit_case(r, r->s, st, res);
}

static void on_done(void *ctx, const struct nlab_scenario *s, const struct nlab_run_summary *sum)
{
        struct scenario_report *r = ctx;

        if (r->inner)
                r->inner->done(r->inner_ctx, s, sum);
        if (r->json && r->doc) {
                json_object_set_new(
                    r->doc, "summary",
                    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:b, s:o}", "passed",
                              (int)sum->passed, "failed", (int)sum->failed, "xfailed",
                              (int)sum->xfailed, "skipped", (int)sum->skipped, "total",
                              (int)s->nexpect, "ms", (int)sum->ms, "ok",
                              !sum->failed && !sum->error && !sum->interrupted, "interrupted",
                              sum->interrupted, "error", str_or_null(sum->error)));
                json_dumpf(r->doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fputc('\n', stdout);
                fflush(stdout);
        }
        if (r->cases_f) {
                fflush(r->cases_f);
                fprintf(r->junit, "  <testsuite name=\"");
                xml_escaped(r->junit, s->file);
                fprintf(r->junit,
                        "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
                        "time=\"%u.%03u\">\n%s  </testsuite>\n",
                        r->ncases, r->nfail, sum->error ? 1u : 0u, r->nskip, sum->ms / 1000,
                        sum->ms % 1000, r->cases ? r->cases : "");
                fflush(r->junit);
        }
}

/* --step goes without the reports: the prompt is the text printer's. */
static enum nlab_step_answer on_ask(void *ctx, const struct nlab_step *st)
{
        struct scenario_report *r = ctx;

        if (r->inner && r->inner->ask)
                return r->inner->ask(r->inner_ctx, st);
        return NLAB_STEP_GO;
}

const struct nlab_runner_ops scenario_report_ops = {.start = on_start,
                                                    .note = on_note,
                                                    .begin = on_begin,
                                                    .result = on_result,
                                                    .done = on_done,
                                                    .ask = on_ask};

void scenario_report_lost(struct scenario_report *r, const struct nlab_scenario *s, const char *why)
{
        const struct nlab_runner_ops *inner = r->inner;
        struct nlab_run_summary sum = {.error = why};

        r->inner = NULL; /* the text printer said it already */
        on_start(r, s);
        on_done(r, s, &sum);
        r->inner = inner;
}

/* O_APPEND: each lab's worker writes its own testsuite through a copy of this stream. */
int scenario_report_open_junit(struct scenario_report *r, const char *path)
{
        if (!strcmp(path, "-")) {
                r->junit = stdout;
        } else {
                FILE *f = fopen(path, "w");
                if (f)
                        fclose(f);
                r->junit = f ? fopen(path, "a") : NULL;
        }
        if (!r->junit) {
                fprintf(stderr, "netlab: error: --junit %s: %s\n", path, strerror(errno));
                return -1;
        }
        fprintf(r->junit, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
        fflush(r->junit);
        return 0;
}

void scenario_report_finish(struct scenario_report *r)
{
        drop_scenario(r);
        if (!r->junit)
                return;
        fprintf(r->junit, "</testsuites>\n");
        if (r->junit == stdout)
                fflush(stdout);
        else
                fclose(r->junit);
        r->junit = NULL;
}

static const char *const statuses[] = {"ran", "unparsable", "refused", "error"};

/* What the teacher reads first: the first step that did not hold, or why nothing ran. */
static void first_failing(const struct nlab_grade_row *r, char *out, size_t size)
{
        if (r->status != NLAB_GRADE_RAN)
                snprintf(out, size, "%s: %s", statuses[r->status], r->error);
        else if (r->first_fail[0])
                snprintf(out, size, "line %u: %s (%.*s)", r->line, r->first_fail,
                         (int)strcspn(r->evidence, "\n"), r->evidence);
        else
                snprintf(out, size, "-");
}

void scenario_grade_print_table(FILE *f, const struct nlab_grade_row *rows, size_t n)
{
        char first[1024];
        size_t i;

        fprintf(f, "%-20s %6s %6s %5s %5s  %s\n", "STUDENT", "PASSED", "FAILED", "TOTAL", "SCORE",
                "FIRST FAILING");
        for (i = 0; i < n; i++) {
                first_failing(&rows[i], first, sizeof(first));
                fprintf(f, "%-20s %6u %6u %5u %4u%%  %s\n", rows[i].student, rows[i].passed,
                        rows[i].failed, rows[i].total, nlab_grade_score(&rows[i]), first);
        }
}

static void csv_field(FILE *f, const char *s, bool last)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s == '\n' ? ' ' : *s, f);
        }
        fputs(last ? "\"\n" : "\",", f);
}

void scenario_grade_print_csv(FILE *f, const struct nlab_grade_row *rows, size_t n)
{
        size_t i;

        fprintf(f, "student,status,passed,failed,total,score,line,first_failing,evidence,reason,"
                   "error,ms\n");
        for (i = 0; i < n; i++) {
                const struct nlab_grade_row *r = &rows[i];
                csv_field(f, r->student, false);
                fprintf(f, "%s,%u,%u,%u,%u,", statuses[r->status], r->passed, r->failed, r->total,
                        nlab_grade_score(r));
                if (r->first_fail[0])
                        fprintf(f, "%u", r->line);
                fputc(',', f);
                csv_field(f, r->first_fail, false);
                csv_field(f, r->evidence, false);
                csv_field(f, r->reason, false);
                csv_field(f, r->error, false);
                fprintf(f, "%u\n", r->ms);
        }
}

static json_t *row_json(const struct nlab_grade_row *r)
{
        json_t *first = json_null();

        if (r->first_fail[0])
                first = json_pack("{s:i, s:s, s:o, s:o}", "line", (int)r->line, "text",
                                  r->first_fail, "evidence", str_or_null(r->evidence), "reason",
                                  str_or_null(r->reason));
        return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:i}", "student", r->student,
                         "status", statuses[r->status], "passed", (int)r->passed, "failed",
                         (int)r->failed, "total", (int)r->total, "score", (int)nlab_grade_score(r),
                         "first_failing", first, "error", str_or_null(r->error), "ms", (int)r->ms);
}

void scenario_grade_print_json(FILE *f, const struct nlab_grade_row *rows, size_t n, unsigned ms)
{
        json_t *list = json_array(), *doc;
        size_t i;

        for (i = 0; i < n; i++)
                json_array_append_new(list, row_json(&rows[i]));
        doc = json_pack("{s:o, s:{s:i, s:i}}", "students", list, "summary", "students", (int)n,
                        "ms", (int)ms);
        json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', f);
        json_decref(doc);
}
