/* The grammar of netlab's commands: names, positional arity and flags. The CLI defines it once
 * (netlab/grammar.c, over the very flag tables its commands parse with) and hands it to the
 * runtime's readers of netlab command lines (the scenario parser and its trust check), so that
 * a flag added to a command is known to them too. */
#ifndef NLAB_GRAMMAR_H
#define NLAB_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>

enum nlab_flag_type {
        NLAB_FLAG_BOOL,
        NLAB_FLAG_VALUE, /* the last one wins */
        NLAB_FLAG_LIST,  /* repeatable */
};

struct nlab_flag {
        const char *name; /* long name without dashes */
        char shortc;      /* 0 if none */
        enum nlab_flag_type type;
        const char *alias; /* a second long name (--net for --network) */
};

/* A command's flag table, as exported by the command's file. */
struct nlab_flags {
        const struct nlab_flag *v;
        size_t n;
};
#define NLAB_FLAGS(table)                                                                          \
        {                                                                                          \
                (table), sizeof(table) / sizeof((table)[0])                                        \
        }

struct nlab_cmd_grammar {
        const char *name;
        const char *sub;      /* "network create": "create"; NULL for a plain command */
        int min, max;         /* positional arguments; max -1: any number */
        bool rest_is_command; /* run IMAGE CMD..., exec CTR CMD...: after the first, all positional
                               */
        const char *usage;
        const struct nlab_flags *flags;
};

struct nlab_grammar {
        const struct nlab_cmd_grammar *cmds;
        size_t n;
};

/* The command name (with sub when given; sub NULL matches a plain command only), or NULL. */
const struct nlab_cmd_grammar *nlab_grammar_find(const struct nlab_grammar *g, const char *name,
                                                 const char *sub);
/* Does flag (a long name or alias without dashes, or one letter) take a value? */
bool nlab_grammar_takes_value(const struct nlab_cmd_grammar *c, const char *flag);

#endif
