#include "runtime/base/strv.h"

#include <stdlib.h>
#include <string.h>

int nlab_strv_append(struct nlab_strv *sv, const struct nlab_strv *from)
{
        size_t i;

        for (i = 0; from && i < from->n; i++)
                if (nlab_strv_push(sv, from->v[i]) < 0)
                        return -1;
        return 0;
}

int nlab_strv_push(struct nlab_strv *sv, const char *s)
{
        char **nv = realloc(sv->v, (sv->n + 2) * sizeof(char *));
        char *copy;

        if (!nv)
                return -1;
        sv->v = nv;
        copy = strdup(s);
        if (!copy)
                return -1;
        sv->v[sv->n++] = copy;
        sv->v[sv->n] = NULL;
        return 0;
}

void nlab_strv_free(struct nlab_strv *sv)
{
        size_t i;

        for (i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        sv->v = NULL;
        sv->n = 0;
}
