/* The port forwarder's messages between its outer half (host namespaces) and its inner half (the
 * lab host): "connect to this address" and the answer, a connected socket or an errno. Pure. */
#ifndef NLAB_PORTFWD_WIRE_H
#define NLAB_PORTFWD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define NLAB_PORTFWD_REQ_LEN  28
#define NLAB_PORTFWD_RESP_LEN 12

/* Connect a socket of proto (IPPROTO_TCP/UDP) to addr:port, family AF_INET or AF_INET6. */
struct nlab_portfwd_req {
        uint32_t id;
        int proto;
        int family;
        uint8_t addr[16]; /* 4 bytes used for AF_INET */
        uint16_t port;
};

/* errnum 0: the message carries the socket (SCM_RIGHTS); else the connect's errno. */
struct nlab_portfwd_resp {
        uint32_t id;
        int errnum;
};

void nlab_portfwd_req_encode(const struct nlab_portfwd_req *req, uint8_t buf[NLAB_PORTFWD_REQ_LEN]);
/* 0, or -1 if buf is not a well-formed request (length, magic, proto, family, port 0). */
int nlab_portfwd_req_decode(const uint8_t *buf, size_t len, struct nlab_portfwd_req *req);
void nlab_portfwd_resp_encode(const struct nlab_portfwd_resp *resp,
                              uint8_t buf[NLAB_PORTFWD_RESP_LEN]);
int nlab_portfwd_resp_decode(const uint8_t *buf, size_t len, struct nlab_portfwd_resp *resp);

#endif
