/* Links through libnl-route: bridges, veth pairs, state, master, MAC, MTU, lookups. */
#ifndef NLAB_LINK_H
#define NLAB_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/kernel/netlink.h"

#define NLAB_IFNAMSIZ 16 /* IFNAMSIZ: 15 characters and the NUL */

struct nlab_link_info {
        int ifindex;
        char kind[32]; /* "bridge", "veth", ... or "" for a plain device such as lo */
        unsigned mtu;
        int up;     /* IFF_UP */
        int master; /* ifindex of the bridge it is enslaved to, 0 if none */
};

/* A name the kernel accepts: 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
int nlab_ifname_check(const char *name, struct nlab_err *err);

/* 1 and info filled when the link exists, 0 when it does not, <0 on error. info may be NULL. */
int nlab_link_lookup(struct nlab_nl *nl, const char *name, struct nlab_link_info *info,
                     struct nlab_err *err);
/* The link's ifindex, or NLAB_E_NOTFOUND "link NAME: No such device". */
int nlab_link_ifindex(struct nlab_nl *nl, const char *name, int *ifindex, struct nlab_err *err);

/* mtu 0 leaves the kernel default. Fails with EEXIST when the name is taken. */
int nlab_link_bridge_add(struct nlab_nl *nl, const char *name, unsigned mtu, struct nlab_err *err);

/* A veth pair in one request: host end `name` in nl's netns, the peer created directly in
 * peer_nl's netns (NULL: the same netns) as `peer_name`, with peer_mac (NULL: random) and mtu
 * (0: default) on both ends. Nothing exists afterwards when it fails. */
int nlab_link_veth_add(struct nlab_nl *nl, const char *name, struct nlab_nl *peer_nl,
                       const char *peer_name, const uint8_t *peer_mac, unsigned mtu,
                       struct nlab_err *err);

/* Delete a link (a veth takes its peer along). Already gone (ENODEV) counts as success. */
int nlab_link_delete(struct nlab_nl *nl, const char *name, struct nlab_err *err);

int nlab_link_set_up(struct nlab_nl *nl, const char *name, int up, struct nlab_err *err);
/* Enslave to bridge `master`; master NULL releases the link from its bridge. */
int nlab_link_set_master(struct nlab_nl *nl, const char *name, const char *master,
                         struct nlab_err *err);
int nlab_link_set_mac(struct nlab_nl *nl, const char *name, const uint8_t mac[6],
                      struct nlab_err *err);
/* Bridge port flag: let a packet leave by the port it came in (a container reaching its own
 * published port through the host). */
int nlab_link_set_hairpin(struct nlab_nl *nl, const char *name, struct nlab_err *err);
int nlab_link_set_mtu(struct nlab_nl *nl, const char *name, unsigned mtu, struct nlab_err *err);

/* The link's alias (IFLA_IFALIAS, "" when unset) into buf: 1, or 0 when there is no such link.
 * netlab writes the state root that made a bridge there, so another root never adopts it. */
int nlab_link_alias(struct nlab_nl *nl, const char *name, char *buf, size_t size,
                    struct nlab_err *err);
int nlab_link_set_alias(struct nlab_nl *nl, const char *name, const char *alias,
                        struct nlab_err *err);

/* Names of all links of a kind ("bridge", "veth"), as a malloc'ed array the caller frees. */
int nlab_link_list_kind(struct nlab_nl *nl, const char *kind, char (**names)[NLAB_IFNAMSIZ],
                        size_t *n, struct nlab_err *err);

#endif
