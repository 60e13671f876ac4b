/* Egress for a rootless lab host through a user-mode network stack: pasta (Debian's passt) where
 * installed, else slirp4netns. The stack gives the lab host a tap device with a default route;
 * containers behind its bridges reach out through the lab host's masquerade and the stack. */
#ifndef NLAB_EGRESS_H
#define NLAB_EGRESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/base/err.h"

/* Where the lab host asks the stack's DNS forwarder: slirp4netns's built-in one; pasta is told
 * (--dns-forward). Both pass the query to the host's first resolver, loopback ones included. */
#define NLAB_EGRESS_DNS "10.0.2.3"

/* Does the host's resolv.conf name only loopback resolvers (systemd-resolved's 127.0.0.53)?
 * Those are the host's own, out of the lab host's reach: it must ask NLAB_EGRESS_DNS. */
bool nlab_egress_resolvers_loopback(void);

/* Tests force the choice: NETLAB_EGRESS=pasta|slirp4netns|none. */
#define NLAB_EGRESS_ENV "NETLAB_EGRESS"

struct nlab_egress {
        pid_t pid;      /* the stack's process (our child); 0 when there is none */
        char tool[16];  /* "pasta", "slirp4netns" or "" */
        char note[384]; /* when there is no stack: what that costs; else "" */
};

/* Attach a stack to the network namespace of pid (and its user namespace when it is not ours),
 * with the stack's own port forwarding off (the port forwarder does that) and without access to
 * the host's loopback. Waits until the namespace has its default route. Neither tool installed:
 * returns 0 with pid 0 and a note. */
int nlab_egress_start(pid_t pid, struct nlab_egress *out, struct nlab_err *err);

/* Kill the stack and reap it. Fine on a zeroed struct. */
void nlab_egress_stop(struct nlab_egress *eg);

#endif
