/* A .lab line into words as a shell reads them, and the errors that point into the line. */
#include "runtime/lab/scenario_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "FILE:LINE:COL: error: MSG", the line, and ^~~~ under the bad part (nftables' erec style). */
int scn_fail_at(struct pctx *c, unsigned col, unsigned width, const char *fmt, ...)
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

int scn_fail_tok(struct pctx *c, size_t i, const char *fmt, const char *arg)
{
        if (i >= c->ntok) {
                unsigned end = (unsigned)c->len + 1;
                while (end > 1 && (c->line[end - 2] == ' ' || c->line[end - 2] == '\t'))
                        end--;
                return scn_fail_at(c, end, 1, fmt, arg);
        }
        return scn_fail_at(c, c->tok[i].col, c->tok[i].width, fmt, arg);
}

/* scn_fail_tok with a formatted message. */
int scn_fail_at_tok(struct pctx *c, size_t i, const char *fmt, ...)
{
        char msg[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return scn_fail_tok(c, i, "%s", msg);
}

void scn_free_tokens(struct pctx *c)
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
bool scn_is_text_directive(const char *w)
{
        size_t n = strcspn(w, ".");

        return (n == 5 && !strncmp(w, "title", 5)) || (n == 4 && !strncmp(w, "note", 4));
}

/* Split the line into words; a '#' at the start of a word begins a comment. */
int scn_tokenize(struct pctx *c)
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
                        return scn_fail_at(c, (unsigned)i + 1, 1, "too many words on one line");
                start = i;
                w = malloc(c->len - i + 1);
                if (!w)
                        return nlab_err_sys(c->err, 12, "scenario %s", c->file);
                end = lex_word(c, i, w);
                if (!end) {
                        free(w);
                        return scn_fail_at(c, (unsigned)start + 1, 1, "unterminated quote");
                }
                c->tok[c->ntok].s = w;
                c->tok[c->ntok].col = (unsigned)start + 1;
                c->tok[c->ntok].width = (unsigned)(end - start);
                c->ntok++;
                i = end;
                /* narration is plain text: "the host's" must not open a quote */
                if (c->ntok == 1 && scn_is_text_directive(w))
                        break;
        }
        return 0;
}

/* The text after token k up to a comment, trimmed: notes keep their apostrophes as written. */
char *scn_rest_of_line(struct pctx *c, size_t k)
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

char *scn_source_text(struct pctx *c)
{
        const struct token *last = &c->tok[c->ntok - 1];
        size_t a = c->tok[0].col - 1, b = last->col - 1 + last->width;

        return strndup(c->line + a, b - a);
}

int scn_oom(struct pctx *c)
{
        return nlab_err_sys(c->err, 12, "scenario %s", c->file);
}
