#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "runtime/net/netrec.h"

#define ID "3f2a000000000000000000000000000000000000000000000000000000000000"

/* A user network record as network create writes it, with the given Options. */
static json_t *record(const char *options_json)
{
        char text[1024];

        snprintf(text, sizeof(text),
                 "{\"Name\":\"labnet\",\"Id\":\"" ID "\",\"Created\":\"2026-01-01T00:00:00Z\","
                 "\"Driver\":\"bridge\",\"Internal\":true,\"IPAM\":{\"Config\":[{\"Subnet\":"
                 "\"10.89.0.0/24\",\"Gateway\":\"10.89.0.1\",\"IPRange\":\"10.89.0.128/25\"}]},"
                 "\"Options\":%s}",
                 options_json);
        return json_loads(text, 0, NULL);
}

static int parse(const char *options_json, struct nlab_net *net, struct nlab_err *err)
{
        json_t *rec = record(options_json);
        int r;

        assert_non_null(rec);
        r = nlab_net_parse(rec, net, err);
        json_decref(rec);
        return r;
}

static void test_fields(void **state)
{
        struct nlab_net net;
        struct nlab_err err;
        char buf[NLAB_CIDR_STRLEN];

        (void)state;
        assert_int_equal(
            parse("{\"com.docker.network.bridge.name\":\"br-3f2a00000000\"}", &net, &err), 0);
        assert_string_equal(net.name, "labnet");
        assert_string_equal(net.id, ID);
        assert_string_equal(net.driver, "bridge");
        assert_string_equal(net.bridge, "br-3f2a00000000");
        assert_true(net.internal);
        assert_true(net.has_pool);
        assert_string_equal(nlab_cidr_format(&net.pool.subnet, buf), "10.89.0.0/24");
        assert_true(net.pool.has_range);
        assert_string_equal(nlab_cidr_format(&net.pool.range, buf), "10.89.0.128/25");
        assert_int_equal(net.mtu, 0);
        assert_true(net.icc);
}

/* Docker's long names and netlab's short ones give the same typed values. */
static void test_aliases(void **state)
{
        struct nlab_net net;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse("{\"mtu\":\"1400\",\"icc\":\"false\"}", &net, &err), 0);
        assert_int_equal(net.mtu, 1400);
        assert_false(net.icc);
        assert_int_equal(parse("{\"com.docker.network.driver.mtu\":\"1400\","
                               "\"com.docker.network.bridge.enable_icc\":\"false\"}",
                               &net, &err),
                         0);
        assert_int_equal(net.mtu, 1400);
        assert_false(net.icc);
        assert_int_equal(
            parse("{\"mtu\":\"1400\",\"com.docker.network.driver.mtu\":\"1400\"}", &net, &err), 0);
        assert_int_equal(net.mtu, 1400);
}

static void test_refused(void **state)
{
        static const char *const bad[] = {
            "{\"mtu\":\"1400\",\"com.docker.network.driver.mtu\":\"1500\"}",
            "{\"icc\":\"true\",\"com.docker.network.bridge.enable_icc\":\"false\"}",
            "{\"mtu\":\"67\"}",
            "{\"mtu\":\"1400x\"}",
            "{\"mtu\":\"\"}",
            "{\"icc\":\"no\"}",
            "{\"com.docker.network.bridge.name\":\"a-name-longer-than-15\"}",
        };
        struct nlab_net net;
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(parse(bad[i], &net, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_non_null(strstr(err.msg, "network record labnet"));
        }
}

static void test_broken_records(void **state)
{
        static const char *const bad[] = {
            "[]",
            "{\"Id\":\"x\",\"Driver\":\"bridge\"}",
            "{\"Name\":\"n\",\"Id\":\"x\",\"Driver\":\"bridge\",\"IPAM\":{\"Config\":[{}]}}",
            "{\"Name\":\"n\",\"Id\":\"x\",\"Driver\":\"bridge\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.0.0.0/33\",\"Gateway\":\"10.0.0.1\"}]}}",
            "{\"Name\":\"n\",\"Id\":\"x\",\"Driver\":\"bridge\",\"IPAM\":{\"Config\":[{\"Subnet\":"
            "\"10.0.0.0/24\",\"Gateway\":\"10.9.0.1\"}]}}",
            "{\"Name\":\"n\",\"Id\":\"x\",\"Driver\":\"bridge\",\"Options\":{"
            "\"com.docker.network.bridge.name\":\"br0\"}}",
        };
        struct nlab_net net;
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *rec = json_loads(bad[i], 0, NULL);
                assert_non_null(rec);
                assert_int_equal(nlab_net_parse(rec, &net, &err), -1);
                json_decref(rec);
        }
}

static void test_host_and_none(void **state)
{
        json_t *rec = json_loads("{\"Name\":\"host\",\"Id\":\"" ID "\",\"Driver\":\"host\","
                                 "\"IPAM\":{\"Config\":[]},\"Options\":{}}",
                                 0, NULL);
        struct nlab_net net;

        (void)state;
        assert_int_equal(nlab_net_parse(rec, &net, NULL), 0);
        assert_string_equal(net.bridge, "");
        assert_false(net.has_pool);
        json_decref(rec);
}

/* Whether --ip may pin an address: the subnet given with --subnet; a record from before the key
 * existed counts as the user's, so nothing that worked stops working. */
static void test_user_subnet(void **state)
{
        json_t *rec = record("{}");
        struct nlab_net net;

        (void)state;
        assert_int_equal(nlab_net_parse(rec, &net, NULL), 0);
        assert_true(net.user_subnet);
        json_object_set_new(rec, NLAB_NET_KEY_USER_SUBNET, json_false());
        assert_int_equal(nlab_net_parse(rec, &net, NULL), 0);
        assert_false(net.user_subnet);
        json_object_set_new(rec, NLAB_NET_KEY_USER_SUBNET, json_true());
        assert_int_equal(nlab_net_parse(rec, &net, NULL), 0);
        assert_true(net.user_subnet);
        json_decref(rec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields),        cmocka_unit_test(test_aliases),
            cmocka_unit_test(test_refused),       cmocka_unit_test(test_broken_records),
            cmocka_unit_test(test_host_and_none), cmocka_unit_test(test_user_subnet),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
