/* Container ids (64 hex), short ids, and names. */
#ifndef NLAB_IDS_H
#define NLAB_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"

#define NLAB_ID_LEN    64
#define NLAB_SHORT_LEN 12

int nlab_id_new(char out[NLAB_ID_LEN + 1], struct nlab_err *err);
bool nlab_id_is_prefix(const char *s); /* 1..64 lowercase hex characters */
/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters). */
int nlab_name_check(const char *name, struct nlab_err *err);
/* A random "adjective_scientist" name; seed chooses it so tests can pin it. */
void nlab_name_random(char *out, size_t size, unsigned seed);

#endif
