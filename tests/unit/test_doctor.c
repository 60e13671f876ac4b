/* The kernel features a scenario asks for: only `link set` with a qdisc flag needs one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "runtime/kernel/doctor_probe.h"
#include "runtime/lab/doctor.h"

#define TBF   (1u << NLAB_KF_TBF)
#define NETEM (1u << NLAB_KF_NETEM)

/* The needs of one command step, argv as the scenario parser splits it. */
static unsigned needs_of(char **argv, size_t argc, enum nlab_step_kind kind)
{
        struct nlab_step st = {.kind = kind, .argv = argv, .argc = argc, .text = (char *)""};
        struct nlab_scenario s = {.steps = &st, .nsteps = 1};

        return nlab_scenario_needs(&s);
}

static void test_link_set(void **state)
{
        char *rate[] = {"link", "set", "web", "--rate", "10mbit"};
        char *delay[] = {"link", "set", "web/eth0", "--delay=50ms", "--jitter", "5ms"};
        char *loss[] = {"link", "set", "web", "--rate=1mbit", "--loss", "1%"};

        (void)state;
        assert_int_equal(needs_of(rate, 5, NLAB_STEP_COMMAND), TBF);
        assert_int_equal(needs_of(delay, 6, NLAB_STEP_COMMAND), NETEM);
        assert_int_equal(needs_of(loss, 6, NLAB_STEP_COMMAND), TBF | NETEM);
}

static void test_no_needs(void **state)
{
        char *run[] = {"run", "-d", "--name", "web", "busybox", "sh", "-c", "echo --delay"};
        char *ratelike[] = {"link", "set", "web", "--rates", "1"};
        char *show[] = {"link", "show", "web", "--delay", "1ms"};
        char *ext[] = {"link", "set"};

        (void)state;
        assert_int_equal(needs_of(run, 8, NLAB_STEP_COMMAND), 0);
        assert_int_equal(needs_of(ratelike, 5, NLAB_STEP_COMMAND), 0);
        assert_int_equal(needs_of(show, 5, NLAB_STEP_COMMAND), 0);
        assert_int_equal(needs_of(ext, 2, NLAB_STEP_EXTERNAL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_link_set),
            cmocka_unit_test(test_no_needs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
