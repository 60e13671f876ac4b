#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netlab/filter.h"

static const char *const keys[] = {"name", "label", NULL};

static bool by_name(const struct nlab_filter *f, const void *item)
{
        const json_t *o = item;

        if (!strcmp(f->key, "name"))
                return !strcmp(json_string_value(json_object_get(o, "Name")), f->value);
        return nlab_filter_label(json_object_get(o, "Labels"), f->value);
}

static void test_same_key_ors_different_keys_and(void **state)
{
        struct nlab_strv in = {0};
        struct nlab_filters f;
        json_t *web = json_pack("{s:s,s:{s:s}}", "Name", "web", "Labels", "tier", "front");
        json_t *db = json_pack("{s:s,s:{s:s}}", "Name", "db", "Labels", "tier", "back");

        (void)state;
        nlab_strv_push(&in, "name=web");
        nlab_strv_push(&in, "name=db");
        assert_int_equal(nlab_filters_parse(&in, keys, &f, NULL), 0);
        assert_true(nlab_filters_match(&f, by_name, web));
        assert_true(nlab_filters_match(&f, by_name, db));
        nlab_filters_free(&f);
        nlab_strv_push(&in, "label=tier=front");
        assert_int_equal(nlab_filters_parse(&in, keys, &f, NULL), 0);
        assert_true(nlab_filters_match(&f, by_name, web));
        assert_false(nlab_filters_match(&f, by_name, db));
        nlab_filters_free(&f);
        nlab_strv_free(&in);
        json_decref(web);
        json_decref(db);
}

static void test_labels_and_errors(void **state)
{
        struct nlab_strv in = {0};
        struct nlab_filters f;
        struct nlab_err err;
        json_t *labels = json_pack("{s:s}", "team", "red");

        (void)state;
        assert_true(nlab_filter_label(labels, "team"));
        assert_true(nlab_filter_label(labels, "team=red"));
        assert_false(nlab_filter_label(labels, "team=blue"));
        assert_false(nlab_filter_label(labels, "owner"));
        nlab_strv_push(&in, "color=red");
        assert_int_equal(nlab_filters_parse(&in, keys, &f, &err), -1);
        assert_string_equal(err.msg, "invalid filter 'color'");
        nlab_filters_free(&f);
        nlab_strv_free(&in);
        nlab_strv_push(&in, "name");
        assert_int_equal(nlab_filters_parse(&in, keys, &f, &err), -1);
        assert_non_null(strstr(err.msg, "expected name=value"));
        nlab_filters_free(&f);
        nlab_strv_free(&in);
        json_decref(labels);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_same_key_ors_different_keys_and),
            cmocka_unit_test(test_labels_and_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
