#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/net/hostsfile.h"

static void test_hosts_block_then_extra_then_own(void **state)
{
        struct nlab_strv add = {0};
        struct nlab_hosts_line own[] = {{"10.89.0.2", "3f2a1b2c3d4e"},
                                        {"10.90.0.5", "3f2a1b2c3d4e"}};
        char *text;

        (void)state;
        nlab_strv_push(&add, "db:10.1.2.3");
        nlab_strv_push(&add, "v6:fd00::1");
        text = nlab_hosts_render(&add, own, 2);
        assert_non_null(text);
        assert_true(strncmp(text, "127.0.0.1\tlocalhost\n", 20) == 0);
        assert_non_null(strstr(text, "ff02::2\tip6-allrouters\n10.1.2.3\tdb\nfd00::1\tv6\n"
                                     "10.89.0.2\t3f2a1b2c3d4e\n10.90.0.5\t3f2a1b2c3d4e\n"));
        free(text);
        nlab_strv_free(&add);
}

static void test_resolv_drops_loopback_servers(void **state)
{
        const char *host = "# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
                           "search corp.example\noptions edns0\n";
        struct nlab_resolv_opts o = {0};
        char *text;

        (void)state;
        text = nlab_resolv_render(host, &o);
        assert_string_equal(text, "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n");
        free(text);
}

static void test_resolv_overrides(void **state)
{
        struct nlab_strv ns = {0}, search = {0}, opts = {0};
        struct nlab_resolv_opts o = {&ns, &search, &opts};
        char *text;

        (void)state;
        nlab_strv_push(&ns, "10.89.0.1");
        nlab_strv_push(&search, "lab.example");
        nlab_strv_push(&opts, "ndots:0");
        text = nlab_resolv_render("nameserver 192.0.2.53\nsearch corp.example\n", &o);
        assert_string_equal(text, "nameserver 10.89.0.1\nsearch lab.example\noptions ndots:0\n");
        free(text);
        nlab_strv_free(&ns);
        nlab_strv_free(&search);
        nlab_strv_free(&opts);
}

static void test_resolv_of_nothing_is_empty(void **state)
{
        struct nlab_resolv_opts o = {0};
        char *text = nlab_resolv_render(NULL, &o);

        (void)state;
        assert_string_equal(text, "");
        free(text);
}

static void test_add_host_check(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_add_host_check("db:10.1.2.3", &err), 0);
        assert_int_equal(nlab_add_host_check("db:fd00::1", &err), 0);
        assert_int_equal(nlab_add_host_check("db", &err), -1);
        assert_int_equal(nlab_add_host_check(":10.1.2.3", &err), -1);
        assert_int_equal(nlab_add_host_check("db:10.1.2", &err), -1);
        assert_non_null(strstr(err.msg, "db:10.1.2"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hosts_block_then_extra_then_own),
            cmocka_unit_test(test_resolv_drops_loopback_servers),
            cmocka_unit_test(test_resolv_overrides),
            cmocka_unit_test(test_resolv_of_nothing_is_empty),
            cmocka_unit_test(test_add_host_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
