#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/base/subid.h"

static void test_a_line_by_name_or_id(void **state)
{
        struct nlab_subid_range r;

        (void)state;
        assert_true(nlab_subid_line("alice:100000:65536\n", "alice", 1000, &r));
        assert_int_equal(r.start, 100000);
        assert_int_equal(r.count, 65536);
        assert_true(nlab_subid_line("1000:200000:10", NULL, 1000, &r));
        assert_int_equal(r.start, 200000);
        assert_int_equal(r.count, 10);
}

static void test_someone_elses_line_is_not_ours(void **state)
{
        struct nlab_subid_range r;

        (void)state;
        assert_false(nlab_subid_line("alice:100000:65536", "bob", 1001, &r));
        assert_false(nlab_subid_line("alicex:100000:65536", "alice", 1000, &r));
        assert_false(nlab_subid_line("10000:100000:65536", "alice", 1000, &r));
        assert_false(nlab_subid_line("alice:100000:65536", NULL, 1000, &r));
}

static void test_malformed_lines_are_refused(void **state)
{
        static const char *const bad[] = {
            "",           "alice",
            "alice:",     "alice:1",
            ":1:2",       "alice:x:10",
            "alice:1:x",  "alice:1:0",
            "alice:-1:5", "alice:1:2:3",
            "alice:1 :2", "alice:4294967295:2",
            "alice::5",   "alice:99999999999999999999999:1",
        };
        struct nlab_subid_range r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_false(nlab_subid_line(bad[i], "alice", 1000, &r));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_line_by_name_or_id),
            cmocka_unit_test(test_someone_elses_line_is_not_ours),
            cmocka_unit_test(test_malformed_lines_are_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
