/* The template lexer: tokens inside {{ }}, the literal values they spell (Go's quoting and
 * number rules), and the parser's error messages. */
#include "netlab/template_int.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tpl_perr(struct parser *p, size_t off, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nlab_err_set(p->err, NLAB_E_INVALID, "template: %s at offset %zu", msg, off);
}

/* The source text of a token, quoted for an error message: at most 32 bytes, escaped. */
const char *tpl_quote_src(const char *s, size_t len, char *out, size_t size)
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

int tpl_unexpected(struct parser *p, const struct token *t, const char *where)
{
        char q[200];

        tpl_quote_src(p->s + t->off, t->len, q, sizeof(q));
        if (where)
                return tpl_perr(p, t->off, "unexpected %s in %s", q, where);
        return tpl_perr(p, t->off, "unexpected %s", q);
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
                return tpl_unexpected(p, t, NULL);
        case '"':
        case '\'':
                end = scan_quoted(p, c[0]);
                if (!end)
                        return tpl_perr(p, t->off, "unterminated quoted string");
                t->t = c[0] == '"' ? T_STRING : T_CHAR;
                t->len = end - p->pos;
                return 0;
        case '`':
                c = memchr(c + 1, '`', rest - 1);
                if (!c)
                        return tpl_perr(p, t->off, "unterminated raw quoted string");
                t->t = T_RAW;
                t->len = (size_t)(c - (p->s + p->pos)) + 1;
                return 0;
        }
        return tpl_unexpected(p, t, NULL);
}

/* Read one token of an action; an action that never closes is reported at its {{. */
int tpl_lex(struct parser *p, struct token *t)
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
                return tpl_perr(p, p->action_off, "unclosed action");
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

bool tpl_tok_is(const struct parser *p, const struct token *t, const char *word)
{
        return t->t == T_IDENT && strlen(word) == t->len && !memcmp(p->s + t->off, word, t->len);
}

char *tpl_arena_strndup(struct parser *p, const char *s, size_t n)
{
        char *d = tpl_arena_alloc(p->a, n + 1);

        if (d)
                memcpy(d, s, n);
        return d;
}

int tpl_oom(struct parser *p)
{
        return nlab_err_set(p->err, NLAB_E_SYSTEM, "template: out of memory");
}

/* Peek at the next token without consuming it. */
int tpl_peek(struct parser *p, struct token *t)
{
        size_t save = p->pos;
        int r = tpl_lex(p, t);

        p->pos = save;
        return r;
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
                *olen += tpl_put_utf8(o + *olen, r);
        return 0;
}

int tpl_parse_string(struct parser *p, const struct token *t, struct arg *a)
{
        size_t end = t->off + t->len - 1, i = t->off + 1, olen = 0;
        char *o, q[200];

        if (t->t == T_RAW) {
                a->str = tpl_arena_strndup(p, p->s + i, end - i);
                a->slen = end - i;
                return a->str ? 0 : tpl_oom(p);
        }
        o = tpl_arena_alloc(p->a, t->len * 2 + 1); /* \xNN never grows; \u at most 4 of 6 */
        if (!o)
                return tpl_oom(p);
        while (i < end) {
                if (p->s[i] != '\\') {
                        o[olen++] = p->s[i++];
                        continue;
                }
                i++;
                if (unescape_one(p->s, end, &i, o, &olen) < 0)
                        return tpl_perr(p, t->off, "bad string %s",
                                        tpl_quote_src(p->s + t->off, t->len, q, sizeof(q)));
        }
        a->str = o;
        a->slen = olen;
        return 0;
}

int tpl_parse_char(struct parser *p, const struct token *t, struct arg *a)
{
        struct arg tmp = {0};
        struct token st = *t;
        const unsigned char *u;
        uint32_t r;
        char q[200];

        st.t = T_STRING;
        if (tpl_parse_string(p, &st, &tmp) < 0)
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
                return tpl_perr(p, t->off, "bad character constant %s",
                                tpl_quote_src(p->s + t->off, t->len, q, sizeof(q)));
        a->kind = A_INT;
        a->i = (json_int_t)r;
        return 0;
}

int tpl_parse_number(struct parser *p, const struct token *t, struct arg *a)
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
        return tpl_perr(p, t->off, "bad number syntax: %s",
                        tpl_quote_src(p->s + t->off, t->len, q, sizeof(q)));
}
