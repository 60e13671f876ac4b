#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns/wire.h"
#include "runtime/lab/probe.h"
#include "netlab/grammar.h"
#include "runtime/lab/scenario.h"

static int parse(const char *text, struct nlab_scenario *s, struct nlab_err *err)
{
        return nlab_scenario_parse("t.lab", text, strlen(text), nlab_cli_grammar(), s, err);
}

static const char good[] =
    "# a comment line\n"
    "title  A lab   # with a comment\n"
    "\n"
    "note   The host's view: it's plain text, quotes and all\n"
    "external lan\n"
    "external far --subnet 10.99.0.0/24\r\n"
    "network create labnet --subnet 10.89.0.0/24\n"
    "run -d --name web -p8080:80 --network=labnet busybox sh -c 'echo \"hi\" > /x; httpd'\n"
    "run -dit --name=client --network labnet busybox\n"
    "exec client ip route add 10.0.0.0/8 via 10.89.0.1   # a comment\n"
    "expect client reaches web\n"
    "expect client reaches web:80\n"
    "expect client cannot-reach web:53/udp\n"
    "expect lan reaches web:80/tcp via host\n"
    "expect lan cannot-reach 10.89.0.2:80\n"
    "expect client resolves web = 10.89.0.2\n"
    "expect client resolves api = 10.89.0.3, 10.89.0.4,10.89.0.5\n"
    "expect client resolves web\n"
    "expect host cannot-resolve db\n"
    "expect client exec wget -qO- http://web/ -> exit 1 -> output contains not  found\n"
    "expect client exec sh -c 'exit 3' -> exit 3\n"
    "expect web has-interface eth0 = 10.89.0.2/24\n"
    "expect far has-interface eth0\n"
    "expect-fail client reaches host:8080\n";

static const struct nlab_step *step_at_line(const struct nlab_scenario *s, unsigned line)
{
        size_t i;

        for (i = 0; i < s->nsteps; i++)
                if (s->steps[i].line == line)
                        return &s->steps[i];
        fail_msg("no step at line %u", line);
        return NULL;
}

static void test_directives_and_commands(void **state)
{
        const struct nlab_step *st;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(good, &s, &err), 0);
        assert_string_equal(s.title, "A lab");
        assert_int_equal(s.nexpect, 14);
        st = step_at_line(&s, 4);
        assert_int_equal(st->kind, NLAB_STEP_NOTE);
        assert_string_equal(st->text, "The host's view: it's plain text, quotes and all");
        st = step_at_line(&s, 5);
        assert_int_equal(st->kind, NLAB_STEP_EXTERNAL);
        assert_string_equal(st->argv[0], "lan");
        assert_null(st->argv[1]);
        st = step_at_line(&s, 6);
        assert_string_equal(st->argv[1], "10.99.0.0/24");
        st = step_at_line(&s, 8);
        assert_int_equal(st->kind, NLAB_STEP_COMMAND);
        assert_int_equal(st->argc, 10);
        assert_string_equal(st->argv[9], "echo \"hi\" > /x; httpd");
        st = step_at_line(&s, 10);
        assert_int_equal(st->argc, 8);
        assert_string_equal(st->text, "exec client ip route add 10.0.0.0/8 via 10.89.0.1");
        nlab_scenario_free(&s);
}

static void test_reach_expectations(void **state)
{
        const struct nlab_step *st;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(good, &s, &err), 0);
        st = step_at_line(&s, 11);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_REACHES);
        assert_string_equal(st->ex.subject, "client");
        assert_string_equal(st->ex.target, "web");
        assert_int_equal(st->ex.proto, NLAB_PROTO_ICMP);
        st = step_at_line(&s, 12);
        assert_int_equal(st->ex.port, 80);
        assert_int_equal(st->ex.proto, NLAB_PROTO_TCP);
        st = step_at_line(&s, 13);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_CANNOT_REACH);
        assert_int_equal(st->ex.proto, NLAB_PROTO_UDP);
        assert_int_equal(st->ex.port, 53);
        st = step_at_line(&s, 14);
        assert_true(st->ex.via_host);
        assert_string_equal(st->ex.target, "web");
        st = step_at_line(&s, 15);
        assert_string_equal(st->ex.target, "10.89.0.2");
        st = step_at_line(&s, 24);
        assert_true(st->ex.xfail);
        assert_int_equal(st->ex.port, 8080);
        assert_string_equal(nlab_expect_verb(st->ex.kind), "reaches");
        nlab_scenario_free(&s);
}

static void test_other_expectations(void **state)
{
        const struct nlab_step *st;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(good, &s, &err), 0);
        st = step_at_line(&s, 16);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_RESOLVES);
        assert_int_equal(st->ex.naddrs, 1);
        st = step_at_line(&s, 17);
        assert_int_equal(st->ex.naddrs, 3);
        assert_string_equal(st->ex.addrs[2], "10.89.0.5");
        assert_int_equal(step_at_line(&s, 18)->ex.naddrs, 0);
        assert_int_equal(step_at_line(&s, 19)->ex.kind, NLAB_EXPECT_CANNOT_RESOLVE);
        st = step_at_line(&s, 20);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_EXEC);
        assert_int_equal(st->ex.argc, 3);
        assert_null(st->ex.argv[3]);
        assert_int_equal(st->ex.exit_code, 1);
        assert_string_equal(st->ex.contains, "not found");
        st = step_at_line(&s, 21);
        assert_string_equal(st->ex.argv[2], "exit 3");
        assert_int_equal(st->ex.exit_code, 3);
        assert_null(st->ex.contains);
        st = step_at_line(&s, 22);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_HAS_INTERFACE);
        assert_string_equal(st->ex.addrs[0], "10.89.0.2/24");
        assert_int_equal(step_at_line(&s, 23)->ex.naddrs, 0);
        nlab_scenario_free(&s);
}

struct bad {
        const char *line;  /* parsed after a header; it is line 4 */
        const char *where; /* "COL: error: ..." prefix expected after "t.lab:4:" */
};

static const struct bad bads[] = {
    {"frobnicate now", "1: error: unknown directive or netlab command \"frobnicate\""},
    {"expect web cannot-reach host because internl",
     "38: error: unknown reason \"internl\" (did you mean \"internal\"?)"},
    {"expect web cannot-reach host because xyzzy-plugh",
     "38: error: unknown reason \"xyzzy-plugh\" (one of: different-networks, internal,"},
    {"expect web cannot-reach host because", "37: error: because: missing the reason"},
    {"expect web cannot-reach host because internal stopped",
     "47: error: because: one reason only"},
    {"expect web reaches host because internal",
     "25: error: \"because\": only cannot-reach and cannot-resolve give a reason"},
    {"expect-fail web cannot-reach host because internal",
     "35: error: \"because\": not with expect-fail"},
    {"expect web cannot-reach host:80 via because internal",
     "33: error: cannot-reach: too many arguments"},
    {"netlab run busybox", "1: error: write the command without the word"},
    {"scenario run x.lab", "1: error: scenario: a scenario cannot run scenarios"},
    {"network", "8: error: network: missing subcommand"},
    {"network frob x", "9: error: unknown network subcommand \"frob\""},
    {"network connect labnet", "23: error: network connect: not enough arguments"},
    {"network create a b", "18: error: network create: too many arguments"},
    {"logs web extra", "10: error: logs: too many arguments"},
    {"run -d --name web2", "19: error: run: not enough arguments"},
    {"run -d --name", "8: error: flag --name needs a value"},
    {"expect host exec ip link", "8: error: \"host\" is not a container: exec runs inside one; "
                                 "to look at the lab host (the notes' brctl show, ip link), check "
                                 "it (expect host has-interface netlab0)"},
    {"exec -it web sh", "14: error: exec -it into a shell waits for someone to type, and a "
                        "scenario has no one: write each command you would type as a line of "
                        "its own (exec web ping -c 1 OTHER)"},
    {"exec -t web /bin/bash", "13: error: exec -it into a shell waits"},
    {"run -it --rm busybox", "14: error: run -it with a shell in the foreground waits for "
                             "someone to type, and a scenario has no one: start it in the "
                             "background (run -itd --name NAME busybox)"},
    {"run --interactive --name c2 busybox sh", "37: error: run -it with a shell"},
    {"run busybox sh -c 'echo", "19: error: unterminated quote"},
    {"title", "6: error: title: missing text"},
    {"title Another", "1: error: title: the file already has a title"},
    {"note   # only a comment", "24: error: note: missing text"},
    {"external", "9: error: external: missing the host's name"},
    {"external Lan", "10: error: external host name \"Lan\""},
    {"external host", "10: error: the name \"host\" is already taken"},
    {"external web", "10: error: the name \"web\" is already taken"},
    {"external lan --subnet 10.0.0.0/33", "23: error: --subnet \"10.0.0.0/33\""},
    {"external lan extra", "14: error: external: only --subnet CIDR may follow the name"},
    {"expect", "7: error: expect: missing the subject"},
    {"expect web", "11: error: expect: missing the check"},
    {"expect web frobs host", "12: error: unknown check \"frobs\""},
    {"expect ghost reaches host", "8: error: unknown name \"ghost\""},
    {"expect web reaches", "19: error: reaches: missing the target"},
    {"expect web reaches nobody", "20: error: unknown name \"nobody\""},
    {"expect web reaches host:0", "20: error: port in \"host:0\""},
    {"expect web reaches host:http", "20: error: port in \"host:http\""},
    {"expect web reaches host:80/sctp", "20: error: protocol in \"host:80/sctp\""},
    {"expect web reaches :80", "20: error: missing the target before"},
    {"expect web reaches host extra", "25: error: reaches: too many arguments"},
    {"expect web reaches web via host", "20: error: \"web\": via host needs the container's"},
    {"expect web reaches host:80 via host", "20: error: via host: \"host\" must be a container"},
    {"expect web resolves", "20: error: resolves: missing the name to look up"},
    {"expect web resolves x 10.0.0.1", "23: error: expected '=' before the addresses"},
    {"expect web resolves x =", "24: error: missing an address after '='"},
    {"expect web resolves x = 10.0.0", "25: error: \"10.0.0\": want IPv4 addresses"},
    {"expect web cannot-resolve x y", "29: error: cannot-resolve: too many arguments"},
    {"expect ghost resolves x", "8: error: unknown name \"ghost\""},
    {"expect web exec", "16: error: exec: missing the command to run"},
    {"expect web exec -> exit 1", "17: error: exec: missing the command to run"},
    {"expect host exec true", "8: error: \"host\" is not a container"},
    {"expect web exec true -> exit 300", "30: error: exit status \"300\""},
    {"expect web exec true -> exit", "25: error: exec: want -> exit N"},
    {"expect web exec true -> banana", "25: error: after '->'"},
    {"expect web exec true -> output contains", "32: error: output contains: missing the"},
    {"expect web has-interface", "25: error: has-interface: missing the interface name"},
    {"expect web has-interface averyveryverylongname", "26: error: interface name"},
    {"expect web has-interface eth0 = 10.0.0.1", "33: error: \"10.0.0.1\": want one A.B.C.D/N"},
    {"expect web has-interface eth0 + 10.0.0.1/8", "31: error: expected '=' before the address"},
    {"expect-fail web frobs", "17: error: unknown check \"frobs\""},
    {"link web --rate 10mbt", "17: error: --rate: invalid rate \"10mbt\": unknown unit \"mbt\" "
                              "(did you mean \"mbit\"?)"},
    {"link web --delay=5", "10: error: --delay: invalid time \"5\""},
    {"link web --loss 1", "17: error: --loss: invalid percentage \"1\""},
    {"link web --burst 10k", "10: error: unknown flag --burst (--rate, --delay"},
    {"link db --rate 10mbit", "6: error: unknown container \"db\""},
    {"link web/averyveryverylongname --rate 1mbit", "6: error: invalid interface name"},
    {"link web --jitter 5ms", "1: error: --jitter varies a delay: give --delay too"},
    {"link web", "1: error: nothing to set"},
    {"link web --rate", "10: error: flag --rate needs a value"},
    {"link show web --rate 1mbit", "15: error: --rate: not here"},
    {"link set web db --rate 1mbit", "14: error: unknown container \"db\""},
    {"link", "5: error: link: missing subcommand (set, show, reset)"},
    {"expect capture on", "18: error: expect capture on: missing the target"},
    {"expect capture on web", "22: error: expect capture on web: then \"contains\" or \"lacks\""},
    {"expect capture on web has icmp", "23: error: expect capture on web: then"},
    {"expect capture on web contains", "31: error: missing the packet: icmp, tcp, udp, dns or arp"},
    {"expect capture on web contains ping", "32: error: unknown protocol \"ping\""},
    {"expect capture on web contains icmp echo", "37: error: ICMP type \"echo\""},
    {"expect capture on web contains tcp ack", "36: error: \"ack\" after tcp: syn, syn-ack"},
    {"expect capture on web contains udp x", "36: error: \"x\" after udp: nothing may follow"},
    {"expect capture on web contains arp is-at web", "42: error: unexpected \"web\" (only dns takes a name"},
    {"expect capture on web contains icmp from", "41: error: from: missing the name"},
    {"expect capture on web contains icmp from ghost", "42: error: unknown name \"ghost\""},
    {"expect capture on web contains icmp from host", "42: error: \"host\" has an address"},
    {"expect capture on web contains icmp from web from web", "46: error: \"from\" given twice"},
    {"expect capture on web contains icmp to web x", "44: error: unexpected \"x\" (from NAME"},
};

/* `link CONTAINER ...` is `link set CONTAINER ...`, shown as the command it runs. */
static void test_link_directive(void **state)
{
        const struct nlab_step *st;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse("run -d --name web busybox sleep 1d\n"
                               "link web --rate 10mbit --delay=50ms   # slow\n"
                               "link set web/eth0 --loss 1%\n"
                               "link show web\n"
                               "link reset web/eth0\n",
                               &s, &err),
                         0);
        st = step_at_line(&s, 2);
        assert_int_equal(st->kind, NLAB_STEP_COMMAND);
        assert_int_equal(st->argc, 6);
        assert_string_equal(st->argv[0], "link");
        assert_string_equal(st->argv[1], "set");
        assert_string_equal(st->argv[2], "web");
        assert_string_equal(st->argv[5], "--delay=50ms");
        assert_null(st->argv[6]);
        assert_string_equal(st->text, "link set web --rate 10mbit --delay=50ms");
        st = step_at_line(&s, 3);
        assert_int_equal(st->argc, 5);
        assert_string_equal(st->text, "link set web/eth0 --loss 1%");
        assert_int_equal(step_at_line(&s, 4)->argc, 3);
        assert_string_equal(step_at_line(&s, 5)->argv[1], "reset");
        nlab_scenario_free(&s);
}

static void test_because(void **state)
{
        static const char text[] = "run -d --name web busybox sleep 1d\n"
                                   "run -d --name client busybox sleep 1d\n"
                                   "expect client cannot-reach web:80 because not-listening\n"
                                   "expect client cannot-reach web:80/udp via host because "
                                   "not-published\n"
                                   "expect client cannot-resolve web because name-unknown\n"
                                   "expect client cannot-reach web\n";
        const struct nlab_step *st;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(text, &s, &err), 0);
        st = step_at_line(&s, 3);
        assert_int_equal(st->ex.because, NLAB_REASON_NOT_LISTENING);
        assert_string_equal(st->ex.target, "web");
        assert_int_equal(st->ex.port, 80);
        assert_string_equal(st->text, "expect client cannot-reach web:80 because not-listening");
        st = step_at_line(&s, 4);
        assert_true(st->ex.via_host);
        assert_int_equal(st->ex.proto, NLAB_PROTO_UDP);
        assert_int_equal(st->ex.because, NLAB_REASON_NOT_PUBLISHED);
        st = step_at_line(&s, 5);
        assert_int_equal(st->ex.kind, NLAB_EXPECT_CANNOT_RESOLVE);
        assert_string_equal(st->ex.target, "web");
        assert_int_equal(st->ex.because, NLAB_REASON_NAME_UNKNOWN);
        assert_int_equal(step_at_line(&s, 6)->ex.because, NLAB_REASON_NONE);
        nlab_scenario_free(&s);
}

/* expect capture: its fields, and the step it watches (the one above, skipping notes and other
 * capture checks). */
static void test_capture_expectation(void **state)
{
        const char text[] = "run -d --name web busybox sleep 1d\n"
                            "run -d --name client busybox sleep 1d\n"
                            "expect client reaches web\n"
                            "note the ping, seen on the wire\n"
                            "expect capture on web/eth0 contains icmp echo-request from client "
                            "to 10.0.0.2\n"
                            "expect-fail capture on web lacks dns query web\n";
        const char orphan[] = "expect capture on lan contains arp\n";
        const struct nlab_expect *ex;
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse(text, &s, &err), 0);
        assert_int_equal(s.steps[2].watchers, 2);
        assert_int_equal(s.steps[1].watchers, 0);
        ex = &step_at_line(&s, 5)->ex;
        assert_int_equal(ex->kind, NLAB_EXPECT_CAPTURE);
        assert_string_equal(ex->subject, "web/eth0");
        assert_string_equal(ex->target, "icmp echo-request from client to 10.0.0.2");
        assert_string_equal(ex->from, "client");
        assert_string_equal(ex->to, "10.0.0.2");
        assert_false(ex->lacks);
        assert_int_equal(ex->pattern.proto, NLAB_PKT_ICMP);
        assert_int_equal(ex->pattern.what, 8);
        ex = &step_at_line(&s, 6)->ex;
        assert_true(ex->lacks && ex->xfail);
        assert_string_equal(ex->pattern.name, "web");
        assert_null(ex->from);
        assert_string_equal(nlab_expect_verb(ex->kind), "capture");
        assert_int_equal(s.nexpect, 3);
        nlab_scenario_free(&s);

        assert_int_equal(parse(orphan, &s, &err), -1);
        assert_non_null(strstr(err.msg, "t.lab:1:8: error: expect capture: no step before it"));
        /* a container named capture keeps its checks */
        assert_int_equal(parse("run -d --name capture busybox sleep 1d\n"
                               "expect capture reaches host\n",
                               &s, &err),
                         0);
        assert_int_equal(s.steps[1].ex.kind, NLAB_EXPECT_REACHES);
        nlab_scenario_free(&s);
}

static void test_errors_point_at_line_and_column(void **state)
{
        char text[512], want[256];
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                struct nlab_scenario s;
                struct nlab_err err;
                snprintf(text, sizeof(text),
                         "title T\n# comment\nrun -d --name web busybox sleep 1d\n%s\nrun x\n",
                         bads[i].line);
                snprintf(want, sizeof(want), "t.lab:4:%s", bads[i].where);
                if (parse(text, &s, &err) == 0)
                        fail_msg("parsed, but should fail: %s", bads[i].line);
                if (strncmp(err.msg, want, strlen(want)))
                        fail_msg("for [%s]\n  want: %s\n   got: %s", bads[i].line, want, err.msg);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_int_equal(s.nsteps, 0);
                assert_null(s.steps);
        }
}

/* Only a shell left waiting for input is refused: the notes' -itd idiom, a shell given a
 * command, and a foreground command that ends by itself all parse. */
static void test_interactive_that_ends_parses(void **state)
{
        static const char *const goods[] = {
            "run -itd --name c2 busybox",
            "run -dit --name c2 busybox sh",
            "run -it --rm busybox ping -c 1 127.0.0.1",
            "exec -it web sh -c 'ping -c 1 127.0.0.1'",
            "exec web sh",
            "exec -d -it web sh",
            "run -p 8080:80 -d --name c2 busybox",
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
                struct nlab_scenario s;
                struct nlab_err err;
                char text[256];
                snprintf(text, sizeof(text), "run -d --name web busybox sleep 1d\n%s\n", goods[i]);
                if (parse(text, &s, &err) < 0)
                        fail_msg("for [%s]: %s", goods[i], err.msg);
                nlab_scenario_free(&s);
        }
}

static void test_error_shows_line_and_caret(void **state)
{
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse("run -d --name web busybox\n\texpect web reachs host\n", &s, &err),
                         -1);
        assert_string_equal(err.msg, "t.lab:2:13: error: unknown check \"reachs\" (reaches, "
                                     "cannot-reach, resolves, cannot-resolve, exec, "
                                     "has-interface)\n"
                                     " expect web reachs host\n"
                                     "            ^~~~~~");
        assert_int_equal(parse("run -d --name web busybox\nrun\0x\n", &s, &err), -1);
        /* strlen stops at the NUL: parse with an explicit length */
        assert_int_equal(nlab_scenario_parse("t.lab", "run\0x\n", 6, nlab_cli_grammar(), &s, &err),
                         -1);
        assert_non_null(strstr(err.msg, "t.lab:1:1: error: a NUL byte"));
}

static void test_empty_and_untitled(void **state)
{
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_scenario_parse("e.lab", "", 0, nlab_cli_grammar(), &s, &err), 0);
        assert_null(s.title);
        assert_int_equal(s.nsteps, 0);
        assert_string_equal(s.file, "e.lab");
        nlab_scenario_free(&s);
        assert_int_equal(parse("ps\nimages\nnetwork ls\n", &s, &err), 0);
        assert_int_equal(s.nsteps, 3);
        nlab_scenario_free(&s);
        /* combined short flags: only the last letter takes the next word as its value */
        assert_int_equal(parse("run -dp 8080:80 busybox\nrun -dit busybox\n", &s, &err), 0);
        nlab_scenario_free(&s);
        assert_int_equal(parse("run -dp 8080:80\n", &s, &err), -1);
        assert_non_null(strstr(err.msg, "run: not enough arguments"));
        assert_int_equal(parse("exec -e A=1 web\n", &s, &err), -1);
        assert_non_null(strstr(err.msg, "exec: not enough arguments"));
}

static void test_resolv_and_hosts(void **state)
{
        struct in_addr a[4];
        char buf[32];

        (void)state;
        assert_int_equal(nlab_resolvconf_nameserver("search x\nnameserver fe80::1\n"
                                                    "nameserver 10.89.0.1\n",
                                                    &a[0]),
                         1);
        assert_string_equal(inet_ntop(AF_INET, &a[0], buf, sizeof(buf)), "10.89.0.1");
        assert_int_equal(nlab_resolvconf_nameserver("options ndots:0\n", &a[0]), 0);
        assert_int_equal(nlab_hosts_lookup("127.0.0.1 localhost\n10.0.0.2 web web.x # c\n"
                                           "10.0.0.3 WEB\n# 10.0.0.4 web\n",
                                           "web", a, 4),
                         2);
        assert_string_equal(inet_ntop(AF_INET, &a[1], buf, sizeof(buf)), "10.0.0.3");
        assert_int_equal(nlab_hosts_lookup("10.0.0.2 web\n", "we", a, 4), 0);
}

static void test_dns_codec(void **state)
{
        uint8_t q[300], r[300];
        struct nlab_probe_result res;
        char buf[32];
        int n;

        (void)state;
        assert_int_equal(nlab_dns_build_query("a..b", 1, q, sizeof(q)), -1);
        assert_int_equal(nlab_dns_build_query("", 1, q, sizeof(q)), -1);
        n = nlab_dns_build_query("web.labnet.", 0x1234, q, sizeof(q));
        assert_int_equal(n, 12 + 12 + 4);
        assert_memory_equal(q + 12, "\3web\6labnet\0", 12);
        /* the answer: header, the question, one A record by a compression pointer */
        memcpy(r, q, (size_t)n);
        r[2] = 0x81, r[3] = 0x80, r[7] = 1;
        memcpy(r + n, "\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\x0a\x59\0\2", 16);
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n + 16, 0x1234, &res), 0);
        assert_int_equal(res.status, NLAB_PROBE_OK);
        assert_int_equal(res.naddrs, 1);
        assert_string_equal(inet_ntop(AF_INET, &res.addrs[0], buf, sizeof(buf)), "10.89.0.2");
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n + 16, 0x4321, &res), -1);
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n + 10, 0x1234, &res), -1);
        r[3] = 0x83, r[7] = 0;
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n, 0x1234, &res), 0);
        assert_int_equal(res.status, NLAB_PROBE_NXDOMAIN);
        r[3] = 0x80;
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n, 0x1234, &res), 0);
        assert_int_equal(res.status, NLAB_PROBE_NODATA);
        r[3] = 0x82;
        assert_int_equal(nlab_dns_parse_response(r, (size_t)n, 0x1234, &res), 0);
        assert_int_equal(res.status, NLAB_PROBE_DNS_ERROR);
        assert_string_equal(nlab_probe_status_str(NLAB_PROBE_NXDOMAIN), "NXDOMAIN");
}

/* "CMD [SUB] FLAG" on one line, then ARG... */
static void command_line(char *buf, size_t size, const struct nlab_cmd_grammar *c, const char *flag,
                         const char *args)
{
        snprintf(buf, size, "%s%s%s %s%s%s\n", c->name, c->sub ? " " : "", c->sub ? c->sub : "",
                 flag, args[0] ? " " : "", args);
}

/* Every flag of every command, as the CLI's own tables define it: one that takes a value wants
 * one, a boolean one does not. A flag added to run's table is covered without a word here. */
static void test_parser_knows_every_cli_flag(void **state)
{
        const struct nlab_grammar *g = nlab_cli_grammar();
        char line[256], flag[64];
        struct nlab_scenario s;
        struct nlab_err err;
        size_t i, k, seen_run = 0;

        (void)state;
        for (i = 0; i < g->n; i++) {
                const struct nlab_cmd_grammar *c = &g->cmds[i];
                for (k = 0; c->flags && k < c->flags->n; k++) {
                        const struct nlab_flag *f = &c->flags->v[k];
                        bool value = f->type != NLAB_FLAG_BOOL;
                        snprintf(flag, sizeof(flag), "--%s", f->name);
                        command_line(line, sizeof(line), c, flag, "");
                        if (value) {
                                assert_int_equal(parse(line, &s, &err), -1);
                                if (!strstr(err.msg, "needs a value"))
                                        fail_msg("%s: %s", line, err.msg);
                        }
                        if (f->shortc && value) {
                                snprintf(flag, sizeof(flag), "-%c", f->shortc);
                                command_line(line, sizeof(line), c, flag, "");
                                assert_int_equal(parse(line, &s, &err), -1);
                                assert_non_null(strstr(err.msg, "needs a value"));
                        }
                        seen_run += !strcmp(c->name, "run");
                }
        }
        assert_true(seen_run > 20);
        /* run's first positional is the image, whatever flags come first (a command after it:
         * -i or -t with the image's shell waiting for input is refused) */
        for (k = 0; k < nlab_flags_run.n; k++) {
                const struct nlab_flag *f = &nlab_flags_run.v[k];
                if (!strcmp(f->name, "help"))
                        continue;
                snprintf(line, sizeof(line), "run --%s%s busybox true\n", f->name,
                         f->type != NLAB_FLAG_BOOL ? " x" : "");
                if (parse(line, &s, &err) < 0)
                        fail_msg("%s: %s", line, err.msg);
                assert_int_equal(s.steps[0].argc, f->type != NLAB_FLAG_BOOL ? 5 : 4);
                nlab_scenario_free(&s);
        }
        /* a value flag the old private grammar did not know */
        assert_int_equal(parse("run -d --name w busybox\nlogs --tail 5 w\n", &s, &err), 0);
        nlab_scenario_free(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_directives_and_commands),
            cmocka_unit_test(test_reach_expectations),
            cmocka_unit_test(test_other_expectations),
            cmocka_unit_test(test_link_directive),
            cmocka_unit_test(test_capture_expectation),
            cmocka_unit_test(test_errors_point_at_line_and_column),
            cmocka_unit_test(test_interactive_that_ends_parses),
            cmocka_unit_test(test_error_shows_line_and_caret),
            cmocka_unit_test(test_empty_and_untitled),
            cmocka_unit_test(test_resolv_and_hosts),
            cmocka_unit_test(test_dns_codec),
            cmocka_unit_test(test_because),
            cmocka_unit_test(test_parser_knows_every_cli_flag),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
