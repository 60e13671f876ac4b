#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/base/ctrconfig.h"

/* In the order create, attach and the port claim write the keys (no --ip: a null is kept). */
static const char bridge_doc[] =
    "{\"Id\":\"3f2a\",\"Name\":\"web\",\"Created\":\"2026-12-01T13:00:00Z\",\"Image\":\"alpine\","
    "\"Config\":{\"Hostname\":\"3f2a\",\"Env\":[\"PATH=/bin\",\"A=1\"],\"Cmd\":[\"sleep\",\"9\"],"
    "\"Image\":\"alpine\",\"WorkingDir\":\"\",\"Tty\":false,\"OpenStdin\":true,"
    "\"Labels\":{\"b\":\"2\",\"a\":\"\"},\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}}},"
    "\"HostConfig\":{\"NetworkMode\":\"labnet\",\"Privileged\":false,\"CapAdd\":[\"NET_ADMIN\"],"
    "\"CapDrop\":[],\"SecurityOpt\":[\"no-new-privileges\"],\"AutoRemove\":true,"
    "\"Binds\":[\"/tmp/x:/x:ro\"],\"ExtraHosts\":[\"h:10.0.0.9\"],\"Dns\":[],\"DnsSearch\":[],"
    "\"DnsOptions\":[\"ndots:2\"],\"PublishAllPorts\":false,"
    "\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"},\"PidsLimit\":100,\"Memory\":1048576,"
    "\"NanoCpus\":500000000,\"Devices\":[{\"PathOnHost\":\"/dev/null\","
    "\"PathInContainer\":\"/dev/n\",\"CgroupPermissions\":\"rw\"}],"
    "\"LogConfig\":{\"Type\":\"netlab\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}},"
    "\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}},"
    "\"NetworkSettings\":{\"Networks\":{\"labnet\":{\"IPAMConfig\":{\"IPv4Address\":null},"
    "\"Aliases\":[\"w\"],\"MacAddress\":\"02:42:0a:59:00:02\",\"NetworkID\":\"9e\","
    "\"EndpointID\":\"77\",\"Gateway\":\"10.89.0.1\",\"IPAddress\":\"10.89.0.2\",\"IPPrefixLen\":"
    "24,"
    "\"IfName\":\"eth0\",\"HostIfName\":\"veth3f2a\"}},"
    "\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],\"53/udp\":null},"
    "\"PortsTarget\":\"10.89.0.2\"}}";

/* --ip, --mac-address and --init asked for; a stopped container has no interface names. */
static const char asked_doc[] =
    "{\"Id\":\"aa\",\"Name\":\"b\",\"Created\":\"t\",\"Image\":\"alpine\","
    "\"Config\":{\"Hostname\":\"h\",\"Env\":[],\"Cmd\":[\"sh\"],\"Image\":\"alpine\","
    "\"WorkingDir\":\"/w\",\"Tty\":true,\"OpenStdin\":false,\"Labels\":{},\"ExposedPorts\":{}},"
    "\"HostConfig\":{\"NetworkMode\":\"n\",\"Privileged\":true,\"Init\":true,\"CapAdd\":[],"
    "\"CapDrop\":[],"
    "\"SecurityOpt\":[],\"AutoRemove\":false,\"Binds\":[],\"ExtraHosts\":[],\"Dns\":[],"
    "\"DnsSearch\":[],\"DnsOptions\":[],\"PublishAllPorts\":true,\"Sysctls\":{},"
    "\"PidsLimit\":null,\"Memory\":0,\"NanoCpus\":0,\"Devices\":[],"
    "\"LogConfig\":{\"Type\":\"netlab\",\"Config\":{}},\"PortBindings\":{}},"
    "\"NetworkSettings\":{\"Networks\":{\"n\":{\"IPAMConfig\":{\"IPv4Address\":\"10.1.0.5\"},"
    "\"Aliases\":[],\"MacAddress\":\"02:00:00:00:00:01\",\"NetworkID\":\"1\","
    "\"EndpointID\":\"2\",\"Gateway\":\"10.1.0.1\",\"IPAddress\":\"10.1.0.5\","
    "\"IPPrefixLen\":16}},\"Ports\":{}}}";

static void round_trip(const char *text, struct nlab_ctr_config *c)
{
        json_t *doc = json_loads(text, 0, NULL), *back;
        char *out;

        assert_non_null(doc);
        assert_int_equal(nlab_ctr_config_parse(doc, c, NULL), 0);
        back = nlab_ctr_config_to_json(c);
        out = json_dumps(back, JSON_COMPACT);
        assert_string_equal(out, text); /* the file and inspect's output do not change */
        free(out);
        json_decref(back);
        json_decref(doc);
}

static void test_bridge_round_trip(void **state)
{
        struct nlab_ctr_config c;
        struct nlab_ctr_endpoint *ep;

        (void)state;
        round_trip(bridge_doc, &c);
        assert_string_equal(c.name, "web");
        assert_int_equal(c.cmd.n, 2);
        assert_string_equal(c.cmd.v[0], "sleep");
        assert_true(c.open_stdin && !c.tty && c.auto_remove && !c.privileged && !c.init);
        assert_string_equal(nlab_kvs_get(&c.labels, "b"), "2");
        assert_null(nlab_kvs_get(&c.labels, "c"));
        assert_string_equal(nlab_kvs_get(&c.log_config, "max-file"), "3");
        assert_true(c.pids_limit == 100 && c.memory == 1048576 && c.nano_cpus == 500000000);
        assert_int_equal(c.n_devices, 1);
        assert_string_equal(c.devices[0].perms, "rw");
        assert_int_equal(c.ports.n, 2);
        assert_true(c.ports.v[1].unbound);
        assert_string_equal(c.port_bindings.v[0].v[0].host_port, "8080");
        ep = nlab_ctr_config_endpoint(&c, "labnet");
        assert_non_null(ep);
        assert_null(ep->ipam_ip);
        assert_true(ep->prefix_len == 24);
        assert_string_equal(ep->host_ifname, "veth3f2a");
        assert_null(nlab_ctr_config_endpoint(&c, "bridge"));
        nlab_ctr_config_free(&c);
}

static void test_asked_round_trip(void **state)
{
        struct nlab_ctr_config c;

        (void)state;
        round_trip(asked_doc, &c);
        assert_string_equal(c.networks[0].ipam_ip, "10.1.0.5");
        assert_null(c.networks[0].ifname);
        assert_true(c.pids_limit == 0 && c.publish_all && c.tty && c.init);
        assert_null(c.ports_target);
        nlab_ctr_config_free(&c);
}

static void test_refused(void **state)
{
        static const char *const bad[] = {
            "[]",
            "{\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\",\"Config\":{}}",
            "{\"Id\":1,\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\"}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\"}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[]},\"HostConfig\":{\"NetworkMode\":\"n\"}}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\",3]},\"HostConfig\":{\"NetworkMode\":"
            "\"n\"}}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\"],\"Tty\":\"yes\"},"
            "\"HostConfig\":{\"NetworkMode\":\"n\"}}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\"]},"
            "\"HostConfig\":{\"NetworkMode\":\"n\",\"Memory\":-1}}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\"]},\"HostConfig\":{\"NetworkMode\":"
            "\"n\"},"
            "\"NetworkSettings\":{\"Networks\":{\"n\":{\"IPPrefixLen\":33}}}}",
            "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
            "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\"]},\"HostConfig\":{\"NetworkMode\":"
            "\"n\"},"
            "\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"\"}]}}}",
        };
        const char *good = "{\"Id\":\"1\",\"Name\":\"a\",\"Created\":\"t\",\"Image\":\"i\","
                           "\"Config\":{\"Hostname\":\"h\",\"Cmd\":[\"sh\"]},"
                           "\"HostConfig\":{\"NetworkMode\":\"n\"}}";
        struct nlab_ctr_config c;
        struct nlab_err err;
        json_t *doc;
        size_t i;

        (void)state;
        /* positive control: the smallest record the checks accept */
        doc = json_loads(good, 0, NULL);
        assert_int_equal(nlab_ctr_config_parse(doc, &c, NULL), 0);
        nlab_ctr_config_free(&c);
        json_decref(doc);
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                doc = json_loads(bad[i], JSON_DECODE_ANY, NULL);
                assert_non_null(doc);
                assert_int_equal(nlab_ctr_config_parse(doc, &c, &err), -1);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                nlab_ctr_config_free(&c);
                json_decref(doc);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bridge_round_trip),
            cmocka_unit_test(test_asked_round_trip),
            cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
