/* --hostname: what the UTS namespace and /etc/hosts may be given. */
#ifndef NLAB_HOSTNAME_H
#define NLAB_HOSTNAME_H

#include "runtime/base/err.h"

/* RFC 1123 host name: dot-separated labels of letters, digits and inner '-', each 1 to 63
 * characters, at most 64 in all (the kernel's limit). The error names the value. */
int nlab_hostname_check(const char *name, struct nlab_err *err);

#endif
