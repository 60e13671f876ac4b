/* A growable, NULL-terminated vector of owned strings (repeated flags, argv, lists). */
#ifndef NLAB_STRV_H
#define NLAB_STRV_H

#include <stddef.h>

struct nlab_strv {
        char **v; /* NULL-terminated once anything was pushed */
        size_t n;
};

/* Append a copy of s; -1 when out of memory. */
int nlab_strv_push(struct nlab_strv *sv, const char *s);
/* Append copies of every string of from (NULL or empty: nothing); -1 when out of memory. */
int nlab_strv_append(struct nlab_strv *sv, const struct nlab_strv *from);
void nlab_strv_free(struct nlab_strv *sv);

#endif
