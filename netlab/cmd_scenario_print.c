/* netlab scenario's printer: each step of a running lab as a line the class can read, the marks,
 * ids cut to 12 hex digits, and --step's prompt with its keys. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "netlab/scenario_print.h"

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_word(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A line of output with every 64-hex container id cut to 12, as Docker's ps shows it: the whole
 * id fills a projector's line and says nothing more. */
static void put_short_ids(const char *p, size_t len)
{
        size_t i = 0, n;

        while (i < len) {
                for (n = 0; i + n < len && is_lower_hex(p[i + n]); n++)
                        ;
                if (n == 64 && (i == 0 || !is_word(p[i - 1])) &&
                    (i + n == len || !is_word(p[i + n])))
                        fwrite(p + i, 1, 12, stdout);
                else
                        fwrite(p + i, 1, n ? n : 1, stdout);
                i += n ? n : 1;
        }
}

/* The engine's callbacks print each step as it ends. */
static void print_indented(const struct scenario_opts *o, const char *text)
{
        const char *p = text;

        while (*p) {
                const char *eol = strchrnul(p, '\n');
                fputs(o->tap ? "#     " : "    ", stdout);
                put_short_ids(p, (size_t)(eol - p));
                putchar('\n');
                p = *eol ? eol + 1 : eol;
        }
}

static const char *mark_text(const struct scenario_opts *o, enum nlab_mark m)
{
        static const char *const fancy[] = {"\u2717", "\u2713", "\u2717 (expected)", "-"};
        static const char *const plain[] = {"[FAIL]", "[ok]", "[xfail]", "[skip]"};

        return (o->fancy ? fancy : plain)[m];
}

static void mark(struct scenario_opts *o, enum nlab_mark m, const char *text, const char *why)
{
        if (o->tap) {
                o->tap_n++;
                printf("%s %u - %s%s%s\n",
                       m == NLAB_MARK_OK || m == NLAB_MARK_SKIP ? "ok" : "not ok", o->tap_n, text,
                       m == NLAB_MARK_XFAIL ? " # TODO broken on purpose" : "",
                       m == NLAB_MARK_SKIP ? " # SKIP an earlier command failed" : "");
        } else {
                printf("%s %s\n", mark_text(o, m), text);
        }
        if (why && why[0])
                print_indented(o, why);
        fflush(stdout);
}

const char *scenario_title(const struct nlab_scenario *s, bool zh)
{
        if (zh && s->title_zh)
                return s->title_zh;
        return s->title ? s->title : "(untitled)";
}

/* netlab's own words around the narration, in the language the narration is in. */
struct words {
        const char *step_intro, *test_host, *shell, *keys, *interrupted, *summary, *xfailed;
};

static const struct words english = {
    .step_intro = "  (--step: Enter runs the step shown, s opens a shell in the lab host, q quits, ? "
                  "lists the keys)\n",
    .test_host = "   (a test host: a machine outside netlab, like a laptop on the same LAN, linked "
                 "to the lab host)",
    .shell = "a shell in the lab host: netlab ps, netlab exec, ip addr see the lab; exit comes back "
             "here",
    .keys = "Enter: run the step shown   s: a shell in the lab host (exit comes back)   q: stop, "
            "remove the lab",
    .interrupted = "interrupted: the lab is being removed",
    .summary = "%s%s: %u passed, %u failed",
    .xfailed = ", %u failed as this lab means them to",
};

static const struct words chinese = {
    .step_intro = "  （--step：回车执行显示的这一步，s 打开实验宿主机里的 shell，q 退出，? 列出按键）\n",
    .test_host = "   （测试主机：netlab 之外的一台机器，就像同一局域网里的笔记本，连到实验宿主机上）",
    .shell = "实验宿主机里的 shell：netlab ps、netlab exec、ip addr 看到的都是这个实验；exit 回到这里",
    .keys = "回车：执行显示的这一步   s：实验宿主机里的 shell（exit 回来）   q：停止并删除实验",
    .interrupted = "已中断：正在删除实验",
    .summary = "%s%s：通过 %u 项，失败 %u 项",
    .xfailed = "，其中 %u 项按本实验的设计应当失败",
};

static const struct words *words_of(const struct scenario_opts *o)
{
        return o->zh ? &chinese : &english;
}

static void on_start(void *ctx, const struct nlab_scenario *s)
{
        const struct scenario_opts *o = ctx;

        if (o->tap)
                printf("# %s: %s\n", s->file, scenario_title(s, o->zh));
        else
                printf("%s %s: %s\n", o->fancy ? "\u25b6" : "==", s->file,
                       scenario_title(s, o->zh));
        if (o->step)
                fputs(words_of(o)->step_intro, stdout);
        fflush(stdout);
}

static void on_note(void *ctx, const struct nlab_step *st)
{
        const struct scenario_opts *o = ctx;

        printf("%s%s\n", o->tap ? "# " : (o->fancy ? "\u00bb " : "> "),
               o->zh && st->text_zh ? st->text_zh : st->text);
}

/* --step: the step as it will run, once, on the line where the prompt waits; an expectation's
 * mark ends that line, a command's output follows it. */
static void step_header(const struct scenario_opts *o, const struct nlab_step *st)
{
        if (st->kind == NLAB_STEP_COMMAND)
                printf("$ netlab %s", st->text);
        else if (st->kind == NLAB_STEP_EXTERNAL)
                printf("%s%s", st->text, words_of(o)->test_host);
        else
                printf("%s", st->text);
}

/* A command is shown as typed. */
static void on_begin(void *ctx, const struct nlab_step *st)
{
        struct scenario_opts *o = ctx;

        if (o->step)
                o->reprint = true; /* shown by on_ask, once the keys are not echoed */
        else if (st->kind == NLAB_STEP_COMMAND && !o->tap) {
                printf("$ netlab %s\n", st->text);
        }
}

enum { KEY_EOF = -1, KEY_INTR = -2 };

/* One key: on a terminal as it is pressed; otherwise a line's first character. The terminal stays
 * without echo until the shell or the end (run_one restores it), so keys pressed while a step runs
 * do not scribble over its output; they are dropped, so a step runs only once it was shown. */
static int read_key(struct scenario_opts *o, const struct nlab_step *st)
{
        struct termios raw = o->cooked;
        char c = '\n', rest;
        ssize_t n;
        int e;

        if (o->tty) {
                raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
                raw.c_cc[VMIN] = 1;
                raw.c_cc[VTIME] = 0;
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
        }
        if (o->reprint)
                step_header(o, st);
        o->reprint = false;
        fflush(stdout);
        n = read(STDIN_FILENO, &c, 1);
        e = errno;
        if (n < 0 && e == EINTR)
                return KEY_INTR;
        if (n <= 0)
                return KEY_EOF;
        for (rest = c; !o->tty && rest != '\n' && read(STDIN_FILENO, &rest, 1) == 1;)
                ;
        return (unsigned char)c;
}

/* The keys at --step's prompt; Ctrl-C stops as q does. */
static enum nlab_step_answer on_ask(void *ctx, const struct nlab_step *st)
{
        struct scenario_opts *o = ctx;

        for (;;) {
                int key = read_key(o, st);
                if (key == '\n' || key == '\r' || key == KEY_EOF) {
                        if (st->kind == NLAB_STEP_COMMAND)
                                printf("\n");
                        o->line_open = st->kind != NLAB_STEP_COMMAND; /* the mark ends it */
                        return NLAB_STEP_GO;
                }
                if (key == 'q' || key == KEY_INTR) {
                        printf("\n");
                        return NLAB_STEP_QUIT;
                }
                if (key == 's' || key == '?') {
                        printf("\n  %s\n", key == 's' ? words_of(o)->shell : words_of(o)->keys);
                        o->reprint = true;
                        if (key == 's' && o->tty)
                                tcsetattr(STDIN_FILENO, TCSANOW, &o->cooked);
                        if (key == 's')
                                return NLAB_STEP_SHELL;
                }
        }
}

/* --step: a command's output under its line; any other step's mark ends its line. */
static void step_result(struct scenario_opts *o, const struct nlab_step *st,
                        const struct nlab_step_result *r)
{
        if (st->kind == NLAB_STEP_COMMAND) {
                print_indented(o, r->output);
                if (r->mark != NLAB_MARK_OK)
                        mark(o, r->mark, "the command failed", r->why);
                return;
        }
        printf(" %s\n", mark_text(o, r->mark));
        o->line_open = false;
        if (st->kind == NLAB_STEP_EXTERNAL && r->mark == NLAB_MARK_OK)
                print_indented(o, r->text);
        if (r->why && r->why[0])
                print_indented(o, r->why);
        fflush(stdout);
}

static void on_result(void *ctx, const struct nlab_step *st, const struct nlab_step_result *r)
{
        struct scenario_opts *o = ctx;

        if (r->mark == NLAB_MARK_SKIP && !o->tap)
                return;
        if (o->step) {
                step_result(o, st, r);
                return;
        }
        if (st->kind == NLAB_STEP_COMMAND) {
                if (!o->tap || r->mark != NLAB_MARK_OK)
                        print_indented(o, r->output);
                if (r->mark == NLAB_MARK_OK && !o->tap)
                        return;
                mark(o, r->mark,
                     o->tap || r->mark == NLAB_MARK_OK ? st->text : "the command failed", r->why);
                return;
        }
        mark(o, r->mark, r->text, o->tap && r->mark == NLAB_MARK_OK ? NULL : r->why);
}

static void on_done(void *ctx, const struct nlab_scenario *s, const struct nlab_run_summary *sum)
{
        const struct scenario_opts *o = ctx;
        const char *c = o->tap ? "# " : "";

        if (sum->error) {
                fprintf(stderr, "netlab: error: %s\n", sum->error);
                return;
        }
        if (sum->interrupted && o->line_open)
                printf("\n"); /* Ctrl-C during an expectation: its mark never came */
        if (sum->interrupted)
                printf("%s%s\n", c, words_of(o)->interrupted);
        printf(words_of(o)->summary, c, s->file, sum->passed, sum->failed);
        if (sum->xfailed)
                printf(words_of(o)->xfailed, sum->xfailed);
        printf("\n");
}

const struct nlab_runner_ops scenario_printer = {.start = on_start,
                                                 .note = on_note,
                                                 .begin = on_begin,
                                                 .result = on_result,
                                                 .done = on_done,
                                                 .ask = on_ask};
