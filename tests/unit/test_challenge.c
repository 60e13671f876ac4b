#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netlab/grammar.h"
#include "runtime/lab/challenge.h"

static int parse(const char *text, struct nlab_challenge *c, struct nlab_err *err)
{
        return nlab_challenge_parse("t.lab", text, strlen(text), nlab_cli_grammar(), c, err);
}

static void test_parts(void **state)
{
        struct nlab_challenge c;
        struct nlab_err err;
        size_t i, goals = 0;
        (void)state;

        assert_int_equal(parse("title  T\n"
                               "note   the start\n"
                               "external laptop\n"
                               "run -d --name web busybox sleep 1d\n"
                               "task    Publish it. # not shown\n"
                               "task.zh 发布它。\r\n"
                               "  # a comment keeps task.zh next to its task\n"
                               "task    Keep the name.\n"
                               "note   a goal's note\n"
                               "expect laptop reaches host:8080/tcp\n"
                               "expect-fail web has-interface eth1\n",
                               &c, &err),
                         0);
        assert_int_equal(c.ntask, 2);
        assert_string_equal(c.task[0], "Publish it.");
        assert_string_equal(c.task_zh[0], "发布它。");
        assert_string_equal(c.task[1], "Keep the name.");
        assert_null(c.task_zh[1]);
        assert_int_equal(c.task_line, 5);
        assert_string_equal(c.s.title, "T");
        for (i = 0; i < c.s.nsteps; i++)
                goals += nlab_challenge_is_goal(&c, &c.s.steps[i]);
        assert_int_equal(goals, 2);
        assert_int_equal(c.s.steps[c.s.nsteps - 1].line, 11);
        nlab_challenge_free(&c);
}

static void refused(const char *text, const char *want)
{
        struct nlab_challenge c;
        struct nlab_err err;

        assert_int_equal(parse(text, &c, &err), -1);
        if (!strstr(err.msg, want))
                fail_msg("wanted \"%s\" in: %s", want, err.msg);
        assert_int_equal(c.ntask, 0);
        assert_null(c.s.steps);
}

static void test_errors_name_the_line(void **state)
{
        (void)state;
        refused("run -d --name web busybox sleep 1d\nexpect web reaches web\n",
                "t.lab: error: no task line");
        refused("run -d --name web busybox sleep 1d\nexpect web reaches web\ntask x\n",
                "t.lab:2: error: an expectation before the task");
        refused("run -d --name web busybox sleep 1d\ntask x\nrm -f web\nexpect web reaches web\n",
                "t.lab:3: error: a command after the task");
        refused("run -d --name web busybox sleep 1d\ntask x\nexternal pc\nexpect web reaches pc\n",
                "t.lab:3: error: a test host after the task");
        refused("run -d --name web busybox sleep 1d\ntask x\nnote y\n", "t.lab: error: no goals");
        refused("task.zh 做\n", "t.lab:1: error: task.zh: goes on the line right after");
        refused("task x\nrun -d --name web busybox sleep 1d\ntask.zh 做\n",
                "t.lab:3: error: task.zh: goes on the line right after");
        refused("task.fr faire\n", "t.lab:1: error: task.fr: unknown language");
        refused("task   # only a comment\n", "t.lab:1: error: task: missing text");
        /* the scenario parser's errors keep their lines: task lines are blanked, not dropped */
        refused("task x\ntask y\nrun -d --name web busybox sleep 1d\nexpect web reachs web\n",
                "t.lab:4:12: error: unknown check \"reachs\"");
}

static void test_words_that_only_start_with_task(void **state)
{
        struct nlab_challenge c;
        struct nlab_err err;
        (void)state;

        /* "tasks" is no task line: the scenario parser reports it as it would any word */
        assert_int_equal(parse("tasks x\n", &c, &err), -1);
        assert_non_null(strstr(err.msg, "t.lab:1:1: error:"));
}

static void test_hints(void **state)
{
        struct nlab_step reach = {.kind = NLAB_STEP_EXPECT, .ex = {.kind = NLAB_EXPECT_REACHES}};
        struct nlab_step deny = {.kind = NLAB_STEP_EXPECT,
                                 .ex = {.kind = NLAB_EXPECT_CANNOT_REACH}};
        struct nlab_step_result r = {.mark = NLAB_MARK_FAIL,
                                     .evidence = "tcp 10.0.0.2:80: refused",
                                     .reason = "nothing in web listens on 80/tcp; fix: netlab rm "
                                               "-f web, then run it with the server on 80"};
        char hint[256];
        (void)state;

        nlab_challenge_hint(&reach, &r, hint, sizeof(hint));
        assert_string_equal(hint, "nothing in web listens on 80/tcp");
        r.reason = NULL;
        nlab_challenge_hint(&reach, &r, hint, sizeof(hint));
        assert_string_equal(hint, "tcp 10.0.0.2:80: refused");
        r.evidence = "tcp 10.0.0.2:80: connected in 1 ms";
        r.reason = "the path works now";
        nlab_challenge_hint(&deny, &r, hint, sizeof(hint));
        assert_string_equal(hint, "this works, and the goal is that it does not: tcp 10.0.0.2:80: "
                                  "connected in 1 ms");
        r.mark = NLAB_MARK_OK;
        nlab_challenge_hint(&reach, &r, hint, sizeof(hint));
        assert_string_equal(hint, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parts),
            cmocka_unit_test(test_errors_name_the_line),
            cmocka_unit_test(test_words_that_only_start_with_task),
            cmocka_unit_test(test_hints),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
