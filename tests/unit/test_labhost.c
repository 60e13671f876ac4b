#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "runtime/lab/labhost.h"

/* What the caller makes of a lab that wrote these bytes and ended. */
static int start_after(const void *bytes, size_t n, struct nlab_err *err)
{
        pid_t init = -1;
        int pfd[2], r;

        assert_int_equal(pipe(pfd), 0);
        assert_int_equal(write(pfd[1], bytes, n), (ssize_t)n);
        close(pfd[1]);
        r = nlab_lab_read_start(pfd[0], &init, err);
        close(pfd[0]);
        return r;
}

/* A lab that died mid-report: the part that arrived must not be read as a report (its kind
 * field alone once chose the message, which was then read from bytes never written). */
static void test_a_short_report_is_no_start(void **state)
{
        static const int started[1] = {0}, failed[1] = {2};
        struct nlab_err err;

        (void)state;
        assert_int_equal(start_after("", 0, &err), -1);
        assert_string_equal(err.msg, "lab sandbox: it ended before it started");
        assert_int_equal(start_after(started, sizeof(started), &err), -1);
        assert_string_equal(err.msg, "lab sandbox: it ended before it started");
        assert_int_equal(start_after(failed, sizeof(failed), &err), -1);
        assert_string_equal(err.msg, "lab sandbox: it ended before it started");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_a_short_report_is_no_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
