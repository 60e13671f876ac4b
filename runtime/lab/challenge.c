/* A challenge file: its task lines, then the scenario language for the rest. */
#include "runtime/lab/challenge.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (1 << 20)

struct cparse {
        const char *file;
        struct nlab_challenge *c;
        unsigned line;
        bool after_task; /* the last line with words was a task line: a task.zh may follow */
};

/* The words' text up to a " #" comment, without surrounding blanks. */
static char *text_of(const char *s, size_t n)
{
        size_t i, end;

        while (n && (*s == ' ' || *s == '\t'))
                s++, n--;
        for (i = 0; i < n; i++)
                if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
                        break;
        end = i;
        while (end && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
                end--;
        return strndup(s, end);
}

static int push_task(struct nlab_challenge *c, char *text)
{
        char **t = realloc(c->task, (c->ntask + 1) * sizeof(*t));
        char **z;

        if (!t)
                return -1;
        c->task = t;
        z = realloc(c->task_zh, (c->ntask + 1) * sizeof(*z));
        if (!z)
                return -1;
        c->task_zh = z;
        c->task[c->ntask] = text;
        c->task_zh[c->ntask] = NULL;
        c->ntask++;
        return 0;
}

/* A task or task.zh line (word is its first word, rest what follows it). */
static int task_line(struct cparse *p, const char *word, size_t wlen, const char *rest, size_t n,
                     struct nlab_err *err)
{
        bool zh = wlen == 7;
        char *text;

        if (wlen != 4 && (wlen != 7 || strncmp(word, "task.zh", 7)))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "%s:%u: error: %.*s: unknown language (a variant is task.zh)",
                                    p->file, p->line, (int)wlen, word);
        if (zh && !p->after_task)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "%s:%u: error: task.zh: goes on the line right after the task "
                                    "line it translates",
                                    p->file, p->line);
        text = text_of(rest, n);
        if (!text)
                return nlab_err_sys(err, ENOMEM, "%s", p->file);
        if (!text[0]) {
                free(text);
                return nlab_err_set(err, NLAB_E_INVALID, "%s:%u: error: %.*s: missing text",
                                    p->file, p->line, (int)wlen, word);
        }
        if (zh) {
                free(p->c->task_zh[p->c->ntask - 1]);
                p->c->task_zh[p->c->ntask - 1] = text;
                return 0;
        }
        if (push_task(p->c, text) < 0) {
                free(text);
                return nlab_err_sys(err, ENOMEM, "%s", p->file);
        }
        if (!p->c->task_line)
                p->c->task_line = p->line;
        return 0;
}

/* Take the task lines out of buf (blanked, so the parser's line numbers stay right). */
static int take_tasks(struct cparse *p, char *buf, size_t len, struct nlab_err *err)
{
        size_t i = 0;

        while (i < len) {
                char *eol = memchr(buf + i, '\n', len - i);
                size_t end = eol ? (size_t)(eol - buf) : len, w = i, we;

                p->line++;
                while (w < end && (buf[w] == ' ' || buf[w] == '\t'))
                        w++;
                for (we = w; we < end && buf[we] != ' ' && buf[we] != '\t' && buf[we] != '\r';)
                        we++;
                if (we - w >= 4 && !strncmp(buf + w, "task", 4) &&
                    (we - w == 4 || buf[w + 4] == '.')) {
                        if (task_line(p, buf + w, we - w, buf + we, end - we, err) < 0)
                                return -1;
                        memset(buf + i, ' ', end - i);
                        p->after_task = true;
                } else if (w < end && buf[w] != '#' && buf[w] != '\r') {
                        p->after_task = false;
                }
                i = end + 1;
        }
        return 0;
}

/* The start before the first task line, only goals after it. */
static int check_parts(const char *file, const struct nlab_challenge *c, struct nlab_err *err)
{
        size_t i, goals = 0;

        if (!c->ntask)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "%s: error: no task line: a challenge says what to do in "
                                    "'task TEXT' lines, after the commands that build its start",
                                    file);
        for (i = 0; i < c->s.nsteps; i++) {
                const struct nlab_step *st = &c->s.steps[i];
                bool after = st->line > c->task_line;
                if (!after && st->kind == NLAB_STEP_EXPECT)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "%s:%u: error: an expectation before the task: goals "
                                            "go after the first task line",
                                            file, st->line);
                if (after && (st->kind == NLAB_STEP_COMMAND || st->kind == NLAB_STEP_EXTERNAL))
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "%s:%u: error: a %s after the task: the start is "
                                            "built before the first task line, only goals "
                                            "(expect lines) come after it",
                                            file, st->line,
                                            st->kind == NLAB_STEP_COMMAND ? "command"
                                                                          : "test host");
                goals += after && st->kind == NLAB_STEP_EXPECT;
        }
        if (!goals)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "%s: error: no goals: a challenge needs expect lines after "
                                    "its task",
                                    file);
        return 0;
}

int nlab_challenge_parse(const char *file, const char *text, size_t len,
                         const struct nlab_grammar *g, struct nlab_challenge *out,
                         struct nlab_err *err)
{
        struct cparse p = {.file = file, .c = out};
        char *buf;
        int r;

        assert(file && text && g && out);
        memset(out, 0, sizeof(*out));
        buf = malloc(len + 1);
        if (!buf)
                return nlab_err_sys(err, ENOMEM, "%s", file);
        memcpy(buf, text, len);
        buf[len] = '\0';
        r = take_tasks(&p, buf, len, err);
        if (r == 0)
                r = nlab_scenario_parse(file, buf, len, g, &out->s, err);
        free(buf);
        if (r == 0)
                r = check_parts(file, out, err);
        if (r < 0)
                nlab_challenge_free(out);
        return r < 0 ? -1 : 0;
}

int nlab_challenge_load(const char *path, const struct nlab_grammar *g, struct nlab_challenge *out,
                        struct nlab_err *err)
{
        FILE *f = fopen(path, "re");
        char *text;
        size_t len;
        int r;

        assert(path && out);
        memset(out, 0, sizeof(*out));
        if (!f)
                return nlab_err_sys(err, errno, "challenge %s", path);
        text = malloc(MAX_FILE);
        if (!text) {
                fclose(f);
                return nlab_err_sys(err, ENOMEM, "challenge %s", path);
        }
        len = fread(text, 1, MAX_FILE, f);
        fclose(f);
        r = nlab_challenge_parse(path, text, len, g, out, err);
        free(text);
        return r;
}

void nlab_challenge_free(struct nlab_challenge *c)
{
        size_t i;

        if (!c)
                return;
        for (i = 0; i < c->ntask; i++) {
                free(c->task[i]);
                free(c->task_zh[i]);
        }
        free(c->task);
        free(c->task_zh);
        nlab_scenario_free(&c->s);
        memset(c, 0, sizeof(*c));
}

bool nlab_challenge_is_goal(const struct nlab_challenge *c, const struct nlab_step *st)
{
        return st->kind == NLAB_STEP_EXPECT && st->line > c->task_line;
}

/* A goal that something must not work: cannot-reach, cannot-resolve, or an expect-fail claim. */
static bool negative(const struct nlab_expect *ex)
{
        return ex->xfail || ex->kind == NLAB_EXPECT_CANNOT_REACH ||
               ex->kind == NLAB_EXPECT_CANNOT_RESOLVE;
}

void nlab_challenge_hint(const struct nlab_step *st, const struct nlab_step_result *r, char *out,
                         size_t size)
{
        const char *fix;

        assert(st && r && out && size);
        out[0] = '\0';
        if (r->mark == NLAB_MARK_OK || r->mark == NLAB_MARK_XFAIL || r->mark == NLAB_MARK_SKIP)
                return;
        if (st->kind == NLAB_STEP_EXPECT && negative(&st->ex)) {
                snprintf(out, size, "this works, and the goal is that it does not: %s",
                         r->evidence ? r->evidence : "it held");
                return;
        }
        if (!r->reason || !r->reason[0]) {
                snprintf(out, size, "%s", r->evidence ? r->evidence : "");
                return;
        }
        fix = strstr(r->reason, "; fix: ");
        snprintf(out, size, "%.*s", fix ? (int)(fix - r->reason) : (int)strlen(r->reason),
                 r->reason);
}
