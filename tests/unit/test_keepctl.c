#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "runtime/net/keepctl.h"

static void test_round_trip(void **state)
{
        struct nlab_keepctl_req in = {.op = NLAB_KC_ADD,
                                      .m = {.host_port = 8080,
                                            .ctr_port = 80,
                                            .proto = IPPROTO_TCP}},
                                out;
        char line[NLAB_KEEPCTL_LINE];

        (void)state;
        strcpy(in.target, "172.17.0.2");
        assert_int_equal(nlab_keepctl_format(&in, line, sizeof(line)), 0);
        assert_string_equal(line, "add tcp - 8080 172.17.0.2 80\n");
        assert_int_equal(nlab_keepctl_parse(line, &out), 0);
        assert_int_equal(out.op, NLAB_KC_ADD);
        assert_int_equal(out.m.host_port, 8080);
        assert_int_equal(out.m.ctr_port, 80);
        assert_int_equal(out.m.proto, IPPROTO_TCP);
        assert_string_equal(out.m.host_ip, "");
        assert_string_equal(out.target, "172.17.0.2");

        in.op = NLAB_KC_REMOVE;
        in.m.proto = IPPROTO_UDP;
        strcpy(in.m.host_ip, "127.0.0.1");
        assert_int_equal(nlab_keepctl_format(&in, line, sizeof(line)), 0);
        assert_string_equal(line, "remove udp 127.0.0.1 8080\n");
        assert_int_equal(nlab_keepctl_parse(line, &out), 0);
        assert_int_equal(out.op, NLAB_KC_REMOVE);
        assert_string_equal(out.m.host_ip, "127.0.0.1");
        assert_int_equal(out.m.proto, IPPROTO_UDP);

        assert_int_equal(nlab_keepctl_parse("list\n", &out), 0);
        assert_int_equal(out.op, NLAB_KC_LIST);
        assert_int_equal(nlab_keepctl_parse("check tcp - 9000", &out), 0);
        assert_int_equal(out.op, NLAB_KC_CHECK);
        assert_int_equal(nlab_keepctl_parse("add tcp - 8080 fd00::2 80\n", &out), 0);
        assert_string_equal(out.target, "fd00::2");
}

static void test_bad_requests(void **state)
{
        static const char *const bad[] = {
            "",
            "\n",
            "publish tcp - 80",
            "list extra",
            "add tcp - 8080 172.17.0.2",            /* no target port */
            "add tcp - 8080 172.17.0.2 80 more",    /* too many words */
            "add sctp - 8080 172.17.0.2 80",        /* protocol */
            "add tcp - 0 172.17.0.2 80",            /* port 0 */
            "add tcp - 65536 172.17.0.2 80",        /* port too big */
            "add tcp - -1 172.17.0.2 80",           /* negative */
            "add tcp - 8080x 172.17.0.2 80",        /* trailing garbage */
            "add tcp - 8080 eth0 80",               /* target not an address */
            "add tcp 999.1.1.1 8080 172.17.0.2 80", /* host ip */
            "add tcp ::1 8080 172.17.0.2 80",       /* host ip must be IPv4 */
            "remove tcp -",
            "a b c d e f g h i",
        };
        struct nlab_keepctl_req out;
        char longline[NLAB_KEEPCTL_LINE + 10];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(nlab_keepctl_parse(bad[i], &out), -1);
        memset(longline, 'a', sizeof(longline) - 1);
        longline[sizeof(longline) - 1] = '\0';
        assert_int_equal(nlab_keepctl_parse(longline, &out), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip),
            cmocka_unit_test(test_bad_requests),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
