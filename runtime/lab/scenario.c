/* The .lab parser: lines into steps, every check done before a runner sees the file. */
#include "runtime/lab/scenario.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/cidr.h"
#include "runtime/base/linkspec.h"
#include "runtime/net/external.h"
#include "runtime/net/hostsfile.h"

#define MAX_TOKENS 256

struct token {
        char *s;
        unsigned col;   /* 1-based byte column of its first character */
        unsigned width; /* bytes it spans in the source, quotes included */
};

struct pctx {
        const char *file;
        unsigned lineno;
        const char *line; /* this line, not NUL-terminated */
        size_t len;
        struct nlab_err *err;
        const struct nlab_grammar *g;
        struct nlab_scenario *s;
        struct nlab_strv containers; /* names given with --name so far */
        struct nlab_strv externals;
        struct token tok[MAX_TOKENS];
        size_t ntok;
        enum { PREV_OTHER, PREV_TITLE, PREV_NOTE } prev; /* a .zh line may follow these */
};

/* "FILE:LINE:COL: error: MSG", the line, and ^~~~ under the bad part (nftables' erec style). */
static int fail_at(struct pctx *c, unsigned col, unsigned width, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(struct pctx *c, unsigned col, unsigned width, const char *fmt, ...)
{
        char msg[384], shown[256], caret[260];
        size_t n = c->len < sizeof(shown) - 1 ? c->len : sizeof(shown) - 1;
        size_t i, at;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        for (i = 0; i < n; i++)
                shown[i] = c->line[i] == '\t' ? ' ' : c->line[i];
        shown[n] = '\0';
        at = col ? col - 1 : 0;
        if (at > n)
                at = n;
        if (width == 0)
                width = 1;
        memset(caret, ' ', at);
        caret[at] = '^';
        for (i = 1; i < width && at + i < sizeof(caret) - 1; i++)
                caret[at + i] = '~';
        caret[at + i] = '\0';
        return nlab_err_set(c->err, NLAB_E_INVALID, "%s:%u:%u: error: %s\n%s\n%s", c->file,
                            c->lineno, col ? col : 1, msg, shown, caret);
}

static int fail_tok(struct pctx *c, size_t i, const char *fmt, const char *arg)
{
        if (i >= c->ntok) {
                unsigned end = (unsigned)c->len + 1;
                while (end > 1 && (c->line[end - 2] == ' ' || c->line[end - 2] == '\t'))
                        end--;
                return fail_at(c, end, 1, fmt, arg);
        }
        return fail_at(c, c->tok[i].col, c->tok[i].width, fmt, arg);
}

/* fail_tok with a formatted message. */
static int fail_at_tok(struct pctx *c, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at_tok(struct pctx *c, size_t i, const char *fmt, ...)
{
        char msg[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return fail_tok(c, i, "%s", msg);
}

static void free_tokens(struct pctx *c)
{
        size_t i;

        for (i = 0; i < c->ntok; i++)
                free(c->tok[i].s);
        c->ntok = 0;
}

/* One word: quotes ('...', "...") and backslash escapes as a shell reads them. Returns the index
 * after it, or 0 on an unterminated quote. */
static size_t lex_word(struct pctx *c, size_t i, char *out)
{
        size_t o = 0;
        char q = 0;

        while (i < c->len) {
                char ch = c->line[i];
                if (!q && (ch == ' ' || ch == '\t'))
                        break;
                if (!q && (ch == '\'' || ch == '"')) {
                        q = ch;
                } else if (q && ch == q) {
                        q = 0;
                } else if (ch == '\\' && q != '\'' && i + 1 < c->len) {
                        out[o++] = c->line[++i];
                } else {
                        out[o++] = ch;
                }
                i++;
        }
        out[o] = '\0';
        return q ? 0 : i;
}

/* title, note, or a language variant of one (note.zh). */
static bool is_text_directive(const char *w)
{
        size_t n = strcspn(w, ".");

        return (n == 5 && !strncmp(w, "title", 5)) || (n == 4 && !strncmp(w, "note", 4));
}

/* Split the line into words; a '#' at the start of a word begins a comment. */
static int tokenize(struct pctx *c)
{
        size_t i = 0;

        while (i < c->len) {
                size_t start, end;
                char *w;
                if (c->line[i] == ' ' || c->line[i] == '\t') {
                        i++;
                        continue;
                }
                if (c->line[i] == '#')
                        break;
                if (c->ntok == MAX_TOKENS)
                        return fail_at(c, (unsigned)i + 1, 1, "too many words on one line");
                start = i;
                w = malloc(c->len - i + 1);
                if (!w)
                        return nlab_err_sys(c->err, 12, "scenario %s", c->file);
                end = lex_word(c, i, w);
                if (!end) {
                        free(w);
                        return fail_at(c, (unsigned)start + 1, 1, "unterminated quote");
                }
                c->tok[c->ntok].s = w;
                c->tok[c->ntok].col = (unsigned)start + 1;
                c->tok[c->ntok].width = (unsigned)(end - start);
                c->ntok++;
                i = end;
                /* narration is plain text: "the host's" must not open a quote */
                if (c->ntok == 1 && is_text_directive(w))
                        break;
        }
        return 0;
}

/* The text after token k up to a comment, trimmed: notes keep their apostrophes as written. */
static char *rest_of_line(struct pctx *c, size_t k)
{
        size_t a = c->tok[k].col - 1 + c->tok[k].width, b;
        char *t;

        while (a < c->len && (c->line[a] == ' ' || c->line[a] == '\t'))
                a++;
        for (b = a; b < c->len; b++)
                if (c->line[b] == '#' &&
                    (b == a || (c->line[b - 1] == ' ' || c->line[b - 1] == '\t')))
                        break;
        while (b > a && (c->line[b - 1] == ' ' || c->line[b - 1] == '\t'))
                b--;
        t = strndup(c->line + a, b - a);
        return t;
}

static char *source_text(struct pctx *c)
{
        const struct token *last = &c->tok[c->ntok - 1];
        size_t a = c->tok[0].col - 1, b = last->col - 1 + last->width;

        return strndup(c->line + a, b - a);
}

static bool strv_has(const struct nlab_strv *sv, const char *s)
{
        size_t i;

        for (i = 0; i < sv->n; i++)
                if (!strcmp(sv->v[i], s))
                        return true;
        return false;
}

static struct nlab_step *new_step(struct pctx *c, enum nlab_step_kind kind)
{
        struct nlab_scenario *s = c->s;
        struct nlab_step *st, *grown;

        grown = realloc(s->steps, (s->nsteps + 1) * sizeof(*s->steps));
        if (!grown)
                return NULL;
        s->steps = grown;
        st = &s->steps[s->nsteps++];
        memset(st, 0, sizeof(*st));
        st->kind = kind;
        st->line = c->lineno;
        return st;
}

/* Copy tokens [from, to) into a NULL-terminated argv. */
static char **copy_argv(struct pctx *c, size_t from, size_t to)
{
        char **v = calloc(to - from + 1, sizeof(*v));
        size_t i;

        if (!v)
                return NULL;
        for (i = from; i < to; i++)
                v[i - from] = strdup(c->tok[i].s);
        return v;
}

static int oom(struct pctx *c)
{
        return nlab_err_sys(c->err, 12, "scenario %s", c->file);
}

/* ---- netlab commands ---- */

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
                        fail_at_tok(c, 1, "%s: missing subcommand (%s)", name, subs);
                        return NULL;
                }
                cmd = nlab_grammar_find(c->g, name, c->tok[1].s);
                if (!cmd)
                        fail_at_tok(c, 1, "unknown %s subcommand \"%s\" (%s)", name, c->tok[1].s,
                                    subs);
                *first_arg = 2;
                return cmd;
        }
        cmd = nlab_grammar_find(c->g, name, NULL);
        *first_arg = 1;
        if (cmd)
                return cmd;
        if (!strcmp(name, "scenario"))
                fail_tok(c, 0, "%s: a scenario cannot run scenarios", name);
        else
                fail_tok(c, 0,
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
                                return fail_tok(c, i, "%s", err.msg);
                        if (!strv_has(&c->containers, ctr))
                                return fail_at_tok(c, i,
                                                   "unknown container \"%s\": name it with --name "
                                                   "on an earlier run or create line",
                                                   ctr);
                        continue;
                }
                if (t[1] != '-' || !strcmp(t, "--help") || strcmp(sh->sub, "set"))
                        return fail_tok(c, i, "%s: not here (--rate, --delay, --jitter, --loss)",
                                        t);
                eq = strchr(t, '=');
                snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - t - 2 : (long)strlen(t) - 2),
                         t + 2);
                if (!nlab_grammar_takes_value(sh, name))
                        return fail_tok(c, i, "unknown flag %s (--rate, --delay, --jitter, --loss)",
                                        t);
                if (!eq)
                        vi = ++i; /* parse_command checked that the value is there */
                if (nlab_linkcond_set(&lc, name, eq ? eq + 1 : c->tok[vi].s, &err) < 0)
                        return fail_tok(c, vi, "%s", err.msg);
        }
        if (!strcmp(sh->sub, "set") && nlab_linkcond_check(&lc, &err) < 0)
                return fail_tok(c, 0, "%s", err.msg);
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
                return fail_at_tok(c, cmd ? cmd : c->ntok - 1,
                                   "run -it with a shell in the foreground waits for someone to "
                                   "type, and a scenario has no one: start it in the background "
                                   "(run -itd --name NAME busybox), then one line per command "
                                   "(exec NAME ping -c 1 OTHER)");
        return fail_at_tok(c, cmd,
                           "exec -it into a shell waits for someone to type, and a scenario has "
                           "no one: write each command you would type as a line of its own "
                           "(exec %s ping -c 1 OTHER); for a shell in the lab, press s under "
                           "scenario run --step",
                           c->tok[cmd - 1].s);
}

static int parse_command(struct pctx *c)
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
                                        return fail_tok(c, i, "flag %s needs a value", t);
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
                        return fail_at(c, c->tok[c->ntok - 1].col + c->tok[c->ntok - 1].width, 1,
                                       "%s: not enough arguments (%s)", what, sh->usage);
                return fail_at(c, c->tok[last_pos].col, c->tok[last_pos].width,
                               "%s: too many arguments (%s)", what, sh->usage);
        }
        st = new_step(c, NLAB_STEP_COMMAND);
        if (!st)
                return oom(c);
        st->argv = copy_argv(c, 0, c->ntok);
        st->argc = c->ntok;
        st->text = source_text(c);
        return st->argv && st->text ? 0 : oom(c);
}

/* ---- directives ---- */

/* "note.zh TEXT" right after a note (or title.zh after the title): its Chinese variant. */
static int parse_variant(struct pctx *c, int prev)
{
        const char *w = c->tok[0].s;
        bool title = w[0] == 't';
        char **slot;
        char *text;

        if (strcmp(strchr(w, '.'), ".zh"))
                return fail_tok(c, 0, "%s: unknown language (a variant is title.zh or note.zh)", w);
        if (prev != (title ? PREV_TITLE : PREV_NOTE))
                return fail_at_tok(c, 0, "%s: goes on the line right after the %s it translates", w,
                                   title ? "title" : "note");
        text = rest_of_line(c, 0);
        if (!text)
                return oom(c);
        if (!text[0]) {
                free(text);
                return fail_tok(c, 1, "%s: missing text", w);
        }
        slot = title ? &c->s->title_zh : &c->s->steps[c->s->nsteps - 1].text_zh;
        *slot = text;
        return 0;
}

static int parse_text_directive(struct pctx *c, int prev)
{
        struct nlab_step *st;
        char *text;

        if (strchr(c->tok[0].s, '.'))
                return parse_variant(c, prev);
        text = rest_of_line(c, 0);
        if (!text)
                return oom(c);
        if (!text[0]) {
                free(text);
                return fail_tok(c, 1, "%s: missing text", c->tok[0].s);
        }
        if (!strcmp(c->tok[0].s, "title")) {
                if (c->s->title) {
                        free(text);
                        return fail_tok(c, 0, "%s: the file already has a title", "title");
                }
                c->s->title = text;
                c->prev = PREV_TITLE;
                return 0;
        }
        st = new_step(c, NLAB_STEP_NOTE);
        if (!st) {
                free(text);
                return oom(c);
        }
        st->text = text;
        c->prev = PREV_NOTE;
        return 0;
}

/* "A.B.C.D/N" with N from min_prefix to max_prefix. */
static bool valid_cidr(const char *s, unsigned min_prefix, unsigned max_prefix)
{
        struct nlab_subnet sn;

        return nlab_cidr_parse(s, &sn, NULL) == 0 && sn.prefix >= min_prefix &&
               sn.prefix <= max_prefix;
}

static int parse_external(struct pctx *c)
{
        struct nlab_step *st;
        const char *subnet = NULL;
        struct nlab_subnet sn;
        struct nlab_err err;

        if (c->ntok < 2)
                return fail_tok(c, 1, "%s: missing the host's name", "external");
        if (nlab_external_name_check(c->tok[1].s, &err) < 0) /* the CLI's rule too */
                return fail_tok(c, 1, "%s", err.msg);
        if (!strcmp(c->tok[1].s, "host") || strv_has(&c->externals, c->tok[1].s) ||
            strv_has(&c->containers, c->tok[1].s))
                return fail_tok(c, 1, "the name \"%s\" is already taken", c->tok[1].s);
        if (c->ntok == 4 && !strcmp(c->tok[2].s, "--subnet")) {
                if (nlab_external_subnet_parse(c->tok[3].s, 0, &sn, &err) < 0)
                        return fail_tok(c, 3, "%s", err.msg);
                subnet = c->tok[3].s;
        } else if (c->ntok != 2) {
                return fail_tok(c, 2, "%s: only --subnet CIDR may follow the name", "external");
        }
        st = new_step(c, NLAB_STEP_EXTERNAL);
        if (!st || nlab_strv_push(&c->externals, c->tok[1].s) < 0)
                return oom(c);
        st->argv = calloc(3, sizeof(char *));
        if (!st->argv)
                return oom(c);
        st->argv[0] = strdup(c->tok[1].s);
        st->argv[1] = subnet ? strdup(subnet) : NULL;
        st->argc = 2;
        st->text = source_text(c);
        return 0;
}

static bool is_ipv4(const char *s)
{
        struct in_addr a;

        return inet_pton(AF_INET, s, &a) == 1;
}

/* A: host, an external host or a container named earlier with --name. */
static int check_party(struct pctx *c, size_t i, bool allow_ip, bool allow_outside)
{
        const char *n = c->tok[i].s;

        if (allow_ip && is_ipv4(n))
                return 0;
        if (!strcmp(n, "host") || strv_has(&c->externals, n)) {
                if (allow_outside)
                        return 0;
                return fail_at_tok(c, i,
                                   "\"%s\" is not a container: exec runs inside one; to look at "
                                   "the lab host (the notes' brctl show, ip link), check it "
                                   "(expect host has-interface netlab0) or press s under "
                                   "scenario run --step for a shell there",
                                   n);
        }
        if (strv_has(&c->containers, n))
                return 0;
        return fail_tok(c, i,
                        "unknown name \"%s\": not host, an external host, or a container named "
                        "with --name on an earlier line",
                        n);
}

static int parse_port(struct pctx *c, size_t i, char *colon, struct nlab_expect *ex)
{
        char *slash = strchr(colon + 1, '/'), *end;
        unsigned long p;

        if (slash) {
                if (!strcmp(slash + 1, "tcp"))
                        ex->proto = NLAB_PROTO_TCP;
                else if (!strcmp(slash + 1, "udp"))
                        ex->proto = NLAB_PROTO_UDP;
                else
                        return fail_tok(c, i, "protocol in \"%s\": tcp or udp", c->tok[i].s);
                *slash = '\0';
        } else {
                ex->proto = NLAB_PROTO_TCP;
        }
        p = strtoul(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535 || colon[1] == '-' || colon[1] == '+')
                return fail_tok(c, i, "port in \"%s\": a number from 1 to 65535", c->tok[i].s);
        ex->port = (unsigned)p;
        *colon = '\0';
        return 0;
}

static int parse_reach(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        char *colon;

        if (c->ntok < v + 2)
                return fail_tok(c, v + 1, "%s: missing the target (B[:PORT[/tcp|udp]])",
                                c->tok[v].s);
        if (c->ntok == v + 4 && !strcmp(c->tok[v + 2].s, "via") &&
            !strcmp(c->tok[v + 3].s, "host")) {
                ex->via_host = true;
                if (!strchr(c->tok[v + 1].s, ':'))
                        return fail_tok(c, v + 1, "\"%s\": via host needs the container's port",
                                        c->tok[v + 1].s);
        } else if (c->ntok > v + 2) {
                return fail_tok(c, v + 2, "%s: too many arguments (only \"via host\" may follow)",
                                c->tok[v].s);
        }
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return oom(c);
        colon = strrchr(ex->target, ':');
        ex->proto = NLAB_PROTO_ICMP;
        if (colon && parse_port(c, v + 1, colon, ex) < 0)
                return -1;
        if (!ex->target[0])
                return fail_tok(c, v + 1, "missing the target before \"%s\"", c->tok[v + 1].s);
        /* check_party reads the token; check the name without its port */
        free(c->tok[v + 1].s);
        c->tok[v + 1].s = strdup(ex->target);
        if (!c->tok[v + 1].s)
                return oom(c);
        if (ex->via_host && !strv_has(&c->containers, ex->target))
                return fail_tok(c, v + 1, "via host: \"%s\" must be a container", ex->target);
        return check_party(c, v + 1, true, true);
}

/* IPs after '=': "10.0.0.2,10.0.0.3" or split over words. */
static int parse_addr_list(struct pctx *c, size_t from, struct nlab_expect *ex, bool cidr)
{
        size_t i;

        if (from >= c->ntok)
                return fail_tok(c, from, "missing %s after '='", cidr ? "A.B.C.D/N" : "an address");
        for (i = from; i < c->ntok; i++) {
                char *dup = strdup(c->tok[i].s), *save = NULL, *p;
                if (!dup)
                        return oom(c);
                for (p = strtok_r(dup, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                        bool ok = cidr ? valid_cidr(p, 0, 32) : is_ipv4(p);
                        char **grown;
                        if (!ok || (cidr && ex->naddrs)) {
                                free(dup);
                                return fail_tok(c, i,
                                                cidr ? "\"%s\": want one A.B.C.D/N"
                                                     : "\"%s\": want IPv4 addresses separated "
                                                       "by commas",
                                                c->tok[i].s);
                        }
                        grown = realloc(ex->addrs, (ex->naddrs + 1) * sizeof(char *));
                        if (!grown) {
                                free(dup);
                                return oom(c);
                        }
                        ex->addrs = grown;
                        ex->addrs[ex->naddrs++] = strdup(p);
                }
                free(dup);
        }
        return 0;
}

static int parse_resolves(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        bool positive = ex->kind == NLAB_EXPECT_RESOLVES;

        if (c->ntok < v + 2)
                return fail_tok(c, v + 1, "%s: missing the name to look up", c->tok[v].s);
        if (check_party(c, v - 1, false, true) < 0)
                return -1;
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return oom(c);
        if (c->ntok == v + 2)
                return 0;
        if (!positive)
                return fail_tok(c, v + 2, "%s: too many arguments", c->tok[v].s);
        if (strcmp(c->tok[v + 2].s, "="))
                return fail_tok(c, v + 2, "expected '=' before the addresses, got \"%s\"",
                                c->tok[v + 2].s);
        return parse_addr_list(c, v + 3, ex, false);
}

static int parse_has_interface(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        if (c->ntok < v + 2)
                return fail_tok(c, v + 1, "%s: missing the interface name", c->tok[v].s);
        if (strlen(c->tok[v + 1].s) > 15)
                return fail_tok(c, v + 1, "interface name \"%s\": at most 15 characters",
                                c->tok[v + 1].s);
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return oom(c);
        if (c->ntok == v + 2)
                return 0;
        if (strcmp(c->tok[v + 2].s, "="))
                return fail_tok(c, v + 2, "expected '=' before the address, got \"%s\"",
                                c->tok[v + 2].s);
        return parse_addr_list(c, v + 3, ex, true);
}

/* "-> exit N" or "-> output contains TEXT..." from token i (just after the arrow) to end. */
static int parse_exec_clause(struct pctx *c, size_t i, size_t end, struct nlab_expect *ex)
{
        if (i < end && !strcmp(c->tok[i].s, "exit")) {
                char *e;
                long n;
                if (i + 2 != end)
                        return fail_tok(c, i + 1 < end ? i + 2 : i, "%s: want -> exit N (0 to 255)",
                                        "exec");
                n = strtol(c->tok[i + 1].s, &e, 10);
                if (!c->tok[i + 1].s[0] || *e || n < 0 || n > 255)
                        return fail_tok(c, i + 1, "exit status \"%s\": a number from 0 to 255",
                                        c->tok[i + 1].s);
                ex->exit_code = (int)n;
                return 0;
        }
        if (i + 1 < end && !strcmp(c->tok[i].s, "output") && !strcmp(c->tok[i + 1].s, "contains")) {
                size_t k, total = 1;
                if (i + 2 >= end)
                        return fail_tok(c, i + 1, "%s: missing the text to look for",
                                        "output contains");
                for (k = i + 2; k < end; k++)
                        total += strlen(c->tok[k].s) + 1;
                free(ex->contains);
                ex->contains = calloc(1, total);
                if (!ex->contains)
                        return oom(c);
                for (k = i + 2; k < end; k++) {
                        if (k > i + 2)
                                strcat(ex->contains, " ");
                        strcat(ex->contains, c->tok[k].s);
                }
                return 0;
        }
        return fail_tok(c, i, "after '->': \"exit N\" or \"output contains TEXT\", not \"%s\"",
                        i < end ? c->tok[i].s : "");
}

static int parse_exec(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        size_t i, cmd_end = c->ntok;

        if (check_party(c, v - 1, false, false) < 0)
                return -1;
        for (i = v + 1; i < c->ntok; i++)
                if (!strcmp(c->tok[i].s, "->")) {
                        cmd_end = i;
                        break;
                }
        if (cmd_end == v + 1)
                return fail_tok(c, v + 1, "%s: missing the command to run", "exec");
        ex->argv = copy_argv(c, v + 1, cmd_end);
        ex->argc = cmd_end - v - 1;
        if (!ex->argv)
                return oom(c);
        while (i < c->ntok) {
                size_t next = i + 1;
                while (next < c->ntok && strcmp(c->tok[next].s, "->"))
                        next++;
                if (parse_exec_clause(c, i + 1, next, ex) < 0)
                        return -1;
                i = next;
        }
        return 0;
}

static const char *const verbs[] = {
    [NLAB_EXPECT_REACHES] = "reaches",   [NLAB_EXPECT_CANNOT_REACH] = "cannot-reach",
    [NLAB_EXPECT_RESOLVES] = "resolves", [NLAB_EXPECT_CANNOT_RESOLVE] = "cannot-resolve",
    [NLAB_EXPECT_EXEC] = "exec",         [NLAB_EXPECT_HAS_INTERFACE] = "has-interface",
    [NLAB_EXPECT_CAPTURE] = "capture",
};

const char *nlab_expect_verb(enum nlab_expect_kind kind)
{
        return verbs[kind];
}

static int parse_expect_checks(struct pctx *c, struct nlab_expect *ex);

/* "... because REASON" at the end of a negative check: REASON from the table, with the nearest
 * name when it is not one. Returns the index of "because", or ntok when there is none. */
static int parse_because(struct pctx *c, struct nlab_expect *ex, size_t *at)
{
        const char *near;
        char all[512];
        size_t i;

        for (i = 3; i < c->ntok && strcmp(c->tok[i].s, "because"); i++)
                ;
        *at = i;
        if (i == c->ntok)
                return 0;
        if (ex->kind != NLAB_EXPECT_CANNOT_REACH && ex->kind != NLAB_EXPECT_CANNOT_RESOLVE)
                return fail_tok(c, i, "\"%s\": only cannot-reach and cannot-resolve give a reason",
                                "because");
        if (ex->xfail)
                return fail_tok(c, i, "\"%s\": not with expect-fail (a claim meant to be false)",
                                "because");
        nlab_reason_list(all, sizeof(all));
        if (i + 1 == c->ntok)
                return fail_at_tok(c, i + 1, "because: missing the reason (%s)", all);
        if (i + 2 < c->ntok)
                return fail_tok(c, i + 2,
                                "because: one reason only, then the line ends, not \"%s\"",
                                c->tok[i + 2].s);
        if (nlab_reason_parse(c->tok[i + 1].s, &ex->because) == 0)
                return 0;
        near = nlab_reason_suggest(c->tok[i + 1].s);
        if (near)
                return fail_at_tok(c, i + 1, "unknown reason \"%s\" (did you mean \"%s\"?)",
                                   c->tok[i + 1].s, near);
        return fail_at_tok(c, i + 1, "unknown reason \"%s\" (one of: %s)", c->tok[i + 1].s, all);
}

/* The check's own words, with any "because REASON" set aside. */
static int parse_check(struct pctx *c, struct nlab_expect *ex)
{
        size_t at, ntok = c->ntok;
        int r;

        if (parse_because(c, ex, &at) < 0)
                return -1;
        c->ntok = at;
        r = parse_expect_checks(c, ex);
        c->ntok = ntok;
        return r;
}

/* The step an `expect capture` watches: the last one before it that is not a note or another
 * capture check. */
static int watch_previous(struct pctx *c)
{
        size_t i = c->s->nsteps;

        while (i > 0) {
                struct nlab_step *st = &c->s->steps[--i];

                if (st->kind == NLAB_STEP_NOTE ||
                    (st->kind == NLAB_STEP_EXPECT && st->ex.kind == NLAB_EXPECT_CAPTURE))
                        continue;
                if (st->watchers == NLAB_EXPECT_CAPTURES_MAX)
                        return fail_tok(c, 0, "at most %s expect capture lines per step", "8");
                st->watchers++;
                return 0;
        }
        return fail_tok(c, 1, "%s",
                        "expect capture: no step before it to capture during (it checks the "
                        "packets seen while the line above it runs)");
}

/* from/to NAME: a container, an external host or an IPv4 address (host has many addresses). */
static int capture_party(struct pctx *c, size_t i, char **out)
{
        if (i >= c->ntok)
                return fail_tok(c, i, "%s: missing the name", c->tok[i - 1].s);
        if (*out)
                return fail_tok(c, i - 1, "\"%s\" given twice", c->tok[i - 1].s);
        if (!strcmp(c->tok[i].s, "host"))
                return fail_tok(c, i, "%s",
                                "\"host\" has an address on every network: name the address");
        if (check_party(c, i, true, true) < 0)
                return -1;
        *out = strdup(c->tok[i].s);
        return *out ? 0 : oom(c);
}

/* expect capture on TARGET contains|lacks PROTO [WHAT [NAME]] [from NAME] [to NAME] */
static int parse_capture(struct pctx *c, struct nlab_expect *ex)
{
        size_t end, i, bad, len = 1;
        char why[256], **words;
        int r;

        ex->kind = NLAB_EXPECT_CAPTURE;
        if (c->ntok < 4)
                return fail_tok(c, 3, "%s",
                                "expect capture on: missing the target (CONTAINER[/IFACE], a "
                                "network or an external host)");
        if (c->ntok < 5 || (strcmp(c->tok[4].s, "contains") && strcmp(c->tok[4].s, "lacks")))
                return fail_tok(c, 4, "expect capture on %s: then \"contains\" or \"lacks\"",
                                c->tok[3].s);
        ex->lacks = !strcmp(c->tok[4].s, "lacks");
        ex->subject = strdup(c->tok[3].s);
        if (!ex->subject)
                return oom(c);
        for (end = 5; end < c->ntok; end++)
                if (!strcmp(c->tok[end].s, "from") || !strcmp(c->tok[end].s, "to"))
                        break;
        words = calloc(end - 5 + 1, sizeof(*words));
        if (!words)
                return oom(c);
        for (i = 5; i < end; i++)
                words[i - 5] = c->tok[i].s;
        r = nlab_pkt_pattern_parse(words, end - 5, &ex->pattern, &bad, why, sizeof(why));
        free(words);
        if (r < 0)
                return fail_tok(c, 5 + bad, "%s", why);
        for (i = end; i < c->ntok; i += 2) {
                r = capture_party(c, i + 1, !strcmp(c->tok[i].s, "from") ? &ex->from : &ex->to);
                if (r < 0)
                        return -1;
                if (i + 2 < c->ntok && strcmp(c->tok[i + 2].s, "from") &&
                    strcmp(c->tok[i + 2].s, "to"))
                        return fail_tok(c, i + 2, "unexpected \"%s\" (from NAME or to NAME)",
                                        c->tok[i + 2].s);
        }
        for (i = 5; i < c->ntok; i++)
                len += strlen(c->tok[i].s) + 1;
        ex->target = calloc(1, len);
        if (!ex->target)
                return oom(c);
        for (i = 5; i < c->ntok; i++)
                strcat(strcat(ex->target, i > 5 ? " " : ""), c->tok[i].s);
        return watch_previous(c);
}

static int parse_expect_body(struct pctx *c, struct nlab_expect *ex)
{
        size_t k;

        if (c->ntok < 2)
                return fail_tok(c, 1,
                                "%s: missing the subject (a container, host or an external "
                                "host)",
                                c->tok[0].s);
        if (c->ntok < 3)
                return fail_tok(c, 2,
                                "%s: missing the check (reaches, cannot-reach, resolves, "
                                "cannot-resolve, exec, has-interface)",
                                c->tok[0].s);
        if (!strcmp(c->tok[1].s, "capture") && !strcmp(c->tok[2].s, "on"))
                return parse_capture(c, ex);
        /* capture is "expect capture on ...", never a subject's verb */
        for (k = 0; k < NLAB_EXPECT_CAPTURE; k++)
                if (!strcmp(c->tok[2].s, verbs[k]))
                        break;
        if (k == NLAB_EXPECT_CAPTURE)
                return fail_tok(c, 2,
                                "unknown check \"%s\" (reaches, cannot-reach, resolves, "
                                "cannot-resolve, exec, has-interface)",
                                c->tok[2].s);
        ex->kind = (enum nlab_expect_kind)k;
        ex->subject = strdup(c->tok[1].s);
        if (!ex->subject)
                return oom(c);
        return parse_check(c, ex);
}

static int parse_expect_checks(struct pctx *c, struct nlab_expect *ex)
{
        switch (ex->kind) {
        case NLAB_EXPECT_REACHES:
        case NLAB_EXPECT_CANNOT_REACH:
                return check_party(c, 1, false, true) < 0 ? -1 : parse_reach(c, 2, ex);
        case NLAB_EXPECT_RESOLVES:
        case NLAB_EXPECT_CANNOT_RESOLVE:
                return parse_resolves(c, 2, ex);
        case NLAB_EXPECT_EXEC:
                return parse_exec(c, 2, ex);
        case NLAB_EXPECT_HAS_INTERFACE:
                return check_party(c, 1, false, true) < 0 ? -1 : parse_has_interface(c, 2, ex);
        case NLAB_EXPECT_CAPTURE:
                break;
        }
        return 0;
}

static void expect_free(struct nlab_expect *ex)
{
        size_t i;

        free(ex->subject);
        free(ex->target);
        for (i = 0; i < ex->naddrs; i++)
                free(ex->addrs[i]);
        free(ex->addrs);
        for (i = 0; ex->argv && ex->argv[i]; i++)
                free(ex->argv[i]);
        free(ex->argv);
        free(ex->contains);
        free(ex->from);
        free(ex->to);
        memset(ex, 0, sizeof(*ex));
}

static int parse_expect(struct pctx *c)
{
        struct nlab_expect ex;
        struct nlab_step *st;

        memset(&ex, 0, sizeof(ex));
        ex.xfail = !strcmp(c->tok[0].s, "expect-fail");
        if (parse_expect_body(c, &ex) < 0) {
                expect_free(&ex);
                return -1;
        }
        st = new_step(c, NLAB_STEP_EXPECT);
        if (!st) {
                expect_free(&ex);
                return oom(c);
        }
        st->ex = ex;
        st->text = source_text(c);
        c->s->nexpect++;
        return st->text ? 0 : oom(c);
}

/* `link CONTAINER[/IFACE] --rate ...` is `link set ...`: the word is put in, and the runner
 * shows and runs the command a student would type. */
static int parse_link_directive(struct pctx *c)
{
        struct nlab_step *st;
        char *set = strdup("set"), *text;
        size_t i, len = 0;

        if (!set)
                return oom(c);
        if (c->ntok == MAX_TOKENS) {
                free(set);
                return fail_tok(c, c->ntok - 1, "%s", "too many words on one line");
        }
        memmove(&c->tok[2], &c->tok[1], (c->ntok - 1) * sizeof(c->tok[0]));
        c->tok[1] = (struct token){set, c->tok[2].col, 0};
        c->ntok++;
        if (parse_command(c) < 0)
                return -1;
        st = &c->s->steps[c->s->nsteps - 1];
        for (i = 0; i < st->argc; i++)
                len += strlen(st->argv[i]) + 1;
        text = calloc(1, len);
        if (!text)
                return oom(c);
        for (i = 0; i < st->argc; i++)
                strcat(strcat(text, i ? " " : ""), st->argv[i]);
        free(st->text);
        st->text = text;
        return 0;
}

static int parse_line(struct pctx *c)
{
        const char *w;
        int prev = c->prev;

        if (tokenize(c) < 0)
                return -1;
        if (c->ntok == 0)
                return 0;
        w = c->tok[0].s;
        c->prev = PREV_OTHER;
        if (is_text_directive(w))
                return parse_text_directive(c, prev);
        if (!strcmp(w, "external"))
                return parse_external(c);
        if (!strcmp(w, "expect") || !strcmp(w, "expect-fail"))
                return parse_expect(c);
        if (!strcmp(w, "netlab"))
                return fail_tok(c, 0, "write the command without the word \"%s\"", w);
        if (!strcmp(w, "link") && c->ntok > 1 && !nlab_grammar_find(c->g, w, c->tok[1].s))
                return parse_link_directive(c);
        return parse_command(c);
}

static void step_free(struct nlab_step *st)
{
        size_t i;

        free(st->text);
        free(st->text_zh);
        for (i = 0; i < st->argc; i++)
                free(st->argv[i]);
        free(st->argv);
        expect_free(&st->ex);
}

void nlab_scenario_free(struct nlab_scenario *s)
{
        size_t i;

        if (!s)
                return;
        for (i = 0; i < s->nsteps; i++)
                step_free(&s->steps[i]);
        free(s->steps);
        free(s->file);
        free(s->title);
        free(s->title_zh);
        memset(s, 0, sizeof(*s));
}

int nlab_scenario_parse(const char *file, const char *text, size_t len,
                        const struct nlab_grammar *g, struct nlab_scenario *out,
                        struct nlab_err *err)
{
        struct pctx c;
        size_t pos = 0;
        int r = 0;

        assert(file && (text || !len) && g && out);
        memset(out, 0, sizeof(*out));
        memset(&c, 0, sizeof(c));
        c.file = file;
        c.err = err;
        c.g = g;
        c.s = out;
        out->file = strdup(file);
        if (!out->file)
                return nlab_err_sys(err, 12, "scenario %s", file);
        while (pos < len && r == 0) {
                const char *nlp = memchr(text + pos, '\n', len - pos);
                size_t end = nlp ? (size_t)(nlp - text) : len;
                c.lineno++;
                c.line = text + pos;
                c.len = end - pos;
                if (c.len && c.line[c.len - 1] == '\r')
                        c.len--;
                if (memchr(c.line, '\0', c.len))
                        r = fail_at(&c, 1, 1, "a NUL byte: this is not a text file");
                else
                        r = parse_line(&c);
                free_tokens(&c);
                pos = end + 1;
        }
        nlab_strv_free(&c.containers);
        nlab_strv_free(&c.externals);
        if (r < 0) {
                nlab_scenario_free(out);
                return -1;
        }
        return 0;
}
