/* netlab graph's DOT writer on hand-made labs: where things go, which way the chain runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "netlab/graph_dot.h"
#include "runtime/base/cidr.h"

static struct nlab_net bridge_net(const char *name, const char *bridge, const char *cidr,
                                  bool internal)
{
        struct nlab_net n = {.has_pool = true, .icc = true, .internal = internal};

        snprintf(n.name, sizeof(n.name), "%s", name);
        snprintf(n.driver, sizeof(n.driver), "bridge");
        snprintf(n.bridge, sizeof(n.bridge), "%s", bridge);
        assert_int_equal(nlab_cidr_parse(cidr, &n.pool.subnet, NULL), 0);
        n.pool.gateway.s_addr = htonl(ntohl(n.pool.subnet.net.s_addr) + 1);
        return n;
}

static struct nlab_ctr_endpoint ep(char *net, char *ifname, char *ip, char *veth)
{
        return (struct nlab_ctr_endpoint){.network = net,
                                          .ifname = ifname,
                                          .ip_address = ip,
                                          .has_prefix = true,
                                          .prefix_len = 24,
                                          .host_ifname = veth};
}

static char *dot_of(const struct nlab_graph *g)
{
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);

        assert_non_null(m);
        assert_int_equal(nlab_graph_dot(g, m), 0);
        fclose(m);
        return text;
}

static void assert_has(const char *text, const char *want)
{
        text = text ? text : "";
        if (!strstr(text, want))
                fail_msg("wanted [%s] in:\n%s", want, text);
}

static void assert_lacks(const char *text, const char *unwanted)
{
        text = text ? text : "";
        if (strstr(text, unwanted))
                fail_msg("did not want [%s] in:\n%s", unwanted, text);
}

/* alice - left - router - right - bob: the edges run one way, so dot ranks them in a row. */
static void test_router_chain_left_to_right(void **state)
{
        struct nlab_net nets[] = {
            {.driver = "host", .name = "host"},
            bridge_net("left", "br-1", "10.10.1.0/24", false),
            bridge_net("right", "br-2", "10.10.2.0/24", false),
        };
        struct nlab_ctr_endpoint ea[] = {ep("left", "eth0", "10.10.1.2", "nla")};
        struct nlab_ctr_endpoint er[] = {ep("left", "eth0", "10.10.1.254", "nlr0"),
                                         ep("right", "eth1", "10.10.2.254", "nlr1")};
        struct nlab_ctr_endpoint eb[] = {ep("right", "eth0", "10.10.2.2", "nlb")};
        struct nlab_graph_ctr ctrs[] = {
            {.cfg = {.id = "a1",
                     .name = "alice",
                     .network_mode = "left",
                     .networks = ea,
                     .n_networks = 1},
             .running = true},
            {.cfg = {.id = "b1",
                     .name = "bob",
                     .network_mode = "right",
                     .networks = eb,
                     .n_networks = 1},
             .running = true},
            {.cfg = {.id = "r1",
                     .name = "router",
                     .network_mode = "left",
                     .networks = er,
                     .n_networks = 2},
             .running = true},
        };
        struct nlab_graph g = {.nets = nets, .n_nets = 3, .ctrs = ctrs, .n_ctrs = 3};
        char *d = dot_of(&g);

        (void)state;
        assert_has(d, "rankdir=LR");
        assert_has(d, "\"ctr:alice\":if0 -> \"net:left\"");
        assert_has(d, "\"net:left\" -> \"ctr:router\":if0");
        assert_has(d, "\"ctr:router\":if1 -> \"net:right\"");
        assert_has(d, "\"net:right\" -> \"ctr:bob\":if0");
        assert_has(d, "<B>eth1</B>  10.10.2.254/24");
        assert_has(d, "label=\"nlr1\"");
        assert_has(d, "gateway 10.10.1.1/24");
        assert_has(d, "netlab-dns 10.10.1.1:53");
        assert_has(d, "NAT to the outside (masquerade)");
        /* the router is between the boxes; alice and bob inside theirs; no host box or line */
        assert_has(d, "subgraph \"cluster_net:left\"");
        assert_lacks(d, "cluster_net:host");
        assert_lacks(d, "cluster_host");
        assert_lacks(d, "\"host\"");
        free(d);
}

/* A sharer in its owner's box; a published port with its host address; --internal closed;
 * none with only lo; the default bridge without netlab-dns. */
static void test_sharing_ports_internal_none(void **state)
{
        struct nlab_net nets[] = {
            bridge_net("bridge", "netlab0", "172.17.0.0/16", false),
            {.driver = "null", .name = "none"},
            bridge_net("sealed", "br-3", "10.91.0.0/24", true),
        };
        struct nlab_ctr_endpoint ew[] = {ep("bridge", "eth0", "172.17.0.2", "nlw")};
        struct nlab_ctr_endpoint ed[] = {ep("sealed", "eth0", "10.91.0.2", "nld")};
        struct nlab_ctr_endpoint ef[] = {ep("sealed", NULL, "10.91.0.3", NULL)};
        struct nlab_hostport hp = {"127.0.0.1", "8080"};
        struct nlab_port_entry pe = {.key = "80/tcp", .v = &hp, .n = 1};
        struct nlab_graph_ctr ctrs[] = {
            {.cfg = {.id = "w1",
                     .name = "web",
                     .network_mode = "bridge",
                     .networks = ew,
                     .n_networks = 1,
                     .ports = {&pe, 1}},
             .running = true},
            {.cfg = {.id = "s1", .name = "side", .network_mode = "container:w1"}, .running = true},
            {.cfg = {.id = "n1", .name = "box", .network_mode = "none"}, .running = false},
            {.cfg = {.id = "d1",
                     .name = "db",
                     .network_mode = "sealed",
                     .networks = ed,
                     .n_networks = 1},
             .running = true},
            {.cfg = {.id = "f1",
                     .name = "fresh",
                     .network_mode = "sealed",
                     .networks = ef,
                     .n_networks = 1}},
            {.cfg = {.id = "s2", .name = "side2", .network_mode = "container:side"},
             .running = true},
        };
        struct nlab_graph g = {.nets = nets, .n_nets = 3, .ctrs = ctrs, .n_ctrs = 6};
        char *d = dot_of(&g);

        (void)state;
        assert_has(d, "<B>+ side</B>");
        assert_has(d, "one network namespace");
        assert_has(d, "<B>+ side2</B>"); /* container:side, and side is container:web */
        assert_lacks(d, "\"ctr:side\"");
        assert_lacks(d, "\"ctr:side2\"");
        assert_has(d, "label=\"127.0.0.1:8080/tcp\"");
        assert_has(d, "\"pub:web:80/tcp:0\" -> \"ctr:web\"");
        assert_has(d, "label=\"→ web:80\"");
        assert_has(d, "subgraph cluster_host");
        assert_has(d, "internal: no way out");
        assert_has(d, "(internal: closed)");
        assert_has(d, "<B>lo</B>  127.0.0.1/8");
        assert_has(d, "<B>box</B> (stopped)");
        assert_lacks(d, "cluster_net:none");
        assert_has(d, "\">10.91.0.3/24 <I>(not started)</I>"); /* no interface before a start */
        assert_lacks(d, "netlab-dns 172.17.0.1"); /* names are for user-defined networks only */
        free(d);
}

/* An outside machine stands beyond the host box, its veth ending on the host's xh-NAME. */
static void test_external_host(void **state)
{
        struct nlab_external x = {.name = "laptop", .host_ifname = "xh-laptop", .prefix = 24};
        struct nlab_graph g = {.exts = &x, .n_exts = 1};
        char *d;

        (void)state;
        inet_pton(AF_INET, "198.18.1.2", &x.addr);
        inet_pton(AF_INET, "198.18.1.1", &x.host_addr);
        d = dot_of(&g);
        assert_non_null(strstr(d, "subgraph cluster_host"));
        assert_non_null(strstr(d, "<B>external laptop</B>"));
        assert_non_null(strstr(d, "198.18.1.2/24"));
        assert_non_null(strstr(d, "<B>xh-laptop</B>"));
        assert_non_null(strstr(d, "198.18.1.1/24"));
        assert_non_null(strstr(d, "\"ext:laptop\" -> \"xh:laptop\""));
        /* the external box is not inside the host's cluster: it is outside */
        assert_true(strstr(d, "\"ext:laptop\" [label") > strstr(d, "  }\n"));
        free(d);
}

static void test_html_escape(void **state)
{
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);

        (void)state;
        nlab_graph_html(m, "a<b>&\"c\"");
        nlab_graph_html(m, NULL);
        fclose(m);
        assert_string_equal(text, "a&lt;b&gt;&amp;&quot;c&quot;");
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_router_chain_left_to_right),
            cmocka_unit_test(test_sharing_ports_internal_none),
            cmocka_unit_test(test_html_escape),
            cmocka_unit_test(test_external_host),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
