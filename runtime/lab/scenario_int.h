/* What the pieces of the .lab parser share: the line being parsed with its words, the errors
 * that point into it, the step list, and one parser per kind of line. */
#ifndef NLAB_LAB_SCENARIO_INT_H
#define NLAB_LAB_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/strv.h"
#include "runtime/lab/scenario.h"

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

/* scenario_lex.c: errors at a column (or at word i, or past the end) of the line; all -1. */
int scn_fail_at(struct pctx *c, unsigned col, unsigned width, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int scn_fail_tok(struct pctx *c, size_t i, const char *fmt, const char *arg);
int scn_fail_at_tok(struct pctx *c, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int scn_oom(struct pctx *c);
/* The line into c->tok, and the words freed again. */
int scn_tokenize(struct pctx *c);
void scn_free_tokens(struct pctx *c);
bool scn_is_text_directive(const char *w);
/* Copies of the line's text: after word k, and from the first word to the last. */
char *scn_rest_of_line(struct pctx *c, size_t k);
char *scn_source_text(struct pctx *c);

/* scenario.c: the names so far, and a new step for this line. */
bool scn_strv_has(const struct nlab_strv *sv, const char *s);
struct nlab_step *scn_new_step(struct pctx *c, enum nlab_step_kind kind);
char **scn_copy_argv(struct pctx *c, size_t from, size_t to);

/* One parser per kind of line, each adding its step. */
int scn_parse_command(struct pctx *c);
int scn_parse_link_directive(struct pctx *c);
int scn_parse_text_directive(struct pctx *c, int prev);
int scn_parse_external(struct pctx *c);
int scn_parse_expect(struct pctx *c);
void scn_expect_free(struct nlab_expect *ex);

/* scenario_expect_args.c: word i names a party (an IPv4 address and host or a test host only
 * where allowed), and the words after each check's verb at index v. */
int scn_check_party(struct pctx *c, size_t i, bool allow_ip, bool allow_outside);
int scn_parse_reach(struct pctx *c, size_t v, struct nlab_expect *ex);
int scn_parse_resolves(struct pctx *c, size_t v, struct nlab_expect *ex);
int scn_parse_has_interface(struct pctx *c, size_t v, struct nlab_expect *ex);
int scn_parse_exec(struct pctx *c, size_t v, struct nlab_expect *ex);
/* scenario_capture.c */
int scn_parse_capture(struct pctx *c, struct nlab_expect *ex);

#endif
