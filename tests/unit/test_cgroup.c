#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

#include "runtime/ctr/cgroup.h"

static void device_ok(const char *spec, const char *host, const char *ctr, unsigned access)
{
        struct nlab_device_spec d;
        struct nlab_err err = {0};

        if (nlab_device_parse(spec, &d, &err) < 0)
                fail_msg("%s: %s", spec, err.msg);
        assert_string_equal(d.host, host);
        assert_string_equal(d.ctr, ctr);
        assert_int_equal(d.access, access);
}

static void device_bad(const char *spec, const char *needle)
{
        struct nlab_device_spec d;
        struct nlab_err err = {0};

        assert_int_equal(nlab_device_parse(spec, &d, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        if (!strstr(err.msg, needle) || !strstr(err.msg, "HOST[:CONTAINER][:rwm]"))
                fail_msg("%s: message \"%s\" lacks \"%s\"", spec, err.msg, needle);
}

static void test_device_spec(void **state)
{
        (void)state;
        device_ok("/dev/net/tun", "/dev/net/tun", "/dev/net/tun", NLAB_DEV_RWM);
        device_ok("/dev/a:/dev/b", "/dev/a", "/dev/b", NLAB_DEV_RWM);
        device_ok("/dev/a:r", "/dev/a", "/dev/a", NLAB_DEV_READ);
        device_ok("/dev/a:/dev/b:wm", "/dev/a", "/dev/b", NLAB_DEV_WRITE | NLAB_DEV_MKNOD);
        device_ok("/dev/a:/dev/x/..y", "/dev/a", "/dev/x/..y", NLAB_DEV_RWM);
        device_bad("/dev/a:/dev/b:rwx", "bad mode specified: rwx");
        device_bad("/dev/a:/dev/b:rr", "bad mode specified: rr");
        device_bad("/dev/a:rel", "rel is not an absolute path");
        device_bad("/dev/a:rr", "rr is not an absolute path"); /* not a mode: a path */
        device_bad(":/dev/b", "bad format for path");
        device_bad("", "bad format for path");
        device_bad("/a:/b:r:w", "bad format for path");
        device_bad("/dev/a:/dev/../etc/x", "may not contain \"..\"");
        device_bad("/dev/a:/dev/..", "may not contain \"..\"");
        device_bad("/dev/a:/etc/x", "must be under /dev/: /etc/x");
        device_bad("/dev/a:/dev/", "must be under /dev/");
        device_bad("/tmp/a", "must be under /dev/: /tmp/a");
        device_bad("dev/a", "host path is not absolute");
}

static void mem_ok(const char *s, int64_t want)
{
        struct nlab_err err = {0};
        int64_t v = -5;

        if (nlab_memory_parse(s, &v, &err) < 0)
                fail_msg("%s: %s", s, err.msg);
        assert_int_equal(v, want);
}

static void mem_bad(const char *s, const char *needle)
{
        struct nlab_err err = {0};
        int64_t v;

        assert_int_equal(nlab_memory_parse(s, &v, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        if (!strstr(err.msg, needle))
                fail_msg("%s: message \"%s\" lacks \"%s\"", s, err.msg, needle);
}

static void test_memory(void **state)
{
        (void)state;
        mem_ok("6m", 6LL << 20);
        mem_ok("64M", 64LL << 20);
        mem_ok("64mb", 64LL << 20);
        mem_ok("64MiB", 64LL << 20);
        mem_ok("64 m", 64LL << 20);
        mem_ok("1.5g", 3LL << 29);
        mem_ok("1t", 1LL << 40);
        mem_ok("7340032", 7340032);
        mem_ok("7340032b", 7340032);
        mem_ok("0", 0);
        mem_bad("5m", "minimum memory limit allowed is 6MB");
        mem_bad("100", "minimum memory limit allowed is 6MB");
        mem_bad("12x", "invalid size: '12x'");
        mem_bad("12x", "e.g. 512m");
        mem_bad("", "invalid size");
        mem_bad("-1", "invalid size");
        mem_bad("1.g", "invalid size");
        mem_bad("m", "invalid size");
        mem_bad("99999999999p", "invalid size");
}

static void cpus_ok(const char *s, int64_t want)
{
        struct nlab_err err = {0};
        int64_t v = -5;

        if (nlab_cpus_parse(s, 2, &v, &err) < 0)
                fail_msg("%s: %s", s, err.msg);
        assert_int_equal(v, want);
}

static void cpus_bad(const char *s, const char *needle)
{
        struct nlab_err err = {0};
        int64_t v;

        assert_int_equal(nlab_cpus_parse(s, 2, &v, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        if (!strstr(err.msg, needle))
                fail_msg("%s: message \"%s\" lacks \"%s\"", s, err.msg, needle);
}

static void test_cpus(void **state)
{
        (void)state;
        cpus_ok("1.5", 1500000000);
        cpus_ok("0.5", 500000000);
        cpus_ok(".25", 250000000);
        cpus_ok("2", 2000000000);
        cpus_ok("0.01", 10000000);
        cpus_ok("0.123456789", 123456789);
        cpus_ok("0", 0);
        cpus_bad("3", "from 0.01 to 2.00, as there are only 2 CPUs");
        cpus_bad("0.001", "from 0.01 to 2.00");
        cpus_bad("0.1234567891", "value is too precise");
        cpus_bad("abc", "failed to parse abc as a rational number");
        cpus_bad("1.5x", "e.g. 1.5");
        cpus_bad("-1", "rational number");
        cpus_bad("", "rational number");
}

static void test_pids(void **state)
{
        struct nlab_err err = {0};
        int64_t v;

        (void)state;
        assert_int_equal(nlab_pids_parse("20", &v, &err), 0);
        assert_int_equal(v, 20);
        assert_int_equal(nlab_pids_parse("-1", &v, &err), 0);
        assert_int_equal(v, 0);
        assert_int_equal(nlab_pids_parse("0", &v, &err), 0);
        assert_int_equal(v, 0);
        assert_int_equal(nlab_pids_parse("-2", &v, &err), -1);
        assert_non_null(strstr(err.msg, "-1 for unlimited"));
        assert_int_equal(nlab_pids_parse("ten", &v, &err), -1);
        assert_non_null(strstr(err.msg, "\"ten\""));
        assert_int_equal(nlab_pids_parse("", &v, &err), -1);
}

static void test_rule_format(void **state)
{
        const struct nlab_dev_rule pts = {'c', 136, -1, NLAB_DEV_RWM};
        const struct nlab_dev_rule any = {'b', -1, -1, NLAB_DEV_MKNOD};
        const struct nlab_dev_rule tun = {'c', 10, 200, NLAB_DEV_READ | NLAB_DEV_WRITE};
        char buf[64];

        (void)state;
        assert_int_equal(nlab_dev_rule_format(&pts, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "c 136:* rwm");
        assert_int_equal(nlab_dev_rule_format(&any, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "b *:* m");
        assert_int_equal(nlab_dev_rule_format(&tun, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "c 10:200 rw");
        assert_int_equal(nlab_dev_rule_format(&tun, buf, 6), -1);
}

/* Run the program on one access the way the kernel would; fails the test on anything odd. */
static int run_prog(const struct bpf_insn *p, int n, unsigned type, unsigned access, unsigned major,
                    unsigned minor)
{
        const uint32_t ctx[3] = {access << 16 | type, major, minor};
        uint64_t r[11] = {0};
        int pc = 0, steps = 0;

        while (pc >= 0 && pc < n && steps++ < 10000) {
                const struct bpf_insn *i = &p[pc++];
                switch (i->code) {
                case BPF_LDX | BPF_W | BPF_MEM:
                        assert_int_equal(i->src_reg, 1);
                        assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
                        r[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & (uint32_t)i->imm);
                        break;
                case BPF_ALU | BPF_RSH | BPF_K:
                        r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
                        break;
                case BPF_ALU | BPF_MOV | BPF_X:
                        r[i->dst_reg] = (uint32_t)r[i->src_reg];
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_JNE | BPF_X:
                        if (r[i->dst_reg] != r[i->src_reg])
                                pc += i->off;
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)r[0];
                default:
                        fail_msg("unexpected opcode 0x%x at %d", i->code, pc - 1);
                }
        }
        fail_msg("ran off the program at %d", pc);
        return -1;
}

static bool reference_allows(const struct nlab_dev_rule *rules, size_t n, unsigned type,
                             unsigned access, unsigned major, unsigned minor)
{
        size_t k;

        for (k = 0; k < n; k++) {
                const struct nlab_dev_rule *r = &rules[k];
                if (r->type != 'a' &&
                    (r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) != type)
                        continue;
                if ((access & r->access) != access)
                        continue;
                if ((r->major >= 0 && r->major != major) || (r->minor >= 0 && r->minor != minor))
                        continue;
                return true;
        }
        return false;
}

static void test_bpf_default_program(void **state)
{
        size_t n;
        const struct nlab_dev_rule *rules = nlab_dev_default_rules(&n);
        struct bpf_insn prog[128];
        int len;

        (void)state;
        assert_int_equal(n, 12);
        /* prologue 6; two mknod-only wildcards 6 each; nine exact rwm rules 5 each; pts 4; end 2 */
        assert_int_equal(nlab_devbpf_build(rules, n, NULL, 0), 69);
        len = nlab_devbpf_build(rules, n, prog, 128);
        assert_int_equal(len, 69);
        assert_int_equal(nlab_devbpf_build(rules, n, prog, 68), -1);
        assert_int_equal(prog[len - 1].code, BPF_JMP | BPF_EXIT);

        /* The escapes of the integration test, and what must keep working. */
        assert_int_equal(
            run_prog(prog, len, BPF_DEVCG_DEV_BLOCK, NLAB_DEV_READ | NLAB_DEV_WRITE, 7, 0), 0);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_CHAR, NLAB_DEV_READ, 1, 11), 0);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_BLOCK, NLAB_DEV_MKNOD, 7, 0), 1);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_CHAR, NLAB_DEV_WRITE, 1, 3), 1);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_CHAR, NLAB_DEV_RWM, 136, 42), 1);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_CHAR, NLAB_DEV_READ, 10, 200), 1);
        assert_int_equal(run_prog(prog, len, BPF_DEVCG_DEV_BLOCK, NLAB_DEV_READ, 136, 0), 0);
}

/* Every combination over numbers that appear in the rules and near them: program == reference. */
static void check_grid(const struct nlab_dev_rule *rules, size_t n)
{
        static const unsigned nums[] = {0, 1, 2, 3, 5, 7, 8, 9, 10, 11, 136, 200, 4095};
        struct bpf_insn prog[256];
        int len = nlab_devbpf_build(rules, n, prog, 256);
        unsigned type, access;
        size_t a, b;

        assert_true(len > 0);
        for (type = 1; type <= 2; type++)
                for (access = 1; access <= 7; access++)
                        for (a = 0; a < sizeof(nums) / sizeof(nums[0]); a++)
                                for (b = 0; b < sizeof(nums) / sizeof(nums[0]); b++)
                                        assert_int_equal(
                                            run_prog(prog, len, type, access, nums[a], nums[b]),
                                            reference_allows(rules, n, type, access, nums[a],
                                                             nums[b]));
}

static void test_bpf_matches_reference(void **state)
{
        size_t n;
        const struct nlab_dev_rule *def = nlab_dev_default_rules(&n);
        struct nlab_dev_rule more[16];
        const struct nlab_dev_rule odd[] = {{'a', 11, -1, NLAB_DEV_READ},
                                            {'b', -1, 3, NLAB_DEV_WRITE | NLAB_DEV_MKNOD}};

        (void)state;
        check_grid(def, n);
        memcpy(more, def, n * sizeof(*def));
        more[n] = (struct nlab_dev_rule){'b', 7, 0, NLAB_DEV_READ}; /* --device /dev/loop0:r */
        check_grid(more, n + 1);
        check_grid(odd, 2);
        check_grid(NULL, 0); /* nothing allowed */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_device_spec),
            cmocka_unit_test(test_memory),
            cmocka_unit_test(test_cpus),
            cmocka_unit_test(test_pids),
            cmocka_unit_test(test_rule_format),
            cmocka_unit_test(test_bpf_default_program),
            cmocka_unit_test(test_bpf_matches_reference),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
