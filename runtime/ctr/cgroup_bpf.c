/* The cgroup v2 device allowlist: a BPF_PROG_TYPE_CGROUP_DEVICE program built as raw instructions
 * (no compiler, no libbpf) and attached to the container's cgroup with bpf(2). */
#include "runtime/ctr/cgroup.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor; all u32. */
enum { CTX_ACCESS_TYPE = 0, CTX_MAJOR = 4, CTX_MINOR = 8 };
enum { R0, R1, R2, R3, R4, R5 };

struct emit {
        struct bpf_insn *out;
        size_t cap, n;
};

static void put(struct emit *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        if (e->out && e->n < e->cap)
                e->out[e->n] = (struct bpf_insn){
                    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
        e->n++;
}

/* r2 = type, r3 = requested access, r4 = major, r5 = minor (as runc's devicefilter). */
static void prologue(struct emit *e)
{
        put(e, BPF_LDX | BPF_W | BPF_MEM, R2, R1, CTX_ACCESS_TYPE, 0);
        put(e, BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
        put(e, BPF_LDX | BPF_W | BPF_MEM, R3, R1, CTX_ACCESS_TYPE, 0);
        put(e, BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
        put(e, BPF_LDX | BPF_W | BPF_MEM, R4, R1, CTX_MAJOR, 0);
        put(e, BPF_LDX | BPF_W | BPF_MEM, R5, R1, CTX_MINOR, 0);
}

static int rule_len(const struct nlab_dev_rule *r)
{
        return 2 + (r->type != 'a') + 3 * ((r->access & NLAB_DEV_RWM) != NLAB_DEV_RWM) +
               (r->major >= 0) + (r->minor >= 0);
}

/* One block: every test that fails jumps past the block's "return 1" to the next rule. */
static void rule_block(struct emit *e, const struct nlab_dev_rule *r)
{
        size_t end = e->n + (size_t)rule_len(r) - 2; /* index of "r0 = 1" */

#define SKIP ((int16_t)(end - e->n - 1 + 2))
        if (r->type != 'a')
                put(e, BPF_JMP | BPF_JNE | BPF_K, R2, 0, SKIP,
                    r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if ((r->access & NLAB_DEV_RWM) != NLAB_DEV_RWM) {
                /* Allowed only if every requested bit is in the rule: (req & acc) == req. */
                put(e, BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
                put(e, BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)r->access);
                put(e, BPF_JMP | BPF_JNE | BPF_X, R1, R3, SKIP, 0);
        }
        if (r->major >= 0)
                put(e, BPF_JMP | BPF_JNE | BPF_K, R4, 0, SKIP, (int32_t)r->major);
        if (r->minor >= 0)
                put(e, BPF_JMP | BPF_JNE | BPF_K, R5, 0, SKIP, (int32_t)r->minor);
#undef SKIP
        put(e, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
        put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int nlab_devbpf_build(const struct nlab_dev_rule *rules, size_t n, struct bpf_insn *out, size_t cap)
{
        struct emit e = {out, cap, 0};
        size_t i;

        prologue(&e);
        for (i = 0; i < n; i++)
                rule_block(&e, &rules[i]);
        put(&e, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0); /* nothing matched: deny */
        put(&e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return out && e.n > cap ? -1 : (int)e.n;
}

int nlab_devbpf_attach(int cgroup_fd, const struct nlab_dev_rule *rules, size_t n,
                       struct nlab_err *err)
{
        struct bpf_insn prog[512];
        union bpf_attr load, attach;
        int len = nlab_devbpf_build(rules, n, prog, sizeof(prog) / sizeof(prog[0]));
        int fd, r;

        if (len < 0)
                return nlab_err_set(err, NLAB_E_INVALID, "device program: too many device rules");
        memset(&load, 0, sizeof(load));
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uint64_t)(uintptr_t)prog;
        load.insn_cnt = (uint32_t)len;
        load.license = (uint64_t)(uintptr_t) "GPL";
        fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
        if (fd < 0)
                return nlab_err_sys(err, errno, "load the device BPF program");
        memset(&attach, 0, sizeof(attach));
        attach.target_fd = (uint32_t)cgroup_fd;
        attach.attach_bpf_fd = (uint32_t)fd;
        attach.attach_type = BPF_CGROUP_DEVICE;
        /* MULTI: programs of parent cgroups (systemd's DevicePolicy) keep applying too. */
        attach.attach_flags = BPF_F_ALLOW_MULTI;
        r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach));
        if (r < 0)
                r = nlab_err_sys(err, errno, "attach the device BPF program");
        close(fd); /* the cgroup holds the program now */
        return r;
}
