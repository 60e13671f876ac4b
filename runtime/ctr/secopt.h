/* --security-opt values (HostConfig.SecurityOpt): which ones netlab implements. Pure. */
#ifndef NLAB_SECOPT_H
#define NLAB_SECOPT_H

#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"

struct nlab_secopt {
        bool seccomp_unconfined;
};

/* Parse every value; an unknown or unimplemented one fails naming it and what is accepted. */
int nlab_secopt_parse(const struct nlab_strv *opts, struct nlab_secopt *out, struct nlab_err *err);

#endif
