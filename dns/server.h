/* netlab-dns I/O: listeners, forwarder, cache and control socket around the pure cores. */
#ifndef NLAB_DNS_SERVER_H
#define NLAB_DNS_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct nlab_dns_server_config {
        const char *root;        /* state root; records live in ROOT/dns/ */
        uint16_t port;           /* where to listen at each gateway, 53 */
        uint16_t upstream_port;  /* where upstream servers listen, 53 */
        const char *resolv_conf; /* host's upstream servers, /etc/resolv.conf */
};

struct nlab_dns_server;

/*
 * Take the pidfile lock, load every record, bind the listeners and the control socket.
 * Returns 0, 1 if another daemon already holds the lock, or -1 with a message.
 */
int nlab_dns_server_new(const struct nlab_dns_server_config *cfg, struct nlab_dns_server **out,
                        char *msg, size_t msglen);
/* Serve until SIGTERM/SIGINT or until the last network is dropped. Returns 0 or -1. */
int nlab_dns_server_run(struct nlab_dns_server *srv);
void nlab_dns_server_free(struct nlab_dns_server *srv);

#endif
