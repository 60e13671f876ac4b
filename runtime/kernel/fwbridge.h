/* The `bridge netlab` table: isolation and anti-spoofing keyed to bridge ports (the host ends of
 * container veths), never to the addresses a frame claims.
 * - forward: `icc=false` drops frames between two ports in @noicc_ports, except published-port
 *   traffic (NLAB_FW_DNAT_MARK) that br_netfilter bridges back after DNAT.
 * - prerouting: a frame entering from a container port ("nl*") must carry that port's MAC (ether
 *   and ARP sender, @port_mac), be ARP or IPv4, and claim a source the port owns (its address in
 * @port_addr, a hash set; subnets a router port forwards from in the interval set @port_ip); else
 * it is dropped, so a port the sets do not know sends nothing. Rules never grow; ports live in set
 * elements, added when a veth attaches and removed with it. */
#ifndef NLAB_FWBRIDGE_H
#define NLAB_FWBRIDGE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/kernel/fwbatch.h"

/* A source range a port may send from besides its own address: a container on several networks
 * routes between them, and its forwarded packets keep their original source. */
struct nlab_fw_route {
        const char *ifname; /* the port that may send it */
        struct in_addr net; /* subnet (host bits are ignored) */
        unsigned prefix;
};

struct nlab_fw_port {
        const char *ifname; /* host end of the container's veth */
        uint8_t mac[6];     /* the container's MAC on it */
        struct in_addr ip;  /* the container's address on it */
        bool icc;           /* false: no frames to or from other such ports */
        const struct nlab_fw_route *routes;
        size_t n_routes;
};

/* Enter a port into the anti-spoofing sets before its veth exists, so it is never unfiltered. */
int nlab_fw_port_add(const struct nlab_fw_port *p, struct nlab_err *err);
/* Remove what add put in (pass the same port; icc=false or not); already gone is success. */
int nlab_fw_port_del(const struct nlab_fw_port *p, struct nlab_err *err);

/* Pure builders. The table itself and the flush of its rules come from nlab_fw_build_ensure. */
int nlab_fwbridge_build_objects(struct nlab_fwb *b, struct nlab_err *err); /* chains, sets */
int nlab_fwbridge_build_rules(struct nlab_fwb *b, struct nlab_err *err);
int nlab_fwbridge_build_port(struct nlab_fwb *b, bool add, const struct nlab_fw_port *p,
                             struct nlab_err *err);

#endif
