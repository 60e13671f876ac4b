/* libFuzzer target: /proc/net/{tcp,udp}[6] tables (the holder of a taken port) and the port
 * forwarder's messages. The first byte picks v6/tcp and the port; a match must carry an inode. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/portspec.h"
#include "runtime/net/portfwd_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nlab_sock_entry e = {0};
        struct nlab_portfwd_req req;
        struct nlab_portfwd_resp resp;
        uint8_t again[NLAB_PORTFWD_REQ_LEN];
        char *s;

        if (size < 1)
                return 0;
        if (nlab_portfwd_req_decode(data, size, &req) == 0) {
                nlab_portfwd_req_encode(&req, again);
                assert(memcmp(again, data, 12) == 0);
        }
        nlab_portfwd_resp_decode(data, size, &resp);
        s = malloc(size);
        if (!s)
                return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        nlab_port_scan_entry(s, data[0] & 1, data[0] & 2, (data[0] & 4) ? "127.0.0.1" : "",
                             (uint16_t)(data[0] >> 3 | 8080), &e);
        free(s);
        return 0;
}
