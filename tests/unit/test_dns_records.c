#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/records.h"
#include "dns/state.h"

#define ID_WEB    "aaaaaaaaaaaa000000000000000000000000000000000000000000000000000a"
#define ID_DB     "bbbbbbbbbbbb000000000000000000000000000000000000000000000000000b"
#define ID_MULTI  "cccccccccccc000000000000000000000000000000000000000000000000000c"
#define ID_CLIENT "dddddddddddd000000000000000000000000000000000000000000000000000d"
#define ID_ISO    "eeeeeeeeeeee000000000000000000000000000000000000000000000000000e"

static struct in_addr ip(const char *s)
{
        struct in_addr a;

        assert_int_equal(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static const char *str(struct in_addr a)
{
        static char buf[INET_ADDRSTRLEN];

        return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static void put(struct nlab_dns_store *s, const char *id, const char *name,
                const struct nlab_dns_endpoint *eps, size_t n, const char *const *dns, size_t n_dns)
{
        struct nlab_dns_container c = {id, name, dns, n_dns, eps, n};

        assert_int_equal(nlab_dns_store_put_container(s, &c), 0);
}

static const char *const web_aliases[] = {"www", "App"};
static const char *const client_aliases[] = {"app"};
static const char *const multi_a[] = {"ma"};
static const char *const multi_b[] = {"mb"};
static const char *const client_dns[] = {"192.0.2.53"};

static int setup(void **state)
{
        struct nlab_dns_store *s = nlab_dns_store_new();
        const struct nlab_dns_endpoint web[] = {{"neta", "10.89.0.2", web_aliases, 2}};
        const struct nlab_dns_endpoint db[] = {{"netb", "10.90.0.2", NULL, 0}};
        const struct nlab_dns_endpoint multi[] = {{"neta", "10.89.0.3", multi_a, 1},
                                                  {"netb", "10.90.0.3", multi_b, 1}};
        const struct nlab_dns_endpoint client[] = {{"neta", "10.89.0.4", client_aliases, 1}};
        const struct nlab_dns_endpoint iso[] = {{"neti", "10.91.0.2", NULL, 0}};

        assert_non_null(s);
        assert_int_equal(nlab_dns_store_put_network(s, "neta", "10.89.0.1", false), 0);
        assert_int_equal(nlab_dns_store_put_network(s, "netb", "10.90.0.1", false), 0);
        assert_int_equal(nlab_dns_store_put_network(s, "neti", "10.91.0.1", true), 0);
        put(s, ID_WEB, "Web", web, 1, NULL, 0);
        put(s, ID_DB, "db", db, 1, NULL, 0);
        put(s, ID_MULTI, "multi", multi, 2, NULL, 0);
        put(s, ID_CLIENT, "client", client, 1, client_dns, 1);
        put(s, ID_ISO, "iso", iso, 1, NULL, 0);
        *state = s;
        return 0;
}

static int teardown(void **state)
{
        nlab_dns_store_free(*state);
        return 0;
}

static struct nlab_dns_result look(struct nlab_dns_store *s, const char *asker, const char *net,
                                   const char *qname, uint16_t qtype)
{
        bool host = strcmp(asker, "host") == 0;
        struct nlab_dns_asker a = {host ? ip("0.0.0.0") : ip(asker), net, host};
        struct nlab_dns_result r;

        nlab_dns_lookup(s, &a, qname, qtype, &r);
        return r;
}

static void assert_one(struct nlab_dns_result r, const char *want)
{
        assert_int_equal(r.verdict, NLAB_DNS_V_ANSWER);
        assert_int_equal(r.n_addrs, 1);
        assert_string_equal(str(r.addrs[0]), want);
}

static void test_names_on_shared_network(void **state)
{
        struct nlab_dns_store *s = *state;

        assert_one(look(s, "10.89.0.4", "neta", "web", NLAB_DNS_T_A), "10.89.0.2");
        assert_one(look(s, "10.89.0.4", "neta", "web.neta", NLAB_DNS_T_A), "10.89.0.2");
        assert_one(look(s, "10.89.0.4", "neta", "www", NLAB_DNS_T_A), "10.89.0.2");
        assert_one(look(s, "10.89.0.4", "neta", "www.neta", NLAB_DNS_T_A), "10.89.0.2");
        assert_one(look(s, "10.89.0.4", "neta", "aaaaaaaaaaaa", NLAB_DNS_T_A), "10.89.0.2");
        assert_one(look(s, "10.89.0.4", "neta", "web", NLAB_DNS_T_ANY), "10.89.0.2");
        /* a full id is no name */
        assert_int_equal(look(s, "10.89.0.4", "neta", ID_WEB, NLAB_DNS_T_A).verdict,
                         NLAB_DNS_V_FORWARD);
}

static void test_scoping(void **state)
{
        struct nlab_dns_store *s = *state;

        /* client is on neta only: never netb names, never multi's netb address */
        assert_int_equal(look(s, "10.89.0.4", "neta", "db", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_int_equal(look(s, "10.89.0.4", "neta", "db.netb", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_one(look(s, "10.89.0.4", "neta", "multi", 1), "10.89.0.3");
        assert_int_equal(look(s, "10.89.0.4", "neta", "multi.netb", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_int_equal(look(s, "10.89.0.4", "neta", "mb", 1).verdict, NLAB_DNS_V_FORWARD);
        /* db sees multi's netb address */
        assert_one(look(s, "10.90.0.2", "netb", "multi", 1), "10.90.0.3");
        assert_one(look(s, "10.90.0.2", "netb", "mb", 1), "10.90.0.3");
        /* multi sees both networks through either nameserver */
        assert_one(look(s, "10.89.0.3", "neta", "db", 1), "10.90.0.2");
        assert_one(look(s, "10.90.0.3", "netb", "web", 1), "10.89.0.2");
        assert_one(look(s, "10.90.0.3", "netb", "multi", 1), "10.90.0.3");
        assert_one(look(s, "10.89.0.3", "neta", "multi", 1), "10.89.0.3");
        /* the host (a query that came in on lo) sees the network it asked */
        assert_one(look(s, "host", "neta", "web", 1), "10.89.0.2");
        assert_int_equal(look(s, "host", "neta", "db", 1).verdict, NLAB_DNS_V_FORWARD);
}

static void test_strangers_refused(void **state)
{
        struct nlab_dns_store *s = *state;

        /* positive control: the same questions from a client of the arrival network */
        assert_one(look(s, "10.89.0.4", "neta", "web", 1), "10.89.0.2");
        assert_int_equal(look(s, "10.89.0.4", "neta", "x.example", 1).verdict, NLAB_DNS_V_FORWARD);
        /* a LAN address, the gateway itself, another network's container: none is a client */
        assert_int_equal(look(s, "192.168.1.5", "neta", "web", 1).verdict, NLAB_DNS_V_REFUSED);
        assert_int_equal(look(s, "192.168.1.5", "neta", "x.example", 1).verdict,
                         NLAB_DNS_V_REFUSED);
        assert_int_equal(look(s, "10.89.0.1", "neta", "web", 1).verdict, NLAB_DNS_V_REFUSED);
        assert_int_equal(look(s, "10.90.0.2", "neta", "web", 1).verdict, NLAB_DNS_V_REFUSED);
        /* multi's neta address arriving on netb's bridge is a spoof, not multi */
        assert_int_equal(look(s, "10.89.0.3", "netb", "web", 1).verdict, NLAB_DNS_V_REFUSED);
        /* the internal-only container asking on a normal network: refused, never forwarded */
        assert_int_equal(look(s, "10.91.0.2", "neta", "x.example", 1).verdict, NLAB_DNS_V_REFUSED);
        assert_true(nlab_dns_store_is_endpoint(s, ip("10.89.0.3"), "neta"));
        assert_false(nlab_dns_store_is_endpoint(s, ip("10.89.0.3"), "netb"));
        assert_false(nlab_dns_store_is_endpoint(s, ip("10.89.0.1"), "neta"));
}

static void test_case_insensitive(void **state)
{
        struct nlab_dns_store *s = *state;

        /* names are stored lower case; the codec lowers the question */
        assert_one(look(s, "10.89.0.4", "neta", "web", 1), "10.89.0.2");
        assert_int_equal(look(s, "10.89.0.4", "neta", "app", 1).n_addrs, 2);
}

static void test_shared_alias_rotates(void **state)
{
        struct nlab_dns_store *s = *state;
        struct nlab_dns_result r1 = look(s, "10.89.0.3", "neta", "app", 1);
        struct nlab_dns_result r2 = look(s, "10.89.0.3", "neta", "app", 1);

        assert_int_equal(r1.verdict, NLAB_DNS_V_ANSWER);
        assert_int_equal(r1.n_addrs, 2);
        assert_int_equal(r2.n_addrs, 2);
        assert_int_not_equal(r1.addrs[0].s_addr, r2.addrs[0].s_addr);
        assert_int_equal(r1.addrs[0].s_addr, r2.addrs[1].s_addr);
}

static void test_nodata_and_ptr(void **state)
{
        struct nlab_dns_store *s = *state;
        struct nlab_dns_result r;

        r = look(s, "10.89.0.4", "neta", "web", NLAB_DNS_T_AAAA);
        assert_int_equal(r.verdict, NLAB_DNS_V_NODATA);
        assert_int_equal(r.n_addrs, 0);
        assert_int_equal(look(s, "10.89.0.4", "neta", "web", NLAB_DNS_T_MX).verdict,
                         NLAB_DNS_V_NODATA);
        r = look(s, "10.89.0.4", "neta", "2.0.89.10.in-addr.arpa", NLAB_DNS_T_PTR);
        assert_int_equal(r.verdict, NLAB_DNS_V_ANSWER);
        assert_true(r.is_ptr);
        assert_string_equal(r.ptr, "web.neta");
        r = look(s, "10.90.0.2", "netb", "3.0.90.10.in-addr.arpa", NLAB_DNS_T_PTR);
        assert_string_equal(r.ptr, "multi.netb");
        assert_int_equal(look(s, "10.89.0.4", "neta", "2.0.89.10.in-addr.arpa", 1).verdict,
                         NLAB_DNS_V_NODATA);
        /* an address on a network the asker is not on is not told */
        assert_int_equal(look(s, "10.89.0.4", "neta", "2.0.90.10.in-addr.arpa", 12).verdict,
                         NLAB_DNS_V_FORWARD);
        assert_int_equal(look(s, "10.89.0.4", "neta", "9.0.89.10.in-addr.arpa", 12).verdict,
                         NLAB_DNS_V_FORWARD);
}

static void test_internal_and_upstreams(void **state)
{
        struct nlab_dns_store *s = *state;
        struct nlab_dns_result r;

        assert_int_equal(look(s, "10.91.0.2", "neti", "ext.example", 1).verdict,
                         NLAB_DNS_V_NXDOMAIN);
        assert_one(look(s, "10.91.0.2", "neti", "iso", 1), "10.91.0.2");
        r = look(s, "10.89.0.4", "neta", "ext.example", 1);
        assert_int_equal(r.verdict, NLAB_DNS_V_FORWARD);
        assert_int_equal(r.n_upstreams, 1);
        assert_string_equal(r.upstreams[0], "192.0.2.53");
        r = look(s, "10.89.0.2", "neta", "ext.example", 1);
        assert_null(r.upstreams);
        /* nor does the host asking the internal network's gateway */
        assert_int_equal(look(s, "host", "neti", "ext.example", 1).verdict, NLAB_DNS_V_NXDOMAIN);
        /* connected to a normal network too: forwarding again */
        const struct nlab_dns_endpoint iso2[] = {{"neti", "10.91.0.2", NULL, 0},
                                                 {"neta", "10.89.0.9", NULL, 0}};
        put(s, ID_ISO, "iso", iso2, 2, NULL, 0);
        assert_int_equal(look(s, "10.91.0.2", "neti", "ext.example", 1).verdict,
                         NLAB_DNS_V_FORWARD);
}

static void test_disconnect_and_remove(void **state)
{
        struct nlab_dns_store *s = *state;
        const struct nlab_dns_endpoint multi[] = {{"neta", "10.89.0.3", multi_a, 1}};

        assert_int_equal(nlab_dns_store_container_count(s), 5);
        put(s, ID_MULTI, "multi", multi, 1, NULL, 0); /* network disconnect netb */
        assert_int_equal(nlab_dns_store_container_count(s), 5);
        assert_int_equal(look(s, "10.90.0.2", "netb", "multi", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_int_equal(look(s, "10.90.0.2", "netb", "mb", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_one(look(s, "10.89.0.4", "neta", "multi", 1), "10.89.0.3");
        assert_one(look(s, "10.89.0.4", "neta", "cccccccccccc", 1), "10.89.0.3");
        assert_int_equal(look(s, "10.90.0.3", "netb", "web", 1).verdict, NLAB_DNS_V_REFUSED);

        assert_int_equal(nlab_dns_store_drop_container(s, ID_WEB), 0);
        assert_int_equal(nlab_dns_store_drop_container(s, ID_WEB), -1);
        assert_int_equal(look(s, "10.89.0.4", "neta", "web", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_int_equal(look(s, "10.89.0.4", "neta", "www", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_one(look(s, "10.89.0.3", "neta", "app", 1), "10.89.0.4");
        assert_int_equal(look(s, "10.89.0.4", "neta", "2.0.89.10.in-addr.arpa", 12).verdict,
                         NLAB_DNS_V_FORWARD);
        /* the removed container is no longer an asker either */
        assert_int_equal(look(s, "10.89.0.2", "neta", "db", 1).verdict, NLAB_DNS_V_REFUSED);
        assert_int_equal(nlab_dns_store_container_count(s), 4);
}

static void test_invalid_input(void **state)
{
        struct nlab_dns_store *s = *state;
        const struct nlab_dns_endpoint bad_ip[] = {{"neta", "10.89.0.300", NULL, 0}};
        const struct nlab_dns_endpoint bad_net[] = {{"../x", "10.89.0.5", NULL, 0}};
        const struct nlab_dns_endpoint ok[] = {{"neta", "10.89.0.5", NULL, 0}};
        struct nlab_dns_container c = {"xyz", "n", NULL, 0, ok, 1};

        assert_int_equal(nlab_dns_store_put_container(s, &c), -1); /* bad id */
        c.id = "ABCDEFABCDEF";
        assert_int_equal(nlab_dns_store_put_container(s, &c), -1); /* upper case */
        c.id = "abcdefabcdef";
        c.name = "";
        assert_int_equal(nlab_dns_store_put_container(s, &c), -1);
        c.name = "n";
        c.endpoints = bad_ip;
        assert_int_equal(nlab_dns_store_put_container(s, &c), -1);
        c.endpoints = bad_net;
        assert_int_equal(nlab_dns_store_put_container(s, &c), -1);
        assert_int_equal(nlab_dns_store_container_count(s), 5);
        assert_int_equal(nlab_dns_store_put_network(s, "a/b", "10.0.0.1", false), -1);
        assert_int_equal(nlab_dns_store_put_network(s, "ok", "10.0.0", false), -1);
        assert_int_equal(nlab_dns_store_drop_network(s, "nope"), -1);
}

static void test_networks(void **state)
{
        struct nlab_dns_store *s = *state;

        assert_int_equal(nlab_dns_store_network_count(s), 3);
        assert_true(nlab_dns_store_is_own_address(s, ip("10.90.0.1")));
        assert_false(nlab_dns_store_is_own_address(s, ip("10.90.0.2")));
        assert_int_equal(nlab_dns_store_put_network(s, "netb", "10.90.0.254", false), 0);
        assert_int_equal(nlab_dns_store_network_count(s), 3);
        assert_false(nlab_dns_store_is_own_address(s, ip("10.90.0.1")));
        assert_int_equal(nlab_dns_store_drop_network(s, "neta"), 0);
        assert_int_equal(nlab_dns_store_network_count(s), 2);
        struct nlab_dns_network n0 = nlab_dns_store_network_at(s, 0);
        struct nlab_dns_network n1 = nlab_dns_store_network_at(s, 1);
        assert_true(strcmp(n0.name, "neta") != 0 && strcmp(n1.name, "neta") != 0);
}

static void test_many_containers(void **state)
{
        struct nlab_dns_store *s = *state;
        char ids[1000][65], names[1000][16], ips[1000][16];
        struct nlab_dns_endpoint eps[1000];

        for (int i = 0; i < 1000; i++) {
                snprintf(ids[i], sizeof(ids[i]), "f%063d", i);
                snprintf(names[i], sizeof(names[i]), "c%d", i);
                snprintf(ips[i], sizeof(ips[i]), "10.89.%d.%d", 10 + i / 200, 1 + i % 200);
                eps[i] = (struct nlab_dns_endpoint){"neta", ips[i], NULL, 0};
                put(s, ids[i], names[i], &eps[i], 1, NULL, 0);
        }
        assert_int_equal(nlab_dns_store_container_count(s), 1005);
        assert_one(look(s, "10.89.0.4", "neta", "c999", 1), "10.89.14.200");
        assert_one(look(s, "10.89.14.200", "neta", "web", 1), "10.89.0.2");
        for (int i = 0; i < 1000; i += 2)
                assert_int_equal(nlab_dns_store_drop_container(s, ids[i]), 0);
        assert_int_equal(nlab_dns_store_container_count(s), 505);
        assert_int_equal(look(s, "10.89.0.4", "neta", "c998", 1).verdict, NLAB_DNS_V_FORWARD);
        assert_one(look(s, "10.89.0.4", "neta", "c997", 1), "10.89.14.198");
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_state_files(void **state)
{
        char dir[] = "/tmp/test_dns_state.XXXXXX", path[256], msg[256];
        struct nlab_dns_store *s = nlab_dns_store_new();

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/networks", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/containers", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/networks/neta.json", dir);
        write_file(path, "{\"name\":\"neta\",\"gateway\":\"10.89.0.1\",\"internal\":false}");
        snprintf(path, sizeof(path), "%s/containers/%s.json", dir, ID_WEB);
        write_file(path, "{\"id\":\"" ID_WEB "\",\"name\":\"web\",\"dns_servers\":[\"192.0.2.1\"],"
                         "\"endpoints\":[{\"network\":\"neta\",\"ip\":\"10.89.0.2\","
                         "\"aliases\":[\"www\"]}]}");
        snprintf(path, sizeof(path), "%s/containers/%s.json", dir, ID_DB);
        write_file(path, "{\"id\":\"" ID_DB "\", \"name\": 5}");
        assert_int_equal(nlab_dns_state_load_all(s, dir, msg, sizeof(msg)), 1);
        assert_non_null(strstr(msg, "bad record"));
        assert_int_equal(nlab_dns_store_network_count(s), 1);
        assert_int_equal(nlab_dns_store_container_count(s), 1);
        assert_one(look(s, "host", "neta", "www", 1), "10.89.0.2");
        assert_string_equal(look(s, "10.89.0.2", "neta", "x.example", 1).upstreams[0], "192.0.2.1");

        /* a file that is gone means: drop the record */
        snprintf(path, sizeof(path), "%s/containers/%s.json", dir, ID_WEB);
        unlink(path);
        assert_int_equal(nlab_dns_state_load_container(s, dir, ID_WEB, msg, sizeof(msg)), 0);
        assert_int_equal(nlab_dns_store_container_count(s), 0);
        assert_int_equal(nlab_dns_state_load_container(s, dir, "../../etc", msg, sizeof(msg)), -1);
        assert_int_equal(nlab_dns_state_load_network(s, dir, "../x", msg, sizeof(msg)), -1);
        snprintf(path, sizeof(path), "%s/networks/neta.json", dir);
        write_file(path, "not json");
        assert_int_equal(nlab_dns_state_load_network(s, dir, "neta", msg, sizeof(msg)), -1);
        unlink(path);
        assert_int_equal(nlab_dns_state_load_network(s, dir, "neta", msg, sizeof(msg)), 0);
        assert_int_equal(nlab_dns_store_network_count(s), 0);

        snprintf(path, sizeof(path), "%s/containers/%s.json", dir, ID_DB);
        unlink(path);
        snprintf(path, sizeof(path), "%s/containers", dir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/networks", dir);
        rmdir(path);
        rmdir(dir);
        nlab_dns_store_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_names_on_shared_network, setup, teardown),
            cmocka_unit_test_setup_teardown(test_scoping, setup, teardown),
            cmocka_unit_test_setup_teardown(test_strangers_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_case_insensitive, setup, teardown),
            cmocka_unit_test_setup_teardown(test_shared_alias_rotates, setup, teardown),
            cmocka_unit_test_setup_teardown(test_nodata_and_ptr, setup, teardown),
            cmocka_unit_test_setup_teardown(test_internal_and_upstreams, setup, teardown),
            cmocka_unit_test_setup_teardown(test_disconnect_and_remove, setup, teardown),
            cmocka_unit_test_setup_teardown(test_invalid_input, setup, teardown),
            cmocka_unit_test_setup_teardown(test_networks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_many_containers, setup, teardown),
            cmocka_unit_test(test_state_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
