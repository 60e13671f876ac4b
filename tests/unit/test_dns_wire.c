#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "dns/wire.h"

/* A query packet built by hand, independent of the builder under test. */
struct pkt {
        uint8_t b[2048];
        size_t len;
};

static void hdr(struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                uint16_t ar)
{
        uint16_t v[6] = {id, flags, qd, an, ns, ar};

        for (int i = 0; i < 6; i++) {
                p->b[2 * i] = (uint8_t)(v[i] >> 8);
                p->b[2 * i + 1] = (uint8_t)v[i];
        }
        p->len = 12;
}

static void raw(struct pkt *p, const void *data, size_t n)
{
        memcpy(p->b + p->len, data, n);
        p->len += n;
}

static void u16(struct pkt *p, uint16_t v)
{
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        raw(p, b, 2);
}

static void name(struct pkt *p, const char *dotted)
{
        int n = nlab_dns_encode_name(dotted, p->b + p->len, sizeof(p->b) - p->len);

        assert_true(n > 0);
        p->len += (size_t)n;
}

static void opt(struct pkt *p, uint16_t size, uint8_t version, bool dnssec_ok)
{
        uint8_t o[11] = {
            0, 0, 41, (uint8_t)(size >> 8), (uint8_t)size, 0, version, dnssec_ok ? 0x80 : 0,
            0, 0, 0};
        raw(p, o, sizeof(o));
}

static void query(struct pkt *p, const char *qname, uint16_t qtype, bool edns)
{
        hdr(p, 0xbeef, 0x0100, 1, 0, 0, edns ? 1 : 0);
        name(p, qname);
        u16(p, qtype);
        u16(p, 1);
        if (edns)
                opt(p, 1232, 0, true);
}

static uint16_t get16(const uint8_t *b)
{
        return (uint16_t)(b[0] << 8 | b[1]);
}

static void test_parse_query_round_trip(void **state)
{
        struct nlab_dns_query q;
        struct pkt p;

        (void)state;
        query(&p, "Web.LabNet", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), NLAB_DNS_PARSE_OK);
        assert_string_equal(q.qname, "web.labnet");
        assert_int_equal(q.qtype, NLAB_DNS_T_A);
        assert_int_equal(q.qclass, NLAB_DNS_C_IN);
        assert_int_equal(q.hdr.id, 0xbeef);
        assert_int_equal(q.question_end, p.len);
        assert_false(q.has_edns);
        assert_int_equal(nlab_dns_udp_limit(&q), 512);
}

static void test_parse_edns(void **state)
{
        struct nlab_dns_query q;
        struct pkt p;

        (void)state;
        query(&p, "web", NLAB_DNS_T_A, true);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), NLAB_DNS_PARSE_OK);
        assert_true(q.has_edns);
        assert_int_equal(q.edns_size, 1232);
        assert_int_equal(q.edns_version, 0);
        assert_true(q.edns_do);
        assert_int_equal(nlab_dns_udp_limit(&q), 1232);

        hdr(&p, 1, 0x0100, 1, 0, 0, 1);
        name(&p, "web");
        u16(&p, 1);
        u16(&p, 1);
        opt(&p, 100, 0, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), NLAB_DNS_PARSE_OK);
        assert_int_equal(q.edns_size, 512); /* below 512 means 512 */

        hdr(&p, 1, 0x0100, 1, 0, 0, 1);
        name(&p, "web");
        u16(&p, 1);
        u16(&p, 1);
        opt(&p, 65000, 0, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), NLAB_DNS_PARSE_OK);
        assert_int_equal(nlab_dns_udp_limit(&q), NLAB_DNS_EDNSMAX);
}

static int parse(const struct pkt *p)
{
        struct nlab_dns_query q;

        return nlab_dns_parse_query(p->b, p->len, &q);
}

static void test_malformed_headers(void **state)
{
        struct pkt p;

        (void)state;
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        p.len = 11;
        assert_int_equal(parse(&p), NLAB_DNS_PARSE_DROP); /* shorter than a header */
        query(&p, "web", 1, false);
        p.b[2] |= 0x80;
        assert_int_equal(parse(&p), NLAB_DNS_PARSE_DROP); /* a response: never answered */
        query(&p, "web", 1, false);
        p.b[2] |= 0x10; /* opcode 2 */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        p.b[5] = 0; /* QDCOUNT 0 */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        p.b[5] = 2; /* QDCOUNT 2 */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        p.b[6] = 0xff, p.b[7] = 0xff; /* oversized ANCOUNT */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        p.b[10] = 0xff, p.b[11] = 0xff; /* oversized ARCOUNT: runs off the end */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0); /* header with no question */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
}

static void test_malformed_names(void **state)
{
        struct pkt p;
        uint8_t label64[65];

        (void)state;
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p, "\xc0\x0c\x00\x01\x00\x01", 6); /* points at itself */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p,
            "\x01"
            "a\xc0\x0c\x00\x01\x00\x01",
            8); /* loops through an earlier label */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p, "\xc0\x20\x00\x01\x00\x01", 6); /* forward, past the end */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p, "\xc0\x02\x00\x01\x00\x01", 6); /* into the header */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        label64[0] = 64;
        memset(label64 + 1, 'a', 64);
        raw(&p, label64, sizeof(label64));
        raw(&p, "\x00\x00\x01\x00\x01", 5);
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        for (int i = 0; i < 5; i++) { /* 5 * 64 > 255 */
                label64[0] = 63;
                raw(&p, label64, 64);
        }
        raw(&p, "\x00\x00\x01\x00\x01", 5);
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p,
            "\x03"
            "we",
            3); /* label runs off the end */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p,
            "\x03"
            "web\x00\x00\x01",
            7); /* type/class cut */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p, "junk text, not a name at all", 28);
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
}

static void test_malformed_additional(void **state)
{
        struct pkt p;

        (void)state;
        query(&p, "web", 1, true);
        p.len -= 3; /* OPT cut short */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, true);
        opt(&p, 512, 0, false);
        p.b[11] = 2; /* two OPT records */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        raw(&p, "xyz", 3); /* trailing bytes */
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
        query(&p, "web", 1, false);
        p.b[11] = 1; /* OPT with a non-root owner */
        raw(&p,
            "\x01"
            "a\x00\x00\x29\x02\x00\x00\x00\x00\x00\x00\x00",
            13);
        assert_int_equal(parse(&p), NLAB_DNS_FORMERR);
}

static void test_compression_and_escapes(void **state)
{
        char out[NLAB_DNS_NAMEBUF];
        struct pkt p;
        size_t off;

        (void)state;
        hdr(&p, 1, 0x8100, 1, 1, 0, 0);
        name(&p, "example.COM"); /* at 12 */
        raw(&p,
            "\x03"
            "www\xc0\x0c",
            6); /* at 25: www + pointer */
        raw(&p,
            "\x02"
            "ab\xc0\x19",
            5); /* at 31: ab + pointer to a pointer */
        off = 25;
        assert_int_equal(nlab_dns_read_name(p.b, p.len, &off, out), 0);
        assert_string_equal(out, "www.example.com");
        assert_int_equal(off, 31); /* past the pointer, not past the target */
        assert_int_equal(nlab_dns_read_name(p.b, p.len, &off, out), 0);
        assert_string_equal(out, "ab.www.example.com");
        assert_int_equal(off, p.len);

        hdr(&p, 1, 0x0100, 1, 0, 0, 0);
        raw(&p,
            "\x03"
            "a.b\x03"
            "c d\x00",
            9);
        off = 12;
        assert_int_equal(nlab_dns_read_name(p.b, p.len, &off, out), 0);
        assert_string_equal(out, "a\\046b.c\\032d"); /* cannot be confused with a.b */
        off = 12;
        assert_int_equal(nlab_dns_skip_name(p.b, p.len, &off), 0);
        assert_int_equal(off, 21);
}

static void test_encode_name(void **state)
{
        uint8_t buf[300];
        char longlabel[80], longname[300];

        (void)state;
        assert_int_equal(nlab_dns_encode_name("web.labnet", buf, sizeof(buf)), 12);
        assert_memory_equal(buf,
                            "\x03"
                            "web\x06"
                            "labnet\x00",
                            12);
        assert_int_equal(nlab_dns_encode_name("", buf, sizeof(buf)), 1);
        memset(longlabel, 'a', 64);
        longlabel[64] = '\0';
        assert_int_equal(nlab_dns_encode_name(longlabel, buf, sizeof(buf)), -1);
        for (int i = 0; i < 150; i++)
                memcpy(longname + 2 * i, "a.", 2);
        longname[299] = '\0';
        assert_int_equal(nlab_dns_encode_name(longname, buf, sizeof(buf)), -1);
        assert_int_equal(nlab_dns_encode_name("a..b", buf, sizeof(buf)), -1);
        assert_int_equal(nlab_dns_encode_name("web", buf, 3), -1);
}

static void test_ptr_names(void **state)
{
        struct in_addr a;

        (void)state;
        assert_true(nlab_dns_ptr_to_addr("2.0.89.10.in-addr.arpa", &a));
        assert_int_equal(ntohl(a.s_addr), 0x0a590002);
        assert_false(nlab_dns_ptr_to_addr("02.0.89.10.in-addr.arpa", &a));
        assert_false(nlab_dns_ptr_to_addr("0.89.10.in-addr.arpa", &a));
        assert_false(nlab_dns_ptr_to_addr("256.0.89.10.in-addr.arpa", &a));
        assert_false(nlab_dns_ptr_to_addr("2.0.89.10.in-addr.arpa.x", &a));
        assert_false(nlab_dns_ptr_to_addr("-1.0.89.10.in-addr.arpa", &a));
        assert_false(nlab_dns_ptr_to_addr("web", &a));
}

static void test_build_answers(void **state)
{
        struct nlab_dns_builder b;
        struct nlab_dns_query q;
        uint8_t out[1024];
        struct pkt p;
        struct in_addr a1 = {htonl(0x0a590002)}, a2 = {htonl(0x0a590003)};
        long ttl;
        int n;

        (void)state;
        query(&p, "WEB", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        nlab_dns_add_a(&b, 600, a1);
        nlab_dns_add_a(&b, 30, a2);
        n = nlab_dns_finish(&b, &q, 512);
        assert_int_equal(n, (int)p.len + 2 * 16);
        assert_int_equal(get16(out), 0xbeef);
        assert_int_equal(get16(out + 2), 0x8580); /* QR AA RD RA, NOERROR */
        assert_int_equal(get16(out + 6), 2);
        assert_int_equal(get16(out + 10), 0);
        assert_memory_equal(out + 12,
                            "\x03"
                            "WEB",
                            4); /* the asker's letter case */
        assert_int_equal(get16(out + p.len), 0xc00c);
        assert_memory_equal(out + p.len + 12, &a1.s_addr, 4);
        assert_int_equal(nlab_dns_check_response(out, (size_t)n, &q, &ttl), 0);
        assert_int_equal(ttl, 30);
        assert_int_equal(nlab_dns_age_ttls(out, (size_t)n, 40), 0);
        assert_int_equal(nlab_dns_check_response(out, (size_t)n, &q, &ttl), 0);
        assert_int_equal(ttl, 0);
        q.hdr.id = 1;
        assert_int_equal(nlab_dns_check_response(out, (size_t)n, &q, &ttl), -1);
}

static void test_build_ptr(void **state)
{
        struct nlab_dns_builder b;
        struct nlab_dns_query q;
        char target[NLAB_DNS_NAMEBUF];
        uint8_t out[1024];
        struct pkt p;
        size_t off;
        int n;

        (void)state;
        query(&p, "2.0.89.10.in-addr.arpa", NLAB_DNS_T_PTR, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        nlab_dns_add_ptr(&b, 600, "web.labnet");
        n = nlab_dns_finish(&b, &q, 512);
        assert_true(n > 0);
        assert_int_equal(get16(out + p.len + 2), NLAB_DNS_T_PTR);
        off = p.len + 12;
        assert_int_equal(nlab_dns_read_name(out, (size_t)n, &off, target), 0);
        assert_string_equal(target, "web.labnet");
        assert_int_equal(off, (size_t)n);
}

static void test_truncation(void **state)
{
        struct nlab_dns_builder b;
        struct nlab_dns_query q;
        uint8_t out[4096];
        struct pkt p;
        int n;

        (void)state;
        query(&p, "many", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        for (uint32_t i = 0; i < 40; i++)
                nlab_dns_add_a(&b, 600, (struct in_addr){htonl(0x0a590000 + i)});
        n = nlab_dns_finish(&b, &q, nlab_dns_udp_limit(&q));
        assert_int_equal(n, (int)p.len);
        assert_true(get16(out + 2) & NLAB_DNS_F_TC);
        assert_int_equal(get16(out + 6), 0);

        /* with EDNS: the OPT survives truncation; a larger limit fits everything */
        query(&p, "many", NLAB_DNS_T_A, true);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        for (uint32_t i = 0; i < 100; i++)
                nlab_dns_add_a(&b, 600, (struct in_addr){htonl(0x0a590000 + i)});
        n = nlab_dns_finish(&b, &q, nlab_dns_udp_limit(&q));
        assert_int_equal(n, (int)q.question_end + 11);
        assert_true(get16(out + 2) & NLAB_DNS_F_TC);
        assert_int_equal(get16(out + 10), 1);
        assert_int_equal(get16(out + q.question_end + 1), NLAB_DNS_T_OPT);
        assert_int_equal(get16(out + q.question_end + 3), NLAB_DNS_EDNSMAX);

        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        for (uint32_t i = 0; i < 40; i++)
                nlab_dns_add_a(&b, 600, (struct in_addr){htonl(0x0a590000 + i)});
        n = nlab_dns_finish(&b, &q, NLAB_DNS_MAXMSG);
        assert_int_equal(n, (int)q.question_end + 40 * 16 + 11);
        assert_false(get16(out + 2) & NLAB_DNS_F_TC);
        assert_int_equal(get16(out + 6), 40);

        /* our own OPT comes out of an upstream answer again */
        uint8_t copy[4096];
        memcpy(copy, out, (size_t)n);
        assert_int_equal(nlab_dns_strip_opt(copy, (size_t)n), (size_t)n - 11);
        assert_int_equal(get16(copy + 10), 0);
        assert_int_equal(nlab_dns_strip_opt(copy, (size_t)n - 11), (size_t)n - 11);

        /* an upstream answer cut down for a UDP client keeps its OPT */
        size_t len = nlab_dns_truncate(out, (size_t)n);
        assert_int_equal(len, q.question_end + 11);
        assert_true(get16(out + 2) & NLAB_DNS_F_TC);
        assert_int_equal(get16(out + 6), 0);
        assert_int_equal(get16(out + 10), 1);
}

static void test_builder_overflow(void **state)
{
        struct nlab_dns_builder b;
        struct nlab_dns_query q;
        uint8_t out[40];
        struct pkt p;

        (void)state;
        query(&p, "web", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        nlab_dns_begin_response(&b, out, sizeof(out), &q, p.b, NLAB_DNS_NOERROR, true);
        for (int i = 0; i < 10; i++)
                nlab_dns_add_a(&b, 1, (struct in_addr){0});
        /* cap overflowed: falls back to a truncated answer instead of writing past out */
        assert_int_equal(nlab_dns_finish(&b, &q, 512), (int)p.len);
        assert_true(get16(out + 2) & NLAB_DNS_F_TC);
        nlab_dns_begin_response(&b, out, 10, &q, p.b, NLAB_DNS_NOERROR, true);
        assert_int_equal(nlab_dns_finish(&b, &q, 512), -1);
}

static void test_error_builders(void **state)
{
        struct nlab_dns_query q;
        uint8_t out[512];
        struct pkt p;
        int n;

        (void)state;
        query(&p, "web", NLAB_DNS_T_A, true);
        p.b[p.len - 5] = 1; /* EDNS version 1 */
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        assert_int_equal(q.edns_version, 1);
        n = nlab_dns_build_rcode(out, sizeof(out), &q, p.b, NLAB_DNS_BADVERS);
        assert_int_equal(n, (int)q.question_end + 11);
        assert_int_equal(out[3] & 0xf, 0);
        assert_int_equal(out[q.question_end + 5], 1); /* extended rcode 16 >> 4 */

        query(&p, "web", NLAB_DNS_T_A, false);
        p.b[2] |= 0x20;
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), NLAB_DNS_FORMERR);
        n = nlab_dns_build_error(out, sizeof(out), &q.hdr, NLAB_DNS_FORMERR);
        assert_int_equal(n, 12);
        assert_int_equal(get16(out), 0xbeef);
        assert_true(get16(out + 2) & NLAB_DNS_F_QR);
        assert_int_equal(out[3] & 0xf, NLAB_DNS_FORMERR);
        assert_int_equal(get16(out + 4), 0);

        query(&p, "web", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        n = nlab_dns_build_rcode(out, sizeof(out), &q, p.b, NLAB_DNS_SERVFAIL);
        assert_int_equal(n, (int)p.len);
        assert_int_equal(out[3] & 0xf, NLAB_DNS_SERVFAIL);
        assert_false(get16(out + 2) & NLAB_DNS_F_AA);
}

static void test_check_response_rejects(void **state)
{
        struct nlab_dns_query q;
        struct pkt p, r;
        long ttl;

        (void)state;
        query(&p, "ext.example", NLAB_DNS_T_A, false);
        assert_int_equal(nlab_dns_parse_query(p.b, p.len, &q), 0);
        r = p;
        r.b[2] |= 0x80;
        assert_int_equal(nlab_dns_check_response(r.b, r.len, &q, &ttl), 0);
        assert_int_equal(ttl, -1); /* no records */
        memcpy(r.b + 13, "EXT", 3);
        assert_int_equal(nlab_dns_check_response(r.b, r.len, &q, &ttl), 0); /* 0x20 case */
        memcpy(r.b + 13, "exu", 3);
        assert_int_equal(nlab_dns_check_response(r.b, r.len, &q, &ttl), -1);
        r = p;
        assert_int_equal(nlab_dns_check_response(r.b, r.len, &q, &ttl), -1); /* not QR */
        r = p;
        r.b[2] |= 0x80;
        r.b[7] = 1; /* claims an answer it lacks */
        assert_int_equal(nlab_dns_check_response(r.b, r.len, &q, &ttl), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_query_round_trip),
            cmocka_unit_test(test_parse_edns),
            cmocka_unit_test(test_malformed_headers),
            cmocka_unit_test(test_malformed_names),
            cmocka_unit_test(test_malformed_additional),
            cmocka_unit_test(test_compression_and_escapes),
            cmocka_unit_test(test_encode_name),
            cmocka_unit_test(test_ptr_names),
            cmocka_unit_test(test_build_answers),
            cmocka_unit_test(test_build_ptr),
            cmocka_unit_test(test_truncation),
            cmocka_unit_test(test_builder_overflow),
            cmocka_unit_test(test_error_builders),
            cmocka_unit_test(test_check_response_rejects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
