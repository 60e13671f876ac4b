/* Where netlab finds the small binaries it starts (netlab-shim, netlab-init). */
#ifndef NLAB_HELPERBIN_H
#define NLAB_HELPERBIN_H

#include <stddef.h>

#include "runtime/base/err.h"

/* NAME from $ENV_VAR, beside our own binary, the build tree's SUBDIR/, then /usr/local/bin;
 * NLAB_E_NOTFOUND naming ENV_VAR when none is executable. */
int nlab_helper_bin(const char *name, const char *env_var, const char *subdir, char *out,
                    size_t size, struct nlab_err *err);

#endif
