/* Paths inside a container's root file system: checked at create, opened through fds at start,
 * so a symlink the container left behind can never point a mount or a mkdir at the host. */
#ifndef NLAB_CTRPATH_H
#define NLAB_CTRPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"

/* A volume target: absolute, not "/", and no ".." that would climb above the root. */
int nlab_ctrpath_check(const char *path, struct nlab_err *err);
/* "/a/./b/../c" -> "a/c", relative to the root ("" for the root itself); -1 if the path climbs
 * above the root or does not fit. */
int nlab_ctrpath_clean(const char *path, char *out, size_t size);
/* An O_PATH fd of path inside the root open at root_fd, making what is missing (directories on
 * the way, the last one a directory or an empty file). Every lookup is openat2 RESOLVE_IN_ROOT
 * and every creation is relative to an fd, so symlinks resolve inside the root. -1 with errno. */
int nlab_ctrpath_mountpoint(int root_fd, const char *path, bool is_dir);
/* Bind-mount host path src (recursively, read-only if ro) onto the O_PATH fd target_fd. */
int nlab_ctrpath_bind(const char *src, int target_fd, bool ro);

#endif
