/* /etc/subuid and /etc/subgid: a user's range of subordinate ids, for a rootless lab host. */
#ifndef NLAB_SUBID_H
#define NLAB_SUBID_H

#include <stdbool.h>

struct nlab_subid_range {
        unsigned long start, count;
};

/* One "NAME-or-ID:START:COUNT" line: true when it belongs to name (may be NULL) or id and is
 * well formed (decimal numbers, a count above 0, start + count within 32 bits). */
bool nlab_subid_line(const char *line, const char *name, unsigned id, struct nlab_subid_range *out);
/* The first matching line of a file; false when there is none or the file is unreadable. */
bool nlab_subid_find(const char *path, const char *name, unsigned id, struct nlab_subid_range *out);

#endif
