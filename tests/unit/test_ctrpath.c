#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/ctr/ctrpath.h"

static void test_clean_is_lexical_and_stays_in_the_root(void **state)
{
        char out[64];

        (void)state;
        assert_int_equal(nlab_ctrpath_clean("/a/./b/../c/", out, sizeof(out)), 0);
        assert_string_equal(out, "a/c");
        assert_int_equal(nlab_ctrpath_clean("//mnt//data", out, sizeof(out)), 0);
        assert_string_equal(out, "mnt/data");
        assert_int_equal(nlab_ctrpath_clean("/a/..", out, sizeof(out)), 0);
        assert_string_equal(out, "");
        assert_int_equal(nlab_ctrpath_clean("/..", out, sizeof(out)), -1);
        assert_int_equal(nlab_ctrpath_clean("/a/../../tmp", out, sizeof(out)), -1);
        assert_int_equal(nlab_ctrpath_clean("/abcdefgh", out, 4), -1);
}

static void test_volume_targets(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_ctrpath_check("/mnt/v", &err), 0);
        assert_int_equal(nlab_ctrpath_check("/mnt/../srv", &err), 0);
        assert_int_equal(nlab_ctrpath_check("/../../../tmp/escape", &err), -1);
        assert_non_null(strstr(err.msg, "\"/../../../tmp/escape\""));
        assert_non_null(strstr(err.msg, "leave the container's root"));
        assert_int_equal(nlab_ctrpath_check("/", &err), -1);
        assert_int_equal(nlab_ctrpath_check("/a/..", &err), -1);
        assert_int_equal(nlab_ctrpath_check("mnt", &err), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clean_is_lexical_and_stays_in_the_root),
            cmocka_unit_test(test_volume_targets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
