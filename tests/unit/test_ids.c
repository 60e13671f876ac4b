#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/base/ids.h"

static void test_new_ids_are_64_hex_and_differ(void **state)
{
        char a[NLAB_ID_LEN + 1], b[NLAB_ID_LEN + 1];

        (void)state;
        assert_int_equal(nlab_id_new(a, NULL), 0);
        assert_int_equal(nlab_id_new(b, NULL), 0);
        assert_int_equal(strlen(a), 64);
        assert_true(nlab_id_is_prefix(a));
        assert_string_not_equal(a, b);
}

static void test_prefix_rules(void **state)
{
        (void)state;
        assert_true(nlab_id_is_prefix("3f2a"));
        assert_false(nlab_id_is_prefix(""));
        assert_false(nlab_id_is_prefix("3F2A"));
        assert_false(nlab_id_is_prefix("web"));
        assert_false(
            nlab_id_is_prefix("00000000000000000000000000000000000000000000000000000000000000001"));
}

static void test_name_rules(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_name_check("web", &err), 0);
        assert_int_equal(nlab_name_check("a1_b.c-d", &err), 0);
        assert_int_equal(nlab_name_check("x", &err), -1);
        assert_int_equal(nlab_name_check("-web", &err), -1);
        assert_int_equal(nlab_name_check("we b", &err), -1);
        assert_int_equal(nlab_name_check("web/1", &err), -1);
        assert_non_null(strstr(err.msg, "web/1"));
        assert_int_equal(err.kind, NLAB_E_INVALID);
}

static void test_random_names_are_valid(void **state)
{
        char name[64];
        unsigned seed;

        (void)state;
        for (seed = 0; seed < 500; seed += 7) {
                nlab_name_random(name, sizeof(name), seed);
                assert_non_null(strchr(name, '_'));
                assert_int_equal(nlab_name_check(name, NULL), 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_new_ids_are_64_hex_and_differ),
            cmocka_unit_test(test_prefix_rules),
            cmocka_unit_test(test_name_rules),
            cmocka_unit_test(test_random_names_are_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
