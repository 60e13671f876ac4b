#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "runtime/base/sysctlspec.h"
#include "runtime/kernel/sysctl.h"

static int check(const char *spec, enum nlab_sysctl_netns net, struct nlab_err *err)
{
        return nlab_sysctl_check(spec, net, err);
}

static void test_namespaced_keys_are_accepted(void **state)
{
        static const char *const ok[] = {
            "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.core.somaxconn=1024",
            "kernel.msgmax=65536",
            "kernel.msgmnb=65536",
            "kernel.msgmni=32000",
            "kernel.sem=250 32000 100 128",
            "kernel.shmall=4096",
            "kernel.shmmax=68719476736",
            "kernel.shmmni=4096",
            "kernel.shm_rmid_forced=1",
            "kernel.domainname=lab.example",
            "fs.mqueue.msg_max=100",
            "net/ipv4/conf/eth0.100/rp_filter=2",
            "net.ipv4.ip_local_port_range=1024 65000",
        };
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                assert_int_equal(check(ok[i], NLAB_SYSCTL_NET_OWN, &err), 0);
}

static void test_host_keys_are_refused_with_what_is_accepted(void **state)
{
        static const char *const bad[] = {
            "kernel.core_pattern=|/tmp/x",
            "vm.drop_caches=3",
            "kernel.hostname=x",
            "fs.file-max=10",
            "kernel.sysrq=1",
            "kernel.modprobe=/x",
            "fs.mqueue=1",
            "netx.y=1",
            "kernel.msgmax.x=1",
        };
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(check(bad[i], NLAB_SYSCTL_NET_OWN, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_non_null(strstr(err.msg, "is not allowed"));
        }
        check("vm.drop_caches=3", NLAB_SYSCTL_NET_OWN, &err);
        assert_non_null(strstr(err.msg, "'vm.drop_caches'"));
        assert_non_null(strstr(err.msg, "fs.mqueue.* and net.*"));
}

static void test_near_miss_gets_a_suggestion(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(check("kernel.shmax=1", NLAB_SYSCTL_NET_OWN, &err), -1);
        assert_non_null(strstr(err.msg, "did you mean kernel.shmmax?"));
}

static void test_net_keys_need_an_own_network_namespace(void **state)
{
        struct nlab_err err;

        (void)state;
        assert_int_equal(check("net.ipv4.conf.all.rp_filter=0", NLAB_SYSCTL_NET_HOST, &err), -1);
        assert_string_equal(err.msg, "sysctl \"net.ipv4.conf.all.rp_filter\" not allowed in host "
                                     "network namespace");
        assert_int_equal(check("net.ipv4.ip_forward=1", NLAB_SYSCTL_NET_JOINED, &err), -1);
        assert_non_null(strstr(err.msg, "container:NAME"));
        /* IPC keys do not depend on the network mode. */
        assert_int_equal(check("kernel.shmmni=100", NLAB_SYSCTL_NET_HOST, &err), 0);
        assert_int_equal(check("fs.mqueue.queues_max=10", NLAB_SYSCTL_NET_JOINED, &err), 0);
}

static void test_shapes_that_could_leave_proc_sys(void **state)
{
        static const char *const bad[] = {
            "net/../kernel/core_pattern=x",
            "net/./ipv4/ip_forward=1",
            "net//ipv4=1",
            "net..ipv4.ip_forward=1",
            "net.ipv4.=1",
            ".net.ipv4=1",
            "net.ipv4 .x=1",
            "net.ipv4.ip_forward",
            "=1",
            "net.ipv4.ip_forward=",
            "net.a=1\n2",
            "net.a\n.b=1",
        };
        struct nlab_err err;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(check(bad[i], NLAB_SYSCTL_NET_OWN, &err), -1);
}

static void test_split_gives_the_proc_sys_path(void **state)
{
        char key[64], path[64];
        const char *v;

        (void)state;
        v = nlab_sysctl_split("net.ipv4.ip_forward=1", key, sizeof(key), path, sizeof(path));
        assert_string_equal(v, "1");
        assert_string_equal(key, "net.ipv4.ip_forward");
        assert_string_equal(path, "net/ipv4/ip_forward");
        v = nlab_sysctl_split("net/ipv4/conf/eth0.100/rp_filter=a=b", key, sizeof(key), path,
                              sizeof(path));
        assert_string_equal(v, "a=b");
        assert_string_equal(key, "net.ipv4.conf.eth0.100.rp_filter");
        assert_string_equal(path, "net/ipv4/conf/eth0.100/rp_filter");
        assert_null(nlab_sysctl_split("net.ipv4.ip_forward=1", key, 8, path, sizeof(path)));
}

static void test_keys_this_kernel_has(void **state)
{
        char near[256];
        (void)state;
        assert_int_equal(nlab_sysctl_exists("net.ipv4.ip_forward", near, sizeof(near)), 1);
        assert_int_equal(nlab_sysctl_exists("net.ipv4.ip_fowrard", near, sizeof(near)), 0);
        assert_string_equal(near, "net.ipv4.ip_forward");
        /* the container's links are not here: looked up under default */
        assert_int_equal(nlab_sysctl_exists("net.ipv4.conf.eth0.rp_filter", near, sizeof(near)), 1);
        assert_int_equal(nlab_sysctl_exists("net.ipv4.conf.eth0.100.rp_filter", near, sizeof(near)),
                         1);
        assert_int_equal(nlab_sysctl_exists("net.ipv4.conf.eth0.rp_filtr", near, sizeof(near)), 0);
        assert_string_equal(near, "net.ipv4.conf.eth0.rp_filter");
        assert_int_equal(nlab_sysctl_exists("net.ipv4.no_such_thing_at_all", near, sizeof(near)),
                         0);
        assert_string_equal(near, "");
        assert_int_equal(nlab_sysctl_exists("net..ipv4", near, sizeof(near)), -1);
        assert_int_equal(nlab_sysctl_exists("net/ipv4/ip_forward", near, sizeof(near)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_namespaced_keys_are_accepted),
            cmocka_unit_test(test_host_keys_are_refused_with_what_is_accepted),
            cmocka_unit_test(test_near_miss_gets_a_suggestion),
            cmocka_unit_test(test_net_keys_need_an_own_network_namespace),
            cmocka_unit_test(test_shapes_that_could_leave_proc_sys),
            cmocka_unit_test(test_split_gives_the_proc_sys_path),
            cmocka_unit_test(test_keys_this_kernel_has),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
