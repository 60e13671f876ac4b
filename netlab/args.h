/* Docker-style flag parsing: --flag=value, --flag value, -x value, -xvalue, combined -dit. */
#ifndef NLAB_ARGS_H
#define NLAB_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/grammar.h" /* struct nlab_flag: the grammar the scenario parser reads too */
#include "runtime/net/hostsfile.h"

struct nlab_parsed {
        bool *set;
        const char **value;
        struct nlab_strv *list;
        char **pos; /* positional arguments, in order */
        int npos;
};

/* With stop_after > 0, everything after that many positionals is positional too
 * (run IMAGE CMD..., exec CTR CMD...). */
int nlab_args_parse(const struct nlab_flag *flags, size_t nflags, int argc, char **argv,
                    int stop_after, struct nlab_parsed *out, struct nlab_err *err);
void nlab_parsed_free(struct nlab_parsed *p, size_t nflags);
/* Index of a flag by long name, for readable lookups. */
int nlab_flag_index(const struct nlab_flag *flags, size_t nflags, const char *name);

#endif
