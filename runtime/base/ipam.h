/* IPv4 address management: subnets, gateways, allocation, pools, MACs. Pure: no kernel, no files.
 */
#ifndef NLAB_IPAM_H
#define NLAB_IPAM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/base/cidr.h"
#include "runtime/base/err.h"

#define NLAB_MAC_STRLEN 18 /* "02:42:ac:11:00:02" and the NUL */

/* A network's address plan. A range with prefix 0 and address 0 means "no --ip-range". */
struct nlab_pool {
        struct nlab_subnet subnet;
        struct in_addr gateway;
        struct nlab_subnet range;
        bool has_range;
};

bool nlab_subnet_contains(const struct nlab_subnet *s, struct in_addr a);
bool nlab_subnet_overlaps(const struct nlab_subnet *a, const struct nlab_subnet *b);
struct in_addr nlab_subnet_broadcast(const struct nlab_subnet *s);
/* Docker's default gateway: the first host address. Needs at least a /30. */
int nlab_subnet_gateway(const struct nlab_subnet *s, struct in_addr *gw, struct nlab_err *err);

/* Refuse subnets a bridge cannot serve: 0.0.0.0/0, "this network" 0/8, loopback 127/8,
 * link-local 169.254/16, multicast 224/4, reserved and broadcast 240/4. */
int nlab_subnet_check_usable(const struct nlab_subnet *s, struct nlab_err *err);
/* Check a plan before it is stored: gateway inside the subnet and not its network or broadcast
 * address, ip-range inside the subnet. */
int nlab_pool_check(const struct nlab_pool *p, struct nlab_err *err);
/* A --ip: inside the subnet, not network, broadcast or gateway (it may lie outside the range). */
int nlab_ipam_check_static(const struct nlab_pool *p, struct in_addr a, struct nlab_err *err);

/* Return 0 when `a` is now yours, 1 when it is taken, <0 (with err filled) to give up. */
typedef int (*nlab_ipam_claim_fn)(void *ctx, struct in_addr a, struct nlab_err *err);

/* Offer the candidates of the range (or subnet) in order, starting at `hint` when it lies in
 * the range and wrapping around once, skipping network, broadcast and gateway, until `claim`
 * takes one. No free address: NLAB_E_CONFLICT. */
int nlab_ipam_alloc(const struct nlab_pool *p, struct in_addr hint, nlab_ipam_claim_fn claim,
                    void *ctx, struct in_addr *out, struct nlab_err *err);

/* A subnet for a new network without --subnet: 172.18.0.0/16 ... 172.31.0.0/16, then
 * 192.168.0.0/20, 192.168.16.0/20, ..., the first overlapping none of `used` (existing
 * networks and host routes). */
int nlab_ipam_pick_pool(const struct nlab_subnet *used, size_t n_used, struct nlab_subnet *out,
                        struct nlab_err *err);

/* "02:42:ac:11:00:02" (or with '-'): unicast, not all zero. */
int nlab_mac_parse(const char *s, uint8_t mac[6], struct nlab_err *err);
char *nlab_mac_format(const uint8_t mac[6], char *buf);
/* Docker's derived MAC: 02:42 followed by the four bytes of the address. */
void nlab_mac_from_ip(struct in_addr a, uint8_t mac[6]);

#endif
