/* The Go text/template subset Docker users type in --format, over jansson values.
 *
 * Compile parses the text into a tree allocated from one arena (so free is one walk and a
 * half-built tree after a syntax error costs nothing). Render walks the tree; every value is
 * a json_t reference or NULL, which stands for Go's invalid value (a missing map key). */
#include "netlab/template.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH  100         /* nested blocks and parentheses: bounds parser recursion */
#define MAX_STEPS  (1ul << 24) /* actions executed per render: nested ranges can explode */
#define MAX_OUTPUT (64u << 20)

/* ---- arena and growable buffer ---- */

struct chunk {
        struct chunk *next;
        size_t used, cap;
        max_align_t data[];
};

struct arena {
        struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t size)
{
        void *p;

        size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
        if (!a->head || a->head->cap - a->head->used < size) {
                size_t cap = size > 4096 ? size : 4096;
                struct chunk *c = malloc(sizeof(*c) + cap);

                if (!c)
                        return NULL;
                c->next = a->head;
                c->used = 0;
                c->cap = cap;
                a->head = c;
        }
        p = (char *)a->head->data + a->head->used;
        a->head->used += size;
        memset(p, 0, size);
        return p;
}

static void arena_free(struct arena *a)
{
        while (a->head) {
                struct chunk *next = a->head->next;

                free(a->head);
                a->head = next;
        }
}

struct buf {
        char *p;
        size_t len, cap;
        bool failed; /* out of memory or over MAX_OUTPUT; checked once per action */
};

static bool buf_reserve(struct buf *b, size_t n)
{
        size_t cap;
        char *p;

        if (b->failed)
                return false;
        if (n > MAX_OUTPUT || b->len + n + 1 > MAX_OUTPUT) {
                b->failed = true;
                return false;
        }
        if (b->len + n + 1 <= b->cap)
                return true;
        cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
                cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
                b->failed = true;
                return false;
        }
        b->p = p;
        b->cap = cap;
        return true;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
        if (n == 0 || !buf_reserve(b, n))
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
        buf_add(b, &c, 1);
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
        char small[128];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < sizeof(small)) {
                buf_add(b, small, (size_t)n);
                return;
        }
        if (!buf_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

static void buf_free(struct buf *b)
{
        free(b->p);
        memset(b, 0, sizeof(*b));
}

/* ---- the tree ---- */

enum arg_kind { A_DOT, A_FIELD, A_VAR, A_PIPE, A_STRING, A_INT, A_REAL, A_BOOL, A_NIL, A_FUNC };

struct exec;
struct func;

struct field {
        struct field *next;
        const char *name;
};

struct pipe;

struct arg {
        struct arg *next;
        enum arg_kind kind;
        size_t off;
        const char *name;      /* A_VAR: "$x"; A_FUNC: function name */
        const struct func *fn; /* A_FUNC */
        struct field *fields;  /* chain after the term: .A.B */
        struct pipe *pipe;     /* A_PIPE */
        const char *str;       /* A_STRING, may hold NUL bytes */
        size_t slen;
        json_int_t i;
        double d;
        bool b;
};

struct cmd {
        struct cmd *next;
        struct arg *args;
        size_t nargs;
        size_t off;
};

struct pipe {
        const char *decl[2]; /* variables set by $x := or $k, $v := */
        size_t ndecl;
        bool declare; /* := rather than = */
        struct cmd *cmds;
        size_t off;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH };

struct node {
        struct node *next;
        enum node_kind kind;
        size_t off;
        const char *text; /* N_TEXT */
        size_t len;
        struct pipe *pipe;
        struct node *body, *alt; /* alt: the {{else}} branch */
};

struct nlab_template {
        struct arena arena;
        struct node *root;
};

/* ---- functions (table at the end of the file) ---- */

typedef int (*func_fn)(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out);

struct func {
        const char *name;
        int min, max; /* argument counts; max -1: variadic */
        func_fn fn;
        bool header_passthrough; /* Docker's HeaderFunctions return their argument */
};

static const struct func *func_lookup(const char *name, size_t len);

/* ---- lexer ---- */

enum tok {
        T_RDELIM,
        T_LPAREN,
        T_RPAREN,
        T_PIPE,
        T_DECLARE,
        T_ASSIGN,
        T_COMMA,
        T_DOT,
        T_FIELD,
        T_VAR,
        T_IDENT,
        T_STRING,
        T_RAW,
        T_CHAR,
        T_NUMBER,
};

struct token {
        enum tok t;
        size_t off, len;
        bool space; /* whitespace before it: operands must be separated */
        bool trim;  /* T_RDELIM written as " -}}" */
};

struct parser {
        const char *s;
        size_t len, pos;
        size_t action_off; /* where the current {{ starts */
        bool trim_next;    /* the last action ended in -}} */
        int depth;
        struct arena *a;
        const char **vars; /* declared variable names, innermost last */
        size_t nvars, capvars;
        struct nlab_err *err;
};

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (unsigned char)c >= 0x80;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
        return is_alpha(c) || is_digit(c);
}

static int perr(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, size_t off, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nlab_err_set(p->err, NLAB_E_INVALID, "template: %s at offset %zu", msg, off);
}

/* The source text of a token, quoted for an error message: at most 32 bytes, escaped. */
static const char *quote_src(const char *s, size_t len, char *out, size_t size)
{
        size_t o = 0, i;

        assert(size >= 48);
        out[o++] = '"';
        for (i = 0; i < len && i < 32; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '"' || c == '\\') {
                        out[o++] = '\\';
                        out[o++] = (char)c;
                } else if (c < 0x20 || c == 0x7f) {
                        o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
                } else {
                        out[o++] = (char)c;
                }
        }
        if (i < len)
                o += (size_t)snprintf(out + o, size - o, "...");
        out[o++] = '"';
        out[o] = '\0';
        return out;
}

static int unexpected(struct parser *p, const struct token *t, const char *where)
{
        char q[200];

        quote_src(p->s + t->off, t->len, q, sizeof(q));
        if (where)
                return perr(p, t->off, "unexpected %s in %s", q, where);
        return perr(p, t->off, "unexpected %s", q);
}

static size_t scan_quoted(struct parser *p, char quote)
{
        size_t i = p->pos + 1;

        while (i < p->len && p->s[i] != quote) {
                if (p->s[i] == '\\' && i + 1 < p->len)
                        i++;
                else if (p->s[i] == '\n')
                        return 0;
                i++;
        }
        return i < p->len ? i + 1 : 0;
}

static size_t scan_number(struct parser *p)
{
        size_t i = p->pos;

        if (p->s[i] == '+' || p->s[i] == '-')
                i++;
        while (i < p->len) {
                char c = p->s[i];

                if ((c == '+' || c == '-') && (p->s[i - 1] == 'e' || p->s[i - 1] == 'E' ||
                                               p->s[i - 1] == 'p' || p->s[i - 1] == 'P')) {
                        i++;
                        continue;
                }
                if (!is_alnum(c) && c != '.')
                        break;
                i++;
        }
        return i;
}

static int lex_punct(struct parser *p, struct token *t)
{
        const char *c = p->s + p->pos;
        size_t rest = p->len - p->pos, end;

        t->len = 1;
        switch (c[0]) {
        case '(':
                t->t = T_LPAREN;
                return 0;
        case ')':
                t->t = T_RPAREN;
                return 0;
        case '|':
                t->t = T_PIPE;
                return 0;
        case ',':
                t->t = T_COMMA;
                return 0;
        case '=':
                t->t = T_ASSIGN;
                return 0;
        case ':':
                if (rest >= 2 && c[1] == '=') {
                        t->t = T_DECLARE;
                        t->len = 2;
                        return 0;
                }
                return unexpected(p, t, NULL);
        case '"':
        case '\'':
                end = scan_quoted(p, c[0]);
                if (!end)
                        return perr(p, t->off, "unterminated quoted string");
                t->t = c[0] == '"' ? T_STRING : T_CHAR;
                t->len = end - p->pos;
                return 0;
        case '`':
                c = memchr(c + 1, '`', rest - 1);
                if (!c)
                        return perr(p, t->off, "unterminated raw quoted string");
                t->t = T_RAW;
                t->len = (size_t)(c - (p->s + p->pos)) + 1;
                return 0;
        }
        return unexpected(p, t, NULL);
}

/* Read one token of an action; an action that never closes is reported at its {{. */
static int lex(struct parser *p, struct token *t)
{
        size_t start = p->pos, rest, i;
        const char *c;

        while (p->pos < p->len && is_space(p->s[p->pos]))
                p->pos++;
        t->space = p->pos > start;
        t->trim = false;
        t->off = p->pos;
        t->len = 0;
        if (p->pos >= p->len)
                return perr(p, p->action_off, "unclosed action");
        c = p->s + p->pos;
        rest = p->len - p->pos;
        if (rest >= 2 && c[0] == '}' && c[1] == '}') {
                t->t = T_RDELIM;
                t->len = 2;
        } else if (t->space && rest >= 3 && c[0] == '-' && c[1] == '}' && c[2] == '}') {
                t->t = T_RDELIM;
                t->trim = true;
                t->len = 3;
        } else if (c[0] == '$') {
                for (i = 1; i < rest && is_alnum(c[i]); i++)
                        ;
                t->t = T_VAR;
                t->len = i;
        } else if (c[0] == '.' && rest >= 2 && is_alpha(c[1])) {
                for (i = 1; i < rest && is_alnum(c[i]); i++)
                        ;
                t->t = T_FIELD;
                t->len = i;
        } else if (is_digit(c[0]) || (c[0] == '.' && rest >= 2 && is_digit(c[1])) ||
                   ((c[0] == '-' || c[0] == '+') && rest >= 2 && (is_digit(c[1]) || c[1] == '.'))) {
                t->t = T_NUMBER;
                t->len = scan_number(p) - p->pos;
        } else if (c[0] == '.') {
                t->t = T_DOT;
                t->len = 1;
        } else if (is_alpha(c[0])) {
                for (i = 1; i < rest && is_alnum(c[i]); i++)
                        ;
                t->t = T_IDENT;
                t->len = i;
        } else if (lex_punct(p, t) < 0) {
                return -1;
        }
        p->pos += t->len;
        return 0;
}

static bool tok_is(const struct parser *p, const struct token *t, const char *word)
{
        return t->t == T_IDENT && strlen(word) == t->len && !memcmp(p->s + t->off, word, t->len);
}

static char *arena_strndup(struct parser *p, const char *s, size_t n)
{
        char *d = arena_alloc(p->a, n + 1);

        if (d)
                memcpy(d, s, n);
        return d;
}

static int oom(struct parser *p)
{
        return nlab_err_set(p->err, NLAB_E_SYSTEM, "template: out of memory");
}

/* ---- literals ---- */

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static size_t put_utf8(char *o, uint32_t r)
{
        if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
                r = 0xfffd;
        if (r < 0x80) {
                o[0] = (char)r;
                return 1;
        }
        if (r < 0x800) {
                o[0] = (char)(0xc0 | (r >> 6));
                o[1] = (char)(0x80 | (r & 0x3f));
                return 2;
        }
        if (r < 0x10000) {
                o[0] = (char)(0xe0 | (r >> 12));
                o[1] = (char)(0x80 | ((r >> 6) & 0x3f));
                o[2] = (char)(0x80 | (r & 0x3f));
                return 3;
        }
        o[0] = (char)(0xf0 | (r >> 18));
        o[1] = (char)(0x80 | ((r >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((r >> 6) & 0x3f));
        o[3] = (char)(0x80 | (r & 0x3f));
        return 4;
}

/* One escape after a backslash at s[*i]; writes its bytes to o. Go's strconv.Unquote rules. */
static int unescape_one(const char *s, size_t end, size_t *i, char *o, size_t *olen)
{
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''";
        char c = s[*i];
        const char *m;
        int digits = 0, k;
        uint32_t r = 0;

        for (m = simple; *m; m += 2) {
                if (m[0] == c) {
                        o[(*olen)++] = m[1];
                        (*i)++;
                        return 0;
                }
        }
        if (c >= '0' && c <= '7') {
                for (k = 0; k < 3; k++) {
                        if (*i + (size_t)k >= end || s[*i + k] < '0' || s[*i + k] > '7')
                                return -1;
                        r = r * 8 + (uint32_t)(s[*i + k] - '0');
                }
                if (r > 255)
                        return -1;
                o[(*olen)++] = (char)r;
                *i += 3;
                return 0;
        }
        digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
        if (!digits)
                return -1;
        for (k = 1; k <= digits; k++) {
                int h = *i + (size_t)k < end ? hexval(s[*i + k]) : -1;

                if (h < 0)
                        return -1;
                r = r * 16 + (uint32_t)h;
        }
        *i += (size_t)digits + 1;
        if (c == 'x')
                o[(*olen)++] = (char)r;
        else
                *olen += put_utf8(o + *olen, r);
        return 0;
}

static int parse_string(struct parser *p, const struct token *t, struct arg *a)
{
        size_t end = t->off + t->len - 1, i = t->off + 1, olen = 0;
        char *o, q[200];

        if (t->t == T_RAW) {
                a->str = arena_strndup(p, p->s + i, end - i);
                a->slen = end - i;
                return a->str ? 0 : oom(p);
        }
        o = arena_alloc(p->a, t->len * 2 + 1); /* \xNN never grows; \u at most 4 of 6 */
        if (!o)
                return oom(p);
        while (i < end) {
                if (p->s[i] != '\\') {
                        o[olen++] = p->s[i++];
                        continue;
                }
                i++;
                if (unescape_one(p->s, end, &i, o, &olen) < 0)
                        return perr(p, t->off, "bad string %s",
                                    quote_src(p->s + t->off, t->len, q, sizeof(q)));
        }
        a->str = o;
        a->slen = olen;
        return 0;
}

static int parse_char(struct parser *p, const struct token *t, struct arg *a)
{
        struct arg tmp = {0};
        struct token st = *t;
        const unsigned char *u;
        uint32_t r;
        char q[200];

        st.t = T_STRING;
        if (parse_string(p, &st, &tmp) < 0)
                return -1;
        u = (const unsigned char *)tmp.str;
        if (tmp.slen == 1 && u[0] < 0x80)
                r = u[0];
        else if (tmp.slen == 2 && (u[0] & 0xe0) == 0xc0)
                r = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
        else if (tmp.slen == 3 && (u[0] & 0xf0) == 0xe0)
                r = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
        else if (tmp.slen == 4 && (u[0] & 0xf8) == 0xf0)
                r = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
                    (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
        else
                return perr(p, t->off, "bad character constant %s",
                            quote_src(p->s + t->off, t->len, q, sizeof(q)));
        a->kind = A_INT;
        a->i = (json_int_t)r;
        return 0;
}

static int parse_number(struct parser *p, const struct token *t, struct arg *a)
{
        char tmp[64], *end, q[200];
        long long i;
        double d;

        if (t->len >= sizeof(tmp))
                goto bad;
        memcpy(tmp, p->s + t->off, t->len);
        tmp[t->len] = '\0';
        errno = 0;
        i = strtoll(tmp, &end, 0);
        if (!*end && errno == 0) {
                a->kind = A_INT;
                a->i = (json_int_t)i;
                return 0;
        }
        errno = 0;
        d = strtod(tmp, &end);
        if (!*end && end != tmp && isfinite(d) && !strpbrk(tmp, "nNiI")) {
                a->kind = A_REAL;
                a->d = d;
                return 0;
        }
bad:
        return perr(p, t->off, "bad number syntax: %s",
                    quote_src(p->s + t->off, t->len, q, sizeof(q)));
}

/* ---- parser ---- */

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
                        return oom(p);
                p->vars = v;
                p->capvars = cap;
        }
        p->vars[p->nvars++] = name;
        return 0;
}

/* Peek at the next token without consuming it. */
static int peek(struct parser *p, struct token *t)
{
        size_t save = p->pos;
        int r = lex(p, t);

        p->pos = save;
        return r;
}

static int parse_chain(struct parser *p, struct arg *a)
{
        struct field **tail = &a->fields;
        struct token t;

        for (;;) {
                if (peek(p, &t) < 0)
                        return -1;
                if (t.t != T_FIELD || t.space)
                        return 0;
                if (a->kind != A_FIELD && a->kind != A_VAR && a->kind != A_PIPE)
                        return perr(p, t.off, "unexpected . after term");
                p->pos = t.off + t.len;
                *tail = arena_alloc(p->a, sizeof(**tail));
                if (!*tail)
                        return oom(p);
                (*tail)->name = arena_strndup(p, p->s + t.off + 1, t.len - 1);
                if (!(*tail)->name)
                        return oom(p);
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

        if (tok_is(p, t, "true") || tok_is(p, t, "false")) {
                a->kind = A_BOOL;
                a->b = tok_is(p, t, "true");
                return 0;
        }
        if (tok_is(p, t, "nil")) {
                a->kind = A_NIL;
                return 0;
        }
        for (k = keywords; *k; k++) {
                if (tok_is(p, t, *k))
                        return unexpected(p, t, "operand");
        }
        a->kind = A_FUNC;
        a->fn = func_lookup(p->s + t->off, t->len);
        if (!a->fn)
                return perr(p, t->off, "function %s not defined",
                            quote_src(p->s + t->off, t->len, q, sizeof(q)));
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
                        return perr(p, t->off, "undefined variable %s",
                                    quote_src(p->s + t->off, t->len, q, sizeof(q)));
                a->kind = A_VAR;
                a->name = arena_strndup(p, p->s + t->off, t->len);
                return a->name ? 0 : oom(p);
        case T_LPAREN:
                a->kind = A_PIPE;
                if (++p->depth > MAX_DEPTH)
                        return perr(p, t->off, "nesting too deep");
                if (parse_pipeline(p, C_PAREN, t->off, &a->pipe) < 0)
                        return -1;
                p->depth--;
                return 0;
        case T_STRING:
        case T_RAW:
                a->kind = A_STRING;
                return parse_string(p, t, a);
        case T_CHAR:
                return parse_char(p, t, a);
        case T_NUMBER:
                return parse_number(p, t, a);
        case T_IDENT:
                return parse_ident(p, t, a);
        default:
                return unexpected(p, t, "operand");
        }
}

/* Operands up to |, }} or ); *end gets that token. */
static int parse_command(struct parser *p, struct cmd *c, struct token *end)
{
        struct arg **tail = &c->args;
        struct token t;

        for (;;) {
                if (lex(p, &t) < 0)
                        return -1;
                if (t.t == T_PIPE || t.t == T_RDELIM || t.t == T_RPAREN) {
                        *end = t;
                        return 0;
                }
                if (c->nargs > 0 && !t.space)
                        return unexpected(p, &t, "operand");
                if (c->nargs == 0)
                        c->off = t.off;
                *tail = arena_alloc(p->a, sizeof(**tail));
                if (!*tail)
                        return oom(p);
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

        if (lex(p, &v[0]) < 0)
                return -1;
        if (v[0].t != T_VAR)
                goto none;
        if (lex(p, &t) < 0)
                return -1;
        pipe->ndecl = 1;
        if (t.t == T_COMMA) {
                if (ctx != C_RANGE)
                        return perr(p, t.off, "too many declarations in %s", ctx_names[ctx]);
                if (lex(p, &v[1]) < 0 || lex(p, &t) < 0)
                        return -1;
                if (v[1].t != T_VAR || (t.t != T_DECLARE && t.t != T_ASSIGN))
                        return perr(p, v[1].off, "range can only initialize variables");
                pipe->ndecl = 2;
        }
        if (t.t != T_DECLARE && t.t != T_ASSIGN)
                goto none;
        pipe->declare = t.t == T_DECLARE;
        for (i = 0; i < pipe->ndecl; i++) {
                pipe->decl[i] = arena_strndup(p, p->s + v[i].off, v[i].len);
                if (!pipe->decl[i])
                        return oom(p);
                if (!pipe->declare && !var_known(p, p->s + v[i].off, v[i].len))
                        return perr(p, v[i].off, "undefined variable %s", pipe->decl[i]);
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
                return perr(p, a->off, "nil is not a command");
        if (a->kind != A_FUNC && (c->nargs > 1 || !first))
                return perr(p, a->off, "can't give argument to non-function %s%s",
                            a->kind == A_FIELD ? "." : "",
                            a->kind == A_FIELD ? a->fields->name
                            : a->kind == A_VAR ? a->name
                                               : "value");
        return 0;
}

static int parse_pipeline(struct parser *p, enum ctx ctx, size_t off, struct pipe **out)
{
        struct pipe *pipe = arena_alloc(p->a, sizeof(*pipe));
        struct cmd **tail;
        struct token end = {0};

        if (!pipe)
                return oom(p);
        pipe->off = off;
        tail = &pipe->cmds;
        if (parse_decl(p, ctx, pipe) < 0)
                return -1;
        for (;;) {
                struct cmd *c = arena_alloc(p->a, sizeof(*c));

                if (!c)
                        return oom(p);
                if (parse_command(p, c, &end) < 0)
                        return -1;
                if (end.t != T_PIPE && (end.t == T_RPAREN) != (ctx == C_PAREN))
                        return unexpected(p, &end, ctx_names[ctx]);
                if (c->nargs == 0) {
                        if (tail == &pipe->cmds)
                                return perr(p, end.off, "missing value for %s", ctx_names[ctx]);
                        return perr(p, end.off, "missing command after |");
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

        if (lex(p, &t) < 0)
                return -1;
        if (t.t != T_RDELIM)
                return unexpected(p, &t, where);
        if (t.trim)
                p->trim_next = true;
        return 0;
}

static int parse_control(struct parser *p, enum node_kind kind, size_t off, struct node **out)
{
        static const char *const names[] = {[N_IF] = "if", [N_RANGE] = "range", [N_WITH] = "with"};
        enum ctx ctx = kind == N_IF ? C_IF : kind == N_RANGE ? C_RANGE : C_WITH;
        struct node *n = arena_alloc(p->a, sizeof(*n));
        size_t mark = p->nvars, toff;
        enum term term;

        if (!n)
                return oom(p);
        if (++p->depth > MAX_DEPTH)
                return perr(p, off, "nesting too deep");
        n->kind = kind;
        n->off = off;
        if (parse_pipeline(p, ctx, off, &n->pipe) < 0 || parse_list(p, &n->body, &term, &toff) < 0)
                return -1;
        if (term == TERM_ELSE) {
                if (parse_list(p, &n->alt, &term, &toff) < 0)
                        return -1;
                if (term != TERM_END && term != TERM_EOF)
                        return perr(p, toff, "expected {{end}}; found {{else}}");
        } else if (term == TERM_ELSE_IF || term == TERM_ELSE_WITH) {
                /* {{else if X}} is {{else}}{{if X}}...{{end}} sharing our {{end}} */
                if (parse_control(p, term == TERM_ELSE_IF ? N_IF : N_WITH, toff, &n->alt) < 0)
                        return -1;
                term = TERM_END;
        }
        if (term == TERM_EOF)
                return perr(p, off, "unexpected EOF: missing {{end}} for {{%s}}", names[kind]);
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
                return perr(p, p->action_off, "unclosed comment");
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
        return perr(p, p->pos, "comment ends before closing delimiter");
}

/* The keyword actions that end a list: end, else, else if, else with. */
static int parse_terminator(struct parser *p, const struct token *kw, enum term *term)
{
        struct token t;

        if (tok_is(p, kw, "end")) {
                *term = TERM_END;
                return expect_rdelim(p, "end");
        }
        if (lex(p, &t) < 0)
                return -1;
        if (t.t == T_RDELIM) {
                if (t.trim)
                        p->trim_next = true;
                *term = TERM_ELSE;
                return 0;
        }
        if (tok_is(p, &t, "if") || tok_is(p, &t, "with")) {
                *term = tok_is(p, &t, "if") ? TERM_ELSE_IF : TERM_ELSE_WITH;
                return 0;
        }
        return unexpected(p, &t, "else");
}

/* One action after {{. Sets *n for output-producing actions, *term for end/else. */
static int parse_action(struct parser *p, struct node **n, enum term *term)
{
        struct token t;

        *n = NULL;
        *term = TERM_EOF;
        if (peek(p, &t) < 0)
                return -1;
        if (tok_is(p, &t, "end") || tok_is(p, &t, "else")) {
                p->pos = t.off + t.len;
                return parse_terminator(p, &t, term);
        }
        if (tok_is(p, &t, "if") || tok_is(p, &t, "range") || tok_is(p, &t, "with")) {
                p->pos = t.off + t.len;
                return parse_control(p,
                                     tok_is(p, &t, "if")      ? N_IF
                                     : tok_is(p, &t, "range") ? N_RANGE
                                                              : N_WITH,
                                     p->action_off, n);
        }
        if (tok_is(p, &t, "define") || tok_is(p, &t, "block") || tok_is(p, &t, "template") ||
            tok_is(p, &t, "break") || tok_is(p, &t, "continue"))
                return perr(p, t.off, "{{%.*s}} is not supported", (int)t.len, p->s + t.off);
        *n = arena_alloc(p->a, sizeof(**n));
        if (!*n)
                return oom(p);
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
        n = arena_alloc(p->a, sizeof(*n));
        if (!n)
                return oom(p);
        n->kind = N_TEXT;
        n->off = start;
        n->text = arena_strndup(p, p->s + start, end - start); /* the caller may free text */
        if (!n->text)
                return oom(p);
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
                r = perr(&p, toff, "unexpected {{%s}}", term == TERM_END ? "end" : "else");
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
        arena_free(&t->arena);
        free(t);
}

bool nlab_template_is_table(const char *format)
{
        return format && !strncmp(format, "table", 5);
}

/* ---- execution state ---- */

struct var {
        const char *name;
        json_t *v; /* owned; NULL is Go's invalid value */
};

struct exec {
        struct buf out;
        struct var *vars;
        size_t nvars, cap;
        bool header; /* the table header pass */
        const struct nlab_header *headers;
        unsigned long steps;
        struct nlab_err *err;
};

static int xerr(struct exec *x, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int xerr(struct exec *x, size_t off, const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nlab_err_set(x->err, NLAB_E_INVALID, "template: %s at offset %zu", msg, off);
}

static int xoom(struct exec *x)
{
        return nlab_err_set(x->err, NLAB_E_SYSTEM, "template: out of memory");
}

static int vars_push(struct exec *x, const char *name, json_t *v)
{
        if (x->nvars == x->cap) {
                size_t cap = x->cap ? x->cap * 2 : 16;
                struct var *nv = realloc(x->vars, cap * sizeof(*nv));

                if (!nv) {
                        json_decref(v);
                        return xoom(x);
                }
                x->vars = nv;
                x->cap = cap;
        }
        x->vars[x->nvars].name = name;
        x->vars[x->nvars++].v = v;
        return 0;
}

static void vars_pop(struct exec *x, size_t mark)
{
        while (x->nvars > mark)
                json_decref(x->vars[--x->nvars].v);
}

static struct var *vars_find(struct exec *x, const char *name)
{
        size_t i = x->nvars;

        while (i-- > 0) {
                if (!strcmp(x->vars[i].name, name))
                        return &x->vars[i];
        }
        return NULL;
}

/* Replace the innermost variable called name; takes v. */
static void vars_set(struct exec *x, const char *name, json_t *v)
{
        struct var *var = vars_find(x, name);

        if (!var) {
                json_decref(v);
                return;
        }
        json_decref(var->v);
        var->v = v;
}

/* ---- Go-like printing ---- */

static const char *type_name(const json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "int";
        case JSON_REAL:
                return "float64";
        case JSON_TRUE:
        case JSON_FALSE:
                return "bool";
        case JSON_ARRAY:
                return "[]interface {}";
        case JSON_OBJECT:
                return "map[string]interface {}";
        default:
                return "<nil>";
        }
}

static bool is_nil(const json_t *v)
{
        return !v || json_is_null(v);
}

/* Shortest digits that read back as d (finite, > 0), and where the decimal point goes. */
static void shortest(double d, char *digits, int *nd, int *dp)
{
        char tmp[48];
        const char *c;
        int p, n = 0;

        for (p = 1; p <= 17; p++) {
                snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
                if (strtod(tmp, NULL) == d)
                        break;
        }
        for (c = tmp; *c && *c != 'e'; c++) {
                if (is_digit(*c))
                        digits[n++] = *c;
        }
        while (n > 1 && digits[n - 1] == '0')
                n--;
        *nd = n;
        *dp = atoi(c + 1) + 1;
}

enum float_style { F_GO, F_JSON };

static void put_float(struct buf *b, double d, enum float_style st)
{
        char dg[24];
        int nd, dp, e, i;

        if (isnan(d)) {
                buf_puts(b, "NaN");
                return;
        }
        if (isinf(d)) {
                buf_puts(b, d > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (signbit(d)) {
                buf_putc(b, '-');
                d = -d;
        }
        if (d == 0) {
                buf_putc(b, '0');
                return;
        }
        shortest(d, dg, &nd, &dp);
        e = dp - 1;
        /* fmt's %v switches to %e at exponent 6 (strconv 'g', shortest); encoding/json at 1e21 */
        if (st == F_GO ? (e < -4 || e >= 6) : (d < 1e-6 || d >= 1e21)) {
                buf_putc(b, dg[0]);
                if (nd > 1) {
                        buf_putc(b, '.');
                        buf_add(b, dg + 1, (size_t)nd - 1);
                }
                buf_printf(b, st == F_JSON && e < 0 && e > -10 ? "e%c%d" : "e%c%02d",
                           e < 0 ? '-' : '+', e < 0 ? -e : e);
                return;
        }
        if (dp <= 0) {
                buf_puts(b, "0.");
                for (i = 0; i < -dp; i++)
                        buf_putc(b, '0');
                buf_add(b, dg, (size_t)nd);
        } else if (dp >= nd) {
                buf_add(b, dg, (size_t)nd);
                for (i = 0; i < dp - nd; i++)
                        buf_putc(b, '0');
        } else {
                buf_add(b, dg, (size_t)dp);
                buf_putc(b, '.');
                buf_add(b, dg + dp, (size_t)(nd - dp));
        }
}

static int cmp_keys(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Object keys in Go's map order (sorted); NULL on allocation failure of a non-empty object. */
static const char **sorted_keys(json_t *obj, size_t *n)
{
        const char **keys;
        const char *k;
        json_t *v;
        size_t i = 0;

        *n = json_object_size(obj);
        keys = malloc((*n ? *n : 1) * sizeof(*keys));
        if (!keys)
                return NULL;
        json_object_foreach(obj, k, v)
        {
                (void)v;
                keys[i++] = k;
        }
        qsort(keys, *n, sizeof(*keys), cmp_keys);
        return keys;
}

/* fmt's %v: strings raw, [a b], map[k:v] sorted, <nil>. */
static void put_value(struct buf *b, json_t *v)
{
        const char **keys;
        size_t i, n;

        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                buf_add(b, json_string_value(v), json_string_length(v));
                return;
        case JSON_INTEGER:
                buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return;
        case JSON_REAL:
                put_float(b, json_real_value(v), F_GO);
                return;
        case JSON_TRUE:
                buf_puts(b, "true");
                return;
        case JSON_FALSE:
                buf_puts(b, "false");
                return;
        case JSON_ARRAY:
                buf_putc(b, '[');
                for (i = 0; i < json_array_size(v); i++) {
                        if (i)
                                buf_putc(b, ' ');
                        put_value(b, json_array_get(v, i));
                }
                buf_putc(b, ']');
                return;
        case JSON_OBJECT:
                keys = sorted_keys(v, &n);
                if (!keys) {
                        b->failed = true;
                        return;
                }
                buf_puts(b, "map[");
                for (i = 0; i < n; i++) {
                        if (i)
                                buf_putc(b, ' ');
                        buf_puts(b, keys[i]);
                        buf_putc(b, ':');
                        put_value(b, json_object_get(v, keys[i]));
                }
                buf_putc(b, ']');
                free(keys);
                return;
        default:
                buf_puts(b, "<nil>");
        }
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t len, i;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
                len = 2;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3;
        else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
                len = 4;
        else
                return 0;
        if (len > n)
                return 0;
        for (i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        }
        if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
                return 0;
        if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
                return 0;
        return len;
}

/* Go's json encoding with SetEscapeHTML(false); go=true gives strconv.Quote's \x escapes. */
static void put_quoted(struct buf *b, const char *s, size_t n, bool go)
{
        static const char named[] = "\bb\ff\nn\rr\tt\"\"\\\\";
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0, l;
        const char *m;

        buf_putc(b, '"');
        while (i < n) {
                for (m = named; *m && *m != (char)u[i]; m += 2)
                        ;
                if (*m) {
                        buf_putc(b, '\\');
                        buf_putc(b, m[1]);
                        i++;
                } else if (u[i] < 0x20 || u[i] == 0x7f) {
                        buf_printf(b, go ? "\\x%02x" : "\\u%04x", u[i]);
                        i++;
                } else if (!(l = utf8_len(u + i, n - i))) {
                        buf_puts(b, go ? "\\x" : "\\ufffd");
                        if (go)
                                buf_printf(b, "%02x", u[i]);
                        i++;
                } else if (!go && l == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
                           (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
                        buf_printf(b, "\\u202%c", u[i + 2] == 0xa8 ? '8' : '9');
                        i += 3;
                } else {
                        buf_add(b, s + i, l);
                        i += l;
                }
        }
        buf_putc(b, '"');
}

/* Compact JSON like Docker's json function; object keys in the object's own order. */
static void put_json(struct buf *b, json_t *v)
{
        const char *k;
        json_t *e;
        size_t i = 0, klen;

        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                put_quoted(b, json_string_value(v), json_string_length(v), false);
                return;
        case JSON_INTEGER:
        case JSON_TRUE:
        case JSON_FALSE:
                put_value(b, v);
                return;
        case JSON_REAL:
                put_float(b, json_real_value(v), F_JSON);
                return;
        case JSON_ARRAY:
                buf_putc(b, '[');
                json_array_foreach(v, i, e)
                {
                        if (i)
                                buf_putc(b, ',');
                        put_json(b, e);
                }
                buf_putc(b, ']');
                return;
        case JSON_OBJECT:
                buf_putc(b, '{');
                json_object_keylen_foreach(v, k, klen, e)
                {
                        if (i++)
                                buf_putc(b, ',');
                        put_quoted(b, k, klen, false);
                        buf_putc(b, ':');
                        put_json(b, e);
                }
                buf_putc(b, '}');
                return;
        default:
                buf_puts(b, "null");
        }
}

static bool truth(const json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                return json_string_length(v) > 0;
        case JSON_INTEGER:
                return json_integer_value(v) != 0;
        case JSON_REAL:
                return json_real_value(v) != 0;
        case JSON_TRUE:
                return true;
        case JSON_ARRAY:
                return json_array_size(v) > 0;
        case JSON_OBJECT:
                return json_object_size(v) > 0;
        default:
                return false;
        }
}

/* ---- evaluation ---- */

static int eval_pipe(struct exec *x, const struct pipe *pipe, json_t *dot, json_t **out);
static int call_func(struct exec *x, const struct arg *fa, const struct arg *args, size_t nargs,
                     json_t *final, bool has_final, json_t *dot, json_t **out);

/* Follow .A.B from v (taken). A missing key yields NULL and stays NULL, as Go's map lookups. */
static int walk_fields(struct exec *x, json_t *v, const struct arg *a, json_t **out)
{
        const struct field *f;
        const char *tn;

        *out = NULL;
        for (f = a->fields; f && v; f = f->next) {
                json_t *next;

                if (json_is_object(v)) {
                        next = json_incref(json_object_get(v, f->name));
                        json_decref(v);
                        v = next;
                        continue;
                }
                tn = type_name(v);
                json_decref(v);
                if (!strcmp(tn, "<nil>"))
                        return xerr(x, a->off, "nil pointer evaluating interface {}.%s", f->name);
                return xerr(x, a->off, "can't evaluate field %s in type %s", f->name, tn);
        }
        *out = v;
        return 0;
}

/* Header pass: a field stands for its column title. */
static int header_field(struct exec *x, const struct arg *a, json_t **out)
{
        const struct nlab_header *h;
        const struct field *f, *last = a->fields;
        struct buf path = {0};
        char *up;
        size_t i;

        for (f = a->fields; f; f = f->next) {
                if (f != a->fields)
                        buf_putc(&path, '.');
                buf_puts(&path, f->name);
                last = f;
        }
        for (h = x->headers; h && h->field && path.p; h++) {
                if (!strcmp(h->field, path.p)) {
                        buf_free(&path);
                        *out = json_string(h->header);
                        return *out ? 0 : xoom(x);
                }
        }
        buf_free(&path);
        up = strdup(last->name);
        if (!up)
                return xoom(x);
        for (i = 0; up[i]; i++) {
                if (up[i] >= 'a' && up[i] <= 'z')
                        up[i] = (char)(up[i] - 'a' + 'A');
        }
        *out = json_string_nocheck(up);
        free(up);
        return *out ? 0 : xoom(x);
}

static int eval_arg(struct exec *x, const struct arg *a, json_t *dot, json_t **out)
{
        struct var *var;
        json_t *v = NULL;

        *out = NULL;
        switch (a->kind) {
        case A_DOT:
                *out = json_incref(dot);
                return 0;
        case A_FIELD:
                if (x->header)
                        return header_field(x, a, out);
                return walk_fields(x, json_incref(dot), a, out);
        case A_VAR:
                var = vars_find(x, a->name);
                if (!var)
                        return xerr(x, a->off, "undefined variable %s", a->name);
                return walk_fields(x, json_incref(var->v), a, out);
        case A_PIPE:
                if (eval_pipe(x, a->pipe, dot, &v) < 0)
                        return -1;
                return walk_fields(x, v, a, out);
        case A_FUNC:
                return call_func(x, a, NULL, 0, NULL, false, dot, out);
        case A_NIL:
                return 0;
        case A_STRING:
                v = json_stringn_nocheck(a->str, a->slen);
                break;
        case A_INT:
                v = json_integer(a->i);
                break;
        case A_REAL:
                v = json_real(a->d);
                break;
        case A_BOOL:
                v = json_boolean(a->b);
                break;
        }
        if (!v)
                return xoom(x);
        *out = v;
        return 0;
}

/* and/or stop at the first argument that decides, like Go 1.18+. */
static int call_logic(struct exec *x, const struct arg *fa, const struct arg *args, json_t *final,
                      bool has_final, json_t *dot, json_t **out)
{
        bool is_and = !strcmp(fa->fn->name, "and");
        json_t *v = NULL;

        for (; args || has_final; args = args ? args->next : NULL) {
                json_decref(v);
                if (args) {
                        if (eval_arg(x, args, dot, &v) < 0)
                                return -1;
                } else {
                        v = json_incref(final);
                        has_final = false;
                }
                if (truth(v) != is_and)
                        break;
        }
        *out = v;
        return 0;
}

static int call_func(struct exec *x, const struct arg *fa, const struct arg *args, size_t nargs,
                     json_t *final, bool has_final, json_t *dot, json_t **out)
{
        const struct func *fn = fa->fn;
        size_t argc = nargs + (has_final ? 1 : 0), i = 0;
        json_t **argv;
        int r = 0;

        *out = NULL;
        if (argc < (size_t)fn->min || (fn->max >= 0 && argc > (size_t)fn->max)) {
                if (fn->max < 0)
                        return xerr(x, fa->off,
                                    "wrong number of args for %s: want at least %d got %zu",
                                    fn->name, fn->min, argc);
                return xerr(x, fa->off, "wrong number of args for %s: want %d got %zu", fn->name,
                            fn->min, argc);
        }
        if (!fn->fn)
                return call_logic(x, fa, args, final, has_final, dot, out);
        argv = calloc(argc + 1, sizeof(*argv));
        if (!argv)
                return xoom(x);
        for (; args && r == 0; args = args->next)
                r = eval_arg(x, args, dot, &argv[i++]);
        if (r == 0 && has_final)
                argv[i++] = json_incref(final);
        if (r == 0 && x->header && fn->header_passthrough)
                *out = json_incref(argv[0]);
        else if (r == 0)
                r = fn->fn(x, argv, argc, fa->off, out);
        while (i-- > 0)
                json_decref(argv[i]);
        free(argv);
        return r;
}

static int eval_cmd(struct exec *x, const struct cmd *c, json_t *dot, json_t *final, bool has_final,
                    json_t **out)
{
        const struct arg *a = c->args;

        if (a->kind == A_FUNC)
                return call_func(x, a, a->next, c->nargs - 1, final, has_final, dot, out);
        return eval_arg(x, a, dot, out);
}

static int eval_pipe(struct exec *x, const struct pipe *pipe, json_t *dot, json_t **out)
{
        const struct cmd *c;
        json_t *v = NULL;
        bool have = false;
        size_t i;

        *out = NULL;
        for (c = pipe->cmds; c; c = c->next) {
                json_t *nv;
                int r = eval_cmd(x, c, dot, v, have, &nv);

                json_decref(v);
                if (r < 0)
                        return r;
                v = nv;
                have = true;
        }
        for (i = 0; i < pipe->ndecl; i++) {
                if (!pipe->declare) {
                        vars_set(x, pipe->decl[i], json_incref(v));
                } else if (vars_push(x, pipe->decl[i], json_incref(v)) < 0) {
                        json_decref(v);
                        return -1;
                }
        }
        *out = v;
        return 0;
}

/* ---- statements ---- */

static int exec_list(struct exec *x, const struct node *n, json_t *dot);

static int exec_action(struct exec *x, const struct node *n, json_t *dot)
{
        json_t *v;

        if (eval_pipe(x, n->pipe, dot, &v) < 0)
                return -1;
        /* Go digs the value out of its interface first, so a JSON null prints as <no value> */
        if (n->pipe->ndecl == 0) {
                if (is_nil(v))
                        buf_puts(&x->out, "<no value>");
                else
                        put_value(&x->out, v);
        }
        json_decref(v);
        return 0;
}

static int exec_if(struct exec *x, const struct node *n, json_t *dot)
{
        size_t mark = x->nvars;
        json_t *v;
        int r;

        if (eval_pipe(x, n->pipe, dot, &v) < 0) {
                vars_pop(x, mark);
                return -1;
        }
        if (truth(v))
                r = exec_list(x, n->body, n->kind == N_WITH ? v : dot);
        else
                r = exec_list(x, n->alt, dot);
        vars_pop(x, mark);
        json_decref(v);
        return r;
}

/* One pass of a range body: set $k/$v, dot = elem; body variables die with the pass. */
static int range_pass(struct exec *x, const struct node *n, json_t *key, json_t *elem)
{
        size_t mark = x->nvars;
        int r;

        if (n->pipe->ndecl == 1) {
                vars_set(x, n->pipe->decl[0], json_incref(elem));
                json_decref(key);
        } else if (n->pipe->ndecl == 2) {
                vars_set(x, n->pipe->decl[0], key);
                vars_set(x, n->pipe->decl[1], json_incref(elem));
        } else {
                json_decref(key);
        }
        r = exec_list(x, n->body, elem);
        vars_pop(x, mark);
        return r;
}

static int range_object(struct exec *x, const struct node *n, json_t *v)
{
        const char **keys;
        size_t i, count;
        int r = 0;

        keys = sorted_keys(v, &count);
        if (!keys)
                return xoom(x);
        for (i = 0; i < count && r == 0; i++) {
                json_t *key = json_string_nocheck(keys[i]);

                r = key ? range_pass(x, n, key, json_object_get(v, keys[i])) : xoom(x);
        }
        free(keys);
        return r;
}

static int range_values(struct exec *x, const struct node *n, json_t *v, size_t *count)
{
        json_int_t i;
        int r = 0;

        *count = 0;
        if (is_nil(v))
                return 0;
        if (json_is_object(v)) {
                *count = json_object_size(v);
                return range_object(x, n, v);
        }
        if (json_is_array(v)) {
                *count = json_array_size(v);
                for (i = 0; (size_t)i < *count && r == 0; i++)
                        r = range_pass(x, n, json_integer(i), json_array_get(v, (size_t)i));
                return r;
        }
        if (json_is_integer(v)) {
                /* Go 1.22 ranges over an integer: 0..n-1 */
                for (i = 0; i < json_integer_value(v) && r == 0; i++) {
                        json_t *e = json_integer(i);

                        r = range_pass(x, n, json_integer(i), e);
                        json_decref(e);
                        (*count)++;
                }
                return r;
        }
        return xerr(x, n->off, "range can't iterate over %s", type_name(v));
}

static int exec_range(struct exec *x, const struct node *n, json_t *dot)
{
        size_t mark = x->nvars, count = 0;
        json_t *v;
        int r;

        if (eval_pipe(x, n->pipe, dot, &v) < 0) {
                vars_pop(x, mark);
                return -1;
        }
        r = range_values(x, n, v, &count);
        if (r == 0 && count == 0)
                r = exec_list(x, n->alt, dot);
        vars_pop(x, mark);
        json_decref(v);
        return r;
}

static int exec_list(struct exec *x, const struct node *n, json_t *dot)
{
        int r = 0;

        for (; n && r == 0; n = n->next) {
                if (++x->steps > MAX_STEPS)
                        return xerr(x, n->off, "template execution exceeds %lu steps", MAX_STEPS);
                if (x->out.failed)
                        return xerr(x, n->off, "output exceeds %u bytes", MAX_OUTPUT);
                switch (n->kind) {
                case N_TEXT:
                        buf_add(&x->out, n->text, n->len);
                        break;
                case N_ACTION:
                        r = exec_action(x, n, dot);
                        break;
                case N_IF:
                case N_WITH:
                        r = exec_if(x, n, dot);
                        break;
                case N_RANGE:
                        r = exec_range(x, n, dot);
                        break;
                }
        }
        return r;
}

static int run(const struct nlab_template *t, struct exec *x, json_t *data, char **out)
{
        int r;

        assert(t && out);
        *out = NULL;
        r = vars_push(x, "$", json_incref(data));
        if (r == 0)
                r = exec_list(x, t->root, data);
        if (r == 0 && x->out.failed)
                r = xerr(x, 0, "output exceeds %u bytes or memory", MAX_OUTPUT);
        vars_pop(x, 0);
        free(x->vars);
        if (r == 0 && !x->out.p)
                x->out.p = strdup("");
        if (r == 0 && !x->out.p)
                r = xoom(x);
        if (r < 0) {
                buf_free(&x->out);
                return r;
        }
        *out = x->out.p;
        return 0;
}

int nlab_template_render(const struct nlab_template *t, json_t *data, char **out,
                         struct nlab_err *err)
{
        struct exec x = {.err = err};

        return run(t, &x, data, out);
}

int nlab_template_render_header(const struct nlab_template *t, const struct nlab_header *headers,
                                char **out, struct nlab_err *err)
{
        struct exec x = {.err = err, .header = true, .headers = headers};
        json_t *empty = json_object();
        int r;

        if (!empty)
                return nlab_err_set(err, NLAB_E_SYSTEM, "template: out of memory");
        r = run(t, &x, empty, out);
        json_decref(empty);
        return r;
}

/* ---- functions ---- */

static int ret_buf(struct exec *x, struct buf *b, json_t **out)
{
        if (b->failed) {
                buf_free(b);
                return xerr(x, 0, "output exceeds %u bytes or memory", MAX_OUTPUT);
        }
        *out = json_stringn_nocheck(b->p ? b->p : "", b->len);
        buf_free(b);
        return *out ? 0 : xoom(x);
}

static int need_string(struct exec *x, const char *fn, json_t *v, size_t off)
{
        if (json_is_string(v))
                return 0;
        if (is_nil(v))
                return xerr(x, off, "error calling %s: invalid value; expected string", fn);
        return xerr(x, off, "error calling %s: wrong type for value; expected string; got %s", fn,
                    type_name(v));
}

static bool int_value(const json_t *v, long long *out)
{
        double d;

        if (json_is_integer(v)) {
                *out = json_integer_value(v);
                return true;
        }
        if (!json_is_real(v))
                return false;
        d = json_real_value(v);
        if (!(d >= -9e18 && d <= 9e18) || (double)(long long)d != d)
                return false;
        *out = (long long)d;
        return true;
}

static int index_one(struct exec *x, json_t *item, json_t *k, size_t off, json_t **out)
{
        size_t size;
        long long i;

        if (is_nil(item))
                return xerr(x, off, "error calling index: index of untyped nil");
        if (json_is_object(item)) {
                if (!json_is_string(k))
                        return xerr(x, off,
                                    "error calling index: value has type %s; should be string",
                                    type_name(k));
                *out = json_incref(
                    json_object_getn(item, json_string_value(k), json_string_length(k)));
                return 0;
        }
        if (!json_is_array(item) && !json_is_string(item))
                return xerr(x, off, "error calling index: can't index item of type %s",
                            type_name(item));
        if (!int_value(k, &i))
                return xerr(x, off, "error calling index: cannot index slice/array with type %s",
                            type_name(k));
        size = json_is_array(item) ? json_array_size(item) : json_string_length(item);
        if (i < 0 || (unsigned long long)i >= size)
                return xerr(x, off, "error calling index: index out of range: %lld", i);
        if (json_is_array(item))
                *out = json_incref(json_array_get(item, (size_t)i));
        else
                *out = json_integer((unsigned char)json_string_value(item)[i]);
        return 0;
}

static int fn_index(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        json_t *item = json_incref(argv[0]), *next = NULL;
        size_t i;

        for (i = 1; i < argc; i++) {
                int r = index_one(x, item, argv[i], off, &next);

                json_decref(item);
                if (r < 0)
                        return r;
                item = next;
        }
        *out = item;
        return 0;
}

static int fn_len(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        json_t *v = argv[0];
        size_t n;

        (void)argc;
        if (json_is_string(v))
                n = json_string_length(v);
        else if (json_is_array(v))
                n = json_array_size(v);
        else if (json_is_object(v))
                n = json_object_size(v);
        else if (is_nil(v))
                return xerr(x, off, "error calling len: len of nil pointer");
        else
                return xerr(x, off, "error calling len: len of type %s", type_name(v));
        *out = json_integer((json_int_t)n);
        return *out ? 0 : xoom(x);
}

static int fn_json(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        (void)argc;
        (void)off;
        put_json(&b, argv[0]);
        return ret_buf(x, &b, out);
}

/* fmt.Sprint adds spaces between operands when neither is a string; Sprintln always. */
static void sprint(struct buf *b, json_t **argv, size_t argc, bool ln)
{
        bool prev_string = false;
        size_t i;

        for (i = 0; i < argc; i++) {
                bool is_string = json_is_string(argv[i]);

                if (i > 0 && (ln || (!is_string && !prev_string)))
                        buf_putc(b, ' ');
                put_value(b, argv[i]);
                prev_string = is_string;
        }
        if (ln)
                buf_putc(b, '\n');
}

static int fn_print(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        (void)off;
        sprint(&b, argv, argc, false);
        return ret_buf(x, &b, out);
}

static int fn_println(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        (void)off;
        sprint(&b, argv, argc, true);
        return ret_buf(x, &b, out);
}

struct spec {
        bool minus, plus, zero, space, sharp;
        int width, prec; /* -1: not given */
        char verb;
};

/* fmt's complaint for a verb that does not fit the operand: %!d(string=abc). */
static void put_bad_verb(struct buf *b, char verb, json_t *v)
{
        if (is_nil(v)) {
                buf_printf(b, "%%!%c(<nil>)", verb);
                return;
        }
        buf_printf(b, "%%!%c(%s=", verb, type_name(v));
        put_value(b, v);
        buf_putc(b, ')');
}

static void fmt_arg(struct buf *b, const struct spec *s, json_t *v);

/* %s / %d over arrays and maps apply the verb to every element, as fmt does. */
static void fmt_composite(struct buf *b, const struct spec *s, json_t *v)
{
        const char **keys;
        size_t i, n;

        if (json_is_array(v)) {
                buf_putc(b, '[');
                for (i = 0; i < json_array_size(v); i++) {
                        if (i)
                                buf_putc(b, ' ');
                        fmt_arg(b, s, json_array_get(v, i));
                }
                buf_putc(b, ']');
                return;
        }
        keys = sorted_keys(v, &n);
        if (!keys) {
                b->failed = true;
                return;
        }
        buf_puts(b, "map[");
        for (i = 0; i < n; i++) {
                json_t *k = json_string_nocheck(keys[i]);

                if (i)
                        buf_putc(b, ' ');
                fmt_arg(b, s, k);
                buf_putc(b, ':');
                fmt_arg(b, s, json_object_get(v, keys[i]));
                json_decref(k);
        }
        buf_putc(b, ']');
        free(keys);
}

static void fmt_string(struct buf *b, const struct spec *s, json_t *v)
{
        const char *str = json_string_value(v);
        size_t n = json_string_length(v), i = 0, l;
        int runes = 0;

        if (s->verb == 'q') {
                put_quoted(b, str, n, true);
                return;
        }
        if (s->verb == 'x' || s->verb == 'X') {
                for (i = 0; i < n; i++)
                        buf_printf(b, s->verb == 'x' ? "%02x" : "%02X", (unsigned char)str[i]);
                return;
        }
        while (i < n && (s->prec < 0 || runes < s->prec)) {
                l = utf8_len((const unsigned char *)str + i, n - i);
                i += l ? l : 1;
                runes++;
        }
        buf_add(b, str, i);
}

static void fmt_float(struct buf *b, const struct spec *s, double d)
{
        char f[16];

        if (s->prec < 0 && (s->verb == 'g' || s->verb == 'v')) {
                if (s->plus && !signbit(d))
                        buf_putc(b, '+');
                put_float(b, d, F_GO);
                return;
        }
        snprintf(f, sizeof(f), "%%%s.*%c", s->plus ? "+" : "", s->verb == 'v' ? 'g' : s->verb);
        buf_printf(b, f, s->prec < 0 ? 6 : s->prec, d);
}

static void fmt_int(struct buf *b, const struct spec *s, json_int_t i)
{
        unsigned long long u = i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;
        char cbuf[8];

        if (s->verb == 'c') {
                buf_add(b, cbuf, put_utf8(cbuf, i < 0 || i > 0x10ffff ? 0xfffd : (uint32_t)i));
                return;
        }
        if (i < 0)
                buf_putc(b, '-');
        else if (s->plus || s->space)
                buf_putc(b, s->plus ? '+' : ' ');
        if (s->verb == 'x')
                buf_printf(b, "%llx", u);
        else if (s->verb == 'X')
                buf_printf(b, "%llX", u);
        else
                buf_printf(b, "%llu", u);
}

static void fmt_arg(struct buf *b, const struct spec *s, json_t *v)
{
        json_type t = v ? json_typeof(v) : JSON_NULL;
        char verb = s->verb;

        if ((t == JSON_ARRAY || t == JSON_OBJECT) && strchr("sdqxX", verb)) {
                fmt_composite(b, s, v);
        } else if (verb == 'v' && t == JSON_REAL) {
                fmt_float(b, s, json_real_value(v));
        } else if (verb == 'v' && t == JSON_INTEGER) {
                fmt_int(b, s, json_integer_value(v));
        } else if (t == JSON_STRING && strchr("vsqxX", verb)) {
                fmt_string(b, s, v);
        } else if (verb == 'v') {
                put_value(b, v);
        } else if (t == JSON_INTEGER && strchr("dxXc", verb)) {
                fmt_int(b, s, json_integer_value(v));
        } else if (t == JSON_REAL && strchr("eEfFgG", verb)) {
                fmt_float(b, s, json_real_value(v));
        } else if ((t == JSON_TRUE || t == JSON_FALSE) && verb == 't') {
                put_value(b, v);
        } else {
                put_bad_verb(b, verb, v);
        }
}

static size_t rune_count(const char *s, size_t n)
{
        size_t i, runes = 0;

        for (i = 0; i < n; i++)
                runes += ((unsigned char)s[i] & 0xc0) != 0x80;
        return runes;
}

/* Format one operand, then pad it to the width: left, right or with zeros after the sign. */
static void fmt_padded(struct buf *b, const struct spec *s, json_t *v)
{
        struct buf one = {0};
        size_t runes, pad, sign = 0;
        bool zero = s->zero && !s->minus && (json_is_number(v)) && strchr("vdxXeEfFgG", s->verb);

        fmt_arg(&one, s, v);
        if (one.failed) {
                b->failed = true;
                buf_free(&one);
                return;
        }
        runes = rune_count(one.p ? one.p : "", one.len);
        pad = s->width > 0 && (size_t)s->width > runes ? (size_t)s->width - runes : 0;
        if (zero && one.len && (one.p[0] == '-' || one.p[0] == '+'))
                sign = 1;
        if (!s->minus) {
                buf_add(b, one.p, sign);
                for (; pad > 0; pad--)
                        buf_putc(b, zero ? '0' : ' ');
        }
        buf_add(b, one.p ? one.p + sign : "", one.len - sign);
        for (; pad > 0; pad--)
                buf_putc(b, ' ');
        buf_free(&one);
}

/* A width or precision: digits, or * taking an int argument. -1: none, -2: bad. */
static int spec_number(const char *f, size_t n, size_t *i, json_t **argv, size_t argc, size_t *argi)
{
        long long v;
        int r = 0;

        if (*i < n && f[*i] == '*') {
                (*i)++;
                if (*argi >= argc || !json_is_integer(argv[*argi])) {
                        (*argi)++;
                        return -2;
                }
                v = json_integer_value(argv[(*argi)++]);
                return v < 0 || v > 1000000 ? -2 : (int)v;
        }
        if (*i >= n || !is_digit(f[*i]))
                return -1;
        while (*i < n && is_digit(f[*i])) {
                if (r < 1000000)
                        r = r * 10 + (f[*i] - '0');
                (*i)++;
        }
        return r;
}

static void parse_flags(const char *f, size_t n, size_t *i, struct spec *s)
{
        for (; *i < n; (*i)++) {
                switch (f[*i]) {
                case '-':
                        s->minus = true;
                        break;
                case '+':
                        s->plus = true;
                        break;
                case '0':
                        s->zero = true;
                        break;
                case ' ':
                        s->space = true;
                        break;
                case '#':
                        s->sharp = true;
                        break;
                default:
                        return;
                }
        }
}

static void sprintf_go(struct buf *b, const char *f, size_t n, json_t **argv, size_t argc)
{
        size_t i = 0, argi = 0, start;

        while (i < n) {
                struct spec s = {.width = -1, .prec = -1};

                for (start = i; i < n && f[i] != '%'; i++)
                        ;
                buf_add(b, f + start, i - start);
                if (i++ >= n)
                        break;
                parse_flags(f, n, &i, &s);
                s.width = spec_number(f, n, &i, argv, argc, &argi);
                if (s.width == -2)
                        buf_puts(b, "%!(BADWIDTH)");
                if (i < n && f[i] == '.') {
                        i++;
                        s.prec = spec_number(f, n, &i, argv, argc, &argi);
                        if (s.prec == -2)
                                buf_puts(b, "%!(BADPREC)");
                        else if (s.prec == -1)
                                s.prec = 0;
                }
                if (i >= n) {
                        buf_puts(b, "%!(NOVERB)");
                        break;
                }
                s.verb = f[i++];
                if (s.verb == '%')
                        buf_putc(b, '%');
                else if (argi >= argc)
                        buf_printf(b, "%%!%c(MISSING)", s.verb);
                else
                        fmt_padded(b, &s, argv[argi++]);
        }
        if (argi >= argc)
                return;
        buf_puts(b, "%!(EXTRA ");
        for (start = argi; argi < argc; argi++) {
                if (argi > start)
                        buf_puts(b, ", ");
                if (!is_nil(argv[argi])) {
                        buf_puts(b, type_name(argv[argi]));
                        buf_putc(b, '=');
                }
                put_value(b, argv[argi]);
        }
        buf_putc(b, ')');
}

static int fn_printf(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        if (need_string(x, "printf", argv[0], off) < 0)
                return -1;
        sprintf_go(&b, json_string_value(argv[0]), json_string_length(argv[0]), argv + 1, argc - 1);
        return ret_buf(x, &b, out);
}

/* ASCII case mapping; other bytes pass through. mode: 'u' upper, 'l' lower, 't' title. */
static int map_case(struct exec *x, const char *fn, json_t *v, size_t off, char mode, json_t **out)
{
        size_t i, n;
        char *s;
        bool word_start = true;

        if (need_string(x, fn, v, off) < 0)
                return -1;
        n = json_string_length(v);
        s = malloc(n + 1);
        if (!s)
                return xoom(x);
        memcpy(s, json_string_value(v), n + 1);
        for (i = 0; i < n; i++) {
                bool lower = s[i] >= 'a' && s[i] <= 'z', upper = s[i] >= 'A' && s[i] <= 'Z';

                if ((mode == 'u' || (mode == 't' && word_start)) && lower)
                        s[i] = (char)(s[i] - 'a' + 'A');
                else if (mode == 'l' && upper)
                        s[i] = (char)(s[i] - 'A' + 'a');
                word_start = !(is_alnum(s[i]));
        }
        *out = json_stringn_nocheck(s, n);
        free(s);
        return *out ? 0 : xoom(x);
}

static int fn_upper(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        (void)argc;
        return map_case(x, "upper", argv[0], off, 'u', out);
}

static int fn_lower(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        (void)argc;
        return map_case(x, "lower", argv[0], off, 'l', out);
}

static int fn_title(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        (void)argc;
        return map_case(x, "title", argv[0], off, 't', out);
}

static int fn_join(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};
        size_t i;

        (void)argc;
        if (!json_is_array(argv[0]))
                return xerr(x, off,
                            "error calling join: wrong type for value; expected []string; got %s",
                            type_name(argv[0]));
        if (need_string(x, "join", argv[1], off) < 0)
                return -1;
        for (i = 0; i < json_array_size(argv[0]); i++) {
                if (i)
                        buf_add(&b, json_string_value(argv[1]), json_string_length(argv[1]));
                put_value(&b, json_array_get(argv[0], i));
        }
        return ret_buf(x, &b, out);
}

static int fn_split(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        const char *s, *sep, *hit;
        size_t n, seplen, i = 0, l;
        json_t *list;

        (void)argc;
        if (need_string(x, "split", argv[0], off) < 0 || need_string(x, "split", argv[1], off) < 0)
                return -1;
        s = json_string_value(argv[0]);
        n = json_string_length(argv[0]);
        sep = json_string_value(argv[1]);
        seplen = json_string_length(argv[1]);
        list = json_array();
        while (list && i <= n) {
                if (!seplen) {
                        /* an empty separator splits after each UTF-8 sequence */
                        if (i == n)
                                break;
                        l = utf8_len((const unsigned char *)s + i, n - i);
                        hit = s + i + (l ? l : 1);
                } else {
                        hit = memmem(s + i, n - i, sep, seplen);
                }
                l = hit ? (size_t)(hit - (s + i)) : n - i;
                if (json_array_append_new(list, json_stringn_nocheck(s + i, l)) < 0) {
                        json_decref(list);
                        list = NULL;
                        break;
                }
                if (!hit)
                        break;
                i += l + seplen;
        }
        *out = list;
        return list ? 0 : xoom(x);
}

static int fn_pad(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        long long pre, post;
        struct buf b = {0};

        (void)argc;
        if (need_string(x, "pad", argv[0], off) < 0)
                return -1;
        if (!int_value(argv[1], &pre) || !int_value(argv[2], &post) || pre < 0 || post < 0 ||
            pre > 10000 || post > 10000)
                return xerr(x, off, "error calling pad: padding must be a small non-negative int");
        while (pre-- > 0)
                buf_putc(&b, ' ');
        buf_add(&b, json_string_value(argv[0]), json_string_length(argv[0]));
        while (post-- > 0)
                buf_putc(&b, ' ');
        return ret_buf(x, &b, out);
}

static int fn_truncate(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        long long n;
        size_t len;

        (void)argc;
        if (need_string(x, "truncate", argv[0], off) < 0)
                return -1;
        if (!int_value(argv[1], &n) || n < 0)
                return xerr(x, off, "error calling truncate: length must be a non-negative int");
        len = json_string_length(argv[0]);
        *out = json_stringn_nocheck(json_string_value(argv[0]),
                                    (unsigned long long)n < len ? (size_t)n : len);
        return *out ? 0 : xoom(x);
}

/* -1, 0, 1 for two numbers or two strings; -2 if they are not ordered against each other. */
static int compare(json_t *a, json_t *b)
{
        if (json_is_integer(a) && json_is_integer(b))
                return (json_integer_value(a) > json_integer_value(b)) -
                       (json_integer_value(a) < json_integer_value(b));
        if (json_is_number(a) && json_is_number(b))
                return (json_number_value(a) > json_number_value(b)) -
                       (json_number_value(a) < json_number_value(b));
        if (json_is_string(a) && json_is_string(b)) {
                size_t la = json_string_length(a), lb = json_string_length(b);
                int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);

                if (c == 0)
                        c = (la > lb) - (la < lb);
                return (c > 0) - (c < 0);
        }
        return -2;
}

/* eq arg1 arg2...: true if arg1 equals any; nil equals only nil; other kinds must match. */
static int fn_eq(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        bool eq = false;
        size_t i;

        for (i = 1; i < argc && !eq; i++) {
                json_t *a = argv[0], *b = argv[i];

                if (is_nil(a) || is_nil(b)) {
                        eq = is_nil(a) && is_nil(b);
                } else if (json_is_boolean(a) && json_is_boolean(b)) {
                        eq = json_is_true(a) == json_is_true(b);
                } else if (compare(a, b) != -2) {
                        eq = compare(a, b) == 0;
                } else if (json_typeof(a) == json_typeof(b)) {
                        eq = json_equal(a, b);
                } else {
                        return xerr(x, off, "error calling eq: incompatible types for comparison");
                }
        }
        *out = json_boolean(eq);
        return 0;
}

static int fn_ne(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        json_t *eq;

        (void)argc;
        if (fn_eq(x, argv, 2, off, &eq) < 0)
                return -1;
        *out = json_boolean(!json_is_true(eq));
        json_decref(eq);
        return 0;
}

static int ordered(struct exec *x, const char *fn, json_t **argv, size_t off, int *c)
{
        *c = compare(argv[0], argv[1]);
        if (*c == -2)
                return xerr(x, off, "error calling %s: incompatible types for comparison", fn);
        return 0;
}

static int fn_lt(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        int c;

        (void)argc;
        if (ordered(x, "lt", argv, off, &c) < 0)
                return -1;
        *out = json_boolean(c < 0);
        return 0;
}

static int fn_le(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        int c;

        (void)argc;
        if (ordered(x, "le", argv, off, &c) < 0)
                return -1;
        *out = json_boolean(c <= 0);
        return 0;
}

static int fn_gt(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        int c;

        (void)argc;
        if (ordered(x, "gt", argv, off, &c) < 0)
                return -1;
        *out = json_boolean(c > 0);
        return 0;
}

static int fn_ge(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        int c;

        (void)argc;
        if (ordered(x, "ge", argv, off, &c) < 0)
                return -1;
        *out = json_boolean(c >= 0);
        return 0;
}

static int fn_not(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        (void)x;
        (void)argc;
        (void)off;
        *out = json_boolean(!truth(argv[0]));
        return 0;
}

static const struct func funcs[] = {
    {"and", 1, -1, NULL, false},
    {"eq", 2, -1, fn_eq, false},
    {"ge", 2, 2, fn_ge, false},
    {"gt", 2, 2, fn_gt, false},
    {"index", 1, -1, fn_index, false},
    {"join", 2, 2, fn_join, true},
    {"json", 1, 1, fn_json, true},
    {"le", 2, 2, fn_le, false},
    {"len", 1, 1, fn_len, false},
    {"lower", 1, 1, fn_lower, true},
    {"lt", 2, 2, fn_lt, false},
    {"ne", 2, 2, fn_ne, false},
    {"not", 1, 1, fn_not, false},
    {"or", 1, -1, NULL, false},
    {"pad", 3, 3, fn_pad, true},
    {"print", 0, -1, fn_print, false},
    {"printf", 1, -1, fn_printf, false},
    {"println", 0, -1, fn_println, false},
    {"split", 2, 2, fn_split, true},
    {"title", 1, 1, fn_title, true},
    {"truncate", 2, 2, fn_truncate, true},
    {"upper", 1, 1, fn_upper, true},
};

static const struct func *func_lookup(const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
                if (strlen(funcs[i].name) == len && !memcmp(funcs[i].name, name, len))
                        return &funcs[i];
        }
        return NULL;
}
