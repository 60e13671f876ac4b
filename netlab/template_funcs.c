/* The builtin functions: Go's (index, len, print*, eq/lt/..., not; and/or live in
 * template_exec.c because they short-circuit) and Docker's (json, join, split, upper, ...). */
#include "netlab/template_int.h"

#include <stdlib.h>
#include <string.h>

static int ret_buf(struct exec *x, struct buf *b, json_t **out)
{
        if (b->failed) {
                tpl_buf_free(b);
                return tpl_xerr(x, 0, "output exceeds %u bytes or memory", MAX_OUTPUT);
        }
        *out = json_stringn_nocheck(b->p ? b->p : "", b->len);
        tpl_buf_free(b);
        return *out ? 0 : tpl_xoom(x);
}

static int need_string(struct exec *x, const char *fn, json_t *v, size_t off)
{
        if (json_is_string(v))
                return 0;
        if (is_nil(v))
                return tpl_xerr(x, off, "error calling %s: invalid value; expected string", fn);
        return tpl_xerr(x, off, "error calling %s: wrong type for value; expected string; got %s",
                        fn, tpl_type_name(v));
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
                return tpl_xerr(x, off, "error calling index: index of untyped nil");
        if (json_is_object(item)) {
                if (!json_is_string(k))
                        return tpl_xerr(x, off,
                                        "error calling index: value has type %s; should be string",
                                        tpl_type_name(k));
                *out = json_incref(
                    json_object_getn(item, json_string_value(k), json_string_length(k)));
                return 0;
        }
        if (!json_is_array(item) && !json_is_string(item))
                return tpl_xerr(x, off, "error calling index: can't index item of type %s",
                                tpl_type_name(item));
        if (!int_value(k, &i))
                return tpl_xerr(x, off,
                                "error calling index: cannot index slice/array with type %s",
                                tpl_type_name(k));
        size = json_is_array(item) ? json_array_size(item) : json_string_length(item);
        if (i < 0 || (unsigned long long)i >= size)
                return tpl_xerr(x, off, "error calling index: index out of range: %lld", i);
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
                return tpl_xerr(x, off, "error calling len: len of nil pointer");
        else
                return tpl_xerr(x, off, "error calling len: len of type %s", tpl_type_name(v));
        *out = json_integer((json_int_t)n);
        return *out ? 0 : tpl_xoom(x);
}

static int fn_json(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        (void)argc;
        (void)off;
        tpl_put_json(&b, argv[0]);
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
                        tpl_buf_putc(b, ' ');
                tpl_put_value(b, argv[i]);
                prev_string = is_string;
        }
        if (ln)
                tpl_buf_putc(b, '\n');
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

static int fn_printf(struct exec *x, json_t **argv, size_t argc, size_t off, json_t **out)
{
        struct buf b = {0};

        if (need_string(x, "printf", argv[0], off) < 0)
                return -1;
        tpl_sprintf_go(&b, json_string_value(argv[0]), json_string_length(argv[0]), argv + 1,
                       argc - 1);
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
                return tpl_xoom(x);
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
        return *out ? 0 : tpl_xoom(x);
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
                return tpl_xerr(
                    x, off, "error calling join: wrong type for value; expected []string; got %s",
                    tpl_type_name(argv[0]));
        if (need_string(x, "join", argv[1], off) < 0)
                return -1;
        for (i = 0; i < json_array_size(argv[0]); i++) {
                if (i)
                        tpl_buf_add(&b, json_string_value(argv[1]), json_string_length(argv[1]));
                tpl_put_value(&b, json_array_get(argv[0], i));
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
                        l = tpl_utf8_len((const unsigned char *)s + i, n - i);
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
        return list ? 0 : tpl_xoom(x);
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
                return tpl_xerr(x, off,
                                "error calling pad: padding must be a small non-negative int");
        while (pre-- > 0)
                tpl_buf_putc(&b, ' ');
        tpl_buf_add(&b, json_string_value(argv[0]), json_string_length(argv[0]));
        while (post-- > 0)
                tpl_buf_putc(&b, ' ');
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
                return tpl_xerr(x, off,
                                "error calling truncate: length must be a non-negative int");
        len = json_string_length(argv[0]);
        *out = json_stringn_nocheck(json_string_value(argv[0]),
                                    (unsigned long long)n < len ? (size_t)n : len);
        return *out ? 0 : tpl_xoom(x);
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
                        return tpl_xerr(x, off,
                                        "error calling eq: incompatible types for comparison");
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
                return tpl_xerr(x, off, "error calling %s: incompatible types for comparison", fn);
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
        *out = json_boolean(!tpl_truth(argv[0]));
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

const struct func *tpl_func_lookup(const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
                if (strlen(funcs[i].name) == len && !memcmp(funcs[i].name, name, len))
                        return &funcs[i];
        }
        return NULL;
}
