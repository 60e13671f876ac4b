#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "runtime/lab/party.h"

/* A container party from its config's networks and published ports, as the store holds them. */
static void container(struct nlab_party *p, const char *name, const char *json)
{
        json_error_t e;

        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->kind = NLAB_PARTY_CONTAINER;
        p->running = true;
        p->cfg = json_loads(json, 0, &e);
        assert_non_null(p->cfg);
        p->nets = json_object_get(json_object_get(p->cfg, "NetworkSettings"), "Networks");
}

static const char web_json[] =
    "{\"Name\": \"/web\", \"NetworkSettings\": {"
    " \"Networks\": {\"bridge\": {\"IPAddress\": \"172.17.0.2\", \"Gateway\": \"172.17.0.1\"},"
    "               \"labnet\": {\"IPAddress\": \"10.89.0.2\", \"Gateway\": \"10.89.0.1\"}},"
    " \"Ports\": {\"8000/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8080\"}],"
    "           \"53/udp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"5353\"}]}}}";

static void test_published_ports_both_ways(void **state)
{
        struct nlab_party web;
        char why[128] = "";

        (void)state;
        container(&web, "web", web_json);
        assert_int_equal(nlab_party_published_port(&web, 8000, NLAB_PROTO_TCP, why, sizeof(why)),
                         8080);
        assert_int_equal(nlab_party_published_port(&web, 80, NLAB_PROTO_TCP, why, sizeof(why)), 0);
        assert_string_equal(why, "web's port 80/tcp is not published on the host");
        /* -p 8080:8000: host port 8080 leads to 8000, whatever listens on 80 */
        assert_int_equal(nlab_party_container_port(&web, 8080, NLAB_PROTO_TCP), 8000);
        assert_int_equal(nlab_party_container_port(&web, 8080, NLAB_PROTO_UDP), 0);
        assert_int_equal(nlab_party_container_port(&web, 5353, NLAB_PROTO_UDP), 53);
        assert_int_equal(nlab_party_container_port(&web, 9999, NLAB_PROTO_TCP), 0);
        assert_string_equal(nlab_party_name(&web), "web");
        nlab_party_free(&web);
}

static void test_addresses_prefer_a_shared_network(void **state)
{
        struct nlab_party web, client, host = {.kind = NLAB_PARTY_HOST, .in_host_ns = true};
        char ip[INET_ADDRSTRLEN], why[128];
        struct in_addr a;

        (void)state;
        container(&web, "web", web_json);
        container(&client, "client",
                  "{\"NetworkSettings\": {\"Networks\": {\"labnet\": {\"IPAddress\": "
                  "\"10.89.0.3\", \"Gateway\": \"10.89.0.1\"}}}}");
        assert_int_equal(nlab_party_target_address(&client, &web, &a, why, sizeof(why)), 0);
        assert_string_equal(inet_ntop(AF_INET, &a, ip, sizeof(ip)), "10.89.0.2");
        assert_int_equal(nlab_party_host_address(&client, &a, why, sizeof(why)), 0);
        assert_string_equal(inet_ntop(AF_INET, &a, ip, sizeof(ip)), "10.89.0.1");
        /* the host sees itself on loopback and the container on its first network */
        assert_int_equal(nlab_party_target_address(&web, &host, &a, why, sizeof(why)), 0);
        assert_string_equal(inet_ntop(AF_INET, &a, ip, sizeof(ip)), "172.17.0.1");
        assert_null(nlab_party_netns(&host));
        nlab_party_free(&web);
        nlab_party_free(&client);
}

static void test_no_network_is_said(void **state)
{
        struct nlab_party none, web;
        char why[128];
        struct in_addr a;

        (void)state;
        container(&none, "lonely", "{\"NetworkSettings\": {\"Networks\": {}}}");
        container(&web, "web", web_json);
        assert_int_equal(nlab_party_target_address(&web, &none, &a, why, sizeof(why)), -1);
        assert_string_equal(why, "lonely has no address (no network attached)");
        assert_int_equal(nlab_party_host_address(&none, &a, why, sizeof(why)), -1);
        assert_string_equal(why, "lonely has no network, so no way to the lab host");
        nlab_party_free(&none);
        nlab_party_free(&web);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_published_ports_both_ways),
            cmocka_unit_test(test_addresses_prefer_a_shared_network),
            cmocka_unit_test(test_no_network_is_said),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
