/* `netlab top`: a running container's processes, read from the host's /proc. */
#ifndef NLAB_TOP_H
#define NLAB_TOP_H

#include <stddef.h>
#include <time.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"

/* The fields of /proc/PID/stat that top shows. */
struct nlab_proc_stat {
        char comm[64];
        int ppid, tty_nr;
        unsigned long long utime, stime, start; /* clock ticks; start since boot */
};

/* Parse one /proc/PID/stat line. comm may hold spaces and ')', so it ends at the last ')'.
 * -1 when the text is not a stat line. */
int nlab_proc_stat_parse(const char *text, struct nlab_proc_stat *out);
/* "pts/3", "tty1", "ttyS0" or "?" for the tty_nr field (major and minor packed as the kernel
 * does in new_encode_dev). */
void nlab_tty_name(int tty_nr, char *buf, size_t size);

struct nlab_top_row {
        unsigned uid; /* effective */
        int pid, ppid;
        unsigned cpu_percent;   /* ps's C: CPU time over lifetime, in percent */
        time_t started;         /* wall clock */
        unsigned long cpu_secs; /* utime + stime */
        char tty[16];
        char cmd[512]; /* the command line, or [comm] for a kernel-style empty one */
};

/* The processes in the pid namespace of container ref (which must be running), host pids, in
 * pid order. *rows is malloc'd. */
int nlab_container_top(struct nlab_store *st, const char *ref, struct nlab_top_row **rows,
                       size_t *n, struct nlab_err *err);

#endif
