#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/net/portfwd_wire.h"

static void test_request_round_trip(void **state)
{
        struct nlab_portfwd_req in = {.id = 0xdeadbeef,
                                      .proto = IPPROTO_UDP,
                                      .family = AF_INET,
                                      .port = 5353},
                                out;
        uint8_t buf[NLAB_PORTFWD_REQ_LEN];

        (void)state;
        inet_pton(AF_INET, "10.88.0.2", in.addr);
        nlab_portfwd_req_encode(&in, buf);
        /* a fixed layout: big-endian id and port after the magic */
        assert_memory_equal(buf + 4, "\xde\xad\xbe\xef\x11\x04\x14\xe9\x0a\x58\x00\x02", 12);
        assert_int_equal(nlab_portfwd_req_decode(buf, sizeof(buf), &out), 0);
        assert_int_equal(out.id, 0xdeadbeef);
        assert_int_equal(out.proto, IPPROTO_UDP);
        assert_int_equal(out.family, AF_INET);
        assert_int_equal(out.port, 5353);
        assert_memory_equal(out.addr, in.addr, 4);

        in = (struct nlab_portfwd_req){
            .id = 7, .proto = IPPROTO_TCP, .family = AF_INET6, .port = 80};
        inet_pton(AF_INET6, "fd00::2", in.addr);
        nlab_portfwd_req_encode(&in, buf);
        assert_int_equal(nlab_portfwd_req_decode(buf, sizeof(buf), &out), 0);
        assert_int_equal(out.family, AF_INET6);
        assert_int_equal(out.proto, IPPROTO_TCP);
        assert_memory_equal(out.addr, in.addr, 16);
}

static void test_bad_requests_are_refused(void **state)
{
        struct nlab_portfwd_req in = {.id = 1, .proto = IPPROTO_TCP, .family = AF_INET, .port = 80},
                                out;
        uint8_t buf[NLAB_PORTFWD_REQ_LEN], bad[NLAB_PORTFWD_REQ_LEN + 1];

        (void)state;
        nlab_portfwd_req_encode(&in, buf);
        assert_int_equal(nlab_portfwd_req_decode(buf, sizeof(buf), &out), 0); /* control */
        assert_int_equal(nlab_portfwd_req_decode(buf, sizeof(buf) - 1, &out), -1);
        memcpy(bad, buf, sizeof(buf));
        bad[sizeof(buf)] = 0;
        assert_int_equal(nlab_portfwd_req_decode(bad, sizeof(bad), &out), -1);
        memcpy(bad, buf, sizeof(buf));
        bad[0] ^= 1; /* magic */
        assert_int_equal(nlab_portfwd_req_decode(bad, sizeof(buf), &out), -1);
        memcpy(bad, buf, sizeof(buf));
        bad[8] = 1; /* proto: ICMP */
        assert_int_equal(nlab_portfwd_req_decode(bad, sizeof(buf), &out), -1);
        memcpy(bad, buf, sizeof(buf));
        bad[9] = 5; /* family */
        assert_int_equal(nlab_portfwd_req_decode(bad, sizeof(buf), &out), -1);
        memcpy(bad, buf, sizeof(buf));
        bad[10] = bad[11] = 0; /* port 0 */
        assert_int_equal(nlab_portfwd_req_decode(bad, sizeof(buf), &out), -1);
}

static void test_response_round_trip(void **state)
{
        struct nlab_portfwd_resp in = {.id = 42, .errnum = 111}, out;
        uint8_t buf[NLAB_PORTFWD_RESP_LEN];

        (void)state;
        nlab_portfwd_resp_encode(&in, buf);
        assert_int_equal(nlab_portfwd_resp_decode(buf, sizeof(buf), &out), 0);
        assert_int_equal(out.id, 42);
        assert_int_equal(out.errnum, 111);
        assert_int_equal(nlab_portfwd_resp_decode(buf, sizeof(buf) - 1, &out), -1);
        buf[8] = 0x80; /* a negative or huge errno */
        assert_int_equal(nlab_portfwd_resp_decode(buf, sizeof(buf), &out), -1);
        /* a request is not an answer */
        {
                struct nlab_portfwd_req req = {
                    .id = 1, .proto = IPPROTO_TCP, .family = AF_INET, .port = 80};
                uint8_t rb[NLAB_PORTFWD_REQ_LEN];

                nlab_portfwd_req_encode(&req, rb);
                assert_int_equal(nlab_portfwd_resp_decode(rb, NLAB_PORTFWD_RESP_LEN, &out), -1);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_round_trip),
            cmocka_unit_test(test_bad_requests_are_refused),
            cmocka_unit_test(test_response_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
