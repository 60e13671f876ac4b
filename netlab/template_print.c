/* Printing values as Go does: fmt's %v, encoding/json's compact form, strconv quoting, and
 * fmt.Sprintf's verbs, flags, width and precision. */
#include "netlab/template_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tpl_type_name(const json_t *v)
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
                tpl_buf_puts(b, "NaN");
                return;
        }
        if (isinf(d)) {
                tpl_buf_puts(b, d > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (signbit(d)) {
                tpl_buf_putc(b, '-');
                d = -d;
        }
        if (d == 0) {
                tpl_buf_putc(b, '0');
                return;
        }
        shortest(d, dg, &nd, &dp);
        e = dp - 1;
        /* fmt's %v switches to %e at exponent 6 (strconv 'g', shortest); encoding/json at 1e21 */
        if (st == F_GO ? (e < -4 || e >= 6) : (d < 1e-6 || d >= 1e21)) {
                tpl_buf_putc(b, dg[0]);
                if (nd > 1) {
                        tpl_buf_putc(b, '.');
                        tpl_buf_add(b, dg + 1, (size_t)nd - 1);
                }
                tpl_buf_printf(b, st == F_JSON && e < 0 && e > -10 ? "e%c%d" : "e%c%02d",
                               e < 0 ? '-' : '+', e < 0 ? -e : e);
                return;
        }
        if (dp <= 0) {
                tpl_buf_puts(b, "0.");
                for (i = 0; i < -dp; i++)
                        tpl_buf_putc(b, '0');
                tpl_buf_add(b, dg, (size_t)nd);
        } else if (dp >= nd) {
                tpl_buf_add(b, dg, (size_t)nd);
                for (i = 0; i < dp - nd; i++)
                        tpl_buf_putc(b, '0');
        } else {
                tpl_buf_add(b, dg, (size_t)dp);
                tpl_buf_putc(b, '.');
                tpl_buf_add(b, dg + dp, (size_t)(nd - dp));
        }
}

static int cmp_keys(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Object keys in Go's map order (sorted); NULL on allocation failure of a non-empty object. */
const char **tpl_sorted_keys(json_t *obj, size_t *n)
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
void tpl_put_value(struct buf *b, json_t *v)
{
        const char **keys;
        size_t i, n;

        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_STRING:
                tpl_buf_add(b, json_string_value(v), json_string_length(v));
                return;
        case JSON_INTEGER:
                tpl_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return;
        case JSON_REAL:
                put_float(b, json_real_value(v), F_GO);
                return;
        case JSON_TRUE:
                tpl_buf_puts(b, "true");
                return;
        case JSON_FALSE:
                tpl_buf_puts(b, "false");
                return;
        case JSON_ARRAY:
                tpl_buf_putc(b, '[');
                for (i = 0; i < json_array_size(v); i++) {
                        if (i)
                                tpl_buf_putc(b, ' ');
                        tpl_put_value(b, json_array_get(v, i));
                }
                tpl_buf_putc(b, ']');
                return;
        case JSON_OBJECT:
                keys = tpl_sorted_keys(v, &n);
                if (!keys) {
                        b->failed = true;
                        return;
                }
                tpl_buf_puts(b, "map[");
                for (i = 0; i < n; i++) {
                        if (i)
                                tpl_buf_putc(b, ' ');
                        tpl_buf_puts(b, keys[i]);
                        tpl_buf_putc(b, ':');
                        tpl_put_value(b, json_object_get(v, keys[i]));
                }
                tpl_buf_putc(b, ']');
                free(keys);
                return;
        default:
                tpl_buf_puts(b, "<nil>");
        }
}

/* Length of a valid UTF-8 sequence at s, or 0. */
size_t tpl_utf8_len(const unsigned char *s, size_t n)
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

        tpl_buf_putc(b, '"');
        while (i < n) {
                for (m = named; *m && *m != (char)u[i]; m += 2)
                        ;
                if (*m) {
                        tpl_buf_putc(b, '\\');
                        tpl_buf_putc(b, m[1]);
                        i++;
                } else if (u[i] < 0x20 || u[i] == 0x7f) {
                        tpl_buf_printf(b, go ? "\\x%02x" : "\\u%04x", u[i]);
                        i++;
                } else if (!(l = tpl_utf8_len(u + i, n - i))) {
                        tpl_buf_puts(b, go ? "\\x" : "\\ufffd");
                        if (go)
                                tpl_buf_printf(b, "%02x", u[i]);
                        i++;
                } else if (!go && l == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
                           (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
                        tpl_buf_printf(b, "\\u202%c", u[i + 2] == 0xa8 ? '8' : '9');
                        i += 3;
                } else {
                        tpl_buf_add(b, s + i, l);
                        i += l;
                }
        }
        tpl_buf_putc(b, '"');
}

/* Compact JSON like Docker's json function; object keys in the object's own order. */
void tpl_put_json(struct buf *b, json_t *v)
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
                tpl_put_value(b, v);
                return;
        case JSON_REAL:
                put_float(b, json_real_value(v), F_JSON);
                return;
        case JSON_ARRAY:
                tpl_buf_putc(b, '[');
                json_array_foreach(v, i, e)
                {
                        if (i)
                                tpl_buf_putc(b, ',');
                        tpl_put_json(b, e);
                }
                tpl_buf_putc(b, ']');
                return;
        case JSON_OBJECT:
                tpl_buf_putc(b, '{');
                json_object_keylen_foreach(v, k, klen, e)
                {
                        if (i++)
                                tpl_buf_putc(b, ',');
                        put_quoted(b, k, klen, false);
                        tpl_buf_putc(b, ':');
                        tpl_put_json(b, e);
                }
                tpl_buf_putc(b, '}');
                return;
        default:
                tpl_buf_puts(b, "null");
        }
}

size_t tpl_put_utf8(char *o, uint32_t r)
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

/* ---- printf ---- */

struct spec {
        bool minus, plus, zero, space, sharp;
        int width, prec; /* -1: not given */
        char verb;
};

/* fmt's complaint for a verb that does not fit the operand: %!d(string=abc). */
static void put_bad_verb(struct buf *b, char verb, json_t *v)
{
        if (is_nil(v)) {
                tpl_buf_printf(b, "%%!%c(<nil>)", verb);
                return;
        }
        tpl_buf_printf(b, "%%!%c(%s=", verb, tpl_type_name(v));
        tpl_put_value(b, v);
        tpl_buf_putc(b, ')');
}

static void fmt_arg(struct buf *b, const struct spec *s, json_t *v);

/* %s / %d over arrays and maps apply the verb to every element, as fmt does. */
static void fmt_composite(struct buf *b, const struct spec *s, json_t *v)
{
        const char **keys;
        size_t i, n;

        if (json_is_array(v)) {
                tpl_buf_putc(b, '[');
                for (i = 0; i < json_array_size(v); i++) {
                        if (i)
                                tpl_buf_putc(b, ' ');
                        fmt_arg(b, s, json_array_get(v, i));
                }
                tpl_buf_putc(b, ']');
                return;
        }
        keys = tpl_sorted_keys(v, &n);
        if (!keys) {
                b->failed = true;
                return;
        }
        tpl_buf_puts(b, "map[");
        for (i = 0; i < n; i++) {
                json_t *k = json_string_nocheck(keys[i]);

                if (i)
                        tpl_buf_putc(b, ' ');
                fmt_arg(b, s, k);
                tpl_buf_putc(b, ':');
                fmt_arg(b, s, json_object_get(v, keys[i]));
                json_decref(k);
        }
        tpl_buf_putc(b, ']');
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
                        tpl_buf_printf(b, s->verb == 'x' ? "%02x" : "%02X", (unsigned char)str[i]);
                return;
        }
        while (i < n && (s->prec < 0 || runes < s->prec)) {
                l = tpl_utf8_len((const unsigned char *)str + i, n - i);
                i += l ? l : 1;
                runes++;
        }
        tpl_buf_add(b, str, i);
}

static void fmt_float(struct buf *b, const struct spec *s, double d)
{
        char f[16];

        if (s->prec < 0 && (s->verb == 'g' || s->verb == 'v')) {
                if (s->plus && !signbit(d))
                        tpl_buf_putc(b, '+');
                put_float(b, d, F_GO);
                return;
        }
        snprintf(f, sizeof(f), "%%%s.*%c", s->plus ? "+" : "", s->verb == 'v' ? 'g' : s->verb);
        tpl_buf_printf(b, f, s->prec < 0 ? 6 : s->prec, d);
}

static void fmt_int(struct buf *b, const struct spec *s, json_int_t i)
{
        unsigned long long u = i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;
        char cbuf[8];

        if (s->verb == 'c') {
                tpl_buf_add(b, cbuf,
                            tpl_put_utf8(cbuf, i < 0 || i > 0x10ffff ? 0xfffd : (uint32_t)i));
                return;
        }
        if (i < 0)
                tpl_buf_putc(b, '-');
        else if (s->plus || s->space)
                tpl_buf_putc(b, s->plus ? '+' : ' ');
        if (s->verb == 'x')
                tpl_buf_printf(b, "%llx", u);
        else if (s->verb == 'X')
                tpl_buf_printf(b, "%llX", u);
        else
                tpl_buf_printf(b, "%llu", u);
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
                tpl_put_value(b, v);
        } else if (t == JSON_INTEGER && strchr("dxXc", verb)) {
                fmt_int(b, s, json_integer_value(v));
        } else if (t == JSON_REAL && strchr("eEfFgG", verb)) {
                fmt_float(b, s, json_real_value(v));
        } else if ((t == JSON_TRUE || t == JSON_FALSE) && verb == 't') {
                tpl_put_value(b, v);
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
                tpl_buf_free(&one);
                return;
        }
        runes = rune_count(one.p ? one.p : "", one.len);
        pad = s->width > 0 && (size_t)s->width > runes ? (size_t)s->width - runes : 0;
        if (zero && one.len && (one.p[0] == '-' || one.p[0] == '+'))
                sign = 1;
        if (!s->minus) {
                tpl_buf_add(b, one.p, sign);
                for (; pad > 0; pad--)
                        tpl_buf_putc(b, zero ? '0' : ' ');
        }
        tpl_buf_add(b, one.p ? one.p + sign : "", one.len - sign);
        for (; pad > 0; pad--)
                tpl_buf_putc(b, ' ');
        tpl_buf_free(&one);
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

void tpl_sprintf_go(struct buf *b, const char *f, size_t n, json_t **argv, size_t argc)
{
        size_t i = 0, argi = 0, start;

        while (i < n) {
                struct spec s = {.width = -1, .prec = -1};

                for (start = i; i < n && f[i] != '%'; i++)
                        ;
                tpl_buf_add(b, f + start, i - start);
                if (i++ >= n)
                        break;
                parse_flags(f, n, &i, &s);
                s.width = spec_number(f, n, &i, argv, argc, &argi);
                if (s.width == -2)
                        tpl_buf_puts(b, "%!(BADWIDTH)");
                if (i < n && f[i] == '.') {
                        i++;
                        s.prec = spec_number(f, n, &i, argv, argc, &argi);
                        if (s.prec == -2)
                                tpl_buf_puts(b, "%!(BADPREC)");
                        else if (s.prec == -1)
                                s.prec = 0;
                }
                if (i >= n) {
                        tpl_buf_puts(b, "%!(NOVERB)");
                        break;
                }
                s.verb = f[i++];
                if (s.verb == '%')
                        tpl_buf_putc(b, '%');
                else if (argi >= argc)
                        tpl_buf_printf(b, "%%!%c(MISSING)", s.verb);
                else
                        fmt_padded(b, &s, argv[argi++]);
        }
        if (argi >= argc)
                return;
        tpl_buf_puts(b, "%!(EXTRA ");
        for (start = argi; argi < argc; argi++) {
                if (argi > start)
                        tpl_buf_puts(b, ", ");
                if (!is_nil(argv[argi])) {
                        tpl_buf_puts(b, tpl_type_name(argv[argi]));
                        tpl_buf_putc(b, '=');
                }
                tpl_put_value(b, argv[argi]);
        }
        tpl_buf_putc(b, ')');
}
