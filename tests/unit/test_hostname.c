#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/base/hostname.h"

static void test_rfc1123_names_are_accepted(void **state)
{
        static const char *const ok[] = {
            "web",
            "web-1",
            "a",
            "1",
            "db.lab",
            "R2-D2.example.org",
            "0123456789012345678901234567890.01234567890123456789012345678901"};
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                assert_int_equal(nlab_hostname_check(ok[i], &err), 0);
}

static void test_bad_names_are_refused(void **state)
{
        static const char *const bad[] = {
            "",
            "-web",
            "web-",
            "we_b",
            "a..b",
            ".a",
            "a.",
            "web lab",
            "web\tx",
            "x\n10.0.0.1 evil",
            "a/b",
            "café",
            "0123456789012345678901234567890123456789012345678901234567890123",
            "0123456789012345678901234567890.01234567890123456789012345678901x",
        };
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(nlab_hostname_check(bad[i], &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_null(strchr(err.msg, '\n'));
        }
}

static void test_the_error_names_the_value_on_one_line(void **state)
{
        struct nlab_err err;

        (void)state;
        nlab_hostname_check("x\n10.0.0.1 evil", &err);
        assert_non_null(strstr(err.msg, "\"x\\n10.0.0.1 evil\""));
        nlab_hostname_check("web lab", &err);
        assert_non_null(strstr(err.msg, "invalid hostname \"web lab\""));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rfc1123_names_are_accepted),
            cmocka_unit_test(test_bad_names_are_refused),
            cmocka_unit_test(test_the_error_names_the_value_on_one_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
