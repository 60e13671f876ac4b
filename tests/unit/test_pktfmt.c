/* The capture decoder on frames built by hand: each protocol's line, the structured fields the
 * scenario directive matches on, and every cut of every frame read without reading past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "runtime/base/pktfmt.h"

struct frame {
        uint8_t b[1600];
        size_t len;
};

static void put8(struct frame *f, uint8_t v)
{
        f->b[f->len++] = v;
}

static void put16(struct frame *f, uint16_t v)
{
        put8(f, (uint8_t)(v >> 8));
        put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
        put16(f, (uint16_t)(v >> 16));
        put16(f, (uint16_t)v);
}

static void putn(struct frame *f, const void *p, size_t n)
{
        memcpy(f->b + f->len, p, n);
        f->len += n;
}

static void putip(struct frame *f, const char *a)
{
        struct in_addr in;

        assert_int_equal(inet_pton(AF_INET, a, &in), 1);
        putn(f, &in, 4);
}

static const uint8_t mac_a[6] = {0x02, 0x42, 0x0a, 0x60, 0x00, 0x03};
static const uint8_t mac_b[6] = {0x02, 0x42, 0x0a, 0x60, 0x00, 0x02};

static void ether(struct frame *f, uint16_t type)
{
        f->len = 0;
        putn(f, mac_b, 6);
        putn(f, mac_a, 6);
        put16(f, type);
}

/* An IPv4 header for payload bytes of proto; the checksum is not looked at. */
static void ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto, size_t payload)
{
        put8(f, 0x45);
        put8(f, 0);
        put16(f, (uint16_t)(20 + payload));
        put32(f, 0);
        put8(f, 64);
        put8(f, proto);
        put16(f, 0);
        putip(f, src);
        putip(f, dst);
}

static void decode(const struct frame *f, struct nlab_pkt *p, char *line, size_t size)
{
        assert_int_equal(nlab_pkt_decode(f->b, f->len, f->len, NLAB_PKT_LINK_ETHER, p, line, size),
                         0);
}

static void ping_frame(struct frame *f, uint8_t type)
{
        ether(f, 0x0800);
        ipv4(f, "10.96.0.3", "10.96.0.2", IPPROTO_ICMP, 16);
        put8(f, type);
        put8(f, 0);
        put16(f, 0);
        put16(f, 7);
        put16(f, 1);
        put32(f, 0xdeadbeef);
        put32(f, 0);
}

static void test_icmp(void **state)
{
        struct nlab_pkt p;
        struct frame f;
        char line[256];

        (void)state;
        ping_frame(&f, 8);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "IP 10.96.0.3 > 10.96.0.2: ICMP echo-request id 7 seq 1");
        assert_int_equal(p.proto, NLAB_PKT_ICMP);
        assert_int_equal(p.icmp_type, 8);
        assert_string_equal(p.src, "10.96.0.3");
        assert_string_equal(p.dst, "10.96.0.2");

        /* port unreachable: type and code by name, no id/seq */
        ether(&f, 0x0800);
        ipv4(&f, "10.96.0.2", "10.96.0.3", IPPROTO_ICMP, 8);
        put8(&f, 3);
        put8(&f, 3);
        put16(&f, 0);
        put32(&f, 0);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line,
                            "IP 10.96.0.2 > 10.96.0.3: ICMP dest-unreachable port-unreachable");
        assert_int_equal(nlab_pkt_icmp_type("echo-reply"), 0);
        assert_int_equal(nlab_pkt_icmp_type("time-exceeded"), 11);
        assert_int_equal(nlab_pkt_icmp_type("echo"), -1);
}

static void test_tcp(void **state)
{
        struct nlab_pkt p;
        struct frame f;
        char line[256];

        (void)state;
        ether(&f, 0x0800);
        ipv4(&f, "10.96.0.2", "10.96.0.3", IPPROTO_TCP, 20);
        put16(&f, 80);
        put16(&f, 40000);
        put32(&f, 100);
        put32(&f, 201);
        put8(&f, 5 << 4);
        put8(&f, NLAB_TCP_SYN | NLAB_TCP_ACK);
        put16(&f, 65160);
        put32(&f, 0);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(
            line, "IP 10.96.0.2 > 10.96.0.3: TCP 80 > 40000 [S.] seq 100 ack 201 win 65160");
        assert_int_equal(p.proto, NLAB_PKT_TCP);
        assert_int_equal(p.tcp_flags, NLAB_TCP_SYN | NLAB_TCP_ACK);
        assert_int_equal(p.sport, 80);

        /* a data offset under 20 bytes is named, not followed */
        f.b[14 + 20 + 12] = 2 << 4;
        decode(&f, &p, line, sizeof(line));
        assert_non_null(strstr(line, "[bad header length]"));
}

static void test_dns(void **state)
{
        uint8_t q[512], r[512];
        struct nlab_dns_query dq;
        struct nlab_dns_builder b;
        struct in_addr a;
        struct nlab_pkt p;
        struct frame f;
        char line[512];
        int qlen, rlen;

        (void)state;
        qlen = nlab_dns_build_query("web", 0x1234, q, sizeof(q));
        assert_true(qlen > 0);
        ether(&f, 0x0800);
        ipv4(&f, "10.96.0.3", "10.96.0.1", IPPROTO_UDP, 8 + (size_t)qlen);
        put16(&f, 41000);
        put16(&f, 53);
        put16(&f, (uint16_t)(8 + qlen));
        put16(&f, 0);
        putn(&f, q, (size_t)qlen);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line,
                            "IP 10.96.0.3 > 10.96.0.1: UDP 41000 > 53, DNS query 0x1234 A web?");
        assert_int_equal(p.proto, NLAB_PKT_DNS);
        assert_false(p.dns_response);
        assert_string_equal(p.dns_qname, "web");

        assert_int_equal(nlab_dns_parse_query(q, (size_t)qlen, &dq), NLAB_DNS_PARSE_OK);
        nlab_dns_begin_response(&b, r, sizeof(r), &dq, q, NLAB_DNS_NOERROR, true);
        inet_pton(AF_INET, "10.96.0.2", &a);
        nlab_dns_add_a(&b, 60, a);
        rlen = nlab_dns_finish(&b, &dq, sizeof(r));
        assert_true(rlen > 0);
        ether(&f, 0x0800);
        ipv4(&f, "10.96.0.1", "10.96.0.3", IPPROTO_UDP, 8 + (size_t)rlen);
        put16(&f, 53);
        put16(&f, 41000);
        put16(&f, (uint16_t)(8 + rlen));
        put16(&f, 0);
        putn(&f, r, (size_t)rlen);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "IP 10.96.0.1 > 10.96.0.3: UDP 53 > 41000, DNS response 0x1234 "
                                  "A web? -> 10.96.0.2");
        assert_true(p.dns_response);

        /* NXDOMAIN named */
        rlen = nlab_dns_build_rcode(r, sizeof(r), &dq, q, NLAB_DNS_NXDOMAIN);
        f.len = 14 + 20 + 8;
        putn(&f, r, (size_t)rlen);
        decode(&f, &p, line, sizeof(line));
        assert_non_null(strstr(line, "DNS response 0x1234 A web? NXDOMAIN"));

        /* port 53 but not DNS: a plain UDP line */
        f.len = 14 + 20 + 8;
        putn(&f, "hi", 2);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "IP 10.96.0.1 > 10.96.0.3: UDP 53 > 41000, length 2");
        assert_int_equal(p.proto, NLAB_PKT_UDP);
}

static void arp_frame(struct frame *f, uint16_t op)
{
        ether(f, 0x0806);
        put16(f, 1);
        put16(f, 0x0800);
        put8(f, 6);
        put8(f, 4);
        put16(f, op);
        putn(f, op == 1 ? mac_a : mac_b, 6);
        putip(f, op == 1 ? "10.96.0.3" : "10.96.0.2");
        putn(f, op == 1 ? (const uint8_t[6]){0} : mac_a, 6);
        putip(f, op == 1 ? "10.96.0.2" : "10.96.0.3");
}

static void test_arp_vlan(void **state)
{
        struct nlab_pkt p;
        struct frame f, v;
        char line[256];

        (void)state;
        arp_frame(&f, 1);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "ARP who-has 10.96.0.2 tell 10.96.0.3");
        assert_int_equal(p.proto, NLAB_PKT_ARP);
        assert_false(p.arp_reply);
        arp_frame(&f, 2);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "ARP 10.96.0.2 is-at 02:42:0a:60:00:02");
        assert_true(p.arp_reply);

        /* an 802.1Q tag is skipped to the real type */
        ping_frame(&f, 0);
        v.len = 0;
        putn(&v, f.b, 12);
        put16(&v, 0x8100);
        put16(&v, 5);
        putn(&v, f.b + 12, f.len - 12);
        decode(&v, &p, line, sizeof(line));
        assert_string_equal(line, "IP 10.96.0.3 > 10.96.0.2: ICMP echo-reply id 7 seq 1");
}

static void test_ipv6(void **state)
{
        struct in6_addr s, d;
        struct nlab_pkt p;
        struct frame f;
        char line[256];

        (void)state;
        inet_pton(AF_INET6, "fe80::1", &s);
        inet_pton(AF_INET6, "ff02::2", &d);
        ether(&f, 0x86dd);
        put32(&f, 0x60000000);
        put16(&f, 8);
        put8(&f, IPPROTO_ICMPV6);
        put8(&f, 255);
        putn(&f, &s, 16);
        putn(&f, &d, 16);
        put8(&f, 133);
        put8(&f, 0);
        put16(&f, 0);
        put32(&f, 0);
        decode(&f, &p, line, sizeof(line));
        assert_string_equal(line, "IP6 fe80::1 > ff02::2: ICMP6 router-solicitation");
        assert_int_equal(p.family, AF_INET6);
}

/* Every prefix of every frame: no read past it (ASan in the sanitizer build), a line each. */
static void test_every_cut(void **state)
{
        struct frame frames[4];
        char line[512];
        size_t i, n;

        (void)state;
        ping_frame(&frames[0], 8);
        arp_frame(&frames[1], 2);
        frames[2] = frames[0];
        frames[2].b[14] = 0x4f; /* an IHL past the end */
        frames[3] = frames[0];
        frames[3].b[12] = 0x86; /* IPv4 bytes read as IPv6 */
        frames[3].b[13] = 0xdd;
        for (i = 0; i < 4; i++) {
                for (n = 0; n <= frames[i].len; n++) {
                        uint8_t *copy = malloc(n ? n : 1);

                        memcpy(copy, frames[i].b, n);
                        assert_int_equal(nlab_pkt_decode(copy, n, frames[i].len,
                                                         NLAB_PKT_LINK_ETHER, NULL, line,
                                                         sizeof(line)),
                                         0);
                        assert_true(line[0] != '\0');
                        if (n < frames[i].len)
                                assert_non_null(strstr(line, "captured"));
                        free(copy);
                }
        }
        ping_frame(&frames[0], 8);
        frames[0].len = 20;
        decode(&frames[0], NULL, line, sizeof(line));
        assert_string_equal(line, "IP [cut]");
}

static void test_small_buffer(void **state)
{
        struct frame f;
        char line[16];

        (void)state;
        ping_frame(&f, 8);
        assert_int_equal(
            nlab_pkt_decode(f.b, f.len, f.len, NLAB_PKT_LINK_ETHER, NULL, line, sizeof(line)), -1);
        assert_int_equal(strlen(line), sizeof(line) - 1);
        assert_int_equal(nlab_pkt_decode(f.b, f.len, f.len, NLAB_PKT_LINK_ETHER, NULL, line, 0),
                         -1);
}

static int pattern(const char *text, struct nlab_pkt_pattern *pt, size_t *bad, char *why)
{
        char buf[128], *words[8], *save = NULL, *w;
        size_t n = 0;

        snprintf(buf, sizeof(buf), "%s", text);
        for (w = strtok_r(buf, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save))
                words[n++] = w;
        return nlab_pkt_pattern_parse(words, n, pt, bad, why, 256);
}

static void test_pattern(void **state)
{
        struct nlab_pkt_pattern pt;
        struct nlab_pkt p;
        struct frame f;
        char line[256], why[256], text[64];
        size_t bad;

        (void)state;
        ping_frame(&f, 8);
        decode(&f, &p, line, sizeof(line));
        assert_int_equal(pattern("icmp echo-request", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p));
        nlab_pkt_pattern_format(&pt, text, sizeof(text));
        assert_string_equal(text, "icmp echo-request");
        assert_int_equal(pattern("icmp echo-reply", &pt, &bad, why), 0);
        assert_false(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("icmp", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("tcp", &pt, &bad, why), 0);
        assert_false(nlab_pkt_pattern_match(&pt, &p));

        arp_frame(&f, 2);
        decode(&f, &p, line, sizeof(line));
        assert_int_equal(pattern("arp is-at", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("arp who-has", &pt, &bad, why), 0);
        assert_false(nlab_pkt_pattern_match(&pt, &p));

        memset(&p, 0, sizeof(p));
        p.proto = NLAB_PKT_DNS;
        p.ipproto = IPPROTO_UDP;
        snprintf(p.dns_qname, sizeof(p.dns_qname), "web");
        assert_int_equal(pattern("dns query WEB.", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("dns query www", &pt, &bad, why), 0);
        assert_false(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("udp", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p)); /* DNS rides on UDP */
        p.proto = NLAB_PKT_TCP;
        p.ipproto = IPPROTO_TCP;
        p.tcp_flags = NLAB_TCP_SYN | NLAB_TCP_ACK;
        assert_int_equal(pattern("tcp syn", &pt, &bad, why), 0);
        assert_false(nlab_pkt_pattern_match(&pt, &p));
        assert_int_equal(pattern("tcp syn-ack", &pt, &bad, why), 0);
        assert_true(nlab_pkt_pattern_match(&pt, &p));

        assert_int_equal(pattern("icmpv6", &pt, &bad, why), -1);
        assert_int_equal(bad, 0);
        assert_non_null(strstr(why, "icmp, tcp, udp, dns or arp"));
        assert_int_equal(pattern("icmp echo", &pt, &bad, why), -1);
        assert_int_equal(bad, 1);
        assert_non_null(strstr(why, "echo-request"));
        assert_int_equal(pattern("tcp syn web", &pt, &bad, why), -1);
        assert_int_equal(bad, 2);
        assert_int_equal(pattern("udp query", &pt, &bad, why), -1);
        assert_int_equal(pattern("", &pt, &bad, why), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_icmp),         cmocka_unit_test(test_tcp),
            cmocka_unit_test(test_dns),          cmocka_unit_test(test_arp_vlan),
            cmocka_unit_test(test_ipv6),         cmocka_unit_test(test_every_cut),
            cmocka_unit_test(test_small_buffer), cmocka_unit_test(test_pattern),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
