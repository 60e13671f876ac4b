#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/scenario_report.h"

static const struct nlab_grade_row rows[] = {
    {.student = "alice", .passed = 3, .total = 3},
    {.student = "bob",
     .passed = 1,
     .failed = 2,
     .total = 3,
     .line = 4,
     .first_fail = "expect cli exec echo \"hi\"",
     .evidence = "exit status 1, output:\nno \"hi\""},
    {.student = "carol", .status = NLAB_GRADE_UNPARSABLE, .error = "carol.lab:2:12: error: x"},
};

static char *print(void (*fn)(FILE *, const struct nlab_grade_row *, size_t))
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        fn(f, rows, 3);
        fclose(f);
        return buf;
}

static void test_score_rounds_and_is_zero_without_a_run(void **state)
{
        struct nlab_grade_row r = {.passed = 2, .total = 3};
        (void)state;
        assert_int_equal(nlab_grade_score(&r), 67);
        r.passed = 1;
        assert_int_equal(nlab_grade_score(&r), 33);
        r.total = 0, r.passed = 0;
        assert_int_equal(nlab_grade_score(&r), 0); /* a file without expectations */
        r.total = 2, r.passed = 2, r.status = NLAB_GRADE_REFUSED;
        assert_int_equal(nlab_grade_score(&r), 0);
}

/* Quotes are doubled and newlines flattened: one record per line for a spreadsheet. */
static void test_csv_quotes_and_one_line_per_student(void **state)
{
        char *csv = print(scenario_grade_print_csv);
        (void)state;
        assert_non_null(strstr(csv, "\n\"alice\",ran,3,0,3,100,,\"\",\"\",\"\",\"\",0\n"));
        assert_non_null(strstr(csv, "\n\"bob\",ran,1,2,3,33,4,\"expect cli exec echo \"\"hi\"\"\","
                                    "\"exit status 1, output: no \"\"hi\"\"\","));
        assert_non_null(strstr(csv, "\n\"carol\",unparsable,0,0,0,0,,"));
        free(csv);
}

static void test_table_names_the_first_failure_or_why_nothing_ran(void **state)
{
        char *t = print(scenario_grade_print_table);
        (void)state;
        assert_non_null(strstr(t, "alice                     3      0     3  100%  -\n"));
        assert_non_null(
            strstr(t, "33%  line 4: expect cli exec echo \"hi\" (exit status 1, output:)\n"));
        assert_non_null(strstr(t, "0%  unparsable: carol.lab:2:12: error: x\n"));
        free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_score_rounds_and_is_zero_without_a_run),
            cmocka_unit_test(test_csv_quotes_and_one_line_per_student),
            cmocka_unit_test(test_table_names_the_first_failure_or_why_nothing_ran),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
