/* The state root: container records as JSON files, a name index, and the mutation lock. */
#ifndef NLAB_STORE_H
#define NLAB_STORE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "runtime/base/ctrconfig.h"
#include "runtime/base/ctrstate.h"
#include "runtime/base/err.h"
#include "runtime/base/ids.h"

struct nlab_store {
        char root[PATH_MAX];
        int lock_fd;          /* -1 while unlocked */
        int lock_depth;       /* nested lock calls: only the outermost unlock releases */
        pid_t lock_pid;       /* a child forked while locked does not own the lock */
        const char *crash_at; /* test hook: NETLAB_TEST_CRASH_AT, see nlab_store_test_point */
};

/* Create the root's directories if needed; refuse an existing root that another user owns or
 * that group or others may write. Nothing is locked yet. */
/* A state root's directory (as stat or lstat saw it) must be ours and writable by nobody else;
 * root_may_look: root may also use another user's, to look into a student's rootless lab. */
int nlab_store_check_root_stat(const char *root, const struct stat *sb, bool root_may_look,
                               struct nlab_err *err);
int nlab_store_open(struct nlab_store *st, const char *root, struct nlab_err *err);
void nlab_store_close(struct nlab_store *st);
/* Every state change holds this lock; reads do not need it. Calls nest. */
int nlab_store_lock(struct nlab_store *st, struct nlab_err *err);
void nlab_store_unlock(struct nlab_store *st);
bool nlab_store_locked(const struct nlab_store *st);
/* Test hook: SIGKILL ourselves at the named stage when NETLAB_TEST_CRASH_AT names it. */
void nlab_store_test_point(const struct nlab_store *st, const char *stage);

/* <root>/<sub>/<id>[/file] into buf. */
int nlab_store_path(const struct nlab_store *st, char *buf, size_t size, const char *sub,
                    const char *id, const char *file, struct nlab_err *err);

/* A record whose creation never finished: state.json says "creating" and its creator is gone. */
bool nlab_store_state_abandoned(const struct nlab_ctr_state *state);
/* Under the lock: the owner of a claim is gone (no record, or an abandoned one). */
bool nlab_store_owner_dead(const struct nlab_store *st, const char *id);
/* Whether a live holder's record still accounts for a claim (a killed `network connect` leaves
 * an address claim its container's config never got). */
typedef bool (*nlab_claim_held_fn)(const struct nlab_store *st, const char *holder, void *ctx);
/* Under the lock: create the claim file path holding id (O_EXCL). A claim whose owner is dead,
 * or that held() says its live owner does not account for, is taken over. 0 claimed, 1 held by
 * a live owner (its id in holder), <0 error. held may be NULL. */
int nlab_store_claim_file(struct nlab_store *st, const char *path, const char *id,
                          char holder[NLAB_ID_LEN + 1], nlab_claim_held_fn held, void *ctx,
                          struct nlab_err *err);

/* Name index: an atomic symlink names/<name> -> id, so uniqueness needs no scan. */
int nlab_store_claim_name(struct nlab_store *st, const char *name, const char *id,
                          struct nlab_err *err);
/* Only if it still names id: never give back somebody else's name. */
void nlab_store_release_name(struct nlab_store *st, const char *name, const char *id);

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
/* A container's state.json, parsed and checked (a record that does not parse is an error). */
int nlab_store_load_state(const struct nlab_store *st, const char *id, struct nlab_ctr_state *state,
                          struct nlab_err *err);
int nlab_store_save_state(const struct nlab_store *st, const char *id,
                          const struct nlab_ctr_state *state, struct nlab_err *err);
/* A container's config.json, parsed and checked; free with nlab_ctr_config_free. */
int nlab_store_load_config(const struct nlab_store *st, const char *id,
                           struct nlab_ctr_config *config, struct nlab_err *err);
int nlab_store_save_config(const struct nlab_store *st, const char *id,
                           const struct nlab_ctr_config *config, struct nlab_err *err);

#endif
