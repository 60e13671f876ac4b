/* Docker's default seccomp profile as data: which syscalls, under which capabilities and arches.
 * Pure: no libseccomp here, so the table and its cache key are unit-tested without a kernel. */
#ifndef NLAB_SECCOMP_PROFILE_H
#define NLAB_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nlab_sc_action {
        NLAB_SC_ALLOW,
        NLAB_SC_ENOSYS, /* clone3 without SYS_ADMIN: libc falls back to clone, which is filtered */
};

enum nlab_sc_op {
        NLAB_SC_ANY, /* no argument condition */
        NLAB_SC_EQ,
        NLAB_SC_LT,
        NLAB_SC_GT,
        NLAB_SC_MASKED_EQ, /* (arg & value) == value2 */
};

/* The native architectures Docker's rules name (Go's GOARCH spelling in default.json). */
enum nlab_sc_arch {
        NLAB_SC_AMD64 = 1 << 0,
        NLAB_SC_X32 = 1 << 1,
        NLAB_SC_X86 = 1 << 2,
        NLAB_SC_ARM = 1 << 3,
        NLAB_SC_ARM64 = 1 << 4,
        NLAB_SC_PPC64LE = 1 << 5,
        NLAB_SC_S390 = 1 << 6,
        NLAB_SC_S390X = 1 << 7,
        NLAB_SC_RISCV64 = 1 << 8,
        NLAB_SC_OTHER = 1 << 9,
};

struct nlab_sc_arg {
        enum nlab_sc_op op;
        unsigned index;
        uint64_t value, value2;
};

/* One entry of the profile. It applies when every cap in caps_in is held, no cap in caps_out
 * is held, the arch is in arches_in (0: any) and not in arches_out. */
struct nlab_sc_rule {
        const char *const *names; /* NULL-terminated */
        enum nlab_sc_action action;
        struct nlab_sc_arg arg;
        uint64_t caps_in, caps_out; /* bit n = capability n */
        unsigned arches_in, arches_out;
};

/* Anything not allowed fails with this errno, as in Docker. */
#define NLAB_SC_DEFAULT_ERRNO 1 /* EPERM */

const struct nlab_sc_rule *nlab_sc_default_rules(size_t *n);
bool nlab_sc_rule_applies(const struct nlab_sc_rule *r, uint64_t caps, unsigned arch);
/* The capabilities any rule looks at: other caps never change the filter. */
uint64_t nlab_sc_relevant_caps(void);
/* A model of the filter for one call: 0 if allowed, else the errno the call fails with. */
int nlab_sc_decide(const char *name, uint64_t caps, unsigned arch, const uint64_t args[6]);
/* File name of a cached filter: profile, native arch token, relevant caps, a hash of the table
 * and the builder's version (libseccomp's, which resolves names to numbers, and netlab's own).
 * -1 if buf is too small. */
int nlab_sc_cache_name(char *buf, size_t size, uint32_t arch_token, uint64_t caps,
                       const char *builder_version);

#endif
