/* Small file-system helpers used by the state store and the sandbox. */
#ifndef NLAB_FSUTIL_H
#define NLAB_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/base/err.h"

int nlab_mkdir_p(const char *path, mode_t mode, struct nlab_err *err);
/* True on tmpfs and ramfs, where fsync buys nothing: a reboot empties them anyway. */
bool nlab_fs_volatile(int fd);
/* Make a new or renamed entry durable: fsync the directory holding path, unless volatile. */
int nlab_fsync_parent(const char *path, struct nlab_err *err);
/* Write atomically: a temporary file in the same directory (O_EXCL|O_NOFOLLOW), fsynced
 * unless on tmpfs, then rename, then the directory fsynced. */
int nlab_write_file(const char *path, const void *data, size_t len, mode_t mode,
                    struct nlab_err *err);
/* Read a whole file, NUL-terminated; *out is malloc'ed. */
int nlab_read_file(const char *path, char **out, size_t *len, struct nlab_err *err);
/* read(2) until len bytes, end of file or an error, retrying EINTR: the bytes read, or -1. */
ssize_t nlab_read_full(int fd, void *buf, size_t len);
/* Remove a tree without crossing into other mounts; missing is success. */
int nlab_rm_rf(const char *path, struct nlab_err *err);
/* Remove a claim file only if it names owner: never give back somebody else's claim. */
void nlab_unlink_if_owner(const char *path, const char *owner);
/* snprintf into a fixed buffer, failing (ENAMETOOLONG) instead of truncating. */
int nlab_path(char *buf, size_t size, struct nlab_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Current time as RFC 3339 with nanoseconds, UTC, like Docker. */
void nlab_now_rfc3339(char *buf, size_t size);

#endif
