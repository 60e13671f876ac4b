/* The keeper's outer half, serving <root>/keeper.sock: published ports through the port
 * forwarder, and what the lab host's egress stack is. Internal to keeper.c. */
#ifndef NLAB_KEEPER_CTL_H
#define NLAB_KEEPER_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include "runtime/net/egress.h"
#include "runtime/net/keepctl.h"
#include "runtime/net/portfwd.h"

struct kctl_fwd {
        struct nlab_port_mapping m;
        char target[46];
};

struct kctl {
        pid_t outer, inner;
        struct nlab_portfwd *fwd; /* NULL: it could not start; add says so */
        struct nlab_egress eg;
        char egress_note[384]; /* no stack, or it failed to start or died: why */
        struct kctl_fwd *v;
        size_t n;
};

/* Accept one connection on lfd and answer its one request; a peer of another uid is refused. */
void kctl_serve(int lfd, struct kctl *k);
/* The egress stack exited (SIGCHLD): note it. */
void kctl_reap(struct kctl *k);
void kctl_free(struct kctl *k);

#endif
