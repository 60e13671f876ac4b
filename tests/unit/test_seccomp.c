#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/ctr/seccomp_cache.h"
#include "runtime/ctr/seccomp_profile.h"
#include "runtime/ctr/secopt.h"

#define C(x) (1ULL << (x))
/* Docker's default capability set, as runtime/caps.c keeps it. */
static const uint64_t dflt = C(CAP_CHOWN) | C(CAP_DAC_OVERRIDE) | C(CAP_FSETID) | C(CAP_FOWNER) |
                             C(CAP_MKNOD) | C(CAP_NET_RAW) | C(CAP_SETGID) | C(CAP_SETUID) |
                             C(CAP_SETFCAP) | C(CAP_SETPCAP) | C(CAP_NET_BIND_SERVICE) |
                             C(CAP_SYS_CHROOT) | C(CAP_KILL) | C(CAP_AUDIT_WRITE);
static const uint64_t no_args[6];

static int call(const char *name, uint64_t caps)
{
        return nlab_sc_decide(name, caps, NLAB_SC_AMD64, no_args);
}

static int call1(const char *name, uint64_t caps, unsigned arch, uint64_t a0)
{
        uint64_t args[6] = {a0};

        return nlab_sc_decide(name, caps, arch, args);
}

static void test_common_calls_allowed(void **state)
{
        (void)state;
        assert_int_equal(call("read", dflt), 0);
        assert_int_equal(call("execve", dflt), 0);
        assert_int_equal(call("ptrace", dflt), 0); /* Docker allows it on kernels >= 4.8 */
        assert_int_equal(call("no_such_call", ~0ULL), EPERM);
}

static void test_mount_only_with_sys_admin(void **state)
{
        static const char *const admin[] = {"mount",       "umount2", "unshare", "setns",
                                            "sethostname", "bpf",     "fsopen"};
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
                assert_int_equal(call(admin[i], dflt), EPERM);
                assert_int_equal(call(admin[i], dflt | C(CAP_SYS_ADMIN)), 0);
        }
        /* Docker's profile never lists pivot_root */
        assert_int_equal(call("pivot_root", ~0ULL), EPERM);
}

static void test_per_capability_calls(void **state)
{
        static const struct {
                const char *name;
                int cap;
        } t[] = {{"reboot", CAP_SYS_BOOT},         {"init_module", CAP_SYS_MODULE},
                 {"finit_module", CAP_SYS_MODULE}, {"acct", CAP_SYS_PACCT},
                 {"kcmp", CAP_SYS_PTRACE},         {"iopl", CAP_SYS_RAWIO},
                 {"settimeofday", CAP_SYS_TIME},   {"clock_settime", CAP_SYS_TIME},
                 {"vhangup", CAP_SYS_TTY_CONFIG},  {"mbind", CAP_SYS_NICE},
                 {"syslog", CAP_SYSLOG},           {"bpf", CAP_BPF},
                 {"perf_event_open", CAP_PERFMON}, {"open_by_handle_at", CAP_DAC_READ_SEARCH}};
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                assert_int_equal(call(t[i].name, dflt), EPERM);
                assert_int_equal(call(t[i].name, dflt | C(t[i].cap)), 0);
        }
        /* a default cap that opens its call: chroot with SYS_CHROOT */
        assert_int_equal(call("chroot", dflt), 0);
        assert_int_equal(call("chroot", dflt & ~C(CAP_SYS_CHROOT)), EPERM);
        /* reboot needs SYS_BOOT itself, not just any extra cap */
        assert_int_equal(call("reboot", dflt | C(CAP_SYS_ADMIN)), EPERM);
}

static void test_keys_never(void **state)
{
        (void)state;
        assert_int_equal(call("keyctl", ~0ULL), EPERM);
        assert_int_equal(call("add_key", ~0ULL), EPERM);
        assert_int_equal(call("request_key", ~0ULL), EPERM);
}

static void test_clone_namespace_flags(void **state)
{
        const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                CLONE_CHILD_CLEARTID;
        const uint64_t ns[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                               CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
        size_t i;

        (void)state;
        assert_int_equal(call1("clone", dflt, NLAB_SC_AMD64, SIGCHLD), 0);
        assert_int_equal(call1("clone", dflt, NLAB_SC_AMD64, thread), 0);
        for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
                assert_int_equal(call1("clone", dflt, NLAB_SC_AMD64, ns[i] | SIGCHLD), EPERM);
                assert_int_equal(
                    call1("clone", dflt | C(CAP_SYS_ADMIN), NLAB_SC_AMD64, ns[i] | SIGCHLD), 0);
        }
        /* s390 passes the flags second: the first argument is not looked at */
        {
                uint64_t args[6] = {0, CLONE_NEWUSER | SIGCHLD};
                assert_int_equal(nlab_sc_decide("clone", dflt, NLAB_SC_S390X, args), EPERM);
                args[1] = SIGCHLD;
                args[0] = CLONE_NEWUSER;
                assert_int_equal(nlab_sc_decide("clone", dflt, NLAB_SC_S390X, args), 0);
        }
        assert_int_equal(call("unshare", dflt), EPERM);
        assert_int_equal(call("clone3", dflt), ENOSYS);
        assert_int_equal(call("clone3", dflt | C(CAP_SYS_ADMIN)), 0);
}

static void test_socket_families(void **state)
{
        (void)state;
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_INET), 0);
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_NETLINK), 0);
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_ALG), EPERM);
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_ALG + 1), 0);
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_VSOCK), EPERM);
        assert_int_equal(call1("socket", ~0ULL, NLAB_SC_AMD64, AF_VSOCK), EPERM);
        assert_int_equal(call1("socket", dflt, NLAB_SC_AMD64, AF_VSOCK + 1), 0);
}

static void test_personality_and_arches(void **state)
{
        (void)state;
        assert_int_equal(call1("personality", dflt, NLAB_SC_AMD64, 0), 0);
        assert_int_equal(call1("personality", dflt, NLAB_SC_AMD64, 0x0008), 0);
        assert_int_equal(call1("personality", dflt, NLAB_SC_AMD64, 0x20008), 0);
        assert_int_equal(call1("personality", dflt, NLAB_SC_AMD64, 0xffffffff), 0);
        assert_int_equal(call1("personality", dflt, NLAB_SC_AMD64, 0x0040000), EPERM);
        assert_int_equal(call1("arch_prctl", dflt, NLAB_SC_AMD64, 0), 0);
        assert_int_equal(call1("arch_prctl", dflt, NLAB_SC_ARM64, 0), EPERM);
        assert_int_equal(call1("modify_ldt", dflt, NLAB_SC_X86, 0), 0);
        assert_int_equal(call1("set_tls", dflt, NLAB_SC_ARM, 0), 0);
        assert_int_equal(call1("set_tls", dflt, NLAB_SC_AMD64, 0), EPERM);
}

static void test_cache_name(void **state)
{
        char a[200], b[200];

        (void)state;
        assert_int_equal(nlab_sc_cache_name(a, sizeof(a), 0xc000003e, dflt, "2.5.4"), 0);
        assert_string_equal(a + strlen(a) - 4, ".bpf");
        /* a capability no rule looks at shares the filter */
        assert_int_equal(
            nlab_sc_cache_name(b, sizeof(b), 0xc000003e, dflt | C(CAP_NET_ADMIN), "2.5.4"), 0);
        assert_string_equal(a, b);
        assert_int_equal(
            nlab_sc_cache_name(b, sizeof(b), 0xc000003e, dflt | C(CAP_SYS_ADMIN), "2.5.4"), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(nlab_sc_cache_name(b, sizeof(b), 0xc00000b7, dflt, "2.5.4"), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(nlab_sc_cache_name(b, sizeof(b), 0xc000003e, dflt, "2.6.0"), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(nlab_sc_cache_name(b, 10, 0xc000003e, dflt, "2.5.4"), -1);
        assert_true(nlab_sc_relevant_caps() & C(CAP_SYS_ADMIN));
        assert_false(nlab_sc_relevant_caps() & C(CAP_NET_ADMIN));
}

static void test_secopt(void **state)
{
        struct nlab_strv sv = {0};
        struct nlab_secopt so;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_secopt_parse(&sv, &so, &err), 0);
        assert_false(so.seccomp_unconfined);
        nlab_strv_push(&sv, "no-new-privileges");
        nlab_strv_push(&sv, "seccomp:unconfined");
        assert_int_equal(nlab_secopt_parse(&sv, &so, &err), 0);
        assert_true(so.seccomp_unconfined);
        nlab_strv_free(&sv);
        nlab_strv_push(&sv, "seccomp=unconfimed");
        assert_int_equal(nlab_secopt_parse(&sv, &so, &err), -1);
        assert_non_null(strstr(err.msg, "did you mean \"seccomp=unconfined\""));
        nlab_strv_free(&sv);
        nlab_strv_push(&sv, "no-new-privileges=false");
        assert_int_equal(nlab_secopt_parse(&sv, &so, &err), -1);
        assert_non_null(strstr(err.msg, "always"));
        nlab_strv_free(&sv);
        nlab_strv_push(&sv, "label=disable");
        assert_int_equal(nlab_secopt_parse(&sv, &so, &err), -1);
        assert_non_null(strstr(err.msg, "\"label=disable\""));
        assert_non_null(strstr(err.msg, "accepted: seccomp=unconfined"));
        nlab_strv_free(&sv);
}

/* In a child: load the filter, then report which calls got through as exit-code bits. */
static int run_filtered(const struct sock_fprog *prog)
{
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                int bits = 0;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog) < 0)
                        _exit(255);
                if (getpid() > 0)
                        bits |= 1;
                if (syscall(SYS_keyctl, 0, -2, 0) < 0 && errno == EPERM)
                        bits |= 2;
                if (unshare(CLONE_NEWUSER) < 0 && errno == EPERM)
                        bits |= 4;
                if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
                        bits |= 8;
                _exit(bits);
        }
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void tear_all(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[600];

        assert_non_null(d);
        while ((e = readdir(d)))
                if (e->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        assert_int_equal(nlab_write_file(path, "abc", 3, 0600, NULL), 0);
                }
        closedir(d);
}

static void test_real_filter_and_cache(void **state)
{
        char root[] = "/tmp/nlab-sc-XXXXXX", path[300];
        struct sock_fprog a, b, admin;
        struct nlab_err err;

        (void)state;
        assert_non_null(mkdtemp(root));
        assert_int_equal(nlab_seccomp_load(root, dflt, &a, &err), 0);
        assert_int_equal(run_filtered(&a), 1 | 2 | 4 | 8);
        /* the second load reads the same program back from the cache */
        assert_int_equal(nlab_seccomp_load(root, dflt | C(CAP_NET_ADMIN), &b, &err), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.filter, b.filter, a.len * sizeof(a.filter[0]));
        /* SYS_ADMIN opens unshare and clone3 */
        assert_int_equal(nlab_seccomp_load(root, dflt | C(CAP_SYS_ADMIN), &admin, &err), 0);
        assert_int_equal(run_filtered(&admin) & (1 | 2 | 4 | 8), 1 | 2);
        nlab_seccomp_free(&a);
        nlab_seccomp_free(&b);
        nlab_seccomp_free(&admin);
        /* a torn file is refused, never loaded */
        snprintf(path, sizeof(path), "%s/seccomp", root);
        tear_all(path);
        assert_int_equal(nlab_seccomp_load(root, dflt, &a, &err), -1);
        assert_non_null(strstr(err.msg, "not a BPF program"));
        nlab_rm_rf(root, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_common_calls_allowed),
            cmocka_unit_test(test_mount_only_with_sys_admin),
            cmocka_unit_test(test_per_capability_calls),
            cmocka_unit_test(test_keys_never),
            cmocka_unit_test(test_clone_namespace_flags),
            cmocka_unit_test(test_socket_families),
            cmocka_unit_test(test_personality_and_arches),
            cmocka_unit_test(test_cache_name),
            cmocka_unit_test(test_secopt),
            cmocka_unit_test(test_real_filter_and_cache),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
