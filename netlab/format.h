/* Printing rows and documents: default tables, --format json, Go templates. */
#ifndef NLAB_FORMAT_H
#define NLAB_FORMAT_H

#include <jansson.h>
#include <stddef.h>

#include "netlab/cli.h"
#include "runtime/base/ctrconfig.h"
#include "netlab/template.h"

/* rows: array of objects. format: "json", "table TEMPLATE" or "TEMPLATE"; headers name the
 * table columns ({NULL, NULL}-terminated). */
int nlab_print_rows(json_t *rows, const char *format, const struct nlab_header *headers,
                    struct nlab_err *err);
/* inspect: the JSON array indented like Docker, or one template line per document. */
int nlab_print_docs(json_t *docs, const char *format, struct nlab_err *err);
/* Docker's PORTS column from NetworkSettings.Ports. */
void nlab_format_ports(const struct nlab_port_map *ports, char *buf, size_t size);
/* Find a container or network by name or id (type: NULL, "container" or "network"). */
int nlab_inspect_any(struct nlab_cli *cli, const char *ref, const char *type, json_t **doc,
                     struct nlab_err *err);

#endif
