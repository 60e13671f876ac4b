/* Composite network verbs with undo: bridges, container endpoints, loopback. Each verb checks
 * its whole request first, then changes the kernel, and on failure removes what it made. */
#ifndef NLAB_ENDPOINT_H
#define NLAB_ENDPOINT_H

#include <netinet/in.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/kernel/link.h"

struct nlab_endpoint_req {
        const char *netns_path;  /* the container's netns, e.g. /proc/PID/ns/net */
        const char *bridge;      /* existing bridge in the caller's netns */
        const char *host_ifname; /* host end, e.g. from nlab_endpoint_host_ifname() */
        const char *ctr_ifname;  /* "eth0", "eth1", ... inside the container */
        struct in_addr ip;
        unsigned prefix;
        struct in_addr gateway; /* used only with default_route */
        const char *mac;        /* NULL: 02:42 + the address, as Docker derives it */
        unsigned mtu;           /* 0: kernel default */
        bool default_route;
};

/* Create bridge `name` if missing, give it gateway/prefix, bring it up, set route_localnet on it
 * (ip_forward is left to the caller). Idempotent and safe against a concurrent caller; removes a
 * bridge it created when a later step fails. An existing interface of that name that is not a
 * bridge: CONFLICT. */
int nlab_bridge_ensure(const char *name, struct in_addr gateway, unsigned prefix, unsigned mtu,
                       struct nlab_err *err);
/* Delete the bridge; already gone is success, a link of that name that is no bridge is refused. */
int nlab_bridge_remove(const char *name, struct nlab_err *err);

/* A veth pair whose peer is created inside the container netns as ctr_ifname; the host end is
 * enslaved to the bridge and up; inside: the address, lo up, the link up, the default route if
 * asked. On failure the pair is deleted and the first error returned: nothing is left behind. */
int nlab_endpoint_attach(const struct nlab_endpoint_req *req, struct nlab_err *err);

/* Delete an endpoint by its link: ifname inside netns_path, or in the caller's netns when
 * netns_path is NULL (a host ifname). Link or netns already gone counts as success; a link that
 * is not a veth is refused. */
int nlab_endpoint_detach(const char *netns_path, const char *ifname, struct nlab_err *err);

/* Bring up lo in the netns (the kernel then adds 127.0.0.1/8): all a --network none gets. */
int nlab_netns_lo_up(const char *netns_path, struct nlab_err *err);

/* Every container port's host-side name starts with this; the bridge firewall drops frames from
 * such a port unless it knows the port (fails closed, e.g. after a ruleset rebuild). */
#define NLAB_ENDPOINT_PREFIX "nl"
/* A stable host-side name for a (container, network) pair: "nl" + 12 hex digits. */
void nlab_endpoint_host_ifname(const char *ctr_id, const char *net_id, char out[NLAB_IFNAMSIZ]);

#endif
