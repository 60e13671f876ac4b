#include "runtime/lab/reason.h"

#include <stdio.h>
#include <string.h>

#include "runtime/base/suggest.h"

/* Stable: scenarios and graders match these words. Add, never rename. */
static const char *const names[NLAB_REASON_COUNT] = {
    [NLAB_REASON_NONE] = "",
    [NLAB_REASON_DIFFERENT_NETWORKS] = "different-networks",
    [NLAB_REASON_INTERNAL] = "internal",
    [NLAB_REASON_ICC_DISABLED] = "icc-disabled",
    [NLAB_REASON_NOT_PUBLISHED] = "not-published",
    [NLAB_REASON_OTHER_HOST_PORT] = "other-host-port",
    [NLAB_REASON_LOOPBACK_ONLY] = "loopback-only",
    [NLAB_REASON_NOT_LISTENING] = "not-listening",
    [NLAB_REASON_STOPPED] = "stopped",
    [NLAB_REASON_NO_NETWORK] = "no-network",
    [NLAB_REASON_PORT_DOWN] = "port-down",
    [NLAB_REASON_NO_ROUTE] = "no-route",
    [NLAB_REASON_FOREIGN_FIREWALL] = "foreign-firewall",
    [NLAB_REASON_FIREWALL] = "firewall",
    [NLAB_REASON_NAME_UNKNOWN] = "name-unknown",
    [NLAB_REASON_NO_HOST] = "no-host",
    [NLAB_REASON_UNKNOWN] = "unknown",
};

const char *nlab_reason_name(enum nlab_reason r)
{
        return (unsigned)r < NLAB_REASON_COUNT ? names[r] : "";
}

int nlab_reason_parse(const char *s, enum nlab_reason *out)
{
        size_t i;

        for (i = 1; i < NLAB_REASON_COUNT; i++)
                if (!strcmp(s, names[i])) {
                        *out = (enum nlab_reason)i;
                        return 0;
                }
        return -1;
}

const char *nlab_reason_suggest(const char *s)
{
        return nlab_suggest(s, names + 1, NLAB_REASON_COUNT - 1, nlab_suggest_bound(s));
}

void nlab_reason_list(char *buf, size_t size)
{
        size_t i, len = 0;

        buf[0] = '\0';
        for (i = 1; i < NLAB_REASON_COUNT && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i > 1 ? ", " : "", names[i]);
}
