/* --filter KEY=VALUE as Docker has it: the same key ORs, different keys AND. */
#ifndef NLAB_FILTER_H
#define NLAB_FILTER_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"

struct nlab_filter {
        char key[32];
        const char *value; /* points into the parsed argument */
};

struct nlab_filters {
        struct nlab_filter *v;
        size_t n;
};

/* keys: the accepted keys, NULL-terminated. */
int nlab_filters_parse(const struct nlab_strv *in, const char *const *keys,
                       struct nlab_filters *out, struct nlab_err *err);
void nlab_filters_free(struct nlab_filters *f);

typedef bool (*nlab_filter_fn)(const struct nlab_filter *f, const void *item);
bool nlab_filters_match(const struct nlab_filters *f, nlab_filter_fn one, const void *item);
/* label=KEY or label=KEY=VALUE against a Labels object. */
bool nlab_filter_label(const json_t *labels, const char *want);

#endif
