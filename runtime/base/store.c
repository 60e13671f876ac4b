#include "runtime/base/store.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/base/strv.h"
#include "runtime/base/suggest.h"

static const char *const store_dirs[] = {"containers", "names",    "netns",
                                         "images",     "networks", "ports"};

int nlab_store_check_root_stat(const char *root, const struct stat *sb, bool root_may_look,
                               struct nlab_err *err)
{
        if (!S_ISDIR(sb->st_mode))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root %s is not a directory: choose another --root",
                                    root);
        if (sb->st_uid != geteuid() && !(root_may_look && geteuid() == 0))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root %s is owned by uid %u, not by uid %u: run "
                                    "\"chown %u %s && chmod 0700 %s\", or choose another --root",
                                    root, (unsigned)sb->st_uid, (unsigned)geteuid(),
                                    (unsigned)geteuid(), root, root);
        if (sb->st_mode & (S_IWGRP | S_IWOTH))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root %s is writable by group or others (mode %04o): run "
                                    "\"chmod 0700 %s\", or choose another --root",
                                    root, (unsigned)(sb->st_mode & 07777), root);
        return 0;
}

/* An existing root holds every container's state and the claims: if another user owns it or
 * can write it, they can plant records, claims or symlinks that netlab (root) would follow. */
static int check_root(const char *root, struct nlab_err *err)
{
        struct stat sb;

        if (stat(root, &sb) < 0)
                return errno == ENOENT ? 0 : nlab_err_sys(err, errno, "state root %s", root);
        return nlab_store_check_root_stat(root, &sb, false, err);
}

int nlab_store_open(struct nlab_store *st, const char *root, struct nlab_err *err)
{
        char path[PATH_MAX];
        size_t i;

        assert(st && root);
        st->lock_fd = -1;
        st->lock_depth = 0;
        st->lock_pid = 0;
        st->crash_at = NULL;
        if (root[0] != '/')
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root \"%s\" must be an absolute path", root);
        if (nlab_path(st->root, sizeof(st->root), err, "%s", root) < 0 || check_root(root, err) < 0)
                return -1;
        for (i = 0; i < sizeof(store_dirs) / sizeof(store_dirs[0]); i++) {
                if (nlab_path(path, sizeof(path), err, "%s/%s", root, store_dirs[i]) < 0)
                        return -1;
                if (nlab_mkdir_p(path, 0700, err) < 0) {
                        nlab_err_prefix(err, "state root %s", root);
                        return -1;
                }
        }
        return 0;
}

void nlab_store_close(struct nlab_store *st)
{
        if (st->lock_fd >= 0 && st->lock_pid == getpid())
                close(st->lock_fd);
        st->lock_fd = -1;
        st->lock_depth = 0;
}

int nlab_store_lock(struct nlab_store *st, struct nlab_err *err)
{
        char path[PATH_MAX];
        int fd;

        assert(st);
        if (st->lock_fd >= 0 && st->lock_pid != getpid()) {
                /* A copy inherited over fork (the shim): the parent's lock is not ours. */
                st->lock_fd = -1;
                st->lock_depth = 0;
        }
        if (st->lock_fd >= 0) {
                st->lock_depth++;
                return 0;
        }
        if (nlab_path(path, sizeof(path), err, "%s/lock", st->root) < 0)
                return -1;
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open lock %s", path);
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        int e = errno;
                        close(fd);
                        return nlab_err_sys(err, e, "lock %s", path);
                }
        }
        st->lock_fd = fd;
        st->lock_depth = 1;
        st->lock_pid = getpid();
        return 0;
}

void nlab_store_unlock(struct nlab_store *st)
{
        if (st->lock_fd < 0 || st->lock_pid != getpid())
                return;
        if (--st->lock_depth > 0)
                return; /* a caller further up still needs it */
        close(st->lock_fd);
        st->lock_fd = -1;
        st->lock_depth = 0;
}

bool nlab_store_locked(const struct nlab_store *st)
{
        return st->lock_fd >= 0 && st->lock_pid == getpid();
}

void nlab_store_test_point(const struct nlab_store *st, const char *stage)
{
        if (st->crash_at && !strcmp(st->crash_at, stage))
                raise(SIGKILL);
}

int nlab_store_path(const struct nlab_store *st, char *buf, size_t size, const char *sub,
                    const char *id, const char *file, struct nlab_err *err)
{
        if (file)
                return nlab_path(buf, size, err, "%s/%s/%s/%s", st->root, sub, id, file);
        return nlab_path(buf, size, err, "%s/%s/%s", st->root, sub, id);
}

bool nlab_store_state_abandoned(const struct nlab_ctr_state *state)
{
        if (state->status != NLAB_CTR_CREATING)
                return false;
        return state->creator_pid <= 0 || state->creator_start == 0 ||
               !nlab_proc_alive(state->creator_pid, state->creator_start);
}

bool nlab_store_owner_dead(const struct nlab_store *st, const char *id)
{
        struct nlab_ctr_state state;
        struct nlab_err e;

        /* Claims are written under the lock: an empty or torn one lost its writer. */
        if (strlen(id) != NLAB_ID_LEN || !nlab_id_is_prefix(id))
                return true;
        if (nlab_store_load_state(st, id, &state, &e) < 0)
                return e.kind == NLAB_E_NOTFOUND;
        return nlab_store_state_abandoned(&state);
}

/* Remove a record that was abandoned half-made; its other claims then name no record. */
static void collect(struct nlab_store *st, const char *id)
{
        struct nlab_ctr_state state;
        char dir[PATH_MAX];

        if (strlen(id) != NLAB_ID_LEN || !nlab_id_is_prefix(id) ||
            nlab_store_load_state(st, id, &state, NULL) < 0)
                return;
        if (nlab_store_state_abandoned(&state) &&
            nlab_store_path(st, dir, sizeof(dir), "containers", id, NULL, NULL) == 0)
                nlab_rm_rf(dir, NULL);
}

static void read_holder(const char *path, char holder[NLAB_ID_LEN + 1])
{
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, holder, NLAB_ID_LEN);

        holder[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
                close(fd);
}

static int write_claim(const char *path, const char *id, struct nlab_err *err)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        size_t len = strlen(id);
        bool durable;

        if (fd < 0)
                return errno == EEXIST ? 1 : nlab_err_sys(err, errno, "claim %s", path);
        durable = !nlab_fs_volatile(fd);
        if (write(fd, id, len) != (ssize_t)len || (durable && fsync(fd) < 0)) {
                int e = errno ? errno : EIO;
                close(fd);
                unlink(path);
                return nlab_err_sys(err, e, "claim %s", path);
        }
        close(fd);
        return durable ? nlab_fsync_parent(path, err) : 0;
}

int nlab_store_claim_file(struct nlab_store *st, const char *path, const char *id,
                          char holder[NLAB_ID_LEN + 1], nlab_claim_held_fn held, void *ctx,
                          struct nlab_err *err)
{
        int r = write_claim(path, id, err);

        assert(nlab_store_locked(st));
        if (r != 1)
                return r;
        read_holder(path, holder);
        if (nlab_store_owner_dead(st, holder)) {
                /* Its owner was killed while creating: the claim is free for us. */
                unlink(path);
                collect(st, holder);
                return write_claim(path, id, err);
        }
        if (!held || held(st, holder, ctx))
                return 1;
        unlink(path); /* left by a killed change of a container that lives on */
        return write_claim(path, id, err);
}

static int link_name(const char *path, const char *id, struct nlab_err *err)
{
        if (symlink(id, path) < 0)
                return errno == EEXIST ? 1 : nlab_err_sys(err, errno, "claim name %s", path);
        return nlab_fsync_parent(path, err);
}

int nlab_store_claim_name(struct nlab_store *st, const char *name, const char *id,
                          struct nlab_err *err)
{
        char path[PATH_MAX], holder[NLAB_ID_LEN + 1];
        ssize_t n;
        int r;

        assert(nlab_store_locked(st));
        if (nlab_store_path(st, path, sizeof(path), "names", name, NULL, err) < 0)
                return -1;
        r = link_name(path, id, err);
        if (r != 1)
                return r;
        n = readlink(path, holder, sizeof(holder) - 1);
        holder[n > 0 ? n : 0] = '\0';
        if (nlab_store_owner_dead(st, holder)) {
                unlink(path);
                collect(st, holder);
                r = link_name(path, id, err);
                if (r != 1)
                        return r;
        }
        return nlab_err_set(err, NLAB_E_CONFLICT,
                            "the container name \"/%s\" is already in use by container \"%s\". "
                            "Remove (or rename) that container to reuse that name",
                            name, holder);
}

void nlab_store_release_name(struct nlab_store *st, const char *name, const char *id)
{
        char path[PATH_MAX], holder[NLAB_ID_LEN + 1];
        ssize_t n;

        if (!name || nlab_store_path(st, path, sizeof(path), "names", name, NULL, NULL) < 0)
                return;
        n = readlink(path, holder, sizeof(holder) - 1);
        holder[n > 0 ? n : 0] = '\0';
        if (n > 0 && !strcmp(holder, id))
                unlink(path);
}

static int resolve_name(const struct nlab_store *st, const char *ref, char id[NLAB_ID_LEN + 1])
{
        char path[PATH_MAX];
        ssize_t n;

        if (nlab_store_path(st, path, sizeof(path), "names", ref, NULL, NULL) < 0)
                return -1;
        n = readlink(path, id, NLAB_ID_LEN);
        if (n != NLAB_ID_LEN)
                return -1;
        id[n] = '\0';
        /* A name left by a create that was killed names no record: it is free, not a container. */
        if (nlab_store_path(st, path, sizeof(path), "containers", id, NULL, NULL) < 0 ||
            access(path, F_OK) < 0)
                return -1;
        return 0;
}

/* "no such container: REF", with the nearest name of a container that exists. */
static int no_such_name(const struct nlab_store *st, const char *ref, struct nlab_err *err)
{
        char path[PATH_MAX], id[NLAB_ID_LEN + 1];
        struct nlab_strv names = {0};
        const char *near = NULL;
        struct dirent *de;
        DIR *d = NULL;

        if (nlab_path(path, sizeof(path), NULL, "%s/names", st->root) == 0)
                d = opendir(path);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && resolve_name(st, de->d_name, id) == 0)
                        nlab_strv_push(&names, de->d_name);
        if (d)
                closedir(d);
        if (names.n)
                near = nlab_suggest_name(ref, (const char *const *)names.v, names.n);
        if (near)
                nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s: did you mean %s?", ref,
                             near);
        else
                nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s", ref);
        nlab_strv_free(&names);
        return -1;
}

int nlab_store_resolve(const struct nlab_store *st, const char *ref, char id[NLAB_ID_LEN + 1],
                       struct nlab_err *err)
{
        char **ids = NULL;
        size_t n = 0, i, matches = 0;

        if (!strchr(ref, '/') && resolve_name(st, ref, id) == 0)
                return 0;
        if (!nlab_id_is_prefix(ref))
                return no_such_name(st, ref, err);
        if (nlab_store_list(st, &ids, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++) {
                if (strncmp(ids[i], ref, strlen(ref)) != 0)
                        continue;
                if (matches++ == 0)
                        memcpy(id, ids[i], NLAB_ID_LEN + 1);
        }
        nlab_store_free_list(ids, n);
        if (matches == 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s", ref);
        if (matches > 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "multiple containers found with provided prefix: %s", ref);
        return 0;
}

struct id_entry {
        char *id;
        struct timespec ctime;
};

static int by_ctime(const void *a, const void *b)
{
        const struct id_entry *x = a, *y = b;

        if (x->ctime.tv_sec != y->ctime.tv_sec)
                return x->ctime.tv_sec < y->ctime.tv_sec ? -1 : 1;
        if (x->ctime.tv_nsec != y->ctime.tv_nsec)
                return x->ctime.tv_nsec < y->ctime.tv_nsec ? -1 : 1;
        return strcmp(x->id, y->id);
}

int nlab_store_list(const struct nlab_store *st, char ***ids, size_t *n, struct nlab_err *err)
{
        char path[PATH_MAX];
        struct id_entry *ents = NULL;
        size_t count = 0, cap = 0, i;
        struct dirent *de;
        DIR *d;

        if (nlab_path(path, sizeof(path), err, "%s/containers", st->root) < 0)
                return -1;
        d = opendir(path);
        if (!d)
                return nlab_err_sys(err, errno, "list %s", path);
        while ((de = readdir(d))) {
                struct stat sb;
                if (strlen(de->d_name) != NLAB_ID_LEN || !nlab_id_is_prefix(de->d_name))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &sb, 0) < 0)
                        continue;
                if (count == cap) {
                        struct id_entry *ne;
                        cap = cap ? cap * 2 : 32;
                        ne = realloc(ents, cap * sizeof(*ents));
                        if (!ne)
                                break;
                        ents = ne;
                }
                ents[count].id = strdup(de->d_name);
                ents[count].ctime = sb.st_mtim;
                if (ents[count].id)
                        count++;
        }
        closedir(d);
        if (count > 1)
                qsort(ents, count, sizeof(*ents), by_ctime);
        *ids = calloc(count + 1, sizeof(char *));
        if (!*ids) {
                for (i = 0; i < count; i++)
                        free(ents[i].id);
                free(ents);
                return nlab_err_sys(err, ENOMEM, "list containers");
        }
        for (i = 0; i < count; i++)
                (*ids)[i] = ents[i].id;
        free(ents);
        *n = count;
        return 0;
}

void nlab_store_free_list(char **ids, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                free(ids[i]);
        free(ids);
}

int nlab_store_load(const struct nlab_store *st, const char *id, const char *file, json_t **out,
                    struct nlab_err *err)
{
        char path[PATH_MAX];
        json_error_t jerr;

        if (nlab_store_path(st, path, sizeof(path), "containers", id, file, err) < 0)
                return -1;
        *out = json_load_file(path, 0, &jerr);
        if (!*out) {
                if (access(path, F_OK) < 0)
                        return nlab_err_set(err, NLAB_E_NOTFOUND, "no such container: %s", id);
                return nlab_err_set(err, NLAB_E_SYSTEM, "%s: %s", path, jerr.text);
        }
        return 0;
}

int nlab_store_save(const struct nlab_store *st, const char *id, const char *file,
                    const json_t *doc, struct nlab_err *err)
{
        char path[PATH_MAX];
        char *text;
        int r;

        if (nlab_store_path(st, path, sizeof(path), "containers", id, file, err) < 0)
                return -1;
        text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return nlab_err_sys(err, ENOMEM, "encode %s", path);
        r = nlab_write_file(path, text, strlen(text), 0600, err);
        free(text);
        return r;
}

int nlab_store_load_state(const struct nlab_store *st, const char *id, struct nlab_ctr_state *state,
                          struct nlab_err *err)
{
        json_t *doc;
        int r;

        if (nlab_store_load(st, id, "state.json", &doc, err) < 0)
                return -1;
        r = nlab_ctr_state_parse(doc, state, err);
        json_decref(doc);
        if (r < 0)
                nlab_err_prefix(err, "container %.12s", id);
        return r;
}

int nlab_store_save_state(const struct nlab_store *st, const char *id,
                          const struct nlab_ctr_state *state, struct nlab_err *err)
{
        json_t *doc = nlab_ctr_state_to_json(state);
        int r;

        if (!doc)
                return nlab_err_sys(err, ENOMEM, "container %.12s: state", id);
        r = nlab_store_save(st, id, "state.json", doc, err);
        json_decref(doc);
        return r;
}

int nlab_store_load_config(const struct nlab_store *st, const char *id,
                           struct nlab_ctr_config *config, struct nlab_err *err)
{
        json_t *doc;
        int r;

        memset(config, 0, sizeof(*config));
        if (nlab_store_load(st, id, "config.json", &doc, err) < 0)
                return -1;
        r = nlab_ctr_config_parse(doc, config, err);
        json_decref(doc);
        if (r < 0) {
                nlab_ctr_config_free(config);
                nlab_err_prefix(err, "container %.12s", id);
        }
        return r;
}

int nlab_store_save_config(const struct nlab_store *st, const char *id,
                           const struct nlab_ctr_config *config, struct nlab_err *err)
{
        json_t *doc = nlab_ctr_config_to_json(config);
        int r;

        if (!doc)
                return nlab_err_sys(err, ENOMEM, "container %.12s: config", id);
        r = nlab_store_save(st, id, "config.json", doc, err);
        json_decref(doc);
        return r;
}
