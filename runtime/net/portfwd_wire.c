#include "runtime/net/portfwd_wire.h"

#include <assert.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* "NLPF" and a version byte: a stray writer on the socket is refused, not obeyed. */
#define REQ_MAGIC  0x4e4c5001u
#define RESP_MAGIC 0x4e4c5081u

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void nlab_portfwd_req_encode(const struct nlab_portfwd_req *req, uint8_t buf[NLAB_PORTFWD_REQ_LEN])
{
        assert(req && buf);
        put32(buf, REQ_MAGIC);
        put32(buf + 4, req->id);
        buf[8] = req->proto == IPPROTO_UDP ? 17 : 6;
        buf[9] = req->family == AF_INET6 ? 6 : 4;
        buf[10] = (uint8_t)(req->port >> 8);
        buf[11] = (uint8_t)req->port;
        memcpy(buf + 12, req->addr, 16);
}

int nlab_portfwd_req_decode(const uint8_t *buf, size_t len, struct nlab_portfwd_req *req)
{
        assert(buf && req);
        if (len != NLAB_PORTFWD_REQ_LEN || get32(buf) != REQ_MAGIC)
                return -1;
        if ((buf[8] != 6 && buf[8] != 17) || (buf[9] != 4 && buf[9] != 6))
                return -1;
        memset(req, 0, sizeof(*req));
        req->id = get32(buf + 4);
        req->proto = buf[8] == 17 ? IPPROTO_UDP : IPPROTO_TCP;
        req->family = buf[9] == 6 ? AF_INET6 : AF_INET;
        req->port = (uint16_t)(buf[10] << 8 | buf[11]);
        memcpy(req->addr, buf + 12, req->family == AF_INET6 ? 16 : 4);
        return req->port ? 0 : -1;
}

void nlab_portfwd_resp_encode(const struct nlab_portfwd_resp *resp,
                              uint8_t buf[NLAB_PORTFWD_RESP_LEN])
{
        assert(resp && buf);
        put32(buf, RESP_MAGIC);
        put32(buf + 4, resp->id);
        put32(buf + 8, (uint32_t)resp->errnum);
}

int nlab_portfwd_resp_decode(const uint8_t *buf, size_t len, struct nlab_portfwd_resp *resp)
{
        uint32_t e;

        assert(buf && resp);
        if (len != NLAB_PORTFWD_RESP_LEN || get32(buf) != RESP_MAGIC)
                return -1;
        e = get32(buf + 8);
        if (e > 4095) /* errno values are small and never negative */
                return -1;
        resp->id = get32(buf + 4);
        resp->errnum = (int)e;
        return 0;
}
