/* Bounded container logs: Docker's json-file max-size/max-file rotation over raw output.
 * The newest output is in `log`, older in log.1 ... log.(max-file - 1). */
#ifndef NLAB_LOGFILE_H
#define NLAB_LOGFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/base/err.h"
#include "runtime/net/hostsfile.h"

/* The state root is usually a tmpfs (RAM): 3 x 1 MiB per container keeps a class machine
 * with a hundred chatty containers under 300 MiB, yet holds tens of thousands of lines. */
#define NLAB_LOG_DEFAULT_MAX_SIZE (1024 * 1024)
#define NLAB_LOG_DEFAULT_MAX_FILE 3
#define NLAB_LOG_MAX_FILES        100

struct nlab_log_opts {
        uint64_t max_size; /* bytes per file, > 0 */
        unsigned max_file; /* files kept, 1 to NLAB_LOG_MAX_FILES */
};

/* Docker's sizes: a number (fractions allowed) with an optional k, m or g (1024-based), an
 * optional i and b: 512, 10k, 1.5m, 2MiB. */
int nlab_log_size_parse(const char *s, uint64_t *out, struct nlab_err *err);
/* The shortest exact spelling of a size ("1m", "1536k", "100"). */
void nlab_log_size_format(uint64_t size, char *buf, size_t len);
/* --log-opt KEY=VALUE list (Docker's json-file rules) over netlab's defaults. */
int nlab_log_opts_parse(const struct nlab_strv *kv, struct nlab_log_opts *o, struct nlab_err *err);

/* The shim's side: never blocks on the file system. On a full one it frees its oldest file
 * for the newest output; what still cannot be written is counted and noted in the log once
 * writing works again. */
struct nlab_log_writer {
        char *path; /* allocated: a supervisor keeps one writer per container */
        struct nlab_log_opts opts;
        int fd;
        uint64_t size;    /* bytes in the current file */
        uint64_t dropped; /* bytes lost since the last note */
        int drop_errno;
        bool at_line_start;
};

void nlab_log_writer_open(struct nlab_log_writer *w, const char *path,
                          const struct nlab_log_opts *o);
void nlab_log_writer_write(struct nlab_log_writer *w, const char *buf, size_t len);
void nlab_log_writer_close(struct nlab_log_writer *w);

/* The reader's side: reads across rotated files, oldest first, and keeps up with rotations
 * happening while it reads. */
struct nlab_log_reader {
        char path[PATH_MAX];
        int fd; /* -1 until a log exists */
};

/* tail < 0: everything kept; otherwise start at the last `tail` lines. */
int nlab_log_reader_open(struct nlab_log_reader *r, const char *path, long tail,
                         struct nlab_err *err);
/* Bytes read, 0 when caught up with the newest file, -1 with err filled. */
ssize_t nlab_log_reader_read(struct nlab_log_reader *r, char *buf, size_t len,
                             struct nlab_err *err);
void nlab_log_reader_close(struct nlab_log_reader *r);

#endif
