/* A cgroup per container: Docker's device allowlist and pids/memory/cpu limits, on the cgroup v1,
 * hybrid and v2 layouts. Pure parsers and rule tables here; the kernel side in cgroup.c and
 * cgroup_bpf.c. */
#ifndef NLAB_CGROUP_H
#define NLAB_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"

/* Same bits as the kernel's BPF_DEVCG_ACC_*, so the BPF program can compare them directly. */
enum { NLAB_DEV_MKNOD = 1, NLAB_DEV_READ = 2, NLAB_DEV_WRITE = 4, NLAB_DEV_RWM = 7 };

/* The default pids limit: a fork bomb in one container cannot take the host's pid space. */
#define NLAB_DEFAULT_PIDS_LIMIT 1024
#define NLAB_MIN_MEMORY         (6LL * 1024 * 1024) /* Docker's minimum for --memory */
#define NLAB_CPU_PERIOD         100000              /* cfs period in us, as Docker */

/* One allow rule of the devices cgroup: type 'a' (all), 'b' or 'c'; -1 means any number. */
struct nlab_dev_rule {
        char type;
        int64_t major, minor;
        unsigned access; /* NLAB_DEV_* bits */
};

/* A --device grant resolved against the host: the node to create and the rule to allow. */
struct nlab_devnode {
        char ctr[256]; /* path in the container */
        mode_t mode;   /* S_IFCHR or S_IFBLK plus permission bits, as on the host */
        dev_t rdev;
};

/* The host's cgroup layout, for `netlab info`: v2 only, hybrid (v1 controllers plus a v2
 * mount at unified/) or v1 only. */
enum nlab_cgroup_layout { NLAB_CGROUP_V1, NLAB_CGROUP_HYBRID, NLAB_CGROUP_V2 };
enum nlab_cgroup_layout nlab_cgroup_layout(void);

struct nlab_cgroup_spec {
        int64_t pids_max;                  /* 0: unlimited */
        int64_t memory_max;                /* bytes; 0: unlimited */
        int64_t nano_cpus;                 /* 0: unlimited */
        bool all_devices;                  /* --privileged */
        const struct nlab_dev_rule *extra; /* --device grants */
        size_t n_extra;
};

/* Docker's default allowlist (moby oci/defaults.go, runc's AllowedDevices). */
const struct nlab_dev_rule *nlab_dev_default_rules(size_t *n);
/* "c 1:3 rwm" for devices.allow; returns -1 if it does not fit. */
int nlab_dev_rule_format(const struct nlab_dev_rule *r, char *buf, size_t size);

/* --device HOST[:CTR][:rwm], Docker's grammar and messages; host and ctr point into buf. */
struct nlab_device_spec {
        char buf[512];
        const char *host, *ctr;
        unsigned access;
};
int nlab_device_parse(const char *spec, struct nlab_device_spec *out, struct nlab_err *err);
/* "rwm" or a subset without repeats, as Docker's validDeviceMode. */
int nlab_dev_access_parse(const char *s, unsigned *access);

/* --memory: Docker's RAMInBytes units (b, k, m, g, t, p; 1024-based), minimum 6m, 0 = none. */
int nlab_memory_parse(const char *s, int64_t *bytes, struct nlab_err *err);
/* --cpus: a decimal number of CPUs, at most ncpu, at least 0.01; 0 = none. */
int nlab_cpus_parse(const char *s, long ncpu, int64_t *nano, struct nlab_err *err);
/* --pids-limit: a positive count, or -1/0 for unlimited (stored as 0). */
int nlab_pids_parse(const char *s, int64_t *limit, struct nlab_err *err);

/* Build the BPF_PROG_TYPE_CGROUP_DEVICE program allowing rules (default deny). out may be NULL
 * to count; returns the number of instructions, or -1 if cap is too small. */
struct bpf_insn;
int nlab_devbpf_build(const struct nlab_dev_rule *rules, size_t n, struct bpf_insn *out,
                      size_t cap);
/* Load the program for rules and attach it to the cgroup directory fd. */
int nlab_devbpf_attach(int cgroup_fd, const struct nlab_dev_rule *rules, size_t n,
                       struct nlab_err *err);

/* Make the container's cgroups and apply spec; undone on failure. The directories made are
 * listed in <root>/containers/<id>/cgroups, so any later command can remove them. With pid > 0
 * it is moved in once every limit is in place; with 0 the process joins itself (below). */
int nlab_cgroup_create(const struct nlab_store *st, const char *id,
                       const struct nlab_cgroup_spec *spec, int pid, struct nlab_err *err);

#define NLAB_CGROUP_MAX 5 /* hierarchies a container may be in */
/* The files a container's single-threaded process writes "0" to, to move itself into the cgroups
 * nlab_cgroup_create makes for (st, id, spec): known before they exist. */
int nlab_cgroup_join_files(const struct nlab_store *st, const char *id,
                           const struct nlab_cgroup_spec *spec,
                           char files[NLAB_CGROUP_MAX][PATH_MAX], size_t *n, struct nlab_err *err);
/* Move the calling (single-threaded) process into the container's cgroups (exec). */
int nlab_cgroup_join_self(const struct nlab_store *st, const char *id, struct nlab_err *err);
/* Remove the container's cgroups once its processes are gone; missing is fine. */
void nlab_cgroup_remove(const struct nlab_store *st, const char *id);
/* Remove every cgroup of this state root, also those whose container record is lost (killing
 * what is left in them): for `system reset`. */
void nlab_cgroup_remove_all(const struct nlab_store *st);

#endif
