/* Root file systems: `busybox` (made on demand from busybox-static) and `host` (read-only /). */
#ifndef NLAB_IMAGE_H
#define NLAB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"

enum nlab_image_kind {
        NLAB_IMAGE_BUSYBOX,
        NLAB_IMAGE_HOST,
};

struct nlab_image_info {
        const char *name;
        const char *description;
};

/* Accepts "busybox", "busybox:latest", "host", "host:latest". */
int nlab_image_parse(const char *ref, enum nlab_image_kind *kind, struct nlab_err *err);
const char *nlab_image_name(enum nlab_image_kind kind);
/* Make sure the image's root file system exists; its path goes to rootfs. */
int nlab_image_prepare(const struct nlab_store *st, enum nlab_image_kind kind, char *rootfs,
                       size_t size, struct nlab_err *err);
/* Inside a new container's mount namespace, over the read-only bind of / at rootfs: hide what is
 * private (/root, /home, /run, /var, state_root) and put a generated, read-only /etc there that
 * holds what tools need and no secrets. -1 with errno, and what failed in what. */
int nlab_image_host_mask(const char *rootfs, const char *state_root, char *what, size_t ws);
/* NLAB_E_NOCMD "executable file not found", saying what to use instead of a tool that course
 * notes take from bigger images (curl: wget -qO- URL). Returns -1. */
int nlab_image_cmd_not_found(const char *cmd, struct nlab_err *err);
/* The images netlab knows, NULL-terminated by name. */
const struct nlab_image_info *nlab_image_catalog(size_t *n);

#endif
