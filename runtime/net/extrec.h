/* An external host's record, external.json, parsed and checked once when it is loaded: its
 * addresses are derived from the recorded subnet by the same plan that made them. */
#ifndef NLAB_EXTREC_H
#define NLAB_EXTREC_H

#include <jansson.h>

#include "runtime/base/err.h"
#include "runtime/net/external.h"

int nlab_external_parse(const json_t *rec, struct nlab_external *x, struct nlab_err *err);
/* The record as written: Name, Subnet, Address, HostAddress, HostInterface, Created, and
 * while it is being made State "creating" with the creator's pid and start time. */
json_t *nlab_external_encode(const struct nlab_external *x);

#endif
