#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/lab/reason.h"

/* Scenarios and graders match these words: a rename would break them silently. */
static void test_names_are_stable(void **state)
{
        (void)state;
        assert_string_equal(nlab_reason_name(NLAB_REASON_NONE), "");
        assert_string_equal(nlab_reason_name(NLAB_REASON_DIFFERENT_NETWORKS), "different-networks");
        assert_string_equal(nlab_reason_name(NLAB_REASON_INTERNAL), "internal");
        assert_string_equal(nlab_reason_name(NLAB_REASON_ICC_DISABLED), "icc-disabled");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NOT_PUBLISHED), "not-published");
        assert_string_equal(nlab_reason_name(NLAB_REASON_OTHER_HOST_PORT), "other-host-port");
        assert_string_equal(nlab_reason_name(NLAB_REASON_LOOPBACK_ONLY), "loopback-only");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NOT_LISTENING), "not-listening");
        assert_string_equal(nlab_reason_name(NLAB_REASON_STOPPED), "stopped");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NO_NETWORK), "no-network");
        assert_string_equal(nlab_reason_name(NLAB_REASON_PORT_DOWN), "port-down");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NO_ROUTE), "no-route");
        assert_string_equal(nlab_reason_name(NLAB_REASON_FOREIGN_FIREWALL), "foreign-firewall");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NAME_UNKNOWN), "name-unknown");
        assert_string_equal(nlab_reason_name(NLAB_REASON_NO_HOST), "no-host");
        assert_string_equal(nlab_reason_name(NLAB_REASON_UNKNOWN), "unknown");
        assert_string_equal(nlab_reason_name(NLAB_REASON_COUNT), "");
}

static void test_every_name_parses_back(void **state)
{
        enum nlab_reason r, got;

        (void)state;
        for (r = NLAB_REASON_NONE + 1; r < NLAB_REASON_COUNT; r++) {
                assert_true(nlab_reason_name(r)[0] != '\0');
                assert_int_equal(nlab_reason_parse(nlab_reason_name(r), &got), 0);
                assert_int_equal(got, r);
        }
}

static void test_bad_names_are_refused(void **state)
{
        enum nlab_reason got = NLAB_REASON_STOPPED;

        (void)state;
        assert_int_equal(nlab_reason_parse("", &got), -1);         /* NONE is no reason */
        assert_int_equal(nlab_reason_parse("Internal", &got), -1); /* exact, like the CLI */
        assert_int_equal(nlab_reason_parse("internal ", &got), -1);
        assert_int_equal(nlab_reason_parse("not-listen", &got), -1); /* no prefixes */
        assert_int_equal(got, NLAB_REASON_STOPPED);
}

static void test_suggestions(void **state)
{
        (void)state;
        assert_string_equal(nlab_reason_suggest("internl"), "internal");
        assert_string_equal(nlab_reason_suggest("not-publised"), "not-published");
        assert_string_equal(nlab_reason_suggest("different-network"), "different-networks");
        assert_string_equal(nlab_reason_suggest("stoped"), "stopped");
        assert_null(nlab_reason_suggest("firewalld-is-on"));
        assert_null(nlab_reason_suggest(""));
}

static void test_list(void **state)
{
        char buf[512], tiny[12];

        (void)state;
        nlab_reason_list(buf, sizeof(buf));
        assert_non_null(strstr(buf, "different-networks, internal, icc-disabled, "));
        assert_non_null(strstr(buf, ", unknown"));
        assert_null(strstr(buf, ", , "));
        nlab_reason_list(tiny, sizeof(tiny)); /* truncates, never overflows */
        assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names_are_stable),
            cmocka_unit_test(test_every_name_parses_back),
            cmocka_unit_test(test_bad_names_are_refused),
            cmocka_unit_test(test_suggestions),
            cmocka_unit_test(test_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
