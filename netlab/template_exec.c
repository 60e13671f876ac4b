/* Render: walk a compiled tree over a jansson value. Every value is a json_t reference or
 * NULL, which stands for Go's invalid value (a missing map key). */
#include "netlab/template_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int tpl_xerr(struct exec *x, size_t off, const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nlab_err_set(x->err, NLAB_E_INVALID, "template: %s at offset %zu", msg, off);
}

int tpl_xoom(struct exec *x)
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
                        return tpl_xoom(x);
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

bool tpl_truth(const json_t *v)
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
                tn = tpl_type_name(v);
                json_decref(v);
                if (!strcmp(tn, "<nil>"))
                        return tpl_xerr(x, a->off, "nil pointer evaluating interface {}.%s",
                                        f->name);
                return tpl_xerr(x, a->off, "can't evaluate field %s in type %s", f->name, tn);
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
                        tpl_buf_putc(&path, '.');
                tpl_buf_puts(&path, f->name);
                last = f;
        }
        for (h = x->headers; h && h->field && path.p; h++) {
                if (!strcmp(h->field, path.p)) {
                        tpl_buf_free(&path);
                        *out = json_string(h->header);
                        return *out ? 0 : tpl_xoom(x);
                }
        }
        tpl_buf_free(&path);
        up = strdup(last->name);
        if (!up)
                return tpl_xoom(x);
        for (i = 0; up[i]; i++) {
                if (up[i] >= 'a' && up[i] <= 'z')
                        up[i] = (char)(up[i] - 'a' + 'A');
        }
        *out = json_string_nocheck(up);
        free(up);
        return *out ? 0 : tpl_xoom(x);
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
                        return tpl_xerr(x, a->off, "undefined variable %s", a->name);
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
                return tpl_xoom(x);
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
                if (tpl_truth(v) != is_and)
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
                        return tpl_xerr(x, fa->off,
                                        "wrong number of args for %s: want at least %d got %zu",
                                        fn->name, fn->min, argc);
                return tpl_xerr(x, fa->off, "wrong number of args for %s: want %d got %zu",
                                fn->name, fn->min, argc);
        }
        if (!fn->fn)
                return call_logic(x, fa, args, final, has_final, dot, out);
        argv = calloc(argc + 1, sizeof(*argv));
        if (!argv)
                return tpl_xoom(x);
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
                        tpl_buf_puts(&x->out, "<no value>");
                else
                        tpl_put_value(&x->out, v);
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
        if (tpl_truth(v))
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

        keys = tpl_sorted_keys(v, &count);
        if (!keys)
                return tpl_xoom(x);
        for (i = 0; i < count && r == 0; i++) {
                json_t *key = json_string_nocheck(keys[i]);

                r = key ? range_pass(x, n, key, json_object_get(v, keys[i])) : tpl_xoom(x);
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
        return tpl_xerr(x, n->off, "range can't iterate over %s", tpl_type_name(v));
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
                        return tpl_xerr(x, n->off, "template execution exceeds %lu steps",
                                        MAX_STEPS);
                if (x->out.failed)
                        return tpl_xerr(x, n->off, "output exceeds %u bytes", MAX_OUTPUT);
                switch (n->kind) {
                case N_TEXT:
                        tpl_buf_add(&x->out, n->text, n->len);
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
                r = tpl_xerr(x, 0, "output exceeds %u bytes or memory", MAX_OUTPUT);
        vars_pop(x, 0);
        free(x->vars);
        if (r == 0 && !x->out.p)
                x->out.p = strdup("");
        if (r == 0 && !x->out.p)
                r = tpl_xoom(x);
        if (r < 0) {
                tpl_buf_free(&x->out);
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
