/* External hosts: outside machines beside the lab host. Each is a network namespace joined to
 * the lab host by a veth pair: the lab host gets .1 of its subnet on "xh-NAME", the external host
 * .2 on eth0 and a default route through the lab host, as a machine on the same LAN would.
 *
 * A scenario holds its own with a sleeping child (lab/labhost.c). `netlab external` keeps them
 * in the state root, <root>/external/NAME/{external.json,netns}, the netns bind-mounted so it
 * outlives the command. Both make them with the same plan (name and subnet checks, default
 * subnet) and the same wiring. */
#ifndef NLAB_EXTERNAL_H
#define NLAB_EXTERNAL_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/base/cidr.h"
#include "runtime/base/err.h"
#include "runtime/base/store.h"
#include "runtime/kernel/link.h"

#define NLAB_EXTERNAL_NAME_MAX 11

enum nlab_external_state {
        NLAB_EXTERNAL_UP,
        NLAB_EXTERNAL_CREATING,  /* its creator is still at work */
        NLAB_EXTERNAL_ABANDONED, /* its creator died: the next add, rm or system reset removes it */
        NLAB_EXTERNAL_BROKEN,    /* its netns mount or its veth is gone */
};

struct nlab_external {
        char name[NLAB_EXTERNAL_NAME_MAX + 1];
        pid_t pid;                       /* a scenario's holder child; 0 for a recorded one */
        char netns_path[PATH_MAX];       /* /proc/PID/ns/net or <root>/external/NAME/netns */
        char host_ifname[NLAB_IFNAMSIZ]; /* "xh-NAME" on the lab host */
        struct nlab_subnet subnet;
        struct in_addr addr;      /* the external host's address (.2) */
        struct in_addr host_addr; /* the lab host's address on that link (.1) */
        unsigned prefix;
        /* recorded ones only */
        char created[64];
        enum nlab_external_state state;
        pid_t creator;
        unsigned long long creator_start;
};

/* 2 to 11 of a-z, 0-9 and '-', starting with a letter or digit ("xh-NAME" is an interface). */
int nlab_external_name_check(const char *name, struct nlab_err *err);
/* subnet NULL: 198.18.INDEX.0/24 (the benchmarking range; it never leaves the sandbox). */
int nlab_external_subnet_parse(const char *subnet, unsigned index, struct nlab_subnet *out,
                               struct nlab_err *err);
/* Name, interface and addresses of x; nothing made yet. */
int nlab_external_plan(const char *name, const char *subnet, unsigned index,
                       struct nlab_external *x, struct nlab_err *err);
/* A child in a new network namespace that sleeps until killed (or its parent dies). */
pid_t nlab_external_hold_netns(struct nlab_err *err);
/* The veth pair, addresses and default route into x->netns_path; undone on failure. */
int nlab_external_wire(const struct nlab_external *x, struct nlab_err *err);
/* Delete the host side of the veth (the peer goes with it). Best effort. */
void nlab_external_unwire(const struct nlab_external *x);

/* `netlab external`, under the store's lock. */
int nlab_external_add(struct nlab_store *st, const char *name, const char *subnet,
                      struct nlab_external *x, struct nlab_err *err);
/* 0 removed. Unknown names are NLAB_E_NOTFOUND with the nearest known name; with force they
 * return 1 instead. */
int nlab_external_remove(struct nlab_store *st, const char *name, bool force, struct nlab_err *err);
/* Everything recorded, abandoned ones too (system reset). Keeps going; the first error. */
int nlab_external_remove_all(struct nlab_store *st, struct nlab_err *err);
/* Reads: no lock, no cleanup. */
/* A cheap test for name clashes: is there a record of an external host NAME? */
bool nlab_external_exists(const struct nlab_store *st, const char *name);
int nlab_external_load(const struct nlab_store *st, const char *name, struct nlab_external *x,
                       struct nlab_err *err);
/* Sorted by name; free(*out). */
int nlab_external_list(const struct nlab_store *st, struct nlab_external **out, size_t *n,
                       struct nlab_err *err);
const char *nlab_external_state_name(enum nlab_external_state s);
/* Run argv in the external host's network namespace with the caller's file system, wait for it
 * and return its exit status (128+N when killed by signal N). An argv[0] that cannot be run is
 * NLAB_E_NOCMD (not found) or NLAB_E_NOEXEC. */
int nlab_external_exec(const struct nlab_store *st, const char *name, char *const argv[],
                       struct nlab_err *err);

#endif
