#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/ctr/top.h"

static void test_stat_line_is_parsed(void **state)
{
        struct nlab_proc_stat s;

        (void)state;
        assert_int_equal(nlab_proc_stat_parse("42 (sleep) S 7 42 42 34817 42 4194560 90 0 0 0 12 "
                                              "5 0 0 20 0 1 0 123456 1200000 200 0 0\n",
                                              &s),
                         0);
        assert_string_equal(s.comm, "sleep");
        assert_int_equal(s.ppid, 7);
        assert_int_equal(s.tty_nr, 34817);
        assert_int_equal(s.utime, 12);
        assert_int_equal(s.stime, 5);
        assert_int_equal(s.start, 123456);
}

/* A process may name itself "a) S 1 (b": the comm ends at the last ')'. */
static void test_comm_with_parens_and_spaces(void **state)
{
        struct nlab_proc_stat s;

        (void)state;
        assert_int_equal(nlab_proc_stat_parse("9 (a) S 1 (b x) R 3 9 9 0 -1 0 0 0 0 0 1 2 0 0 20 0 "
                                              "1 0 77\n",
                                              &s),
                         0);
        assert_string_equal(s.comm, "a) S 1 (b x");
        assert_int_equal(s.ppid, 3);
        assert_int_equal(s.tty_nr, 0);
        assert_int_equal(s.start, 77);
}

static void test_malformed_lines_are_refused(void **state)
{
        static const char *const bad[] = {
            "",
            "42 sleep S 7",
            "42 (sleep S 7 42",
            "42 )sleep( S 7 42 42 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
            "42 (sleep) S 7 42 42 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0", /* no start time */
            "42 (sleep) S x 42 42 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
            "42 (sleep) S 99999999999 42 42 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
        };
        struct nlab_proc_stat s;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(nlab_proc_stat_parse(bad[i], &s), -1);
}

static void test_long_comm_is_cut(void **state)
{
        char line[256];
        struct nlab_proc_stat s;

        (void)state;
        snprintf(line, sizeof(line), "1 (%0100d) S 0 1 1 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 5", 0);
        assert_int_equal(nlab_proc_stat_parse(line, &s), 0);
        assert_int_equal(strlen(s.comm), sizeof(s.comm) - 1);
}

static void test_tty_names(void **state)
{
        char buf[16];

        (void)state;
        nlab_tty_name(0, buf, sizeof(buf));
        assert_string_equal(buf, "?");
        nlab_tty_name((136 << 8) | 1, buf, sizeof(buf));
        assert_string_equal(buf, "pts/1");
        nlab_tty_name((137 << 8) | 2, buf, sizeof(buf)); /* the second block of 256 ptys */
        assert_string_equal(buf, "pts/258");
        nlab_tty_name((136 << 8) | 0x2c | (1 << 20), buf, sizeof(buf)); /* minor's high bits */
        assert_string_equal(buf, "pts/300");
        nlab_tty_name((4 << 8) | 1, buf, sizeof(buf));
        assert_string_equal(buf, "tty1");
        nlab_tty_name((4 << 8) | 64, buf, sizeof(buf));
        assert_string_equal(buf, "ttyS0");
        nlab_tty_name((10 << 8) | 1, buf, sizeof(buf));
        assert_string_equal(buf, "?");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_stat_line_is_parsed),
            cmocka_unit_test(test_comm_with_parens_and_spaces),
            cmocka_unit_test(test_malformed_lines_are_refused),
            cmocka_unit_test(test_long_comm_is_cut),
            cmocka_unit_test(test_tty_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
