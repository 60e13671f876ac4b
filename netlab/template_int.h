/* Private to the template engine (template_*.c): the Go text/template subset Docker users
 * type in --format, over jansson values. Compile (template_lex.c, template_parse.c) turns
 * text into a tree; render (template_exec.c) walks it, calling the builtins in
 * template_funcs.c and printing values the way Go does (template_print.c). Helpers shared
 * between those files carry the tpl_ prefix; everything else stays static. */
#ifndef NLAB_TEMPLATE_INT_H
#define NLAB_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "netlab/template.h"

#define MAX_DEPTH  100         /* nested blocks and parentheses: bounds parser recursion */
#define MAX_STEPS  (1ul << 24) /* actions executed per render: nested ranges can explode */
#define MAX_OUTPUT (64u << 20)

/* ---- character classes of the template syntax; Go's nil ---- */

static inline bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (unsigned char)c >= 0x80;
}

static inline bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c)
{
        return is_alpha(c) || is_digit(c);
}

static inline bool is_nil(const json_t *v)
{
        return !v || json_is_null(v);
}

/* ---- arena and growable buffer (template_buf.c) ---- */

struct chunk;

struct arena {
        struct chunk *head;
};

struct buf {
        char *p;
        size_t len, cap;
        bool failed; /* out of memory or over MAX_OUTPUT; checked once per action */
};

/* Zeroed memory from the arena; NULL when out of memory. */
void *tpl_arena_alloc(struct arena *a, size_t size);
void tpl_arena_free(struct arena *a);

/* Appends fail quietly into b->failed, which callers check once per action. */
void tpl_buf_add(struct buf *b, const char *s, size_t n);
void tpl_buf_puts(struct buf *b, const char *s);
void tpl_buf_putc(struct buf *b, char c);
void tpl_buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tpl_buf_free(struct buf *b);

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

/* ---- functions (template_funcs.c) ---- */

typedef int (*func_fn)(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out);

struct func {
        const char *name;
        int min, max; /* argument counts; max -1: variadic */
        func_fn fn;
        bool header_passthrough; /* Docker's HeaderFunctions return their argument */
};

const struct func *tpl_func_lookup(const char *name, size_t len);

/* ---- lexer and literals (template_lex.c) ---- */

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

/* NLAB_E_INVALID "template: <msg> at offset <off>"; returns < 0. */
int tpl_perr(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tpl_oom(struct parser *p);
int tpl_unexpected(struct parser *p, const struct token *t, const char *where);
/* The source text of a token, quoted for an error message: at most 32 bytes, escaped. */
const char *tpl_quote_src(const char *s, size_t len, char *out, size_t size);
/* Read one token of an action; an action that never closes is reported at its {{. */
int tpl_lex(struct parser *p, struct token *t);
/* Peek at the next token without consuming it. */
int tpl_peek(struct parser *p, struct token *t);
bool tpl_tok_is(const struct parser *p, const struct token *t, const char *word);
char *tpl_arena_strndup(struct parser *p, const char *s, size_t n);
/* String, character and number literals into a (kind, value). */
int tpl_parse_string(struct parser *p, const struct token *t, struct arg *a);
int tpl_parse_char(struct parser *p, const struct token *t, struct arg *a);
int tpl_parse_number(struct parser *p, const struct token *t, struct arg *a);

/* ---- evaluation (template_exec.c) ---- */

/* NLAB_E_INVALID "template: <msg> at offset <off>"; returns < 0. */
int tpl_xerr(struct exec *x, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tpl_xoom(struct exec *x);
/* Go's truth: false, 0, "", empty array/object and nil are false. */
bool tpl_truth(const json_t *v);

/* ---- Go-like printing (template_print.c) ---- */

const char *tpl_type_name(const json_t *v);
/* Object keys in Go's map order (sorted); NULL on allocation failure. Caller frees the array. */
const char **tpl_sorted_keys(json_t *obj, size_t *n);
/* fmt's %v: strings raw, [a b], map[k:v] sorted, <nil>. */
void tpl_put_value(struct buf *b, json_t *v);
/* Compact JSON like Docker's json function; object keys in the object's own order. */
void tpl_put_json(struct buf *b, json_t *v);
/* Length of a valid UTF-8 sequence at s, or 0. */
size_t tpl_utf8_len(const unsigned char *s, size_t n);
/* UTF-8 bytes of rune r (U+FFFD for surrogates and out of range) into o; returns 1..4. */
size_t tpl_put_utf8(char *o, uint32_t r);
/* fmt.Sprintf of format f[0..n) over argv. */
void tpl_sprintf_go(struct buf *b, const char *f, size_t n, json_t **argv, size_t argc);

#endif
