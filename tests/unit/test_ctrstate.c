#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/base/ctrstate.h"

static void test_running_round_trip(void **state)
{
        const char *text =
            "{\"Status\":\"running\",\"Pid\":42,\"PidStart\":1000,\"ShimPid\":41,"
            "\"ShimStart\":999,\"ExitCode\":0,\"StartedAt\":\"2026-12-01T13:00:00Z\","
            "\"FinishedAt\":\"" NLAB_TIME_ZERO "\"}";
        json_t *doc = json_loads(text, 0, NULL), *back;
        struct nlab_ctr_state s;
        char *out;

        (void)state;
        assert_int_equal(nlab_ctr_state_parse(doc, &s, NULL), 0);
        assert_int_equal(s.status, NLAB_CTR_RUNNING);
        assert_int_equal(s.pid, 42);
        assert_true(s.pid_start == 1000);
        assert_int_equal(s.shim_pid, 41);
        assert_true(s.shim_start == 999);
        assert_string_equal(s.started_at, "2026-12-01T13:00:00Z");
        /* written back as it was read: the on-disk format does not change */
        back = nlab_ctr_state_to_json(&s);
        out = json_dumps(back, JSON_COMPACT);
        assert_string_equal(out, text);
        free(out);
        json_decref(back);
        json_decref(doc);
}

static void test_created_and_creating(void **state)
{
        json_t *doc =
            json_loads("{\"Status\":\"creating\",\"CreatorPid\":7,\"CreatorStart\":8}", 0, NULL);
        struct nlab_ctr_state s;

        (void)state;
        assert_int_equal(nlab_ctr_state_parse(doc, &s, NULL), 0);
        assert_int_equal(s.status, NLAB_CTR_CREATING);
        assert_int_equal(s.creator_pid, 7);
        assert_true(s.creator_start == 8);
        /* absent times are Docker's "never" */
        assert_string_equal(s.started_at, NLAB_TIME_ZERO);
        json_decref(doc);
        nlab_ctr_state_init(&s);
        assert_int_equal(s.status, NLAB_CTR_CREATED);
        assert_string_equal(nlab_ctr_status_name(s.status), "created");
        assert_string_equal(s.finished_at, NLAB_TIME_ZERO);
}

static void test_refused(void **state)
{
        static const char *const bad[] = {
            "[]",
            "{}",
            "{\"Status\":\"paused\"}",
            "{\"Status\":\"running\",\"Pid\":-1}",
            "{\"Status\":\"running\",\"Pid\":\"42\"}",
            "{\"Status\":\"running\",\"Pid\":4294967296}",
            "{\"Status\":\"exited\",\"ExitCode\":256}",
            "{\"Status\":\"exited\",\"Error\":7}",
            "{\"Status\":\"exited\",\"FinishedAt\":"
            "\"2026-12-01T13:00:00.000000000000000000000000000000000000000000Z\"}",
        };
        struct nlab_ctr_state s;
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *doc = json_loads(bad[i], JSON_DECODE_ANY, NULL);
                assert_non_null(doc);
                assert_int_equal(nlab_ctr_state_parse(doc, &s, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                json_decref(doc);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_running_round_trip),
            cmocka_unit_test(test_created_and_creating),
            cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
