#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/fsutil.h"
#include "runtime/store.h"

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

static void add_container(struct fixture *f, const char *id, const char *name)
{
        char path[PATH_MAX];
        json_t *doc = json_pack("{s:s}", "Name", name);

        nlab_store_path(&f->st, path, sizeof(path), "containers", id, NULL, NULL);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(nlab_store_save(&f->st, id, "config.json", doc, NULL), 0);
        assert_int_equal(nlab_store_claim_name(&f->st, name, id, NULL), 0);
        json_decref(doc);
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
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, &err), -1);
        assert_int_equal(err.kind, NLAB_E_CONFLICT);
        assert_non_null(strstr(err.msg, ID_A));
        nlab_store_release_name(&f->st, "web");
        assert_int_equal(nlab_store_claim_name(&f->st, "web", ID_B, &err), 0);
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
        assert_int_equal(nlab_store_load(&f->st, ID_A, "state.json", &doc, NULL), -1);
}

static void test_lock_is_reentrant_per_handle(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        assert_int_equal(nlab_store_lock(&f->st, NULL), 0);
        nlab_store_unlock(&f->st);
        assert_int_equal(f->st.lock_fd, -1);
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
            cmocka_unit_test_setup_teardown(test_lock_is_reentrant_per_handle, setup, teardown),
            cmocka_unit_test(test_relative_root_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
