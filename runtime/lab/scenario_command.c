/* A netlab command line in a .lab file, checked against the CLI's own grammar: the command and
 * its subcommand, flags that take a value, the argument count, `link` values, no shell waiting
 * for someone to type; and the `link CONTAINER ...` directive, which is `link set`. */
#include "runtime/lab/scenario_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/linkspec.h"

/* Is token t a flag that consumes the next token as its value? */
static bool consumes_next(const struct nlab_cmd_grammar *cmd, const char *t)
{
        size_t n;

        if (t[1] == '-')
                return !strchr(t, '=') && nlab_grammar_takes_value(cmd, t + 2);
        /* -dit: only the last letter can take the value; -p8080:80 carries it glued */
        n = strlen(t);
        for (size_t k = 1; k < n; k++) {
                char one[2] = {t[k], 0};
                if (nlab_grammar_takes_value(cmd, one))
                        return k == n - 1;
        }
        return false;
}

/* "create, ls, ..." : the subcommands of name, for a message. */
static void list_subs(const struct nlab_grammar *g, const char *name, char *buf, size_t size)
{
        size_t i, len = 0;

        buf[0] = '\0';
        for (i = 0; i < g->n && len < size; i++)
                if (g->cmds[i].sub && !strcmp(g->cmds[i].name, name))
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                                g->cmds[i].sub);
}

static bool has_subs(const struct nlab_grammar *g, const char *name)
{
        size_t i;

        for (i = 0; i < g->n; i++)
                if (g->cmds[i].sub && !strcmp(g->cmds[i].name, name))
                        return true;
        return false;
}

static const struct nlab_cmd_grammar *find_command(struct pctx *c, size_t *first_arg)
{
        const char *name = c->tok[0].s;
        const struct nlab_cmd_grammar *cmd;
        char subs[256];

        if (has_subs(c->g, name)) {
                list_subs(c->g, name, subs, sizeof(subs));
                if (c->ntok < 2) {
                        scn_fail_at_tok(c, 1, "%s: missing subcommand (%s)", name, subs);
                        return NULL;
                }
                cmd = nlab_grammar_find(c->g, name, c->tok[1].s);
                if (!cmd)
                        scn_fail_at_tok(c, 1, "unknown %s subcommand \"%s\" (%s)", name,
                                        c->tok[1].s, subs);
                *first_arg = 2;
                return cmd;
        }
        cmd = nlab_grammar_find(c->g, name, NULL);
        *first_arg = 1;
        if (cmd)
                return cmd;
        if (!strcmp(name, "scenario"))
                scn_fail_tok(c, 0, "%s: a scenario cannot run scenarios", name);
        else
                scn_fail_tok(c, 0,
                             "unknown directive or netlab command \"%s\" (directives: title, note, "
                             "external, link, expect, expect-fail)",
                             name);
        return NULL;
}

static void remember_name(struct pctx *c, const struct nlab_cmd_grammar *sh, size_t i)
{
        const char *t = c->tok[i].s;

        if (strcmp(sh->name, "run") && strcmp(sh->name, "create"))
                return;
        if (!strcmp(t, "--name") && i + 1 < c->ntok)
                nlab_strv_push(&c->containers, c->tok[i + 1].s);
        else if (!strncmp(t, "--name=", 7))
                nlab_strv_push(&c->containers, t + 7);
}

/* link set|show|reset: the target a container named earlier, the values as `link set` parses
 * them (runtime/base/linkspec.c), so a bad unit stops the file before anything runs. */
static int check_link(struct pctx *c, const struct nlab_cmd_grammar *sh, size_t first)
{
        struct nlab_linkcond lc = {0};
        char ctr[256], iface[16];
        struct nlab_err err;
        size_t i;

        for (i = first; i < c->ntok; i++) {
                const char *t = c->tok[i].s, *eq;
                char name[32];
                size_t vi = i;
                if (t[0] != '-') {
                        if (nlab_link_target_parse(t, ctr, sizeof(ctr), iface, sizeof(iface),
                                                   &err) < 0)
                                return scn_fail_tok(c, i, "%s", err.msg);
                        if (!scn_strv_has(&c->containers, ctr))
                                return scn_fail_at_tok(
                                    c, i,
                                    "unknown container \"%s\": name it with --name "
                                    "on an earlier run or create line",
                                    ctr);
                        continue;
                }
                if (t[1] != '-' || !strcmp(t, "--help") || strcmp(sh->sub, "set"))
                        return scn_fail_tok(c, i,
                                            "%s: not here (--rate, --delay, --jitter, --loss)", t);
                eq = strchr(t, '=');
                snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - t - 2 : (long)strlen(t) - 2),
                         t + 2);
                if (!nlab_grammar_takes_value(sh, name))
                        return scn_fail_tok(
                            c, i, "unknown flag %s (--rate, --delay, --jitter, --loss)", t);
                if (!eq)
                        vi = ++i; /* scn_parse_command checked that the value is there */
                if (nlab_linkcond_set(&lc, name, eq ? eq + 1 : c->tok[vi].s, &err) < 0)
                        return scn_fail_tok(c, vi, "%s", err.msg);
        }
        if (!strcmp(sh->sub, "set") && nlab_linkcond_check(&lc, &err) < 0)
                return scn_fail_tok(c, 0, "%s", err.msg);
        return 0;
}

static bool is_shell(const char *w)
{
        const char *base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;

        return !strcmp(base, "sh") || !strcmp(base, "ash") || !strcmp(base, "bash");
}

/* Sets *in and *detached from one flag token: -i, -t, -d, long or as letters in -itd. */
static void interactive_flags(const struct nlab_cmd_grammar *sh, const char *t, bool *in,
                              bool *detached)
{
        if (t[1] == '-') {
                *in |= !strcmp(t, "--interactive") || !strcmp(t, "--tty");
                *detached |= !strcmp(t, "--detach");
                return;
        }
        for (size_t k = 1; t[k]; k++) {
                char one[2] = {t[k], 0};
                *in |= t[k] == 'i' || t[k] == 't'; /* a shell on a tty waits, too */
                *detached |= t[k] == 'd';
                if (nlab_grammar_takes_value(sh, one))
                        return; /* the rest is its value */
        }
}

/* `exec -it c1 sh`, as course notes write it, is a shell waiting for someone to type, and a
 * scenario has no one: the line would hang until it is killed. Say what to write instead. */
static int check_interactive(struct pctx *c, const struct nlab_cmd_grammar *sh, size_t first)
{
        bool in = false, detached = false, is_run = !strcmp(sh->name, "run");
        size_t i, npos = 0, cmd = 0;

        if (!is_run && strcmp(sh->name, "exec"))
                return 0;
        for (i = first; i < c->ntok && !cmd; i++) {
                const char *t = c->tok[i].s;
                if (t[0] != '-' || !t[1]) {
                        if (++npos == 2)
                                cmd = i;
                        continue;
                }
                interactive_flags(sh, t, &in, &detached);
                if (consumes_next(sh, t))
                        i++;
        }
        if (!in || detached)
                return 0;
        if (cmd ? !is_shell(c->tok[cmd].s) || cmd + 1 < c->ntok : !is_run)
                return 0; /* a command that ends by itself; run IMAGE alone starts its shell */
        if (is_run)
                return scn_fail_at_tok(
                    c, cmd ? cmd : c->ntok - 1,
                    "run -it with a shell in the foreground waits for someone to "
                    "type, and a scenario has no one: start it in the background "
                    "(run -itd --name NAME busybox), then one line per command "
                    "(exec NAME ping -c 1 OTHER)");
        return scn_fail_at_tok(
            c, cmd,
            "exec -it into a shell waits for someone to type, and a scenario has "
            "no one: write each command you would type as a line of its own "
            "(exec %s ping -c 1 OTHER); for a shell in the lab, press s under "
            "scenario run --step",
            c->tok[cmd - 1].s);
}

int scn_parse_command(struct pctx *c)
{
        const struct nlab_cmd_grammar *sh;
        struct nlab_step *st;
        size_t i, first, npos = 0, last_pos = 0;
        bool rest_positional = false;

        sh = find_command(c, &first);
        if (!sh)
                return -1;
        for (i = first; i < c->ntok; i++) {
                const char *t = c->tok[i].s;
                if (!rest_positional && t[0] == '-' && t[1]) {
                        if (!strcmp(t, "--")) {
                                rest_positional = true;
                                continue;
                        }
                        remember_name(c, sh, i);
                        if (consumes_next(sh, t)) {
                                if (i + 1 >= c->ntok)
                                        return scn_fail_tok(c, i, "flag %s needs a value", t);
                                i++;
                        }
                        continue;
                }
                npos++;
                last_pos = i;
                if (sh->rest_is_command && npos == 1) {
                        npos += c->ntok - i - 1;
                        break;
                }
        }
        /* before the count: an unknown flag would count its value as an argument */
        if (!strcmp(sh->name, "link") && check_link(c, sh, first) < 0)
                return -1;
        if (check_interactive(c, sh, first) < 0)
                return -1;
        if ((int)npos < sh->min || (sh->max >= 0 && (int)npos > sh->max)) {
                char what[64];
                snprintf(what, sizeof(what), "%s%s%s", sh->name, sh->sub ? " " : "",
                         sh->sub ? sh->sub : "");
                if ((int)npos < sh->min)
                        return scn_fail_at(c, c->tok[c->ntok - 1].col + c->tok[c->ntok - 1].width,
                                           1, "%s: not enough arguments (%s)", what, sh->usage);
                return scn_fail_at(c, c->tok[last_pos].col, c->tok[last_pos].width,
                                   "%s: too many arguments (%s)", what, sh->usage);
        }
        st = scn_new_step(c, NLAB_STEP_COMMAND);
        if (!st)
                return scn_oom(c);
        st->argv = scn_copy_argv(c, 0, c->ntok);
        st->argc = c->ntok;
        st->text = scn_source_text(c);
        return st->argv && st->text ? 0 : scn_oom(c);
}

/* `link CONTAINER[/IFACE] --rate ...` is `link set ...`: the word is put in, and the runner
 * shows and runs the command a student would type. */
int scn_parse_link_directive(struct pctx *c)
{
        struct nlab_step *st;
        char *set = strdup("set"), *text;
        size_t i, len = 0;

        if (!set)
                return scn_oom(c);
        if (c->ntok == MAX_TOKENS) {
                free(set);
                return scn_fail_tok(c, c->ntok - 1, "%s", "too many words on one line");
        }
        memmove(&c->tok[2], &c->tok[1], (c->ntok - 1) * sizeof(c->tok[0]));
        c->tok[1] = (struct token){set, c->tok[2].col, 0};
        c->ntok++;
        if (scn_parse_command(c) < 0)
                return -1;
        st = &c->s->steps[c->s->nsteps - 1];
        for (i = 0; i < st->argc; i++)
                len += strlen(st->argv[i]) + 1;
        text = calloc(1, len);
        if (!text)
                return scn_oom(c);
        for (i = 0; i < st->argc; i++)
                strcat(strcat(text, i ? " " : ""), st->argv[i]);
        free(st->text);
        st->text = text;
        return 0;
}
