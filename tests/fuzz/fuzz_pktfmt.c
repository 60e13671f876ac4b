/* libFuzzer target: captured frames for `netlab capture` (pktfmt.c). The first byte picks the link
 * type and whether the frame was cut on capture; the rest is the frame. Every input must give a
 * terminated line within the buffer, never a read past the frame (ASan). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/pktfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nlab_pkt pkt;
        char line[512], tiny[24];
        uint8_t *frame;
        size_t n, len;
        int link;

        if (size < 1)
                return 0;
        link = data[0] & 1 ? NLAB_PKT_LINK_RAW : NLAB_PKT_LINK_ETHER;
        n = size - 1;
        len = data[0] & 2 ? n + 100 : n; /* a snapped capture: on the wire it was longer */
        /* a copy of exactly n bytes, so ASan sees any read past the captured frame */
        frame = malloc(n ? n : 1);
        if (!frame)
                return 0;
        memcpy(frame, data + 1, n);
        assert(nlab_pkt_decode(frame, n, len, link, &pkt, line, sizeof(line)) == 0 ||
               strlen(line) == sizeof(line) - 1);
        assert(strlen(line) < sizeof(line));
        assert(memchr(pkt.src, '\0', sizeof(pkt.src)) && memchr(pkt.dst, '\0', sizeof(pkt.dst)));
        assert(memchr(pkt.dns_qname, '\0', sizeof(pkt.dns_qname)));
        assert(pkt.proto >= NLAB_PKT_OTHER && pkt.proto <= NLAB_PKT_DNS);
        /* a buffer too small is cut, still terminated */
        nlab_pkt_decode(frame, n, len, link, NULL, tiny, sizeof(tiny));
        assert(strlen(tiny) < sizeof(tiny));
        free(frame);
        return 0;
}
