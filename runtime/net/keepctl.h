/* The rootless keeper's control socket, <root>/keeper.sock: the lab host's commands ask the
 * keeper's outer half (in the real host's namespaces) to publish, check and unpublish ports there.
 * One request line, answer lines, the last "ok" or "error KIND MESSAGE", then the keeper closes.
 * The line codec is pure (unit-tested); the client is the small I/O part. */
#ifndef NLAB_KEEPCTL_H
#define NLAB_KEEPCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/portspec.h"

#define NLAB_KEEPCTL_LINE 512

enum nlab_keepctl_op { NLAB_KC_ADD, NLAB_KC_REMOVE, NLAB_KC_CHECK, NLAB_KC_LIST, NLAB_KC_PIDS };

/* One request: a mapping (host ip "" = any) and for ADD its target in the lab host. */
struct nlab_keepctl_req {
        enum nlab_keepctl_op op;
        struct nlab_port_mapping m;
        char target[46];
};

/* "add tcp - 8080 172.17.0.2 80\n" and back; -1 if line is not a well-formed request. */
int nlab_keepctl_format(const struct nlab_keepctl_req *req, char *buf, size_t size);
int nlab_keepctl_parse(const char *line, struct nlab_keepctl_req *req);

/* Rootless: the commands of this state root run in a lab host that has a keeper socket. */
bool nlab_keepctl_active(const char *root);

/* Ask the keeper; the answer's lines before "ok" in *out (malloc'd, may be NULL). An "error"
 * answer becomes err with its kind and message. */
int nlab_keepctl_call(const char *root, const struct nlab_keepctl_req *req, char **out,
                      struct nlab_err *err);

/* The three calls the publish path makes. */
int nlab_keepctl_add(const char *root, const struct nlab_port_mapping *m, const char *target,
                     struct nlab_err *err);
int nlab_keepctl_remove(const char *root, const struct nlab_port_mapping *m, struct nlab_err *err);
/* Is the port free on the real host (0), or held (NLAB_E_CONFLICT naming who)? */
int nlab_keepctl_check(const char *root, const struct nlab_port_mapping *m, struct nlab_err *err);

#endif
