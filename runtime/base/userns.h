/* Whether we run inside a user namespace other than the host's: a rootless lab host. */
#ifndef NLAB_USERNS_H
#define NLAB_USERNS_H

#include <stdbool.h>

/* True when /proc/self/uid_map is not the host's identity map "0 0 4294967295": device nodes,
 * cgroups and a few sysctls then belong to the real host and are not ours to change. */
bool nlab_userns_nested(void);

#endif
