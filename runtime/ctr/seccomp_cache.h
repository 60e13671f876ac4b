/* (Not seccomp.h: that would shadow libseccomp's <seccomp.h> on the include path.) */
/* Docker's default seccomp filter: compiled with libseccomp once per (arch, capabilities,
 * profile table, libseccomp version), cached as raw BPF under <root>/seccomp, and read back on
 * every later start, so a start costs a file read and one prctl. */
#ifndef NLAB_SECCOMP_CACHE_H
#define NLAB_SECCOMP_CACHE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"

/* The filter a process keeping caps gets, given HostConfig's SecurityOpt and Privileged.
 * prog->filter is NULL (no filter) under --privileged or seccomp=unconfined; else malloc'ed. */
int nlab_seccomp_for(const char *root, const struct nlab_strv *secopt, bool privileged,
                     uint64_t caps, struct sock_fprog *prog, struct nlab_err *err);
/* The default profile's filter for caps, from the cache or built into it. */
int nlab_seccomp_load(const char *root, uint64_t caps, struct sock_fprog *prog,
                      struct nlab_err *err);
void nlab_seccomp_free(struct sock_fprog *prog);

#endif
