/* The state root: container records as JSON files, a name index, and the mutation lock. */
#ifndef NLAB_STORE_H
#define NLAB_STORE_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>

#include "runtime/err.h"
#include "runtime/ids.h"

struct nlab_store {
        char root[PATH_MAX];
        int lock_fd; /* -1 while unlocked */
};

/* Create the root's directories if needed. Nothing is locked yet. */
int nlab_store_open(struct nlab_store *st, const char *root, struct nlab_err *err);
void nlab_store_close(struct nlab_store *st);
/* Mutations hold this lock; reads do not need it. */
int nlab_store_lock(struct nlab_store *st, struct nlab_err *err);
void nlab_store_unlock(struct nlab_store *st);

/* <root>/<sub>/<id>[/file] into buf. */
int nlab_store_path(const struct nlab_store *st, char *buf, size_t size, const char *sub,
                    const char *id, const char *file, struct nlab_err *err);

/* Name index: an atomic symlink names/<name> -> id, so uniqueness needs no scan. */
int nlab_store_claim_name(struct nlab_store *st, const char *name, const char *id,
                          struct nlab_err *err);
void nlab_store_release_name(struct nlab_store *st, const char *name);

/* Find a container by name, full id or unique id prefix. */
int nlab_store_resolve(const struct nlab_store *st, const char *ref, char id[NLAB_ID_LEN + 1],
                       struct nlab_err *err);
/* All container ids, sorted by creation (oldest first); free with nlab_store_free_list. */
int nlab_store_list(const struct nlab_store *st, char ***ids, size_t *n, struct nlab_err *err);
void nlab_store_free_list(char **ids, size_t n);

int nlab_store_load(const struct nlab_store *st, const char *id, const char *file, json_t **out,
                    struct nlab_err *err);
int nlab_store_save(const struct nlab_store *st, const char *id, const char *file,
                    const json_t *doc, struct nlab_err *err);

#endif
