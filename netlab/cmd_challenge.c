/* netlab challenge start|check|reset|ls: a task, a live lab built for it, and checks of its goals;
 * runtime/lab/challenge*.c does the work. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/base/suggest.h"
#include "runtime/lab/challenge.h"
#include "runtime/lab/files.h"
#include "runtime/lab/scenario_trust.h"

struct words {
        const char *task, *then, *solved, *not_yet, *hint, *saw, *must_not, *summary;
};

static const struct words words_en = {
    .task = "Task:",
    .then = "Work in this lab with netlab commands; see how far you are with: netlab challenge "
            "check",
    .solved = "solved",
    .not_yet = "not solved yet",
    .hint = "hint",
    .saw = "saw",
    .must_not = "must not hold",
    .summary = "%u of %u goals hold: %s\n",
};

static const struct words words_zh = {
    .task = "任务：",
    .then = "用 netlab 命令在这个实验环境里动手完成；随时用 netlab challenge check 检查进度",
    .solved = "已完成",
    .not_yet = "尚未完成",
    .hint = "提示",
    .saw = "观察到",
    .must_not = "必须不成立",
    .summary = "%u/%u 个目标已达成：%s\n",
};

struct check_ctx {
        const struct nlab_challenge *c;
        const struct words *w;
        bool fancy, zh;
        unsigned goals, held;
};

static volatile sig_atomic_t stop;

static void on_interrupt(int sig)
{
        (void)sig;
        stop = 1;
}

static const char *challenges_dir(void)
{
        const char *dir = getenv("NETLAB_CHALLENGES");

        return dir && dir[0] ? dir : "challenges";
}

/* The file of NAME|FILE: a path is used as is, a name is DIR/NAME.lab. */
static int find_challenge(const char *arg, char *path, size_t size)
{
        const char *dir = challenges_dir(), *names[256], *near;
        struct nlab_strv files = {0};
        size_t i, n = 0;

        if (strchr(arg, '/') || (strlen(arg) > 4 && !strcmp(arg + strlen(arg) - 4, ".lab"))) {
                snprintf(path, size, "%s", arg);
                return 0;
        }
        snprintf(path, size, "%s/%s.lab", dir, arg);
        if (access(path, F_OK) == 0)
                return 0;
        if (nlab_scenario_dir(dir, &files, NULL) == 0)
                for (i = 0; i < files.n && n < 256; i++) {
                        char *base = strrchr(files.v[i], '/');
                        base = base ? base + 1 : files.v[i];
                        base[strlen(base) - 4] = '\0';
                        names[n++] = base;
                }
        near = nlab_suggest_name(arg, names, n);
        if (near)
                fprintf(stderr, "netlab: error: no such challenge: \"%s\" (did you mean \"%s\"?)\n",
                        arg, near);
        else
                fprintf(stderr,
                        "netlab: error: no such challenge: \"%s\" (no %s; netlab challenge ls "
                        "lists them)\n",
                        arg, path);
        nlab_strv_free(&files);
        return -1;
}

/* A challenge is code run as root, like a scenario: what hands a container the host is refused. */
static int load(const char *path, struct nlab_challenge *c)
{
        struct nlab_err err;

        if (nlab_challenge_load(path, nlab_cli_grammar(), c, &err) < 0) {
                fprintf(stderr, "%s%s\n", err.kind == NLAB_E_SYSTEM ? "netlab: error: " : "",
                        err.msg);
                return -1;
        }
        if (nlab_scenario_check_trust(&c->s, nlab_cli_grammar(), &err) == 0)
                return 0;
        fprintf(stderr, "netlab: error: %s\n", err.msg);
        nlab_challenge_free(c);
        return -1;
}

static const char *title_of(const struct nlab_scenario *s, bool zh)
{
        if (zh && s->title_zh)
                return s->title_zh;
        return s->title ? s->title : s->file;
}

/* The title and the notes of the start. */
static void print_intro(const struct nlab_challenge *c, bool zh)
{
        size_t i;

        printf("%s\n", title_of(&c->s, zh));
        for (i = 0; i < c->s.nsteps && c->s.steps[i].line < c->task_line; i++) {
                const struct nlab_step *st = &c->s.steps[i];
                if (st->kind == NLAB_STEP_NOTE)
                        printf("  %s\n", zh && st->text_zh ? st->text_zh : st->text);
        }
        printf("\n");
}

static void print_task(const struct nlab_challenge *c, bool zh)
{
        const struct words *w = zh ? &words_zh : &words_en;
        size_t i;

        printf("%s\n", w->task);
        for (i = 0; i < c->ntask; i++)
                printf("  %s\n", zh && c->task_zh[i] ? c->task_zh[i] : c->task[i]);
        printf("\n%s\n", w->then);
}

/* Only a step that failed is shown: the start itself is part of the puzzle. */
static void on_progress(void *ctx, const struct nlab_step *st, int status, const char *output)
{
        const char *p = output;

        (void)ctx;
        if (status == 0)
                return;
        fprintf(stderr, "$ netlab %s\n", st->text);
        while (*p) {
                const char *eol = strchrnul(p, '\n');
                fprintf(stderr, "    %.*s\n", (int)(eol - p), p);
                p = *eol ? eol + 1 : eol;
        }
}

static const struct nlab_flag lang_flags[] = {
    {"lang", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 'h', NLAB_FLAG_BOOL, NULL},
};

static int parse_lang(const char *cmd, int argc, char **argv, struct nlab_parsed *p, bool *zh)
{
        int code = 0;

        if (nlab_cli_parse(cmd, lang_flags, 2, argc, argv, 0, p, false, &code) != 0)
                return code ? code : -1;
        if (nlab_cli_pick_lang(p->value[0], zh) < 0) {
                fprintf(stderr, "netlab: error: --lang \"%s\": want en or zh\n", p->value[0]);
                return 1;
        }
        return 0;
}

static int challenge_start(struct nlab_cli *cli, int argc, char **argv)
{
        struct sigaction sa = {.sa_handler = on_interrupt};
        struct nlab_parsed p = {0};
        struct nlab_challenge c;
        struct nlab_err err;
        char path[PATH_MAX];
        bool zh;
        int code = parse_lang("challenge start", argc, argv, &p, &zh);

        if (code == 0 && p.npos != 1)
                code = nlab_cli_usage_error("challenge start",
                                            "\"netlab challenge start\" requires exactly 1 "
                                            "argument: a challenge's name or file",
                                            false);
        if (code == 0 && (find_challenge(p.pos[0], path, sizeof(path)) < 0 || load(path, &c) < 0))
                code = 1;
        if (code != 0) {
                nlab_parsed_free(&p, 2);
                return code < 0 ? 0 : code;
        }
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        print_intro(&c, zh);
        fflush(stdout);
        if (nlab_challenge_start(&c, cli->root, &stop, on_progress, NULL, &err) < 0)
                code = nlab_cli_fail(&err, false);
        else
                print_task(&c, zh);
        nlab_challenge_free(&c);
        nlab_parsed_free(&p, 2);
        return code;
}

static void check_start(void *ctx, const struct nlab_scenario *s)
{
        const struct check_ctx *k = ctx;

        printf("%s (%s)\n", title_of(s, k->zh), s->file);
}

static void check_note(void *ctx, const struct nlab_step *st)
{
        (void)ctx, (void)st;
}

static void check_begin(void *ctx, const struct nlab_step *st)
{
        (void)ctx, (void)st;
}

/* "    LABEL: TEXT", a text of several lines indented under it. */
static void print_labelled(const char *label, const char *text)
{
        const char *p = text;
        bool first = true;

        while (*p) {
                const char *eol = strchrnul(p, '\n');
                printf("    %s%s%.*s\n", first ? label : "", first ? ": " : "  ", (int)(eol - p),
                       p);
                first = false;
                p = *eol ? eol + 1 : eol;
        }
}

/* Each goal with its mark; one that does not hold gets what was seen and a hint, never a fix. */
static void check_result(void *ctx, const struct nlab_step *st, const struct nlab_step_result *r)
{
        struct check_ctx *k = ctx;
        const char *text = st->text;
        bool held = r->mark == NLAB_MARK_OK || r->mark == NLAB_MARK_XFAIL;
        char hint[512];

        if (st->kind == NLAB_STEP_EXTERNAL) {
                if (!held)
                        printf("%s %s\n    %s\n", k->fancy ? "\u2717" : "[FAIL]", r->text, r->why);
                return;
        }
        if (!nlab_challenge_is_goal(k->c, st))
                return;
        k->goals++;
        k->held += held;
        text += strcspn(text, " ");
        text += strspn(text, " ");
        printf("%s %s%s%s\n",
               held ? (k->fancy ? "\u2713" : "[ok]") : (k->fancy ? "\u2717" : "[FAIL]"), text,
               st->ex.xfail ? ": " : "", st->ex.xfail ? k->w->must_not : "");
        if (held)
                return;
        nlab_challenge_hint(st, r, hint, sizeof(hint));
        if (r->evidence && r->reason && strcmp(r->evidence, r->reason) &&
            !strstr(hint, r->evidence))
                print_labelled(k->w->saw, r->evidence);
        if (hint[0])
                print_labelled(k->w->hint, hint);
}

static void check_done(void *ctx, const struct nlab_scenario *s, const struct nlab_run_summary *sum)
{
        const struct check_ctx *k = ctx;

        (void)s, (void)sum;
        printf(k->w->summary, k->held, k->goals,
               k->held == k->goals && !sum->failed ? k->w->solved : k->w->not_yet);
}

static const struct nlab_runner_ops check_ops = {.start = check_start,
                                                 .note = check_note,
                                                 .begin = check_begin,
                                                 .result = check_result,
                                                 .done = check_done};

/* FILE, or the active challenge's file. */
static int checked_file(const struct nlab_cli *cli, const struct nlab_parsed *p, char *path,
                        size_t size)
{
        struct nlab_err err;

        if (p->npos == 1)
                return find_challenge(p->pos[0], path, size);
        if (nlab_challenge_active(cli->root, path, size, &err) == 0)
                return 0;
        if (err.kind == NLAB_E_NOTFOUND)
                fprintf(stderr,
                        "netlab: error: %s: nothing to check (start one: netlab challenge start "
                        "NAME; netlab challenge ls lists them)\n",
                        err.msg);
        else
                nlab_cli_fail(&err, false);
        return -1;
}

static int challenge_check(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct check_ctx k = {.fancy = isatty(STDOUT_FILENO)};
        struct nlab_challenge c;
        struct nlab_err err;
        char path[PATH_MAX];
        bool zh;
        int code = parse_lang("challenge check", argc, argv, &p, &zh);

        if (code == 0 && p.npos > 1)
                code = nlab_cli_usage_error("challenge check",
                                            "\"netlab challenge check\" takes at most 1 argument: "
                                            "a challenge's name or file",
                                            false);
        if (code == 0 && (checked_file(cli, &p, path, sizeof(path)) < 0 || load(path, &c) < 0))
                code = 1;
        if (code != 0) {
                nlab_parsed_free(&p, 2);
                return code < 0 ? 0 : code;
        }
        k.c = &c;
        k.w = zh ? &words_zh : &words_en;
        k.zh = zh;
        code = nlab_challenge_check(&c, cli->root, &check_ops, &k, &err);
        if (code < 0)
                code = nlab_cli_fail(&err, false);
        nlab_challenge_free(&c);
        nlab_parsed_free(&p, 2);
        return code;
}

static int challenge_reset(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("challenge reset", lang_flags + 1, 1, argc, argv, 0, &p, false, &code) !=
            0)
                goto out;
        if (p.npos != 0)
                code = nlab_cli_usage_error("challenge reset",
                                            "\"netlab challenge reset\" takes no arguments", false);
        else if (nlab_challenge_reset(cli->root, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        nlab_parsed_free(&p, 1);
        return code;
}

static int challenge_ls(int argc, char **argv)
{
        const char *dir = challenges_dir();
        struct nlab_strv files = {0};
        struct nlab_err err;
        int status = 0;
        bool zh;
        size_t i;

        nlab_cli_pick_lang(NULL, &zh);
        if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
                return nlab_cli_help("challenge ls");
        if (argc > 1)
                return nlab_cli_usage_error("challenge ls", "too many arguments", false);
        if (argc == 1)
                dir = argv[0];
        if (nlab_scenario_dir(dir, &files, &err) < 0) {
                fprintf(stderr, "netlab: error: challenge directory %s: %s\n", dir,
                        strerror(err.errnum));
                return 1;
        }
        for (i = 0; i < files.n; i++) {
                struct nlab_challenge c;
                char *base = strrchr(files.v[i], '/');
                if (load(files.v[i], &c) < 0) {
                        status = 1;
                        continue;
                }
                base = base ? base + 1 : files.v[i];
                printf("%-16.*s %s\n", (int)strlen(base) - 4, base, title_of(&c.s, zh));
                nlab_challenge_free(&c);
        }
        nlab_strv_free(&files);
        return status;
}

/* --help of a subcommand, before main() opens the state root (or a rootless lab host). */
int nlab_challenge_help_only(const char *cmd, int argc, char **argv)
{
        static const char *const subs[] = {"start", "check", "reset", "ls"};
        int code = nlab_cli_group_help(cmd, argc, argv);
        size_t i;

        for (i = 0; code < 0 && i < sizeof(subs) / sizeof(subs[0]); i++)
                if (!strcmp(subs[i], argv[0]))
                        return nlab_cli_sub_help(cmd, argv[0], lang_flags, 2, argc - 1, argv + 1,
                                                 0);
        return code;
}

int nlab_cmd_challenge(struct nlab_cli *cli, int argc, char **argv)
{
        if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
                return nlab_cli_help("challenge") || argc < 1;
        if (!strcmp(argv[0], "start"))
                return challenge_start(cli, argc - 1, argv + 1);
        if (!strcmp(argv[0], "check"))
                return challenge_check(cli, argc - 1, argv + 1);
        if (!strcmp(argv[0], "reset"))
                return challenge_reset(cli, argc - 1, argv + 1);
        if (!strcmp(argv[0], "ls"))
                return challenge_ls(argc - 1, argv + 1);
        return nlab_cli_unknown_command("challenge", argv[0]);
}
