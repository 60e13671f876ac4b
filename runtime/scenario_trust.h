/* A scenario file is code: the run/create options that would hand a lab's container the host
 * (bind mounts, --privileged, devices, SYS_ADMIN/SYS_MODULE, no seccomp) need the teacher's
 * explicit opt-in. Pure: it only reads a parsed scenario. */
#ifndef NLAB_SCENARIO_TRUST_H
#define NLAB_SCENARIO_TRUST_H

#include "runtime/err.h"
#include "runtime/scenario.h"

/* 0 when no step needs trust; otherwise -1 with err->msg "FILE:LINE: OPTION: why". */
int nlab_scenario_check_trust(const struct nlab_scenario *s, struct nlab_err *err);

#endif
