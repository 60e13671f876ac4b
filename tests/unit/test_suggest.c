#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/base/suggest.h"

static void test_distance(void **state)
{
        (void)state;
        assert_int_equal(nlab_edit_distance("max-size", "max-size"), 0);
        assert_int_equal(nlab_edit_distance("max_size", "max-size"), 1);
        assert_int_equal(nlab_edit_distance("MAX-FILE", "max-file"), 0);
        assert_int_equal(nlab_edit_distance("", "abc"), 3);
        assert_int_equal(nlab_edit_distance("kernel.shmax", "kernel.shmmax"), 1);
}

static void test_suggest_nearest_within_bound(void **state)
{
        static const char *const words[] = {"create", "connect", "disconnect", "inspect"};
        (void)state;
        assert_string_equal(nlab_suggest("creat", words, 4, 2), "create");
        assert_string_equal(nlab_suggest("conect", words, 4, 2), "connect");
        assert_null(nlab_suggest("prune", words, 4, 2));
        assert_null(nlab_suggest("anything", words, 0, 2));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_distance),
            cmocka_unit_test(test_suggest_nearest_within_bound),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
