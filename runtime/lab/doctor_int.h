/* Shared by doctor.c (the state root's networks and the firewall) and doctor_host.c (kernel
 * features, cgroups, user namespaces): how a check adds its finding. */
#ifndef NLAB_LAB_DOCTOR_INT_H
#define NLAB_LAB_DOCTOR_INT_H

#include "runtime/lab/doctor.h"

/* A new finding of check at level with text from fmt; NULL when out of memory. */
struct nlab_doc_finding *doc_add(struct nlab_doctor *d, const char *check,
                                 enum nlab_doc_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void doc_fix(struct nlab_doc_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The host-wide checks, which need no state root. */
int doc_kernel(struct nlab_doctor *d, const struct nlab_doctor_opts *o, struct nlab_err *err);
int doc_cgroup(struct nlab_doctor *d, struct nlab_err *err);
int doc_userns(struct nlab_doctor *d, struct nlab_err *err);
int doc_rootless(struct nlab_doctor *d, struct nlab_err *err);

#endif
