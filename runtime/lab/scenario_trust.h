/* A scenario file is code: the run/create options that would hand a lab's container the host
 * (bind mounts, --privileged, devices, SYS_ADMIN/SYS_MODULE, no seccomp) need the teacher's
 * explicit opt-in. Pure: it only reads a parsed scenario. */
#ifndef NLAB_SCENARIO_TRUST_H
#define NLAB_SCENARIO_TRUST_H

#include "runtime/base/err.h"
#include "runtime/lab/scenario.h"

/* 0 when no step needs trust; otherwise -1 with err->msg "FILE:LINE: OPTION: why". g tells
 * which options take a value (the CLI's grammar, as for the parser). */
int nlab_scenario_check_trust(const struct nlab_scenario *s, const struct nlab_grammar *g,
                              struct nlab_err *err);

#endif
