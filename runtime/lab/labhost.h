/* The lab host of a scenario and its test hosts.
 *
 * A lab is a sandbox: fresh network, mount and pid namespaces with a private tmpfs state root and
 * its own /proc. When the lab's init exits, the kernel kills everything left in the pid namespace
 * (shims, containers, netlab-dns) and the namespaces vanish with their bridges and rules. Its
 * parent, the outer (the caller's child, in a process group of its own), then removes what would
 * outlive them: the containers' cgroups and the mount point. A killed caller ends the lab the
 * same way (PDEATHSIG), unless the lab was kept.
 *
 * An external host is a network namespace outside the lab, held by a sleeping child, joined to
 * the lab host by a veth pair: the lab host gets .1 of its subnet, the external host .2 and a
 * default route through the lab host, as a machine on the same LAN would. */
#ifndef NLAB_LABHOST_H
#define NLAB_LABHOST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/base/err.h"
#include "runtime/kernel/link.h"
#include "runtime/net/external.h"

struct nlab_lab {
        pid_t init;  /* the lab's pid 1, as the caller sees it: nsenter -t INIT */
        pid_t outer; /* the caller's child that made the namespaces */
        int fd;      /* reports from the lab */
        bool keep;
};

/* Fork a lab whose state root is a tmpfs mounted on dir (an existing empty directory).
 * Returns 0 in the worker inside the lab (which runs the scenario and _exits with its status),
 * 1 in the caller, or <0 on error. With keep, the init outlives the worker and the caller until
 * someone sends it SIGTERM. */
int nlab_lab_spawn(const char *dir, bool keep, struct nlab_lab *lab, struct nlab_err *err);
/* The caller's end of nlab_lab_spawn: the lab's first report from fd, its init's pid; -1 with err
 * when the lab failed or ended before it reported (a short report is never looked into). */
int nlab_lab_read_start(int fd, pid_t *init, struct nlab_err *err);
/* The worker's exit status (0..255), or -1 if the lab died first (killed, interrupted).
 * Without keep the lab is gone when this returns. */
int nlab_lab_wait(struct nlab_lab *lab);

/* A scenario's external host, held by a sleeping child (see runtime/net/external.h). */
int nlab_external_create(const char *name, const char *subnet, unsigned index,
                         struct nlab_external *x, struct nlab_err *err);
/* Kill the holder and delete the veth. Best effort. */
void nlab_external_destroy(struct nlab_external *x);

#endif
