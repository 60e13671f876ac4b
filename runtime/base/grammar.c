#include "runtime/base/grammar.h"

#include <assert.h>
#include <string.h>

const struct nlab_cmd_grammar *nlab_grammar_find(const struct nlab_grammar *g, const char *name,
                                                 const char *sub)
{
        size_t i;

        assert(g && name);
        for (i = 0; i < g->n; i++) {
                const struct nlab_cmd_grammar *c = &g->cmds[i];
                if (strcmp(c->name, name) || !c->sub != !sub)
                        continue;
                if (!sub || !strcmp(c->sub, sub))
                        return c;
        }
        return NULL;
}

static bool flag_matches(const struct nlab_flag *f, const char *flag)
{
        if (flag[0] && !flag[1])
                return f->shortc == flag[0];
        return !strcmp(f->name, flag) || (f->alias && !strcmp(f->alias, flag));
}

bool nlab_grammar_takes_value(const struct nlab_cmd_grammar *c, const char *flag)
{
        size_t i;

        assert(c && flag);
        for (i = 0; c->flags && i < c->flags->n; i++)
                if (flag_matches(&c->flags->v[i], flag))
                        return c->flags->v[i].type != NLAB_FLAG_BOOL;
        return false;
}
