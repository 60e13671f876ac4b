#include "netlab/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nlab_filters_parse(const struct nlab_strv *in, const char *const *keys,
                       struct nlab_filters *out, struct nlab_err *err)
{
        size_t i, k;

        out->n = 0;
        out->v = calloc(in->n + 1, sizeof(*out->v));
        if (!out->v)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        for (i = 0; i < in->n; i++) {
                const char *eq = strchr(in->v[i], '=');
                bool known = false;
                if (!eq)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "bad format of filter \"%s\" (expected name=value)",
                                            in->v[i]);
                snprintf(out->v[i].key, sizeof(out->v[i].key), "%.*s", (int)(eq - in->v[i]),
                         in->v[i]);
                for (k = 0; keys[k]; k++)
                        known = known || !strcmp(keys[k], out->v[i].key);
                if (!known)
                        return nlab_err_set(err, NLAB_E_INVALID, "invalid filter '%s'",
                                            out->v[i].key);
                out->v[i].value = eq + 1;
                out->n++;
        }
        return 0;
}

void nlab_filters_free(struct nlab_filters *f)
{
        free(f->v);
        f->v = NULL;
        f->n = 0;
}

bool nlab_filters_match(const struct nlab_filters *f, nlab_filter_fn one, const void *item)
{
        size_t i, j;

        for (i = 0; i < f->n; i++) {
                bool any = false;
                for (j = 0; j < f->n && !any; j++)
                        if (!strcmp(f->v[i].key, f->v[j].key))
                                any = one(&f->v[j], item);
                if (!any)
                        return false;
        }
        return true;
}

/* The one reading of KEY[=VALUE], whatever holds the labels. */
static bool label_match(const char *want, const char *(*get)(const void *, const char *),
                        const void *labels)
{
        const char *eq = strchr(want, '=');
        char key[256];
        const char *v;

        snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - want : (long)strlen(want)), want);
        v = get(labels, key);
        return v && (!eq || !strcmp(v, eq + 1));
}

static const char *json_label(const void *labels, const char *key)
{
        return json_string_value(json_object_get(labels, key));
}

static const char *kvs_label(const void *labels, const char *key)
{
        return nlab_kvs_get(labels, key);
}

bool nlab_filter_label(const json_t *labels, const char *want)
{
        return label_match(want, json_label, labels);
}

bool nlab_filter_label_kvs(const struct nlab_kvs *labels, const char *want)
{
        return label_match(want, kvs_label, labels);
}
