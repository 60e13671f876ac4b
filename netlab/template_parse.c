/* Compile: template text to a tree allocated from one arena (so free is one walk and a
 * half-built tree after a syntax error costs nothing). Tokens come from template_lex.c. */
#include "netlab/template_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum ctx { C_ACTION, C_IF, C_RANGE, C_WITH, C_PAREN };

static const char *const ctx_names[] = {"command", "if", "range", "with", "parenthesized pipeline"};

static int parse_pipeline(struct parser *p, enum ctx ctx, size_t off, struct pipe **out);

static bool var_known(const struct parser *p, const char *s, size_t len)
{
        size_t i = p->nvars;

        while (i-- > 0) {
                if (strlen(p->vars[i]) == len && !memcmp(p->vars[i], s, len))
                        return true;
        }
        return false;
}

static int var_push(struct parser *p, const char *name)
{
        if (p->nvars == p->capvars) {
                size_t cap = p->capvars ? p->capvars * 2 : 16;
                const char **v = realloc(p->vars, cap * sizeof(*v));

                if (!v)
                        return tpl_oom(p);
                p->vars = v;
                p->capvars = cap;
        }
        p->vars[p->nvars++] = name;
        return 0;
}

static int parse_chain(struct parser *p, struct arg *a)
{
        struct field **tail = &a->fields;
        struct token t;

        for (;;) {
                if (tpl_peek(p, &t) < 0)
                        return -1;
                if (t.t != T_FIELD || t.space)
                        return 0;
                if (a->kind != A_FIELD && a->kind != A_VAR && a->kind != A_PIPE)
                        return tpl_perr(p, t.off, "unexpected . after term");
                p->pos = t.off + t.len;
                *tail = tpl_arena_alloc(p->a, sizeof(**tail));
                if (!*tail)
                        return tpl_oom(p);
                (*tail)->name = tpl_arena_strndup(p, p->s + t.off + 1, t.len - 1);
                if (!(*tail)->name)
                        return tpl_oom(p);
                tail = &(*tail)->next;
        }
}

static int parse_ident(struct parser *p, const struct token *t, struct arg *a)
{
        static const char *const keywords[] = {"if",    "else",     "end",   "range",
                                               "with",  "define",   "block", "template",
                                               "break", "continue", NULL};
        const char *const *k;
        char q[200];

        if (tpl_tok_is(p, t, "true") || tpl_tok_is(p, t, "false")) {
                a->kind = A_BOOL;
                a->b = tpl_tok_is(p, t, "true");
                return 0;
        }
        if (tpl_tok_is(p, t, "nil")) {
                a->kind = A_NIL;
                return 0;
        }
        for (k = keywords; *k; k++) {
                if (tpl_tok_is(p, t, *k))
                        return tpl_unexpected(p, t, "operand");
        }
        a->kind = A_FUNC;
        a->fn = tpl_func_lookup(p->s + t->off, t->len);
        if (!a->fn)
                return tpl_perr(p, t->off, "function %s not defined",
                                tpl_quote_src(p->s + t->off, t->len, q, sizeof(q)));
        a->name = a->fn->name;
        return 0;
}

static int parse_term(struct parser *p, const struct token *t, struct arg *a)
{
        char q[200];

        a->off = t->off;
        switch (t->t) {
        case T_DOT:
                a->kind = A_DOT;
                return 0;
        case T_FIELD:
                /* the first field of the chain: rewind so parse_chain reads it */
                a->kind = A_FIELD;
                p->pos = t->off;
                return 0;
        case T_VAR:
                if (!var_known(p, p->s + t->off, t->len))
                        return tpl_perr(p, t->off, "undefined variable %s",
                                        tpl_quote_src(p->s + t->off, t->len, q, sizeof(q)));
                a->kind = A_VAR;
                a->name = tpl_arena_strndup(p, p->s + t->off, t->len);
                return a->name ? 0 : tpl_oom(p);
        case T_LPAREN:
                a->kind = A_PIPE;
                if (++p->depth > MAX_DEPTH)
                        return tpl_perr(p, t->off, "nesting too deep");
                if (parse_pipeline(p, C_PAREN, t->off, &a->pipe) < 0)
                        return -1;
                p->depth--;
                return 0;
        case T_STRING:
        case T_RAW:
                a->kind = A_STRING;
                return tpl_parse_string(p, t, a);
        case T_CHAR:
                return tpl_parse_char(p, t, a);
        case T_NUMBER:
                return tpl_parse_number(p, t, a);
        case T_IDENT:
                return parse_ident(p, t, a);
        default:
                return tpl_unexpected(p, t, "operand");
        }
}

/* Operands up to |, }} or ); *end gets that token. */
static int parse_command(struct parser *p, struct cmd *c, struct token *end)
{
        struct arg **tail = &c->args;
        struct token t;

        for (;;) {
                if (tpl_lex(p, &t) < 0)
                        return -1;
                if (t.t == T_PIPE || t.t == T_RDELIM || t.t == T_RPAREN) {
                        *end = t;
                        return 0;
                }
                if (c->nargs > 0 && !t.space)
                        return tpl_unexpected(p, &t, "operand");
                if (c->nargs == 0)
                        c->off = t.off;
                *tail = tpl_arena_alloc(p->a, sizeof(**tail));
                if (!*tail)
                        return tpl_oom(p);
                if (parse_term(p, &t, *tail) < 0 || parse_chain(p, *tail) < 0)
                        return -1;
                tail = &(*tail)->next;
                c->nargs++;
        }
}

/* `$x :=`, `$x =`, and in range `$k, $v :=`. Leaves p->pos after them, or unmoved. */
static int parse_decl(struct parser *p, enum ctx ctx, struct pipe *pipe)
{
        size_t save = p->pos, i;
        struct token v[2], t;

        if (tpl_lex(p, &v[0]) < 0)
                return -1;
        if (v[0].t != T_VAR)
                goto none;
        if (tpl_lex(p, &t) < 0)
                return -1;
        pipe->ndecl = 1;
        if (t.t == T_COMMA) {
                if (ctx != C_RANGE)
                        return tpl_perr(p, t.off, "too many declarations in %s", ctx_names[ctx]);
                if (tpl_lex(p, &v[1]) < 0 || tpl_lex(p, &t) < 0)
                        return -1;
                if (v[1].t != T_VAR || (t.t != T_DECLARE && t.t != T_ASSIGN))
                        return tpl_perr(p, v[1].off, "range can only initialize variables");
                pipe->ndecl = 2;
        }
        if (t.t != T_DECLARE && t.t != T_ASSIGN)
                goto none;
        pipe->declare = t.t == T_DECLARE;
        for (i = 0; i < pipe->ndecl; i++) {
                pipe->decl[i] = tpl_arena_strndup(p, p->s + v[i].off, v[i].len);
                if (!pipe->decl[i])
                        return tpl_oom(p);
                if (!pipe->declare && !var_known(p, p->s + v[i].off, v[i].len))
                        return tpl_perr(p, v[i].off, "undefined variable %s", pipe->decl[i]);
                if (pipe->declare && var_push(p, pipe->decl[i]) < 0)
                        return -1;
        }
        return 0;
none:
        pipe->ndecl = 0;
        p->pos = save;
        return 0;
}

/* Only a function can take arguments or sit after a |. */
static int check_command(struct parser *p, const struct cmd *c, bool first)
{
        const struct arg *a = c->args;

        if (a->kind == A_NIL)
                return tpl_perr(p, a->off, "nil is not a command");
        if (a->kind != A_FUNC && (c->nargs > 1 || !first))
                return tpl_perr(p, a->off, "can't give argument to non-function %s%s",
                                a->kind == A_FIELD ? "." : "",
                                a->kind == A_FIELD ? a->fields->name
                                : a->kind == A_VAR ? a->name
                                                   : "value");
        return 0;
}

static int parse_pipeline(struct parser *p, enum ctx ctx, size_t off, struct pipe **out)
{
        struct pipe *pipe = tpl_arena_alloc(p->a, sizeof(*pipe));
        struct cmd **tail;
        struct token end = {0};

        if (!pipe)
                return tpl_oom(p);
        pipe->off = off;
        tail = &pipe->cmds;
        if (parse_decl(p, ctx, pipe) < 0)
                return -1;
        for (;;) {
                struct cmd *c = tpl_arena_alloc(p->a, sizeof(*c));

                if (!c)
                        return tpl_oom(p);
                if (parse_command(p, c, &end) < 0)
                        return -1;
                if (end.t != T_PIPE && (end.t == T_RPAREN) != (ctx == C_PAREN))
                        return tpl_unexpected(p, &end, ctx_names[ctx]);
                if (c->nargs == 0) {
                        if (tail == &pipe->cmds)
                                return tpl_perr(p, end.off, "missing value for %s", ctx_names[ctx]);
                        return tpl_perr(p, end.off, "missing command after |");
                }
                if (check_command(p, c, tail == &pipe->cmds) < 0)
                        return -1;
                *tail = c;
                tail = &c->next;
                if (end.t == T_PIPE)
                        continue;
                if (end.trim)
                        p->trim_next = true;
                *out = pipe;
                return 0;
        }
}

enum term { TERM_EOF, TERM_END, TERM_ELSE, TERM_ELSE_IF, TERM_ELSE_WITH };

static int parse_list(struct parser *p, struct node **head, enum term *term, size_t *term_off);

static int expect_rdelim(struct parser *p, const char *where)
{
        struct token t;

        if (tpl_lex(p, &t) < 0)
                return -1;
        if (t.t != T_RDELIM)
                return tpl_unexpected(p, &t, where);
        if (t.trim)
                p->trim_next = true;
        return 0;
}

static int parse_control(struct parser *p, enum node_kind kind, size_t off, struct node **out)
{
        static const char *const names[] = {[N_IF] = "if", [N_RANGE] = "range", [N_WITH] = "with"};
        enum ctx ctx = kind == N_IF ? C_IF : kind == N_RANGE ? C_RANGE : C_WITH;
        struct node *n = tpl_arena_alloc(p->a, sizeof(*n));
        size_t mark = p->nvars, toff;
        enum term term;

        if (!n)
                return tpl_oom(p);
        if (++p->depth > MAX_DEPTH)
                return tpl_perr(p, off, "nesting too deep");
        n->kind = kind;
        n->off = off;
        if (parse_pipeline(p, ctx, off, &n->pipe) < 0 || parse_list(p, &n->body, &term, &toff) < 0)
                return -1;
        if (term == TERM_ELSE) {
                if (parse_list(p, &n->alt, &term, &toff) < 0)
                        return -1;
                if (term != TERM_END && term != TERM_EOF)
                        return tpl_perr(p, toff, "expected {{end}}; found {{else}}");
        } else if (term == TERM_ELSE_IF || term == TERM_ELSE_WITH) {
                /* {{else if X}} is {{else}}{{if X}}...{{end}} sharing our {{end}} */
                if (parse_control(p, term == TERM_ELSE_IF ? N_IF : N_WITH, toff, &n->alt) < 0)
                        return -1;
                term = TERM_END;
        }
        if (term == TERM_EOF)
                return tpl_perr(p, off, "unexpected EOF: missing {{end}} for {{%s}}", names[kind]);
        p->nvars = mark;
        p->depth--;
        *out = n;
        return 0;
}

/* {{/ * ... * /}}: a comment must close right before the delimiter. */
static int parse_comment(struct parser *p)
{
        const char *end = NULL;
        size_t i;

        for (i = p->pos + 2; i + 1 < p->len; i++) {
                if (p->s[i] == '*' && p->s[i + 1] == '/') {
                        end = p->s + i + 2;
                        break;
                }
        }
        if (!end)
                return tpl_perr(p, p->action_off, "unclosed comment");
        p->pos = (size_t)(end - p->s);
        if (p->len - p->pos >= 4 && !memcmp(end, " -}}", 4)) {
                p->pos += 4;
                p->trim_next = true;
                return 0;
        }
        if (p->len - p->pos >= 2 && !memcmp(end, "}}", 2)) {
                p->pos += 2;
                return 0;
        }
        return tpl_perr(p, p->pos, "comment ends before closing delimiter");
}

/* The keyword actions that end a list: end, else, else if, else with. */
static int parse_terminator(struct parser *p, const struct token *kw, enum term *term)
{
        struct token t;

        if (tpl_tok_is(p, kw, "end")) {
                *term = TERM_END;
                return expect_rdelim(p, "end");
        }
        if (tpl_lex(p, &t) < 0)
                return -1;
        if (t.t == T_RDELIM) {
                if (t.trim)
                        p->trim_next = true;
                *term = TERM_ELSE;
                return 0;
        }
        if (tpl_tok_is(p, &t, "if") || tpl_tok_is(p, &t, "with")) {
                *term = tpl_tok_is(p, &t, "if") ? TERM_ELSE_IF : TERM_ELSE_WITH;
                return 0;
        }
        return tpl_unexpected(p, &t, "else");
}

/* One action after {{. Sets *n for output-producing actions, *term for end/else. */
static int parse_action(struct parser *p, struct node **n, enum term *term)
{
        struct token t;

        *n = NULL;
        *term = TERM_EOF;
        if (tpl_peek(p, &t) < 0)
                return -1;
        if (tpl_tok_is(p, &t, "end") || tpl_tok_is(p, &t, "else")) {
                p->pos = t.off + t.len;
                return parse_terminator(p, &t, term);
        }
        if (tpl_tok_is(p, &t, "if") || tpl_tok_is(p, &t, "range") || tpl_tok_is(p, &t, "with")) {
                p->pos = t.off + t.len;
                return parse_control(p,
                                     tpl_tok_is(p, &t, "if")      ? N_IF
                                     : tpl_tok_is(p, &t, "range") ? N_RANGE
                                                                  : N_WITH,
                                     p->action_off, n);
        }
        if (tpl_tok_is(p, &t, "define") || tpl_tok_is(p, &t, "block") ||
            tpl_tok_is(p, &t, "template") || tpl_tok_is(p, &t, "break") ||
            tpl_tok_is(p, &t, "continue"))
                return tpl_perr(p, t.off, "{{%.*s}} is not supported", (int)t.len, p->s + t.off);
        *n = tpl_arena_alloc(p->a, sizeof(**n));
        if (!*n)
                return tpl_oom(p);
        (*n)->kind = N_ACTION;
        (*n)->off = p->action_off;
        return parse_pipeline(p, C_ACTION, p->action_off, &(*n)->pipe);
}

static int add_text(struct parser *p, struct node ***tail, size_t start, size_t end,
                    bool trim_right)
{
        struct node *n;

        if (p->trim_next)
                while (start < end && is_space(p->s[start]))
                        start++;
        p->trim_next = false;
        if (trim_right)
                while (end > start && is_space(p->s[end - 1]))
                        end--;
        if (start == end)
                return 0;
        n = tpl_arena_alloc(p->a, sizeof(*n));
        if (!n)
                return tpl_oom(p);
        n->kind = N_TEXT;
        n->off = start;
        n->text = tpl_arena_strndup(p, p->s + start, end - start); /* the caller may free text */
        if (!n->text)
                return tpl_oom(p);
        n->len = end - start;
        **tail = n;
        *tail = &n->next;
        return 0;
}

/* Text and actions until EOF or an end/else action, reported in *term with its offset. */
static int parse_list(struct parser *p, struct node **head, enum term *term, size_t *term_off)
{
        struct node **tail = head;

        for (;;) {
                const char *open =
                    p->pos < p->len ? memmem(p->s + p->pos, p->len - p->pos, "{{", 2) : NULL;
                size_t at = open ? (size_t)(open - p->s) : p->len;
                bool trim =
                    open && at + 3 < p->len && p->s[at + 2] == '-' && is_space(p->s[at + 3]);
                struct node *n;

                if (add_text(p, &tail, p->pos, at, trim) < 0)
                        return -1;
                if (!open) {
                        p->pos = p->len;
                        *term = TERM_EOF;
                        return 0;
                }
                p->action_off = at;
                p->pos = at + 2 + (trim ? 2 : 0);
                if (p->len - p->pos >= 2 && !memcmp(p->s + p->pos, "/*", 2)) {
                        if (parse_comment(p) < 0)
                                return -1;
                        continue;
                }
                p->pos = at + 2 + (trim ? 1 : 0);
                if (parse_action(p, &n, term) < 0)
                        return -1;
                if (n) {
                        *tail = n;
                        tail = &n->next;
                        continue;
                }
                if (*term != TERM_EOF) {
                        *term_off = at;
                        return 0;
                }
        }
}

int nlab_template_compile(const char *text, struct nlab_template **out, struct nlab_err *err)
{
        struct nlab_template *t;
        struct parser p = {0};
        enum term term;
        size_t toff = 0;
        int r;

        assert(text && out);
        *out = NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return nlab_err_set(err, NLAB_E_SYSTEM, "template: out of memory");
        p.s = text;
        p.len = strlen(text);
        p.a = &t->arena;
        p.err = err;
        r = var_push(&p, "$");
        if (r == 0)
                r = parse_list(&p, &t->root, &term, &toff);
        if (r == 0 && term != TERM_EOF)
                r = tpl_perr(&p, toff, "unexpected {{%s}}", term == TERM_END ? "end" : "else");
        free(p.vars);
        if (r < 0) {
                nlab_template_free(t);
                return r;
        }
        *out = t;
        return 0;
}

void nlab_template_free(struct nlab_template *t)
{
        if (!t)
                return;
        tpl_arena_free(&t->arena);
        free(t);
}

bool nlab_template_is_table(const char *format)
{
        return format && !strncmp(format, "table", 5);
}
