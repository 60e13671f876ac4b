/* Process identity that survives pid reuse: a pid plus its start time. */
#ifndef NLAB_PROC_H
#define NLAB_PROC_H

#include <stdbool.h>

#include "runtime/base/err.h"

/* Start time in clock ticks since boot (field 22 of /proc/PID/stat), or 0 if gone. */
unsigned long long nlab_proc_starttime(int pid);
bool nlab_proc_alive(int pid, unsigned long long starttime);
/* Wait for a process (not necessarily our child) to exit; timeout_ms < 0 waits forever.
 * Returns 1 if it exited, 0 on timeout, -1 on error. */
int nlab_proc_wait_gone(int pid, unsigned long long starttime, int timeout_ms);

#define NLAB_NETNS_PATH_LEN 32 /* "/proc/2147483647/ns/net" and the NUL */
/* "/proc/PID/ns/net" into buf: the one way a process's network namespace is named. */
const char *nlab_proc_netns_path(int pid, char buf[NLAB_NETNS_PATH_LEN]);

/* A pidfd for the process that is pid *and* started at starttime, never a reused pid. */
int nlab_proc_pidfd(int pid, unsigned long long starttime, struct nlab_err *err);
/* The pid behind a pidfd as this mount namespace's /proc numbers it: a process started from
 * inside a nested pid namespace is known by that number everywhere else. -1 if gone. */
int nlab_proc_pidfd_pid(int pidfd);
/* Enter the namespaces (CLONE_NEW* flags) of the process behind pidfd, all at once. */
int nlab_proc_setns(int pidfd, int nstypes, struct nlab_err *err);

#endif
