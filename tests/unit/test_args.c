#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netlab/args.h"

static const struct nlab_flag flags[] = {
    {"detach", 'd', NLAB_FLAG_BOOL, NULL},  {"interactive", 'i', NLAB_FLAG_BOOL, NULL},
    {"tty", 't', NLAB_FLAG_BOOL, NULL},     {"rm", 0, NLAB_FLAG_BOOL, NULL},
    {"network", 0, NLAB_FLAG_VALUE, "net"}, {"publish", 'p', NLAB_FLAG_LIST, NULL},
    {"env", 'e', NLAB_FLAG_LIST, NULL},
};
#define NF (sizeof(flags) / sizeof(flags[0]))

static int parse(char **argv, int argc, struct nlab_parsed *p, struct nlab_err *err)
{
        memset(p, 0, sizeof(*p));
        return nlab_args_parse(flags, NF, argc, argv, 1, p, err);
}

static void test_combined_short_flags_and_command(void **state)
{
        char *argv[] = {"-dit", "--rm", "busybox", "sh", "-c", "echo -d"};
        struct nlab_parsed p;

        (void)state;
        assert_int_equal(parse(argv, 6, &p, NULL), 0);
        assert_true(p.set[0] && p.set[1] && p.set[2] && p.set[3]);
        assert_int_equal(p.npos, 4);
        assert_string_equal(p.pos[0], "busybox");
        assert_string_equal(p.pos[3], "echo -d");
        nlab_parsed_free(&p, NF);
}

static void test_value_forms_and_alias(void **state)
{
        char *argv[] = {"--net=none", "-p8080:80", "-p", "9090:90", "--publish=1:1",
                        "--network",  "host",      "-e", "A=1",     "img"};
        struct nlab_parsed p;

        (void)state;
        assert_int_equal(parse(argv, 10, &p, NULL), 0);
        assert_string_equal(p.value[4], "host");
        assert_int_equal(p.list[5].n, 3);
        assert_string_equal(p.list[5].v[0], "8080:80");
        assert_string_equal(p.list[5].v[1], "9090:90");
        assert_string_equal(p.list[5].v[2], "1:1");
        assert_string_equal(p.list[6].v[0], "A=1");
        nlab_parsed_free(&p, NF);
}

static void test_bool_with_value(void **state)
{
        char *argv[] = {"--rm=false", "--tty=true", "img"};
        char *bad[] = {"--rm=maybe", "img"};
        struct nlab_parsed p;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(argv, 3, &p, NULL), 0);
        assert_false(p.set[3]);
        assert_true(p.set[2]);
        nlab_parsed_free(&p, NF);
        assert_int_equal(parse(bad, 2, &p, &err), -1);
        assert_non_null(strstr(err.msg, "maybe"));
        nlab_parsed_free(&p, NF);
}

static void test_errors(void **state)
{
        char *unknown[] = {"--bogus", "img"};
        char *missing[] = {"--network"};
        char *badshort[] = {"-dx", "img"};
        struct nlab_parsed p;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(unknown, 2, &p, &err), -1);
        assert_string_equal(err.msg, "unknown flag: --bogus");
        nlab_parsed_free(&p, NF);
        assert_int_equal(parse(missing, 1, &p, &err), -1);
        assert_string_equal(err.msg, "flag needs an argument: --network");
        nlab_parsed_free(&p, NF);
        assert_int_equal(parse(badshort, 2, &p, &err), -1);
        assert_non_null(strstr(err.msg, "'x'"));
        nlab_parsed_free(&p, NF);
}

/* The error of parsing argv, or "" when it parses. */
static const char *error_of(char **argv, int argc, struct nlab_err *err)
{
        struct nlab_parsed p;
        int r = parse(argv, argc, &p, err);

        nlab_parsed_free(&p, NF);
        return r < 0 ? err->msg : "";
}

static void test_unknown_flags_suggest_the_nearest(void **state)
{
        char *typo[] = {"--netwrok", "img"};
        char *alias[] = {"--nte=x", "img"};
        char *far[] = {"--xyzzy", "img"};
        char *docker[] = {"--link", "web", "img"};
        struct nlab_err err;

        (void)state;
        assert_string_equal(error_of(typo, 2, &err),
                            "unknown flag: --netwrok: did you mean --network?");
        assert_string_equal(error_of(alias, 2, &err), "unknown flag: --nte: did you mean --net?");
        assert_string_equal(error_of(far, 2, &err), "unknown flag: --xyzzy");
        assert_non_null(strstr(error_of(docker, 3, &err), "--link is not supported here: "));
}

static void test_fullwidth_words(void **state)
{
        char *colon[] = {"--net=container\uff1ac1", "img"};
        char *next[] = {"--net", "container\uff1ac1", "img"};
        char *dashes[] = {"\u2014\u2014net", "x", "img"};
        char *shortv[] = {"-p8080\uff1a80", "img"};
        char *name[] = {"busybox\uff1alatest"};
        char *env[] = {"-e", "A=hi\uff0cthere", "img", "echo", "a\uff1ab"};
        char *chinese[] = {"--net", "\u7f51\uff1a\u7edc", "img"};
        struct nlab_err err;

        (void)state;
        assert_string_equal(error_of(colon, 2, &err),
                            "full-width characters in \"--net=container\uff1ac1\": did you mean "
                            "--net=container:c1?");
        assert_string_equal(error_of(next, 3, &err),
                            "full-width characters in \"container\uff1ac1\": did you mean "
                            "container:c1?");
        assert_string_equal(error_of(dashes, 3, &err),
                            "full-width characters in \"\u2014\u2014net\": did you mean --net?");
        assert_string_equal(error_of(shortv, 2, &err),
                            "full-width characters in \"-p8080\uff1a80\": did you mean -p8080:80?");
        assert_string_equal(error_of(name, 1, &err),
                            "full-width characters in \"busybox\uff1alatest\": did you mean "
                            "busybox:latest?");
        /* Free text (-e) and the container's command keep theirs; so does Chinese text. */
        assert_string_equal(error_of(env, 5, &err), "");
        assert_string_equal(error_of(chinese, 3, &err), "");
}

static void test_double_dash_ends_flags(void **state)
{
        char *argv[] = {"--", "-d"};
        struct nlab_parsed p;

        (void)state;
        assert_int_equal(parse(argv, 2, &p, NULL), 0);
        assert_false(p.set[0]);
        assert_int_equal(p.npos, 1);
        assert_string_equal(p.pos[0], "-d");
        nlab_parsed_free(&p, NF);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_combined_short_flags_and_command),
            cmocka_unit_test(test_value_forms_and_alias),
            cmocka_unit_test(test_bool_with_value),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_double_dash_ends_flags),
            cmocka_unit_test(test_unknown_flags_suggest_the_nearest),
            cmocka_unit_test(test_fullwidth_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
