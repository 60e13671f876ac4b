#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "runtime/net/external.h"
#include "runtime/net/extrec.h"

static void test_names(void **state)
{
        static const char *const good[] = {"laptop", "pc", "1x", "a-b", "abcdefghijk"};
        static const char *const bad[] = {"a", "Laptop", "-pc", "abcdefghijkl", "a_b", "a/b", ""};
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(nlab_external_name_check(good[i], &err), 0);
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(nlab_external_name_check(bad[i], &err), -1);
        nlab_external_name_check("Laptop", &err);
        assert_string_equal(err.msg, "external host name \"Laptop\": 2 to 11 of a-z, 0-9 and '-', "
                                     "starting with a letter or digit");
}

static void test_subnets(void **state)
{
        static const char *const bad[] = {"10.0.0.0/7", "10.0.0.0/31",  "10.0.0.0",
                                          "x/24",       "10.0.0.0/24x", "300.0.0.0/24"};
        struct nlab_subnet s;
        struct nlab_err err;
        char text[NLAB_CIDR_STRLEN];
        size_t i;

        (void)state;
        assert_int_equal(nlab_external_subnet_parse(NULL, 3, &s, &err), 0);
        assert_string_equal(nlab_cidr_format(&s, text), "198.18.3.0/24");
        assert_int_equal(nlab_external_subnet_parse("10.5.0.9/16", 0, &s, &err), 0);
        assert_string_equal(nlab_cidr_format(&s, text), "10.5.0.0/16");
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(nlab_external_subnet_parse(bad[i], 0, &s, &err), -1);
        nlab_external_subnet_parse("1.2.3.4/31", 0, &s, &err);
        assert_string_equal(err.msg, "--subnet \"1.2.3.4/31\": expected A.B.C.D/N with N from 8 "
                                     "to 30, like 198.18.1.0/24");
}

static void test_plan(void **state)
{
        struct nlab_external x;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_external_plan("laptop", "10.7.0.0/30", 0, &x, &err), 0);
        assert_string_equal(x.host_ifname, "xh-laptop");
        assert_string_equal(inet_ntoa(x.host_addr), "10.7.0.1");
        assert_string_equal(inet_ntoa(x.addr), "10.7.0.2");
        assert_int_equal(x.prefix, 30);
        assert_int_equal(nlab_external_plan("laptop", "10.7.0.0/31", 0, &x, &err), -1);
        assert_string_equal(err.msg, "external laptop: --subnet \"10.7.0.0/31\": expected "
                                     "A.B.C.D/N with N from 8 to 30, like 198.18.1.0/24");
}

/* The record keeps the subnet; the addresses come from the plan, never from the file. */
static void test_record(void **state)
{
        struct nlab_external x, y;
        struct nlab_err err;
        json_t *rec;

        (void)state;
        assert_int_equal(nlab_external_plan("pc", NULL, 4, &x, &err), 0);
        x.state = NLAB_EXTERNAL_CREATING;
        x.creator = 42;
        x.creator_start = 7;
        rec = nlab_external_encode(&x);
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "Subnet")), "198.18.4.0/24");
        json_object_set_new(rec, "Address", json_string("10.0.0.9"));
        assert_int_equal(nlab_external_parse(rec, &y, &err), 0);
        assert_string_equal(inet_ntoa(y.addr), "198.18.4.2");
        assert_int_equal(y.state, NLAB_EXTERNAL_CREATING);
        assert_int_equal(y.creator, 42);
        json_object_set_new(rec, "Subnet", json_string("198.18.4.0/31"));
        assert_int_equal(nlab_external_parse(rec, &y, &err), -1);
        json_object_del(rec, "Name");
        assert_int_equal(nlab_external_parse(rec, &y, &err), -1);
        json_decref(rec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_subnets),
            cmocka_unit_test(test_plan),
            cmocka_unit_test(test_record),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
