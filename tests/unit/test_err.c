#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "runtime/base/err.h"

static void test_set_and_prefix(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_err_set(&err, NLAB_E_NOTFOUND, "no such network: %s", "x"), -1);
        nlab_err_prefix(&err, "connect %s", "web");
        assert_string_equal(err.msg, "connect web: no such network: x");
        assert_int_equal(err.kind, NLAB_E_NOTFOUND);
}

static void test_sys_appends_strerror(void **state)
{
        struct nlab_err err;

        (void)state;
        nlab_err_sys(&err, EEXIST, "create bridge %s", "br-1");
        assert_string_equal(err.msg, "create bridge br-1: File exists");
        assert_int_equal(err.errnum, EEXIST);
        assert_int_equal(nlab_err_set(NULL, NLAB_E_INVALID, "ignored"), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_set_and_prefix),
            cmocka_unit_test(test_sys_appends_strerror),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
