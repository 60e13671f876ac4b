#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/base/portspec.h"

static struct nlab_port_mapping *parse_ok(const char *spec, size_t want_n)
{
        struct nlab_port_mapping *m = NULL;
        struct nlab_err err = {0};
        size_t n = 0;

        if (nlab_portspec_parse(spec, &m, &n, &err) < 0)
                fail_msg("%s: %s", spec, err.msg);
        assert_int_equal(n, want_n);
        return m;
}

/* The spec is refused with NLAB_E_INVALID and the message names each of the needles. */
static void parse_bad(const char *spec, const char *needle)
{
        struct nlab_port_mapping *m = (void *)1;
        struct nlab_err err = {0};
        size_t n = 7;

        assert_int_equal(nlab_portspec_parse(spec, &m, &n, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_null(m);
        assert_int_equal(n, 0);
        if (!strstr(err.msg, needle) || !strstr(err.msg, "want [IP:]"))
                fail_msg("%s: message '%s' lacks '%s' or the form", spec, err.msg, needle);
}

static void test_simple_forms(void **state)
{
        struct nlab_port_mapping *m;

        (void)state;
        m = parse_ok("8080:80", 1);
        assert_string_equal(m[0].host_ip, "");
        assert_int_equal(m[0].host_port, 8080);
        assert_int_equal(m[0].host_port_end, 0);
        assert_int_equal(m[0].ctr_port, 80);
        assert_int_equal(m[0].proto, IPPROTO_TCP);
        free(m);

        m = parse_ok("127.0.0.1:5353:53/udp", 1);
        assert_string_equal(m[0].host_ip, "127.0.0.1");
        assert_int_equal(m[0].host_port, 5353);
        assert_int_equal(m[0].ctr_port, 53);
        assert_int_equal(m[0].proto, IPPROTO_UDP);
        free(m);

        m = parse_ok("10.0.0.1::80", 1);
        assert_string_equal(m[0].host_ip, "10.0.0.1");
        assert_int_equal(m[0].host_port, 0);
        free(m);

        m = parse_ok("80/tcp", 1);
        assert_int_equal(m[0].host_port, 0);
        assert_int_equal(m[0].ctr_port, 80);
        free(m);

        m = parse_ok("65535:1", 1);
        assert_int_equal(m[0].host_port, 65535);
        free(m);
}

static void test_ranges(void **state)
{
        struct nlab_port_mapping *m;

        (void)state;
        m = parse_ok("8000-8002:80-82", 3);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(m[i].host_port, 8000 + i);
                assert_int_equal(m[i].host_port_end, 0);
                assert_int_equal(m[i].ctr_port, 80 + i);
        }
        free(m);

        /* a host range to one port: candidates, the first free one wins */
        m = parse_ok("8000-8002:80", 1);
        assert_int_equal(m[0].host_port, 8000);
        assert_int_equal(m[0].host_port_end, 8002);
        assert_int_equal(m[0].ctr_port, 80);
        free(m);

        m = parse_ok("80-82/udp", 3);
        assert_int_equal(m[2].host_port, 0);
        assert_int_equal(m[2].ctr_port, 82);
        assert_int_equal(m[2].proto, IPPROTO_UDP);
        free(m);

        m = parse_ok("1.2.3.4::90-91", 2);
        assert_string_equal(m[1].host_ip, "1.2.3.4");
        assert_int_equal(m[1].ctr_port, 91);
        free(m);

        m = parse_ok("7000-7000:70", 1);
        assert_int_equal(m[0].host_port, 7000);
        free(m);
}

static void test_bad_specs(void **state)
{
        (void)state;
        parse_bad("8000-8002:80-81", "same length");
        parse_bad("8000:80-81", "same length");
        parse_bad("0:80", "\"0\"");
        parse_bad("80:0", "\"0\"");
        parse_bad("65536:80", "\"65536\"");
        parse_bad("8080:99999", "\"99999\"");
        parse_bad("abcd:8080:80", "\"abcd\"");
        parse_bad("300.1.1.1:8080:80", "\"300.1.1.1\"");
        parse_bad("80/sctp", "\"sctp\"");
        parse_bad("80/", "protocol");
        parse_bad("80/TCP", "\"TCP\"");
        parse_bad("9090-9089:80", "\"9090-9089\"");
        parse_bad("9090-:80", "\"9090-\"");
        parse_bad("-9090:80", "\"-9090\"");
        parse_bad(":80", "empty host port");
        parse_bad("8080:", "container port");
        parse_bad("::1:80:80", "IPv6");
        parse_bad("8080:80:", "invalid IP address \"8080\"");
        parse_bad("+80", "\"+80\"");
        parse_bad("80 ", "\"80 \"");
        parse_bad("000080:80", "\"000080\"");
        parse_bad("", "empty");
}

static void test_expose(void **state)
{
        struct nlab_port_mapping *m;
        struct nlab_err err = {0};
        size_t n;

        (void)state;
        assert_int_equal(nlab_portspec_parse_expose("80", &m, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(m[0].ctr_port, 80);
        assert_int_equal(m[0].host_port, 0);
        free(m);
        assert_int_equal(nlab_portspec_parse_expose("5000-5002/udp", &m, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_int_equal(m[2].ctr_port, 5002);
        assert_int_equal(m[2].proto, IPPROTO_UDP);
        free(m);
        assert_int_equal(nlab_portspec_parse_expose("80000", &m, &n, &err), -1);
        assert_non_null(strstr(err.msg, "\"80000\""));
        assert_non_null(strstr(err.msg, "PORT[-END][/tcp|/udp]"));
        assert_int_equal(nlab_portspec_parse_expose("8080:80", &m, &n, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
}

static void test_format_and_label(void **state)
{
        struct nlab_port_mapping m = {"", 8080, 0, 80, IPPROTO_TCP};
        char buf[64];

        (void)state;
        nlab_port_format(&m, buf, sizeof(buf));
        assert_string_equal(buf, "80/tcp -> 0.0.0.0:8080");
        nlab_port_label(&m, buf, sizeof(buf));
        assert_string_equal(buf, "port 8080/tcp");
        m = (struct nlab_port_mapping){"127.0.0.1", 5353, 0, 53, IPPROTO_UDP};
        nlab_port_format(&m, buf, sizeof(buf));
        assert_string_equal(buf, "53/udp -> 127.0.0.1:5353");
        nlab_port_label(&m, buf, sizeof(buf));
        assert_string_equal(buf, "port 127.0.0.1:5353/udp");
}

static void test_pick(void **state)
{
        const uint16_t taken[] = {100, 101, 103};
        struct nlab_err err = {0};
        uint16_t p = 0;

        (void)state;
        assert_int_equal(nlab_port_pick(100, 103, 0, taken, 3, &p, &err), 0);
        assert_int_equal(p, 102);
        assert_int_equal(nlab_port_pick(100, 103, 3, taken, 3, &p, &err), 0);
        assert_int_equal(p, 102); /* wraps around */
        assert_int_equal(nlab_port_pick(100, 101, 0, taken, 3, &p, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_int_equal(nlab_port_pick(5, 5, 12345, NULL, 0, &p, &err), 0);
        assert_int_equal(p, 5);
}

static const char tcp4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 111 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 222 1 0000000000000000 100 0 0 10 0\n"
    "   2: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        "
    "0 333 1 0000000000000000 100 0 0 10 0\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 "
    "10 0\n"
    "   1: 0000000000000000FFFF00000500000A:1F93 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 "
    "10 0\n";

static void test_scan_table(void **state)
{
        unsigned long ino = 0;

        (void)state;
        /* 127.0.0.1:8080 listening: clashes with "any" and with 127.0.0.1, not with 10.0.0.5 */
        assert_int_equal(nlab_port_scan_table(tcp4, 0, 1, "", 8080, &ino), 1);
        assert_int_equal(ino, 111);
        assert_int_equal(nlab_port_scan_table(tcp4, 0, 1, "127.0.0.1", 8080, &ino), 1);
        assert_int_equal(nlab_port_scan_table(tcp4, 0, 1, "10.0.0.5", 8080, &ino), 0);
        /* 0.0.0.0:80 clashes with every address */
        assert_int_equal(nlab_port_scan_table(tcp4, 0, 1, "10.0.0.5", 80, &ino), 1);
        assert_int_equal(ino, 222);
        /* an established connection is not a listener */
        assert_int_equal(nlab_port_scan_table(tcp4, 0, 1, "", 8081, &ino), 0);
        /* [::]:8082 and [::ffff:10.0.0.5]:8083 */
        assert_int_equal(nlab_port_scan_table(tcp6, 1, 1, "192.168.1.1", 8082, &ino), 1);
        assert_int_equal(ino, 444);
        assert_int_equal(nlab_port_scan_table(tcp6, 1, 1, "10.0.0.5", 8083, &ino), 1);
        assert_int_equal(nlab_port_scan_table(tcp6, 1, 1, "10.0.0.6", 8083, &ino), 0);
        assert_int_equal(nlab_port_scan_table("garbage\nmore garbage\n", 0, 1, "", 80, &ino), 0);
        /* the uid column: whose socket it is, when its process cannot be seen */
        struct nlab_sock_entry e = {0};
        static const char other[] =
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
            "   0: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000  4243    "
            "    0 777 1 0000000000000000 100 0 0 10 0\n"
            "   1: 00000000:2329 00000000:0000 0A 00000000:00000000 00:00000000 00000000  4243\n";
        assert_int_equal(nlab_port_scan_entry(other, 0, 1, "", 9000, &e), 1);
        assert_int_equal(e.uid, 4243);
        assert_int_equal(e.inode, 777);
        /* a truncated row is no match */
        assert_int_equal(nlab_port_scan_entry(other, 0, 1, "", 9001, &e), 0);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* A fake /proc: a listener's inode is traced to the process holding it. */
/* Every listener in order, as explain lists a container's ports; connections are skipped. */
static void test_scan_next(void **state)
{
        struct nlab_sock_row row;
        const char *line = tcp4;
        uint32_t a;

        (void)state;
        line = nlab_port_scan_next(line, 0, 1, &row);
        assert_non_null(line);
        assert_int_equal(row.port, 8080);
        assert_int_equal(row.inode, 111);
        assert_int_equal(nlab_sock_row_v4(&row, &a), 1);
        assert_int_equal(a, htonl(INADDR_LOOPBACK));
        line = nlab_port_scan_next(line, 0, 1, &row);
        assert_non_null(line);
        assert_int_equal(row.port, 80);
        assert_int_equal(nlab_sock_row_v4(&row, &a), 1);
        assert_int_equal(a, INADDR_ANY);
        assert_null(nlab_port_scan_next(line, 0, 1, &row)); /* row 2 is a connection */
        /* [::] takes IPv4 too, [::ffff:10.0.0.5] is 10.0.0.5, a plain IPv6 address is not IPv4 */
        line = nlab_port_scan_next(tcp6, 1, 1, &row);
        assert_int_equal(nlab_sock_row_v4(&row, &a), 1);
        assert_int_equal(a, INADDR_ANY);
        line = nlab_port_scan_next(line, 1, 1, &row);
        assert_int_equal(row.port, 8083);
        assert_int_equal(nlab_sock_row_v4(&row, &a), 1);
        assert_int_equal(a, htonl(0x0a000005));
        row.addr[0] = 0xfd;
        assert_int_equal(nlab_sock_row_v4(&row, &a), 0);
        /* a port past 65535 or a short address is not a row */
        assert_null(nlab_port_scan_next("h\n   0: 00000000:1FFFF 00000000:0000 0A 0:0 0:0 0 0 0 9\n",
                                        0, 1, &row));
        assert_null(nlab_port_scan_next("h\n   0: 000000:0050 00000000:0000 0A 0:0 0:0 0 0 0 9\n",
                                        0, 1, &row));
        assert_null(nlab_port_scan_next("", 0, 1, &row));
}

static void test_check_host_names_holder(void **state)
{
        char root[] = "/tmp/nlab-proc-XXXXXX", path[PATH_MAX];
        struct nlab_err err = {0};

        (void)state;
        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/net", root);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/net/tcp", root);
        write_file(path, tcp4);
        snprintf(path, sizeof(path), "%s/42", root);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/42/fd", root);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/42/fd/3", root);
        assert_int_equal(symlink("socket:[222]", path), 0);
        snprintf(path, sizeof(path), "%s/42/comm", root);
        write_file(path, "nginx\n");

        assert_int_equal(nlab_port_check_host(root, "", 80, IPPROTO_TCP, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_string_equal(err.msg,
                            "port 80/tcp is held by a listening host process: pid 42 (nginx)");
        assert_int_equal(nlab_port_check_host(root, "", 81, IPPROTO_TCP, &err), 0);
        assert_int_equal(nlab_port_check_host(root, "", 80, IPPROTO_UDP, &err), 0);
        assert_int_equal(nlab_port_check_host(root, "", 8080, IPPROTO_TCP, &err), -1);
        /* no process in /proc holds it: the table's uid column names the owner */
        assert_string_equal(err.msg, "port 8080/tcp is held by a listening host process: a process "
                                     "of user root (uid 0)");

        snprintf(path, sizeof(path), "rm -rf '%s'", root);
        assert_int_equal(system(path), 0);
}

/* One request reads each socket table once, however many ports it checks: the table read when
 * the first port was checked still answers after the file is gone. */
static void test_host_socks_read_once(void **state)
{
        char root[] = "/tmp/nlab-proc-XXXXXX", path[PATH_MAX];
        struct nlab_host_socks t = {.proc_root = root};
        struct nlab_err err = {0};

        (void)state;
        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/net", root);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/net/tcp", root);
        write_file(path, tcp4);

        assert_int_equal(nlab_host_socks_check(&t, "", 81, IPPROTO_TCP, &err), 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(nlab_host_socks_check(&t, "", 80, IPPROTO_TCP, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_int_equal(nlab_host_socks_check(&t, "", 8080, IPPROTO_TCP, &err), -1);
        nlab_host_socks_free(&t);
        /* a fresh request reads the tables again */
        assert_int_equal(nlab_host_socks_check(&t, "", 80, IPPROTO_TCP, &err), 0);
        nlab_host_socks_free(&t);

        snprintf(path, sizeof(path), "rm -rf '%s'", root);
        assert_int_equal(system(path), 0);
}

static void test_resolve(void **state)
{
        const struct nlab_port_mapping taken[] = {
            {"", 9000, 0, 80, IPPROTO_TCP},
            {"127.0.0.1", 9001, 0, 80, IPPROTO_TCP},
            {"", 79, 0, 80, IPPROTO_TCP},
        };
        const char *const owner[] = {"web", "db", "cache"};
        char root[] = "/tmp/nlab-proc-XXXXXX", path[PATH_MAX];
        struct nlab_port_mapping m[2];
        struct nlab_err err = {0};
        uint16_t lo, hi;

        (void)state;
        assert_non_null(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/net", root);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/net/tcp", root);
        write_file(path, tcp4); /* listeners: 127.0.0.1:8080 and 0.0.0.0:80 */

        m[0] = (struct nlab_port_mapping){"", 8090, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), 0);
        assert_int_equal(m[0].host_port, 8090);

        m[0] = (struct nlab_port_mapping){"10.0.0.1", 80, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), -1);
        assert_string_equal(err.msg, "port 10.0.0.1:80/tcp is held by a listening host process: a "
                                     "process of user root (uid 0)");

        m[0] = (struct nlab_port_mapping){"", 9000, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_string_equal(err.msg, "port 9000/tcp is already published by web");
        m[0].proto = IPPROTO_UDP; /* the same number over UDP is another port */
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), 0);

        m[0] = (struct nlab_port_mapping){"10.0.0.1", 9001, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), 0);
        m[0] = (struct nlab_port_mapping){"", 9001, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), -1);
        assert_string_equal(err.msg, "port 9001/tcp is already published by db");

        /* a candidate range: 79 published, 80 held by a listener, so 81 */
        m[0] = (struct nlab_port_mapping){"", 79, 82, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), 0);
        assert_int_equal(m[0].host_port, 81);
        assert_int_equal(m[0].host_port_end, 0);
        m[0] = (struct nlab_port_mapping){"", 79, 80, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, owner, 3, &err), -1);
        assert_string_equal(err.msg, "no free host port for 80/tcp in 79-80");

        /* twice in one request */
        m[0] = (struct nlab_port_mapping){"", 8500, 0, 80, IPPROTO_TCP};
        m[1] = (struct nlab_port_mapping){"", 8500, 0, 81, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 2, NULL, NULL, 0, &err), -1);
        assert_string_equal(err.msg, "port 8500/tcp is given twice");

        /* random: from the ephemeral range */
        m[0] = (struct nlab_port_mapping){"", 0, 0, 80, IPPROTO_TCP};
        assert_int_equal(nlab_port_resolve(root, m, 1, taken, NULL, 3, &err), 0);
        assert_int_equal(nlab_port_ephemeral_range(&lo, &hi, &err), 0);
        assert_true(m[0].host_port >= lo && m[0].host_port <= hi);

        snprintf(path, sizeof(path), "rm -rf '%s'", root);
        assert_int_equal(system(path), 0);
}

static void test_ephemeral_range(void **state)
{
        struct nlab_err err = {0};
        uint16_t lo = 0, hi = 0, p = 0;

        (void)state;
        assert_int_equal(nlab_port_ephemeral_range(&lo, &hi, &err), 0);
        assert_true(lo > 0 && lo <= hi);
        assert_int_equal(nlab_port_pick_random(IPPROTO_TCP, &lo, 1, &p, &err), 0);
        assert_true(p >= lo && p <= hi && (p != lo || lo == hi));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_simple_forms),
            cmocka_unit_test(test_ranges),
            cmocka_unit_test(test_bad_specs),
            cmocka_unit_test(test_expose),
            cmocka_unit_test(test_format_and_label),
            cmocka_unit_test(test_pick),
            cmocka_unit_test(test_scan_table),
            cmocka_unit_test(test_scan_next),
            cmocka_unit_test(test_check_host_names_holder),
            cmocka_unit_test(test_host_socks_read_once),
            cmocka_unit_test(test_resolve),
            cmocka_unit_test(test_ephemeral_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
