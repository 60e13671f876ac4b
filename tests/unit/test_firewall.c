#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <limits.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kernel/firewall.h"
#include "runtime/kernel/fwbridge.h"

/* Golden files live next to this source; NLAB_GOLDEN_UPDATE=1 rewrites them. */
static void golden_path(const char *name, char *out, size_t size)
{
        char src[PATH_MAX];
        const char *dir = getenv("NLAB_GOLDEN_DIR");

        if (dir) {
                snprintf(out, size, "%s/%s", dir, name);
                return;
        }
        /* __FILE__ is relative to the build directory, where meson runs the tests */
        snprintf(src, sizeof(src), "%s", __FILE__);
        snprintf(out, size, "%s/golden/%s", dirname(src), name);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf;
        long len;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        rewind(f);
        buf = calloc(1, (size_t)len + 1);
        if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

static void check_golden(const struct nlab_fwb *b, const char *name)
{
        char path[PATH_MAX + 64], *want, *got = nlab_fwb_render(b);

        assert_non_null(got);
        golden_path(name, path, sizeof(path));
        if (getenv("NLAB_GOLDEN_UPDATE")) {
                FILE *f = fopen(path, "w");

                assert_non_null(f);
                fputs(got, f);
                fclose(f);
        }
        want = slurp(path);
        if (!want)
                fail_msg("cannot read golden file %s", path);
        if (strcmp(want, got) != 0) {
                fprintf(stderr, "--- %s\n+++ rendered\n%s", path, got);
                fail_msg("batch differs from %s", path);
        }
        free(want);
        free(got);
}

static void test_ensure(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ensure(&b, &err), 0);
        check_golden(&b, "fw_ensure.txt");
        nlab_fwb_free(&b);
}

/* forwarding as found: the noforward element, added and removed */
static void test_noforward(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_noforward(&b, true, &err), 0);
        assert_int_equal(nlab_fw_build_noforward(&b, false, &err), 0);
        check_golden(&b, "fw_noforward.txt");
        nlab_fwb_free(&b);
}

static void test_network(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_network(&b, true, "br-3f2a", "172.18.0.0/16", false, &err),
                         0);
        assert_int_equal(nlab_fw_build_network(&b, true, "br-int", "10.89.7.9/24", true, &err), 0);
        check_golden(&b, "fw_network_add.txt");
        nlab_fwb_free(&b);

        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_network(&b, false, "br-int", "10.89.7.0/24", true, &err), 0);
        check_golden(&b, "fw_network_del.txt");
        nlab_fwb_free(&b);
}

static const struct nlab_port_mapping maps[] = {
    {"", 8080, 0, 80, IPPROTO_TCP},
    {"192.0.2.5", 9090, 0, 443, IPPROTO_TCP},
    {"127.0.0.1", 5353, 0, 53, IPPROTO_UDP},
};

static void test_ports(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ports(&b, true, maps, 3, "172.18.0.2", &err), 0);
        assert_int_equal(b.n, 3); /* one message per mapping, so an error names its port */
        assert_string_equal(b.msgs[1].what, "port 192.0.2.5:9090/tcp");
        check_golden(&b, "fw_ports_add.txt");
        nlab_fwb_free(&b);

        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ports(&b, false, maps, 3, "172.18.0.2", &err), 0);
        check_golden(&b, "fw_ports_del.txt");
        nlab_fwb_free(&b);
}

/* connect/disconnect: the old address's elements go and the new ones come in the same batch */
static void test_move(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ports(&b, false, maps, 1, "172.18.0.2", &err), 0);
        assert_int_equal(nlab_fw_build_ports(&b, true, maps, 1, "172.19.0.7", &err), 0);
        check_golden(&b, "fw_ports_move.txt");
        nlab_fwb_free(&b);
}

static void test_teardown(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_teardown(&b, &err), 0);
        check_golden(&b, "fw_teardown.txt");
        nlab_fwb_free(&b);
}

/* The map key bytes: proto in a 4-byte slot, then the port in network order in a 4-byte slot. */
static void test_element_bytes(void **state)
{
        static const uint8_t want_key[] = {6, 0, 0, 0, 0x1f, 0x90, 0, 0};
        static const uint8_t want_data[] = {172, 18, 0, 2, 0, 80, 0, 0};
        struct nlab_err err = {0};
        struct nftnl_set_elem *e;
        struct nftnl_set_elems_iter *it;
        const void *p;
        uint32_t len;
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ports(&b, true, maps, 1, "172.18.0.2", &err), 0);
        it = nftnl_set_elems_iter_create(b.msgs[0].obj);
        e = nftnl_set_elems_iter_next(it);
        p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        assert_int_equal(len, sizeof(want_key));
        assert_memory_equal(p, want_key, sizeof(want_key));
        p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
        assert_int_equal(len, sizeof(want_data));
        assert_memory_equal(p, want_data, sizeof(want_data));
        nftnl_set_elems_iter_destroy(it);
        nlab_fwb_free(&b);
}

static void test_bad_input(void **state)
{
        struct nlab_port_mapping m = {"", 0, 0, 80, IPPROTO_TCP};
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_network(&b, true, "br0", "172.18.0.0/33", 0, &err), -1);
        assert_string_equal(err.msg, "invalid subnet 172.18.0.0/33 (want A.B.C.D/N)");
        assert_int_equal(nlab_fw_build_network(&b, true, "br0", "172.18.0.0", 0, &err), -1);
        assert_int_equal(
            nlab_fw_build_network(&b, true, "a-name-longer-than-15", "10.0.0.0/8", 0, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_int_equal(nlab_fw_build_ports(&b, true, &m, 1, "172.18.0.2", &err), -1);
        assert_string_equal(err.msg, "port 0/tcp: host port not resolved");
        m.host_port = 8080;
        assert_int_equal(nlab_fw_build_ports(&b, true, &m, 1, "172.18.0.300", &err), -1);
        assert_string_equal(err.msg, "invalid container address 172.18.0.300");
        m.proto = 132;
        assert_int_equal(nlab_fw_build_ports(&b, true, &m, 1, "172.18.0.2", &err), -1);
        assert_string_equal(err.msg, "port 8080/?: protocol must be tcp or udp");
        assert_int_equal(b.n, 0);
        nlab_fwb_free(&b);
}

/* A router on two networks: its port on 10.10.1.0/24 may also send 10.10.2.0/24 and the other
 * port 10.10.1.0/24; on an icc=false network the port also enters @noicc_ports. */
static const struct nlab_fw_route routes[] = {
    {"nl0000000000a1", {.s_addr = 0x00020a0a}, 24}, /* 10.10.2.0 in network order */
    {"nl0000000000b2", {.s_addr = 0xfe010a0a}, 24}, /* host bits are cleared */
};
static const struct nlab_fw_port port = {"nl0000000000a1",
                                         {0x02, 0x42, 0x0a, 0x0a, 0x01, 0xfe},
                                         {.s_addr = 0xfe010a0a},
                                         false,
                                         routes,
                                         2};

static void test_port(void **state)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fwbridge_build_port(&b, true, &port, &err), 0);
        assert_string_equal(b.msgs[0].what, "port nl0000000000a1");
        check_golden(&b, "fw_port_add.txt");
        nlab_fwb_free(&b);

        nlab_fwb_init(&b);
        assert_int_equal(nlab_fwbridge_build_port(&b, false, &port, &err), 0);
        check_golden(&b, "fw_port_del.txt");
        nlab_fwb_free(&b);
}

/* The concatenations as the rules load them: the ifname fills 16 bytes, then the MAC padded to
 * 8 or the address; a range's closing key carries the same ifname and the last address. */
static void test_port_bytes(void **state)
{
        static const uint8_t mac_tail[] = {0x02, 0x42, 0x0a, 0x0a, 0x01, 0xfe, 0, 0};
        static const uint8_t first[] = {10, 10, 2, 0}, last[] = {10, 10, 2, 255};
        struct nlab_err err = {0};
        struct nftnl_set_elems_iter *it;
        struct nftnl_set_elem *e;
        const uint8_t *p;
        uint32_t len;
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fwbridge_build_port(&b, true, &port, &err), 0);
        assert_int_equal(b.n, 5); /* noicc_ports, port_mac, own address, two routes */
        it = nftnl_set_elems_iter_create(b.msgs[1].obj);
        e = nftnl_set_elems_iter_next(it);
        p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        assert_int_equal(len, 24);
        assert_string_equal((const char *)p, "nl0000000000a1");
        assert_memory_equal(p + 16, mac_tail, sizeof(mac_tail));
        nftnl_set_elems_iter_destroy(it);
        it = nftnl_set_elems_iter_create(b.msgs[3].obj);
        e = nftnl_set_elems_iter_next(it);
        p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        assert_int_equal(len, 20);
        assert_memory_equal(p + 16, first, 4);
        p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
        assert_int_equal(len, 20);
        assert_string_equal((const char *)p, "nl0000000000a1");
        assert_memory_equal(p + 16, last, 4);
        nftnl_set_elems_iter_destroy(it);
        nlab_fwb_free(&b);
}

static void test_port_bad_input(void **state)
{
        struct nlab_fw_route bad_route = {"nl0000000000a1", {0}, 33};
        struct nlab_fw_port p = port;
        struct nlab_err err = {0};
        struct nlab_fwb b;

        (void)state;
        nlab_fwb_init(&b);
        p.ifname = "a-name-longer-than-15";
        assert_int_equal(nlab_fwbridge_build_port(&b, true, &p, &err), -1);
        assert_string_equal(err.msg, "invalid port name a-name-longer-than-15");
        assert_int_equal(b.n, 0);
        p = port;
        p.routes = &bad_route;
        p.n_routes = 1;
        assert_int_equal(nlab_fwbridge_build_port(&b, true, &p, &err), -1);
        assert_string_equal(err.msg, "port nl0000000000a1: invalid prefix length 33");
        nlab_fwb_free(&b);
}

/* One batch: begin, every message with NLM_F_ACK and its own seq, end. */
static void test_serialize(void **state)
{
        struct nlab_err err = {0};
        const struct nlmsghdr *nlh;
        struct nlab_fwb b;
        uint32_t seq = 100;
        size_t len, count = 0;
        void *buf;
        int left;

        (void)state;
        nlab_fwb_init(&b);
        assert_int_equal(nlab_fw_build_ports(&b, false, maps, 3, "172.18.0.2", &err), 0);
        buf = nlab_fwb_serialize(&b, seq, &len, &err);
        assert_non_null(buf);
        left = (int)len;
        for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), count++) {
                assert_int_equal(nlh->nlmsg_seq, seq + count);
                if (count == 0) {
                        assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
                } else if (count == b.n + 1) {
                        assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_END);
                } else {
                        assert_true(nlh->nlmsg_flags & NLM_F_ACK);
                        assert_int_equal(nlh->nlmsg_type & 0xff,
                                         count % 2 ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
                }
        }
        assert_int_equal(count, b.n + 2);
        free(buf);
        nlab_fwb_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ensure),        cmocka_unit_test(test_noforward),
            cmocka_unit_test(test_network),       cmocka_unit_test(test_ports),
            cmocka_unit_test(test_teardown),      cmocka_unit_test(test_move),
            cmocka_unit_test(test_element_bytes), cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_serialize),     cmocka_unit_test(test_port),
            cmocka_unit_test(test_port_bytes),    cmocka_unit_test(test_port_bad_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
