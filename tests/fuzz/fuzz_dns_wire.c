/* libFuzzer target: the packet parser, the response builder and the upstream-answer walkers. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/wire.h"

static void answer(const uint8_t *data, size_t size, const struct nlab_dns_query *q)
{
        static uint8_t out[NLAB_DNS_MAXMSG + 1];
        struct nlab_dns_builder b;
        struct in_addr a = {htonl(0x0a590002)};

        nlab_dns_begin_response(&b, out, sizeof(out), q, data, NLAB_DNS_NOERROR, true);
        for (int i = 0; i < (int)(size % 64); i++)
                nlab_dns_add_a(&b, 600, a);
        nlab_dns_add_ptr(&b, 600, q->qname[0] ? "web.labnet" : "x");
        nlab_dns_finish(&b, q, nlab_dns_udp_limit(q));
        nlab_dns_build_rcode(out, sizeof(out), q, data, NLAB_DNS_BADVERS);
        nlab_dns_build_rcode(out, 40, q, data, NLAB_DNS_SERVFAIL);
}

/* Treat the input as an upstream answer too: check, age and truncate a private copy. */
static void as_response(const uint8_t *data, size_t size, const struct nlab_dns_query *q)
{
        static uint8_t copy[NLAB_DNS_MAXMSG + 1];
        long ttl;

        if (size > sizeof(copy))
                return;
        memcpy(copy, data, size);
        nlab_dns_check_response(copy, size, q, &ttl);
        nlab_dns_age_ttls(copy, size, 7);
        size = nlab_dns_strip_opt(copy, size);
        nlab_dns_truncate(copy, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nlab_dns_query q;
        struct in_addr a;
        int r = nlab_dns_parse_query(data, size, &q);

        if (r == NLAB_DNS_PARSE_OK) {
                answer(data, size, &q);
                nlab_dns_ptr_to_addr(q.qname, &a);
        } else if (r > 0) {
                uint8_t out[NLAB_DNS_HDRLEN];
                nlab_dns_build_error(out, sizeof(out), &q.hdr, r);
        }
        memset(&q, 0, sizeof(q));
        strcpy(q.qname, "ext.example");
        q.qtype = 1;
        q.qclass = 1;
        q.hdr.id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
        as_response(data, size, &q);
        return 0;
}
