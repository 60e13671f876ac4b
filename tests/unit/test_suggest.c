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

static void test_swap_of_neighbours_is_one_edit(void **state)
{
        (void)state;
        assert_int_equal(nlab_edit_distance("wbe1", "web1"), 1);
        assert_int_equal(nlab_edit_distance("netwrok", "network"), 1);
        assert_int_equal(nlab_edit_distance("ab", "ba"), 1);
        assert_int_equal(nlab_edit_distance("abc", "ca"), 3);
}

static void test_bound_grows_with_the_word(void **state)
{
        static const char *const cmds[] = {"run", "rm", "ps", "network", "inspect"};
        (void)state;
        assert_int_equal(nlab_suggest_bound("ab"), 1);
        assert_int_equal(nlab_suggest_bound("abcd"), 1);
        assert_int_equal(nlab_suggest_bound("abcde"), 2);
        assert_int_equal(nlab_suggest_bound("abcdefgh"), 2);
        assert_int_equal(nlab_suggest_bound("abcdefghi"), 3);
        assert_string_equal(nlab_suggest_name("rn", cmds, 5), "run");
        assert_null(nlab_suggest_name("xy", cmds, 5)); /* two edits from ps: too far for 2 */
        assert_string_equal(nlab_suggest_name("netwrk", cmds, 5), "network");
        assert_null(nlab_suggest_name("nwtwrkk", cmds, 5));
        assert_string_equal(nlab_suggest_name("inspcet", cmds, 5), "inspect");
}

static void test_no_suggestion_for_an_id_prefix(void **state)
{
        static const char *const names[] = {"cafe12", "web1"};
        (void)state;
        assert_string_equal(nlab_suggest_name("cafe13x", names, 2), "cafe12"); /* not hex */
        assert_null(nlab_suggest_name("cafe1", names, 2));
        assert_null(nlab_suggest_name("0eb1", names, 2));
        assert_string_equal(nlab_suggest_name("Web1", names, 2), "web1"); /* A-F is not an id */
}

static void test_fullwidth_to_ascii(void **state)
{
        char out[64];
        (void)state;
        assert_int_equal(nlab_fullwidth_to_ascii("--net=container\uff1ac1", out, sizeof(out)), 1);
        assert_string_equal(out, "--net=container:c1");
        assert_int_equal(nlab_fullwidth_to_ascii("\u2014\u2014network", out, sizeof(out)), 1);
        assert_string_equal(out, "--network");
        assert_int_equal(nlab_fullwidth_to_ascii("\uff0d\uff0dnet\uff1dlabnet", out, sizeof(out)),
                         1);
        assert_string_equal(out, "--net=labnet");
        assert_int_equal(nlab_fullwidth_to_ascii("a\uff0cb\u3000c\u3002d", out, sizeof(out)), 1);
        assert_string_equal(out, "a,b c.d");
        assert_int_equal(nlab_fullwidth_to_ascii("\uff21\uff5e", out, sizeof(out)), 1);
        assert_string_equal(out, "A~");
        /* Other text is copied as it is. */
        assert_int_equal(nlab_fullwidth_to_ascii("\u4f60\u597d-ok", out, sizeof(out)), 0);
        assert_string_equal(out, "\u4f60\u597d-ok");
        assert_int_equal(nlab_fullwidth_to_ascii("", out, sizeof(out)), 0);
        assert_string_equal(out, "");
}

static void test_fullwidth_bounds_and_bad_utf8(void **state)
{
        char out[8];
        (void)state;
        assert_int_equal(nlab_fullwidth_to_ascii("1234567", out, sizeof(out)), 0);
        assert_int_equal(nlab_fullwidth_to_ascii("12345678", out, sizeof(out)), -1);
        assert_int_equal(nlab_fullwidth_to_ascii("123456\uff1a", out, sizeof(out)), 1);
        assert_string_equal(out, "123456:");
        assert_int_equal(nlab_fullwidth_to_ascii("12345\u4f60", out, sizeof(out)), -1);
        assert_int_equal(nlab_fullwidth_to_ascii("\xef\xbc", out, sizeof(out)), -1); /* cut short */
        assert_int_equal(nlab_fullwidth_to_ascii("\xff", out, sizeof(out)), -1);
        assert_int_equal(nlab_fullwidth_to_ascii("x", out, 0), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_distance),
            cmocka_unit_test(test_suggest_nearest_within_bound),
            cmocka_unit_test(test_swap_of_neighbours_is_one_edit),
            cmocka_unit_test(test_bound_grows_with_the_word),
            cmocka_unit_test(test_no_suggestion_for_an_id_prefix),
            cmocka_unit_test(test_fullwidth_to_ascii),
            cmocka_unit_test(test_fullwidth_bounds_and_bad_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
