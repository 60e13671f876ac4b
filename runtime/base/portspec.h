/* Port specs: parsing `-p` and `--expose` values, Docker's `port` lines, host port checks. */
#ifndef NLAB_PORTSPEC_H
#define NLAB_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"

/* IPPROTO_TCP or IPPROTO_UDP. */
struct nlab_port_mapping {
        char host_ip[16];       /* dotted IPv4; "" = any host address */
        uint16_t host_port;     /* 0 = pick a free one */
        uint16_t host_port_end; /* > host_port: candidates host_port..end, the first free wins */
        uint16_t ctr_port;
        int proto;
};

/* Upper bound on mappings from one `-p` value (a full 1-65535 range). */
#define NLAB_PORTSPEC_MAX 65535

/* Parse one `-p` value into *out (malloc'd array of *n mappings, one per container port).
 * On error: NLAB_E_INVALID, a message naming the bad value and the accepted form. */
int nlab_portspec_parse(const char *spec, struct nlab_port_mapping **out, size_t *n,
                        struct nlab_err *err);

/* Parse one `--expose` value (PORT[/proto] or START-END[/proto]); mappings with host_port 0. */
int nlab_portspec_parse_expose(const char *spec, struct nlab_port_mapping **out, size_t *n,
                               struct nlab_err *err);

/* "tcp" / "udp" ("?" otherwise). */
const char *nlab_proto_name(int proto);

/* Docker's `port` line: "80/tcp -> 0.0.0.0:8080" (host_port must be resolved). */
int nlab_port_format(const struct nlab_port_mapping *m, char *buf, size_t size);

/* The error-message label of a mapping: "port 8080/tcp" or "port 10.0.0.1:8080/tcp". */
void nlab_port_label(const struct nlab_port_mapping *m, char *buf, size_t size);

/* Pick the first candidate in lo..hi (counting from start, wrapping) that is not in taken[]
 * (host ports already mapped for that protocol). Pure; returns 0 or -1 (NLAB_E_CONFLICT). */
int nlab_port_pick(uint16_t lo, uint16_t hi, uint32_t start, const uint16_t *taken, size_t ntaken,
                   uint16_t *out, struct nlab_err *err);

/* The kernel's ephemeral range from /proc/sys/net/ipv4/ip_local_port_range. */
int nlab_port_ephemeral_range(uint16_t *lo, uint16_t *hi, struct nlab_err *err);

/* A random free port of the ephemeral range: not in taken[], not held by a host listener. */
int nlab_port_pick_random(int proto, const uint16_t *taken, size_t ntaken, uint16_t *out,
                          struct nlab_err *err);

/* Resolve host ports in place, Docker's way: a fixed port must be free; a candidate range
 * (host_port_end) takes its first free port; 0 takes a random free ephemeral port. Free means: not
 * in taken[] (mappings already published, by owner[i] if owner is not NULL), not an earlier entry
 * of m, and not held by a listening host process (proc_root is "/proc" except in tests).
 * On success every host_port is set and host_port_end is 0. NLAB_E_CONFLICT names the holder. */
int nlab_port_resolve(const char *proc_root, struct nlab_port_mapping *m, size_t n,
                      const struct nlab_port_mapping *taken, const char *const *owner,
                      size_t ntaken, struct nlab_err *err);

/* Is a host process listening on (ip or any, port, proto)? Returns 0 if free; NLAB_E_CONFLICT
 * naming the holder ("port 8080/tcp is held by a listening process: pid 42 (nginx)"). ip "" = any.
 * proc_root is "/proc" except in tests. */
int nlab_port_check_host(const char *proc_root, const char *ip, uint16_t port, int proto,
                         struct nlab_err *err);

/* The host's four socket tables, each read at most once and kept for a whole request: reading
 * /proc/net/tcp walks every bucket of the kernel's hash, too slow to repeat for each port.
 * Start zeroed with proc_root set ("/proc" except in tests); free with nlab_host_socks_free. */
struct nlab_host_socks {
        const char *proc_root;
        char *text[2][2]; /* [udp][v6] */
        bool loaded[2][2];
};

/* nlab_port_check_host against the tables in t, reading each one the first time it is needed. */
int nlab_host_socks_check(struct nlab_host_socks *t, const char *ip, uint16_t port, int proto,
                          struct nlab_err *err);
void nlab_host_socks_free(struct nlab_host_socks *t);

/* Parse one /proc/net/{tcp,udp}[6] table: is a listening (TCP) / bound (UDP) socket on port that
 * would take traffic for ip ("" = any)? Returns 1 and its inode, 0 if none. Pure, for unit tests.
 */
/* One matching row of a socket table: its inode and the uid column (the socket's owner). */
struct nlab_sock_entry {
        unsigned long inode;
        unsigned uid;
};
/* One listening (TCP) or unconnected (UDP) row of a socket table. */
struct nlab_sock_row {
        uint16_t port;
        int is_v6;
        uint8_t addr[16]; /* as in6_addr; IPv4 tables: the address in the first 4 bytes */
        unsigned long inode;
        unsigned uid;
};
/* The next such row after line (start with the table's text: its header is skipped), or NULL.
 * The one row parser behind nlab_port_scan_entry, for callers that list every listener. */
const char *nlab_port_scan_next(const char *line, int is_v6, int is_tcp, struct nlab_sock_row *row);
/* The IPv4 address the row takes traffic for, as in_addr's s_addr (0 for every one): 1, or 0
 * if IPv6 only. */
int nlab_sock_row_v4(const struct nlab_sock_row *row, uint32_t *addr);
/* nlab_port_scan_table, also giving the owner's uid. Pure, for unit tests and the fuzzer. */
int nlab_port_scan_entry(const char *text, int is_v6, int is_tcp, const char *ip, uint16_t port,
                         struct nlab_sock_entry *out);
int nlab_port_scan_table(const char *text, int is_v6, int is_tcp, const char *ip, uint16_t port,
                         unsigned long *inode);

#endif
