/* The link condition values: units, ranges, the messages for bad ones, printing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/base/linkspec.h"

static void rate_ok(const char *s, uint64_t want)
{
        struct nlab_err err = {0};
        uint64_t bps = 0;

        if (nlab_rate_parse(s, &bps, &err) < 0)
                fail_msg("%s: %s", s, err.msg);
        assert_int_equal(bps, want);
}

/* Refused as bad input, and the message holds needle. */
static void bad(int (*parse)(const char *, void *, struct nlab_err *), const char *s,
                const char *needle)
{
        struct nlab_err err = {0};
        uint64_t v = 0;

        assert_int_equal(parse(s, &v, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        if (!strstr(err.msg, needle))
                fail_msg("%s: wanted \"%s\" in \"%s\"", s, needle, err.msg);
}

static int rate_p(const char *s, void *v, struct nlab_err *e)
{
        return nlab_rate_parse(s, v, e);
}
static int time_p(const char *s, void *v, struct nlab_err *e)
{
        return nlab_duration_parse(s, v, e);
}
static int pct_p(const char *s, void *v, struct nlab_err *e)
{
        return nlab_percent_parse(s, v, e);
}

static void test_rates(void **state)
{
        (void)state;
        rate_ok("10mbit", 10000000);
        rate_ok("10Mbit", 10000000);
        rate_ok("1.5gbit", 1500000000);
        rate_ok("800kbit", 800000);
        rate_ok("8000bit", 8000);
        rate_ok("1mbps", 8000000);
        rate_ok("125kbps", 1000000);
        rate_ok("10gbit", 10000000000ULL);
}

static void test_bad_rates(void **state)
{
        (void)state;
        bad(rate_p, "10mbt", "did you mean \"mbit\"");
        bad(rate_p, "10", "want a number and a unit: bit, kbit, mbit, gbit");
        bad(rate_p, "mbit", "want a number");
        bad(rate_p, "", "want a number");
        bad(rate_p, "-10mbit", "want a number");
        bad(rate_p, "+10mbit", "want a number");
        bad(rate_p, "1e3mbit", "want a number");
        bad(rate_p, "0x10mbit", "want a number");
        bad(rate_p, "10 mbit", "want a number");
        bad(rate_p, "10.mbit", "want a number");
        bad(rate_p, ".5mbit", "want a number");
        bad(rate_p, "1.2.3mbit", "want a number");
        bad(rate_p, "11gbit", "from 8kbit to 10gbit");
        bad(rate_p, "7kbit", "from 8kbit to 10gbit");
        bad(rate_p, "0mbit", "from 8kbit to 10gbit");
        bad(rate_p, "1234567890123mbit", "want a number"); /* over 12 characters */
}

static void test_times(void **state)
{
        struct nlab_err err = {0};
        uint32_t us = 1;

        (void)state;
        assert_int_equal(nlab_duration_parse("50ms", &us, &err), 0);
        assert_int_equal(us, 50000);
        assert_int_equal(nlab_duration_parse("250us", &us, &err), 0);
        assert_int_equal(us, 250);
        assert_int_equal(nlab_duration_parse("1.5s", &us, &err), 0);
        assert_int_equal(us, 1500000);
        assert_int_equal(nlab_duration_parse("0.5ms", &us, &err), 0);
        assert_int_equal(us, 500);
        assert_int_equal(nlab_duration_parse("0ms", &us, &err), 0);
        assert_int_equal(us, 0);
        assert_int_equal(nlab_duration_parse("60s", &us, &err), 0);
        assert_int_equal(us, 60000000);
        bad(time_p, "61s", "at most 60s");
        bad(time_p, "50", "want a number and a unit: us, ms or s");
        bad(time_p, "50msec", "want a number and a unit: us, ms or s");
        bad(time_p, "50mz", "did you mean \"ms\"");
        bad(time_p, "-5ms", "want a number");
}

static void test_percent(void **state)
{
        struct nlab_err err = {0};
        uint32_t p = 1;

        (void)state;
        assert_int_equal(nlab_percent_parse("0%", &p, &err), 0);
        assert_int_equal(p, 0);
        assert_int_equal(nlab_percent_parse("100%", &p, &err), 0);
        assert_int_equal(p, UINT32_MAX);
        assert_int_equal(nlab_percent_parse("1%", &p, &err), 0);
        assert_int_equal(p, 42949673); /* iproute2's get_percent: 1% of UINT32_MAX, rounded */
        assert_int_equal(nlab_percent_parse("0.5%", &p, &err), 0);
        assert_int_equal(p, 21474836);
        bad(pct_p, "1", "want a percentage from 0% to 100%");
        bad(pct_p, "1 %", "want a percentage");
        bad(pct_p, "1%%", "want a percentage");
        bad(pct_p, "101%", "at most 100%");
        bad(pct_p, "-1%", "want a percentage");
}

static void test_set_and_check(void **state)
{
        struct nlab_linkcond c = {0};
        struct nlab_err err = {0};
        char buf[128];

        (void)state;
        assert_int_equal(nlab_linkcond_check(&c, &err), -1);
        assert_non_null(strstr(err.msg, "nothing to set"));
        assert_int_equal(nlab_linkcond_set(&c, "jitter", "5ms", &err), 0);
        assert_int_equal(nlab_linkcond_check(&c, &err), -1);
        assert_non_null(strstr(err.msg, "--jitter varies a delay: give --delay too"));
        assert_int_equal(nlab_linkcond_set(&c, "delay", "50ms", &err), 0);
        assert_int_equal(nlab_linkcond_set(&c, "rate", "10mbit", &err), 0);
        assert_int_equal(nlab_linkcond_set(&c, "loss", "1%", &err), 0);
        assert_int_equal(nlab_linkcond_check(&c, &err), 0);
        assert_string_equal(nlab_linkcond_format(&c, buf, sizeof(buf)),
                            "rate 10mbit delay 50ms jitter 5ms loss 1%");
        /* the flag's name leads the message */
        assert_int_equal(nlab_linkcond_set(&c, "delay", "5", &err), -1);
        assert_non_null(strstr(err.msg, "--delay: invalid time \"5\""));
        assert_int_equal(nlab_linkcond_set(&c, "burst", "5", &err), -1);
        assert_string_equal(err.msg, "unknown flag --burst (--rate, --delay, --jitter, --loss)");
}

static void test_format(void **state)
{
        struct nlab_linkcond c = {.set = NLAB_LC_RATE | NLAB_LC_DELAY | NLAB_LC_LOSS,
                                  .rate = 1500000,
                                  .delay_us = 1500,
                                  .loss = 21474836};
        char buf[128];

        (void)state;
        assert_string_equal(nlab_linkcond_format(&c, buf, sizeof(buf)),
                            "rate 1500kbit delay 1500us loss 0.5%");
        c = (struct nlab_linkcond){
            .set = NLAB_LC_RATE | NLAB_LC_DELAY, .rate = 2000000000, .delay_us = 2000000};
        assert_string_equal(nlab_linkcond_format(&c, buf, sizeof(buf)), "rate 2gbit delay 2s");
        c = (struct nlab_linkcond){0};
        assert_string_equal(nlab_linkcond_format(&c, buf, sizeof(buf)), "");
}

static void test_target(void **state)
{
        struct nlab_err err = {0};
        char ctr[64], iface[16];

        (void)state;
        assert_int_equal(nlab_link_target_parse("web", ctr, sizeof(ctr), iface, 16, &err), 0);
        assert_string_equal(ctr, "web");
        assert_string_equal(iface, "eth0");
        assert_int_equal(nlab_link_target_parse("web/eth1", ctr, sizeof(ctr), iface, 16, &err), 0);
        assert_string_equal(ctr, "web");
        assert_string_equal(iface, "eth1");
        assert_int_equal(nlab_link_target_parse("web/", ctr, sizeof(ctr), iface, 16, &err), -1);
        assert_non_null(strstr(err.msg, "want CONTAINER or CONTAINER/IFACE"));
        assert_int_equal(nlab_link_target_parse("/eth0", ctr, sizeof(ctr), iface, 16, &err), -1);
        assert_int_equal(
            nlab_link_target_parse("web/abcdefghijklmnop", ctr, sizeof(ctr), iface, 16, &err), -1);
        assert_non_null(strstr(err.msg, "must be 1 to 15 characters"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rates),         cmocka_unit_test(test_bad_rates),
            cmocka_unit_test(test_times),         cmocka_unit_test(test_percent),
            cmocka_unit_test(test_set_and_check), cmocka_unit_test(test_format),
            cmocka_unit_test(test_target),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
