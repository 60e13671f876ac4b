/* Passing signals on to a process: the one relay behind `run` in the foreground, `exec`, and
 * netlab-init (the container's pid 1 under --init). Compiled into netlab-init on its own, so it
 * depends on nothing but libc. */
#ifndef NLAB_SIGRELAY_H
#define NLAB_SIGRELAY_H

#include <stdbool.h>
#include <sys/types.h>

/* Every signal back to its default action and unblocked, as a new process expects (Docker's
 * containers start so): a command must not inherit "ignore SIGINT" from a shell's background job,
 * or an init "ignore SIGCHLD", under which its children are never there to wait for. */
void nlab_sigrelay_reset(void);
/* Block the relayed signals (HUP, INT, QUIT, TERM, USR1, USR2) and SIGCHLD, so none is lost
 * between starting the target and relaying; call it before the fork. */
void nlab_sigrelay_block(void);
/* Undo nlab_sigrelay_block: in a forked child before it execs, and in the caller when done. */
void nlab_sigrelay_unblock(void);
/* Relay every blocked signal to child (ours) until it exits; with reap_all, also reap every other
 * child on the way (what a pid 1 must do). Returns the child's wait status, unblocks the set. */
int nlab_sigrelay_child(pid_t child, bool reap_all);
/* Relay to target (not ours) until done_fd is readable; unblocks the set. */
void nlab_sigrelay_until(pid_t target, int done_fd);

#endif
