/* Why traffic or a name did not arrive: one stable short name per cause, so a scenario can
 * assert it (`because REASON`) and tools can match it in reports. Pure. */
#ifndef NLAB_LAB_REASON_H
#define NLAB_LAB_REASON_H

#include <stddef.h>

enum nlab_reason {
        NLAB_REASON_NONE, /* nothing found broken */
        NLAB_REASON_DIFFERENT_NETWORKS,
        NLAB_REASON_INTERNAL,
        NLAB_REASON_ICC_DISABLED,
        NLAB_REASON_NOT_PUBLISHED,
        NLAB_REASON_OTHER_HOST_PORT,
        NLAB_REASON_LOOPBACK_ONLY,
        NLAB_REASON_NOT_LISTENING,
        NLAB_REASON_STOPPED,
        NLAB_REASON_NO_NETWORK, /* --network none, or a sidecar left in a dead namespace */
        NLAB_REASON_PORT_DOWN,  /* the container's port on the bridge is down or missing */
        NLAB_REASON_NO_ROUTE,
        NLAB_REASON_FOREIGN_FIREWALL,
        NLAB_REASON_FIREWALL, /* netlab's own rules drop it */
        NLAB_REASON_NAME_UNKNOWN,
        NLAB_REASON_NO_HOST, /* an address that no container or test host has */
        NLAB_REASON_UNKNOWN, /* it did not arrive, and nothing in the kernel's state says why */
        NLAB_REASON_COUNT,
};

/* "different-networks", ...; "" for NONE. */
const char *nlab_reason_name(enum nlab_reason r);
/* The reason named s (not NONE): 0, or -1 when s names none. */
int nlab_reason_parse(const char *s, enum nlab_reason *out);
/* The nearest name to a mistyped s, or NULL. */
const char *nlab_reason_suggest(const char *s);
/* Every name, comma-separated, for messages and docs. */
void nlab_reason_list(char *buf, size_t size);

#endif
