/* A container's published ports: requests at create, host ports claimed until rm, and the
 * mappings that netglue hands to the firewall while the container runs. */
#ifndef NLAB_PORTS_H
#define NLAB_PORTS_H

#include <jansson.h>

#include "runtime/base/err.h"
#include "runtime/base/portspec.h"
#include "runtime/base/store.h"

struct nlab_run_req;

/* Parse -p, --expose and -P into cfg (HostConfig.PortBindings, Config.ExposedPorts). */
int nlab_ports_prepare(const struct nlab_run_req *req, json_t *cfg, struct nlab_err *err);
/* Under the store lock: pick and claim host ports; fills NetworkSettings.Ports. A port held by
 * another container or a host listener is refused naming the holder. */
int nlab_ports_claim(struct nlab_store *st, const char *id, json_t *cfg, struct nlab_err *err);
void nlab_ports_release(struct nlab_store *st, const char *id, const json_t *cfg);
/* The resolved mappings of NetworkSettings.Ports (malloc'd). */
int nlab_ports_mappings(const json_t *cfg, struct nlab_port_mapping **m, size_t *n);

#endif
