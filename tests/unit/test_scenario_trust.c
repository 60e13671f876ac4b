#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netlab/grammar.h"
#include "runtime/lab/scenario.h"
#include "runtime/lab/scenario_trust.h"

/* Parses one file and returns the trust verdict; err.msg holds the refusal. */
static int verdict(const char *text, struct nlab_err *err)
{
        struct nlab_scenario s;
        int r;

        assert_int_equal(
            nlab_scenario_parse("t.lab", text, strlen(text), nlab_cli_grammar(), &s, err), 0);
        r = nlab_scenario_check_trust(&s, nlab_cli_grammar(), err);
        nlab_scenario_free(&s);
        return r;
}

static void test_plain_labs_need_no_trust(void **state)
{
        struct nlab_err err;
        (void)state;
        assert_int_equal(verdict("network create labnet\n"
                                 "run -d --name web -e V=1 -h vm1 -p8080:80 --network labnet "
                                 "--cap-add NET_ADMIN --sysctl net.ipv4.ip_forward=1 busybox "
                                 "httpd -v -f\n"
                                 "run -dit --name=client -evar=v --privileged=false busybox\n"
                                 "exec client mount -v\n"
                                 "run -d --name r2 busybox sh -c 'echo --privileged'\n",
                                 &err),
                         0);
}

static void refused(const char *text, const char *want)
{
        struct nlab_err err;

        assert_int_equal(verdict(text, &err), -1);
        if (!strstr(err.msg, want))
                fail_msg("wanted \"%s\" in: %s", want, err.msg);
}

static void test_host_reaching_options_are_refused(void **state)
{
        (void)state;
        refused("note x\nrun -d -v /etc:/x busybox\n", "t.lab:2: -v gives");
        refused("run -dv /etc:/x busybox\n", "t.lab:1: -v gives a lab container a host directory");
        refused("run --volume=/etc:/x busybox\n", "--volume gives");
        refused("create --name a --privileged busybox\n", "--privileged gives");
        refused("run --device /dev/net/tun busybox\n", "--device gives");
        refused("run --cap-add SYS_ADMIN busybox\n", "--cap-add gives");
        refused("run --cap-add=cap_sys_module busybox\n", "--cap-add gives");
        refused("run --cap-add ALL busybox\n", "--cap-add gives");
        refused("run --security-opt seccomp=unconfined busybox\n", "scenario run --trust");
        refused("run --security-opt=seccomp:unconfined busybox\n", "--security-opt gives");
}

/* graph draws on standard output freely; -o writes a host file and needs trust. */
static void test_graph_output_file_is_refused(void **state)
{
        struct nlab_err err;
        (void)state;
        assert_int_equal(verdict("graph\ngraph --format dot\n", &err), 0);
        refused("graph -o /etc/x.svg\n", "t.lab:1: graph -o writes a file on the host");
        refused("graph --format svg --output /etc/x.svg\n", "scenario run --trust");
        refused("graph --output=/etc/x.svg\n", "graph -o writes");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain_labs_need_no_trust),
            cmocka_unit_test(test_host_reaching_options_are_refused),
            cmocka_unit_test(test_graph_output_file_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
