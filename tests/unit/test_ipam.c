#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "runtime/kernel/endpoint.h"
#include "runtime/base/ipam.h"

static struct in_addr ip(const char *s)
{
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static struct nlab_subnet cidr(const char *s)
{
        struct nlab_subnet n;
        struct nlab_err err = {0};

        assert_int_equal(nlab_cidr_parse(s, &n, &err), 0);
        return n;
}

static const char *fmt(struct nlab_subnet n)
{
        static char buf[NLAB_CIDR_STRLEN];

        return nlab_cidr_format(&n, buf);
}

static void test_cidr_parse(void **state)
{
        (void)state;
        assert_string_equal(fmt(cidr("10.89.0.0/24")), "10.89.0.0/24");
        assert_string_equal(fmt(cidr("10.89.0.5/24")), "10.89.0.0/24"); /* normalised */
        assert_string_equal(fmt(cidr("172.17.255.255/16")), "172.17.0.0/16");
        assert_string_equal(fmt(cidr("1.2.3.4/0")), "0.0.0.0/0");
        assert_string_equal(fmt(cidr("10.0.0.7/32")), "10.0.0.7/32");
}

static void test_cidr_parse_errors(void **state)
{
        const char *bad[] = {"",
                             "10.89.0.0",
                             "10.89.0.0/",
                             "10.89.0.0/33",
                             "10.89.0/24",
                             "abc/24",
                             "10.89.0.0/-1",
                             "10.89.0.0/ 24",
                             "10.89.0.0/024",
                             "10.89.0.0/24x",
                             "300.1.1.1/8",
                             "/24"};
        struct nlab_subnet n;
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                nlab_err_clear(&err);
                assert_int_equal(nlab_cidr_parse(bad[i], &n, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_non_null(strstr(err.msg, bad[i]));
                assert_non_null(strstr(err.msg, "A.B.C.D/N"));
        }
        nlab_cidr_parse("10.89.0.0/33", &n, &err);
        assert_string_equal(err.msg, "invalid CIDR \"10.89.0.0/33\": expected A.B.C.D/N with N "
                                     "from 0 to 32, like 10.89.0.0/24");
}

static void test_ip_parse(void **state)
{
        struct in_addr a;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_ip_parse("10.89.0.7", "--ip", &a, &err), 0);
        assert_int_equal(a.s_addr, ip("10.89.0.7").s_addr);
        assert_int_equal(nlab_ip_parse("10.89.0", "--ip", &a, &err), -1);
        assert_string_equal(err.msg,
                            "invalid --ip \"10.89.0\": expected an IPv4 address like 10.89.0.2");
}

static void test_contains_overlaps(void **state)
{
        struct nlab_subnet a = cidr("10.89.0.0/24"), b = cidr("10.89.0.128/25"),
                           c = cidr("10.89.1.0/24"), d = cidr("10.0.0.0/8"),
                           all = cidr("0.0.0.0/0");

        (void)state;
        assert_true(nlab_subnet_contains(&a, ip("10.89.0.0")));
        assert_true(nlab_subnet_contains(&a, ip("10.89.0.255")));
        assert_false(nlab_subnet_contains(&a, ip("10.89.1.0")));
        assert_true(nlab_subnet_contains(&all, ip("192.0.2.1")));
        assert_true(nlab_subnet_overlaps(&a, &b));
        assert_true(nlab_subnet_overlaps(&b, &a));
        assert_false(nlab_subnet_overlaps(&a, &c));
        assert_true(nlab_subnet_overlaps(&d, &c));
        assert_true(nlab_subnet_overlaps(&all, &c));
        assert_int_equal(nlab_subnet_broadcast(&a).s_addr, ip("10.89.0.255").s_addr);
}

static void test_gateway(void **state)
{
        struct nlab_subnet s = cidr("172.18.0.0/16"), tiny = cidr("10.0.0.0/31");
        struct in_addr gw;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_subnet_gateway(&s, &gw, &err), 0);
        assert_int_equal(gw.s_addr, ip("172.18.0.1").s_addr);
        assert_int_equal(nlab_subnet_gateway(&tiny, &gw, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_non_null(strstr(err.msg, "10.0.0.0/31 is too small"));
}

static void test_subnet_usable(void **state)
{
        static const struct {
                const char *cidr, *want;
        } bad[] = {
            {"127.0.0.0/24", "loopback (127.0.0.0/8)"},
            {"127.5.0.0/16", "loopback"},
            {"224.0.0.0/24", "multicast (224.0.0.0/4)"},
            {"239.255.0.0/16", "multicast"},
            {"169.254.0.0/24", "link-local (169.254.0.0/16)"},
            {"0.0.0.0/0", "covers every IPv4 address"},
            {"0.0.0.0/8", "\"this network\""},
            {"0.1.0.0/16", "\"this network\""},
            {"240.0.0.0/24", "reserved and broadcast"},
            {"255.255.255.0/30", "reserved and broadcast"},
            {"96.0.0.0/3", "loopback"}, /* wide enough to swallow 127/8 */
        };
        static const char *const good[] = {"10.89.0.0/24",   "172.18.0.0/16",    "192.168.0.0/20",
                                           "1.0.0.0/24",     "126.255.255.0/24", "128.0.0.0/24",
                                           "169.253.0.0/16", "223.255.255.0/24"};
        struct nlab_err err;

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct nlab_subnet s = cidr(good[i]);

                assert_int_equal(nlab_subnet_check_usable(&s, &err), 0);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct nlab_subnet s = cidr(bad[i].cidr);

                assert_int_equal(nlab_subnet_check_usable(&s, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, bad[i].cidr))
                        fail_msg("%s: got \"%s\"", bad[i].cidr, err.msg);
        }
}

static struct nlab_pool pool(const char *subnet, const char *gw, const char *range)
{
        struct nlab_pool p = {.subnet = cidr(subnet), .gateway = ip(gw)};

        if (range) {
                p.range = cidr(range);
                p.has_range = true;
        }
        return p;
}

static void test_pool_check(void **state)
{
        struct nlab_pool p;
        struct nlab_err err;

        (void)state;
        p = pool("10.89.0.0/24", "10.89.0.1", "10.89.0.128/25");
        assert_int_equal(nlab_pool_check(&p, &err), 0);
        p = pool("10.89.0.0/24", "10.90.0.1", NULL);
        assert_int_equal(nlab_pool_check(&p, &err), -1);
        assert_string_equal(err.msg, "gateway 10.90.0.1 is outside subnet 10.89.0.0/24");
        p = pool("10.89.0.0/24", "10.89.0.0", NULL);
        assert_int_equal(nlab_pool_check(&p, &err), -1);
        assert_string_equal(err.msg,
                            "gateway 10.89.0.0 is the network address of subnet 10.89.0.0/24");
        p = pool("10.89.0.0/24", "10.89.0.255", NULL);
        assert_int_equal(nlab_pool_check(&p, &err), -1);
        assert_non_null(strstr(err.msg, "the broadcast address"));
        p = pool("10.89.0.0/24", "10.89.0.1", "10.90.0.0/25");
        assert_int_equal(nlab_pool_check(&p, &err), -1);
        assert_string_equal(err.msg, "ip-range 10.90.0.0/25 is outside subnet 10.89.0.0/24");
        p = pool("10.89.0.0/24", "10.89.0.1", "10.89.0.0/23");
        assert_int_equal(nlab_pool_check(&p, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
}

static void test_static(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/24", "10.89.0.1", "10.89.0.128/25");
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.0.2"), &err), 0); /* off-range ok */
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.0.200"), &err), 0);
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.1.2"), &err), -1);
        assert_string_equal(err.msg, "address 10.89.1.2 is outside subnet 10.89.0.0/24");
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.0.0"), &err), -1);
        assert_non_null(strstr(err.msg, "the network address"));
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.0.255"), &err), -1);
        assert_non_null(strstr(err.msg, "the broadcast address"));
        assert_int_equal(nlab_ipam_check_static(&p, ip("10.89.0.1"), &err), -1);
        assert_string_equal(err.msg, "address 10.89.0.1 is the gateway of subnet 10.89.0.0/24");
}

/* A fake store: a set of taken addresses, plus a log of what was offered. */
struct store {
        uint32_t taken[64];
        size_t n_taken;
        int offers;
        int fail_at; /* offer number that errors, 0 = never */
};

static int claim(void *ctx, struct in_addr a, struct nlab_err *err)
{
        struct store *s = ctx;
        size_t i;

        s->offers++;
        if (s->fail_at && s->offers == s->fail_at)
                return nlab_err_sys(err, 5, "claim");
        for (i = 0; i < s->n_taken; i++)
                if (s->taken[i] == a.s_addr)
                        return 1;
        s->taken[s->n_taken++] = a.s_addr;
        return 0;
}

static const char *alloc(const struct nlab_pool *p, const char *hint, struct store *s)
{
        static char buf[INET_ADDRSTRLEN];
        struct in_addr out, h = {0};
        struct nlab_err err;

        if (hint)
                h = ip(hint);
        if (nlab_ipam_alloc(p, h, claim, s, &out, &err) < 0)
                return "error";
        return inet_ntop(AF_INET, &out, buf, sizeof(buf));
}

static void test_alloc_sequence(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/24", "10.89.0.1", NULL);
        struct store s = {0};

        (void)state;
        assert_string_equal(alloc(&p, NULL, &s), "10.89.0.2");
        assert_string_equal(alloc(&p, NULL, &s), "10.89.0.3");
        assert_string_equal(alloc(&p, "10.89.0.3", &s), "10.89.0.4"); /* hint taken: next */
        assert_string_equal(alloc(&p, "10.89.0.200", &s), "10.89.0.200");
        assert_string_equal(alloc(&p, "10.89.0.255", &s), "10.89.0.5"); /* wraps, skips .0 .1 */
        assert_string_equal(alloc(&p, "192.0.2.1", &s), "10.89.0.6");   /* foreign hint */
}

static void test_alloc_gateway_elsewhere(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/24", "10.89.0.254", NULL);
        struct store s = {0};

        (void)state;
        assert_string_equal(alloc(&p, NULL, &s), "10.89.0.1");
        assert_string_equal(alloc(&p, "10.89.0.253", &s), "10.89.0.253");
        assert_string_equal(alloc(&p, "10.89.0.254", &s), "10.89.0.2"); /* skips gw, bcast, net */
}

static void test_alloc_range(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/24", "10.89.0.1", "10.89.0.128/30");
        struct store s = {0};
        struct in_addr out;
        struct nlab_err err;
        int i;

        (void)state;
        for (i = 128; i < 132; i++) {
                char want[INET_ADDRSTRLEN];

                snprintf(want, sizeof(want), "10.89.0.%d", i);
                assert_string_equal(alloc(&p, NULL, &s), want);
        }
        assert_int_equal(nlab_ipam_alloc(&p, ip("0.0.0.0"), claim, &s, &out, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_string_equal(err.msg, "no free address in ip-range 10.89.0.128/30 of subnet "
                                     "10.89.0.0/24");
}

static void test_alloc_exhaustion(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/29", "10.89.0.1", NULL);
        struct store s = {0};
        struct in_addr out;
        struct nlab_err err;
        int i;

        (void)state;
        for (i = 0; i < 5; i++) /* .2 .. .6 */
                assert_string_not_equal(alloc(&p, NULL, &s), "error");
        s.offers = 0;
        assert_int_equal(nlab_ipam_alloc(&p, ip("10.89.0.2"), claim, &s, &out, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_string_equal(err.msg, "no free address in subnet 10.89.0.0/29");
        assert_int_equal(s.offers, 5); /* each candidate offered exactly once */
}

static void test_alloc_claim_error(void **state)
{
        struct nlab_pool p = pool("10.89.0.0/24", "10.89.0.1", NULL);
        struct store s = {.fail_at = 1};
        struct in_addr out;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_ipam_alloc(&p, ip("0.0.0.0"), claim, &s, &out, &err), -1);
        assert_int_equal(err.kind, NLAB_E_SYSTEM);
        assert_string_equal(err.msg, "claim: Input/output error");
        assert_int_equal(s.offers, 1);
}

static const char *pick(const char **used, size_t n)
{
        static char buf[NLAB_CIDR_STRLEN];
        static struct nlab_err err;
        struct nlab_subnet v[8] = {0}, out;
        size_t i;

        for (i = 0; i < n; i++)
                v[i] = cidr(used[i]);
        if (nlab_ipam_pick_pool(v, n, &out, &err) < 0)
                return err.msg;
        return nlab_cidr_format(&out, buf);
}

static void test_pick_pool(void **state)
{
        const char *u1[] = {"172.17.0.0/16", "10.0.0.0/8"};
        const char *u2[] = {"172.18.0.0/16", "172.19.5.0/24", "172.17.0.0/16"};
        const char *u3[] = {"172.16.0.0/12"};
        const char *u4[] = {"172.16.0.0/12", "192.168.0.0/20", "192.168.20.0/24"};
        const char *u5[] = {"172.16.0.0/12", "192.168.0.0/16"};
        const char *u6[] = {"0.0.0.0/1", "128.0.0.0/1"};

        (void)state;
        assert_string_equal(pick(NULL, 0), "172.18.0.0/16");
        assert_string_equal(pick(u1, 2), "172.18.0.0/16");
        assert_string_equal(pick(u2, 3), "172.20.0.0/16");
        assert_string_equal(pick(u3, 1), "192.168.0.0/20");
        assert_string_equal(pick(u4, 3), "192.168.32.0/20");
        assert_string_equal(pick(u5, 2), "all predefined address pools have been fully subnetted");
        assert_string_equal(pick(u6, 2), "all predefined address pools have been fully subnetted");
}

static void test_mac(void **state)
{
        uint8_t mac[6];
        char buf[NLAB_MAC_STRLEN];
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_mac_parse("02:42:AC:11:00:02", mac, &err), 0);
        assert_string_equal(nlab_mac_format(mac, buf), "02:42:ac:11:00:02");
        assert_int_equal(nlab_mac_parse("02-42-ac-11-00-03", mac, &err), 0);
        assert_int_equal(mac[5], 3);
        assert_int_equal(nlab_mac_parse("02:42:ac-11:00:02", mac, &err), -1);
        assert_int_equal(nlab_mac_parse("02:42:ac:11:00", mac, &err), -1);
        assert_int_equal(nlab_mac_parse("02:42:ac:11:00:0g", mac, &err), -1);
        assert_int_equal(nlab_mac_parse("0242.ac11.0002", mac, &err), -1);
        assert_string_equal(err.msg, "invalid MAC address \"0242.ac11.0002\": expected six hex "
                                     "pairs like 02:42:ac:11:00:02");
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_int_equal(nlab_mac_parse("01:00:5e:00:00:01", mac, &err), -1);
        assert_non_null(strstr(err.msg, "multicast"));
        assert_int_equal(nlab_mac_parse("00:00:00:00:00:00", mac, &err), -1);
        assert_non_null(strstr(err.msg, "all zero"));
        nlab_mac_from_ip(ip("172.17.0.2"), mac);
        assert_string_equal(nlab_mac_format(mac, buf), "02:42:ac:11:00:02");
}

static void test_host_ifname(void **state)
{
        char a[NLAB_IFNAMSIZ], b[NLAB_IFNAMSIZ], c[NLAB_IFNAMSIZ];

        (void)state;
        nlab_endpoint_host_ifname("3f2a9c", "net1", a);
        nlab_endpoint_host_ifname("3f2a9c", "net1", b);
        nlab_endpoint_host_ifname("3f2a9c", "net2", c);
        assert_int_equal(strlen(a), 14);
        assert_memory_equal(a, "nl", 2);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        nlab_endpoint_host_ifname("3f2a9cn", "et1", b); /* the separator matters */
        assert_string_not_equal(a, b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cidr_parse),
            cmocka_unit_test(test_cidr_parse_errors),
            cmocka_unit_test(test_ip_parse),
            cmocka_unit_test(test_contains_overlaps),
            cmocka_unit_test(test_gateway),
            cmocka_unit_test(test_subnet_usable),
            cmocka_unit_test(test_pool_check),
            cmocka_unit_test(test_static),
            cmocka_unit_test(test_alloc_sequence),
            cmocka_unit_test(test_alloc_gateway_elsewhere),
            cmocka_unit_test(test_alloc_range),
            cmocka_unit_test(test_alloc_exhaustion),
            cmocka_unit_test(test_alloc_claim_error),
            cmocka_unit_test(test_pick_pool),
            cmocka_unit_test(test_mac),
            cmocka_unit_test(test_host_ifname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
