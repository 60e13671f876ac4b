#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/base/store.h"

struct fixture {
        char dir[64];
        struct nlab_store st;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        snprintf(f->dir, sizeof(f->dir), "/tmp/nlab-store-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_int_equal(nlab_store_open(&f->st, f->dir, NULL), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        nlab_store_close(&f->st);
        nlab_rm_rf(f->dir, NULL);
        free(f);
        return 0;
}

static void add_record(struct fixture *f, const char *id, json_t *state)
{
        char path[PATH_MAX];

        nlab_store_path(&f->st, path, sizeof(path), "containers", id, NULL, NULL);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(nlab_store_save(&f->st, id, "state.json", state, NULL), 0);
        json_decref(state);
}

static void add_container(struct fixture *f, const char *id, const char *name)
{
        json_t *doc = json_pack("{s:s}", "Name", name);

        add_record(f, id, json_pack("{s:s}", "Status", "created"));
        assert_int_equal(nlab_store_save(&f->st, id, "config.json", doc, NULL), 0);
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_name(&f->st, name, id, NULL), 0);
        nlab_store_unlock(&f->st);
        json_decref(doc);
}

/* A pid that has certainly exited: a child we reaped. */
static int dead_pid(void)
{
        pid_t pid = fork();

        if (pid == 0)
                _exit(0);
        assert_true(pid > 0);
        waitpid(pid, NULL, 0);
        return pid;
}

static json_t *creating_by(int pid, unsigned long long start)
{
        return json_pack("{s:s,s:I,s:I}", "Status", "creating", "CreatorPid", (json_int_t)pid,
                         "CreatorStart", (json_int_t)start);
}

/* Whether another open file description could take the lock now. */
static bool lock_is_free(struct fixture *f)
{
        char path[PATH_MAX];
        int fd, r;

        snprintf(path, sizeof(path), "%s/lock", f->dir);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        r = flock(fd, LOCK_EX | LOCK_NB);
        close(fd);
        return r == 0;
}

#define ID_A "aaaa1111000000000000000000000000000000000000000000000000000000aa"
#define ID_B "aaaa2222000000000000000000000000000000000000000000000000000000bb"

static void test_resolve_by_name_id_and_prefix(void **state)
{
        struct fixture *f = *state;
        char id[NLAB_ID_LEN + 1];
        struct nlab_err err;

        add_container(f, ID_A, "web");
        add_container(f, ID_B, "db");
        assert_int_equal(nlab_store_resolve(&f->st, "web", id, &err), 0);
        assert_string_equal(id, ID_A);
        assert_int_equal(nlab_store_resolve(&f->st, ID_B, id, &err), 0);
        assert_string_equal(id, ID_B);
        assert_int_equal(nlab_store_resolve(&f->st, "aaaa2", id, &err), 0);
        assert_string_equal(id, ID_B);
        assert_int_equal(nlab_store_resolve(&f->st, "aaaa", id, &err), -1);
        assert_non_null(strstr(err.msg, "multiple containers"));
        assert_int_equal(nlab_store_resolve(&f->st, "nosuch", id, &err), -1);
        assert_int_equal(err.kind, NLAB_E_NOTFOUND);
        assert_string_equal(err.msg, "no such container: nosuch");
}

static void test_names_are_unique(void **state)
{
        struct fixture *f = *state;
        struct nlab_err err;

        add_container(f, ID_A, "web");
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_non_null(strstr(err.msg, ID_A));
        nlab_store_release_name(&f->st, "web", ID_B); /* not B's to give back */
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, &err), -1);
        nlab_store_release_name(&f->st, "web", ID_A);
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, &err), 0);
        nlab_store_unlock(&f->st);
}

static void test_records_round_trip_and_list(void **state)
{
        struct fixture *f = *state;
        char **ids = NULL;
        size_t n = 0;
        json_t *doc;

        add_container(f, ID_A, "web");
        add_container(f, ID_B, "db");
        assert_int_equal(nlab_store_load(&f->st, ID_B, "config.json", &doc, NULL), 0);
        assert_string_equal(json_string_value(json_object_get(doc, "Name")), "db");
        json_decref(doc);
        assert_int_equal(nlab_store_list(&f->st, &ids, &n, NULL), 0);
        assert_int_equal(n, 2);
        nlab_store_free_list(ids, n);
        assert_int_equal(nlab_store_load(&f->st, ID_A, "nosuch.json", &doc, NULL), -1);
}

/* A nested call's unlock must not drop the lock its caller still relies on. */
static void test_nested_unlock_keeps_the_callers_lock(void **state)
{
        struct fixture *f = *state;

        assert_true(lock_is_free(f));
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_false(lock_is_free(f));
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        nlab_store_unlock(&f->st);
        assert_true(nlab_store_locked(&f->st));
        assert_false(lock_is_free(f));
        nlab_store_unlock(&f->st);
        assert_false(nlab_store_locked(&f->st));
        assert_true(lock_is_free(f));
}

/* The shim is forked while its starter holds the lock: the copy must not count as holding it. */
static void test_forked_copy_does_not_own_the_lock(void **state)
{
        struct fixture *f = *state;
        int status;
        pid_t pid;

        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        pid = fork();
        if (pid == 0)
                _exit(nlab_store_locked(&f->st) ? 1 : 0);
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        nlab_store_unlock(&f->st);
}

/* The record as state.json holds it, parsed like every load does; consumes doc. */
static bool abandoned(json_t *doc)
{
        struct nlab_ctr_state s;

        assert_int_equal(nlab_ctr_state_parse(doc, &s, NULL), 0);
        json_decref(doc);
        return nlab_store_state_abandoned(&s);
}

static void test_abandoned_means_creating_by_a_dead_process(void **state)
{
        unsigned long long me = nlab_proc_starttime(getpid());

        (void)state;
        assert_false(abandoned(creating_by(getpid(), me))); /* still being made */
        assert_true(abandoned(creating_by(dead_pid(), me)));
        /* our pid, but somebody else's start: reused */
        assert_true(abandoned(creating_by(getpid(), me + 1)));
        assert_false(abandoned(json_pack("{s:s,s:i}", "Status", "created", "CreatorPid", 0)));
}

static void claim_path(struct fixture *f, char *buf, size_t size)
{
        snprintf(buf, size, "%s/ports/tcp-8080", f->dir);
}

static void test_claim_of_a_live_owner_is_refused(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX], holder[NLAB_ID_LEN + 1];

        claim_path(f, path, sizeof(path));
        add_container(f, ID_A, "web");
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_A, holder, NULL, NULL, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_B, holder, NULL, NULL, NULL), 1);
        assert_string_equal(holder, ID_A);
        nlab_store_unlock(&f->st);
}

static bool held_if_true(const struct nlab_store *st, const char *holder, void *ctx)
{
        (void)st;
        (void)holder;
        return *(bool *)ctx;
}

/* A live owner whose record does not account for the claim (a killed connect) loses it. */
static void test_claim_unaccounted_by_a_live_owner_is_taken_over(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX], holder[NLAB_ID_LEN + 1];
        bool held = true;

        claim_path(f, path, sizeof(path));
        add_container(f, ID_A, "web");
        add_container(f, ID_B, "db");
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_A, holder, NULL, NULL, NULL), 0);
        assert_int_equal(
            nlab_store_claim_file(&f->st, path, ID_B, holder, held_if_true, &held, NULL), 1);
        held = false;
        assert_int_equal(
            nlab_store_claim_file(&f->st, path, ID_B, holder, held_if_true, &held, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_A, holder, NULL, NULL, NULL), 1);
        assert_string_equal(holder, ID_B);
        nlab_store_unlock(&f->st);
}

static void test_claim_of_a_killed_create_is_taken_over(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX], dir[PATH_MAX], holder[NLAB_ID_LEN + 1], id[NLAB_ID_LEN + 1];
        char *text = NULL;

        claim_path(f, path, sizeof(path));
        add_record(f, ID_A, creating_by(dead_pid(), 1));
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_A, holder, NULL, NULL, NULL), 0);
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_A, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_B, holder, NULL, NULL, NULL), 0);
        assert_int_equal(nlab_read_file(path, &text, NULL, NULL), 0);
        assert_string_equal(text, ID_B);
        free(text);
        /* The abandoned record went with it; its name then names nothing and is free. */
        nlab_store_path(&f->st, dir, sizeof(dir), "containers", ID_A, NULL, NULL);
        assert_int_equal(access(dir, F_OK), -1);
        assert_int_equal(nlab_store_resolve(&f->st, "web", id, NULL), -1);
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, NULL), 0);
        assert_int_equal(nlab_store_resolve(&f->st, "web", id, NULL), -1); /* B has no record */
        nlab_store_unlock(&f->st);
}

static void test_claim_without_owner_is_taken_over(void **state)
{
        struct fixture *f = *state;
        char path[PATH_MAX], holder[NLAB_ID_LEN + 1];

        claim_path(f, path, sizeof(path));
        /* Killed between O_EXCL and the write: an empty claim. */
        assert_int_equal(nlab_write_file(path, "", 0, 0600, NULL), 0);
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_B, holder, NULL, NULL, NULL), 0);
        /* Its record removed: the claim names nobody. */
        unlink(path);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_A, holder, NULL, NULL, NULL), 0);
        assert_int_equal(nlab_store_claim_file(&f->st, path, ID_B, holder, NULL, NULL, NULL), 0);
        nlab_store_unlock(&f->st);
}

static void test_root_writable_by_others_is_refused(void **state)
{
        struct fixture *f = *state;
        struct nlab_store st;
        struct nlab_err err;

        assert_int_equal(nlab_store_open(&st, f->dir, &err), 0); /* control: 0700, ours */
        assert_int_equal(chmod(f->dir, 0777), 0);
        assert_int_equal(nlab_store_open(&st, f->dir, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_non_null(strstr(err.msg, f->dir));
        assert_non_null(strstr(err.msg, "chmod 0700"));
        assert_int_equal(chmod(f->dir, 0720), 0);
        assert_int_equal(nlab_store_open(&st, f->dir, &err), -1);
        assert_int_equal(chmod(f->dir, 0700), 0);
}

static void test_relative_root_is_refused(void **state)
{
        struct nlab_store st;
        struct nlab_err err;

        (void)state;
        assert_int_equal(nlab_store_open(&st, "relative/root", &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_resolve_by_name_id_and_prefix, setup, teardown),
            cmocka_unit_test_setup_teardown(test_names_are_unique, setup, teardown),
            cmocka_unit_test_setup_teardown(test_records_round_trip_and_list, setup, teardown),
            cmocka_unit_test_setup_teardown(test_nested_unlock_keeps_the_callers_lock, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_forked_copy_does_not_own_the_lock, setup,
                                            teardown),
            cmocka_unit_test(test_abandoned_means_creating_by_a_dead_process),
            cmocka_unit_test_setup_teardown(test_claim_of_a_live_owner_is_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_claim_of_a_killed_create_is_taken_over, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_claim_unaccounted_by_a_live_owner_is_taken_over,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_claim_without_owner_is_taken_over, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_root_writable_by_others_is_refused, setup,
                                            teardown),
            cmocka_unit_test(test_relative_root_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
