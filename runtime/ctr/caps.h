/* Capability sets: Docker's default set, --cap-add/--cap-drop, and applying them. */
#ifndef NLAB_CAPS_H
#define NLAB_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"

/* Bit mask of capabilities to keep, from Docker's defaults adjusted by add/drop ("ALL" works). */
int nlab_caps_compute(const struct nlab_strv *add, const struct nlab_strv *drop, bool privileged,
                      uint64_t *keep, struct nlab_err *err);
/* Check one name ("NET_ADMIN", "CAP_NET_ADMIN", "all"). */
int nlab_cap_check(const char *name, struct nlab_err *err);
/* In the container's process: drop the bounding set and set eff/perm/inh to keep. */
int nlab_caps_apply(uint64_t keep, struct nlab_err *err);

#endif
