/* nftables for netlab: one `inet netlab` table (plus a `bridge netlab` table for icc=false and
 * anti-spoofing, see fwbridge.h), state kept in set and map elements, every change one atomic
 * netlink batch.
 *
 * The network code must also: enable net.ipv4.ip_forward (after the noforward element is in, when
 * it was off); set net.ipv4.conf.<bridge>.route_localnet=1 (so 127.0.0.1 mappings can be routed
 * out of the bridge and their answers back in; the loopback chain keeps 127/8 from arriving on
 * any other interface than lo);
 * and turn on hairpin mode on every bridge port (a container reaching its own published port when
 * br_netfilter is active). */
#ifndef NLAB_FIREWALL_H
#define NLAB_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/kernel/fwbatch.h"
#include "runtime/base/portspec.h"

#define NLAB_FW_TABLE "netlab"
/* Packet mark bit set on DNAT'd (published-port) traffic, so the bridge-family icc=false rule
 * can let it through; other mark bits are preserved. */
#define NLAB_FW_DNAT_MARK 0x00200000u

/* Table, chains, sets and maps exist and the rules are the current ones (set elements are kept). */
int nlab_fw_ensure(struct nlab_err *err);
/* A bridge network: its bridge interface and subnet ("172.18.0.0/16"). Add includes ensure.
 * icc=false is per port (nlab_fw_port_add), as the kernel may lack `meta ibrname`. */
int nlab_fw_network_add(const char *bridge, const char *subnet_cidr, bool internal,
                        struct nlab_err *err);
/* Removes exactly what add put in (pass the same arguments); already-gone is success. */
int nlab_fw_network_del(const char *bridge, const char *subnet_cidr, bool internal,
                        struct nlab_err *err);
/* Publish n resolved mappings (host_port != 0; see nlab_port_resolve) to ctr_ip; the table must
 * exist (ensure or network_add ran). A host port already published fails with NLAB_E_CONFLICT
 * naming it ("port 8080/tcp: already in use ..."), and nothing of the batch is applied. */
int nlab_fw_ports_add(const struct nlab_port_mapping *m, size_t n, const char *ctr_ip,
                      struct nlab_err *err);
/* Unpublish; a mapping already gone is success, one published to another address is
 * NLAB_E_CONFLICT and left alone. */
int nlab_fw_ports_del(const struct nlab_port_mapping *m, size_t n, const char *ctr_ip,
                      struct nlab_err *err);
/* Point n published mappings at a new container address (network connect/disconnect), in one
 * batch: the host ports never become free in between. */
int nlab_fw_ports_move(const struct nlab_port_mapping *m, size_t n, const char *old_ip,
                       const char *new_ip, struct nlab_err *err);
/* 1 when the inet netlab table exists, 0 when it is gone (e.g. `nft flush ruleset`), -1 on
 * error: one netlink get, cheap enough for every command that needs the firewall. */
int nlab_fw_present(struct nlab_err *err);
/* Delete both netlab tables (absent is success). */
int nlab_fw_teardown(struct nlab_err *err);

/* Pure builders behind the verbs above: append the messages of one change to b. */
int nlab_fw_build_ensure(struct nlab_fwb *b, struct nlab_err *err);
int nlab_fw_build_network(struct nlab_fwb *b, bool add, const char *bridge, const char *subnet_cidr,
                          bool internal, struct nlab_err *err);
int nlab_fw_build_ports(struct nlab_fwb *b, bool add, const struct nlab_port_mapping *m, size_t n,
                        const char *ctr_ip, struct nlab_err *err);
/* The one element of set noforward: present when forwarding was off before netlab. */
int nlab_fw_build_noforward(struct nlab_fwb *b, bool add, struct nlab_err *err);
int nlab_fw_build_teardown(struct nlab_fwb *b, struct nlab_err *err);

/* Send b as one batch, reading and checking the ACK of every message. */
int nlab_fw_send(const struct nlab_fwb *b, struct nlab_err *err);

#endif
