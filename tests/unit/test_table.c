#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "netlab/table.h"

static char *flush_text(const char *text)
{
        struct nlab_table *t = NULL;
        struct nlab_err err = {0};
        char *out = NULL;

        assert_int_equal(nlab_table_new(&t, &err), 0);
        assert_int_equal(nlab_table_write(t, text, &err), 0);
        assert_int_equal(nlab_table_flush(t, &out, &err), 0);
        nlab_table_free(t);
        return out;
}

#define CHECK_TABLE(text, want)                                                                    \
        do {                                                                                       \
                char *got_ = flush_text(text);                                                     \
                assert_string_equal(got_, want);                                                   \
                free(got_);                                                                        \
        } while (0)

/* docker ps: min width 10, three spaces of padding, last column unpadded. */
static void test_docker_ps_layout(void **state)
{
        (void)state;
        CHECK_TABLE("CONTAINER ID\tIMAGE\tCOMMAND\tNAMES\n"
                    "3f2a9c1b2d4e\tbusybox\t\"sleep 1d\"\tweb\n"
                    "77aa\tbusybox\t\"httpd -f -p 80\"\tclient\n",
                    "CONTAINER ID   IMAGE     COMMAND            NAMES\n"
                    "3f2a9c1b2d4e   busybox   \"sleep 1d\"         web\n"
                    "77aa           busybox   \"httpd -f -p 80\"   client\n");
}

static void test_edge_cells(void **state)
{
        (void)state;
        CHECK_TABLE("", "");
        CHECK_TABLE("no tabs\n", "no tabs\n");
        CHECK_TABLE("a\tb", "a         b");
        /* a trailing tab pads the cell, then the empty last cell */
        CHECK_TABLE("a\t\n", "a         \n");
        CHECK_TABLE("\tx\n", "          x\n");
        /* width counts runes, not bytes */
        CHECK_TABLE("\xc3\xa9t\xc3\xa9\tx\nabc\ty\n", "\xc3\xa9t\xc3\xa9       x\nabc       y\n");
        /* exactly minwidth - padding: no growth; one more: grows */
        CHECK_TABLE("1234567\tx\n", "1234567   x\n");
        CHECK_TABLE("12345678\tx\n", "12345678   x\n");
}

/* A line with fewer cells ends the column block: widths are computed per block, as Go's. */
static void test_column_blocks(void **state)
{
        (void)state;
        CHECK_TABLE("a\tb\nlonger-cell-here\tc\nsingle\nx\ty\n", "a                  b\n"
                                                                 "longer-cell-here   c\n"
                                                                 "single\n"
                                                                 "x         y\n");
        CHECK_TABLE("a\tbbbbbbbbbbbbbb\tc\n"
                    "aa\tx\n"
                    "aaa\tb\tc\n",
                    "a         bbbbbbbbbbbbbb   c\n"
                    "aa        x\n"
                    "aaa       b         c\n");
}

static void test_rows_and_options(void **state)
{
        static const char *const head[] = {"NETWORK ID", "NAME", "DRIVER", "SCOPE"};
        static const char *const row[] = {"9f86d081884c", "bridge", "bridge", "local"};
        struct nlab_table *t = NULL;
        struct nlab_err err = {0};
        char *out = NULL;

        (void)state;
        assert_int_equal(nlab_table_new(&t, &err), 0);
        assert_int_equal(nlab_table_add_row(t, head, 4, &err), 0);
        assert_int_equal(nlab_table_add_row(t, row, 4, &err), 0);
        assert_int_equal(nlab_table_flush(t, &out, &err), 0);
        assert_string_equal(out, "NETWORK ID     NAME      DRIVER    SCOPE\n"
                                 "9f86d081884c   bridge    bridge    local\n");
        free(out);
        /* flush empties the writer */
        assert_int_equal(nlab_table_write(t, "x\ty\n", &err), 0);
        assert_int_equal(nlab_table_flush(t, &out, &err), 0);
        assert_string_equal(out, "x         y\n");
        free(out);
        nlab_table_free(t);

        assert_int_equal(nlab_table_new_with(0, 1, &t, &err), 0);
        assert_int_equal(nlab_table_write(t, "a\tbb\n", &err), 0);
        assert_int_equal(nlab_table_write(t, "ccc\td\n", &err), 0);
        assert_int_equal(nlab_table_flush(t, &out, &err), 0);
        assert_string_equal(out, "a   bb\nccc d\n");
        free(out);
        nlab_table_free(t);
}

static const struct nlab_header ps_headers[] = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
    {"Status", "STATUS"},   {"Names", "NAMES"}, {NULL, NULL},
};

static const char *const ps_default = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.Names}}";

static char *format_rows(const char *format, const char *rows_json)
{
        struct nlab_format *f = NULL;
        struct nlab_err err = {0};
        json_error_t je;
        json_t *rows = json_loads(rows_json, 0, &je), *row;
        size_t i;
        char *out = NULL;

        assert_non_null(rows);
        if (nlab_format_new(format, ps_default, ps_headers, &f, &err) < 0)
                fail_msg("format %s: %s", format ? format : "(null)", err.msg);
        json_array_foreach(rows, i, row)
        {
                assert_int_equal(nlab_format_add(f, row, &err), 0);
        }
        assert_int_equal(nlab_format_finish(f, &out, &err), 0);
        nlab_format_free(f);
        json_decref(rows);
        return out;
}

#define CHECK_FORMAT(format, rows, want)                                                           \
        do {                                                                                       \
                char *got_ = format_rows(format, rows);                                            \
                assert_string_equal(got_, want);                                                   \
                free(got_);                                                                        \
        } while (0)

static const char *const two_rows =
    "[{\"ID\":\"3f2a9c1b2d4e\",\"Image\":\"busybox\",\"Command\":\"\\\"sleep 1d\\\"\","
    "\"Names\":\"web\",\"Labels\":{\"a\":\"1\"}},"
    "{\"ID\":\"77aa\",\"Image\":\"host\",\"Command\":\"\\\"sh\\\"\",\"Names\":\"client\","
    "\"Labels\":{}}]";

static void test_format_driver(void **state)
{
        static const char *const want_default = "CONTAINER ID   IMAGE     COMMAND      NAMES\n"
                                                "3f2a9c1b2d4e   busybox   \"sleep 1d\"   web\n"
                                                "77aa           host      \"sh\"         client\n";

        (void)state;
        CHECK_FORMAT(NULL, two_rows, want_default);
        CHECK_FORMAT("", two_rows, want_default);
        CHECK_FORMAT("table", two_rows, want_default);
        CHECK_FORMAT(NULL, "[]", "CONTAINER ID   IMAGE     COMMAND   NAMES\n");
        CHECK_FORMAT("{{.Names}}", two_rows, "web\nclient\n");
        CHECK_FORMAT("{{.Names}}\\t{{.ID}}", two_rows, "web\t3f2a9c1b2d4e\nclient\t77aa\n");
        CHECK_FORMAT("{{.Names}}", "[]", "");
        CHECK_FORMAT("table {{.Names}}\t{{json .Labels}}\t{{.Foo}}  ", two_rows,
                     "NAMES     LABELS      FOO\n"
                     "web       {\"a\":\"1\"}   <no value>\n"
                     "client    {}          <no value>\n");
        CHECK_FORMAT("table {{.ID}}: {{upper .Names}}", two_rows,
                     "CONTAINER ID: NAMES\n3f2a9c1b2d4e: WEB\n77aa: CLIENT\n");
}

static void test_format_errors(void **state)
{
        struct nlab_format *f = NULL;
        struct nlab_err err = {0};
        json_t *row = json_pack("{s:s}", "Names", "web");

        (void)state;
        assert_int_equal(nlab_format_new("table {{.ID", ps_default, ps_headers, &f, &err), -1);
        assert_null(f);
        assert_string_equal(err.msg, "template: unclosed action at offset 0");
        assert_int_equal(nlab_format_new("{{index .Names 9}}", NULL, ps_headers, &f, &err), 0);
        assert_int_equal(nlab_format_add(f, row, &err), -1);
        assert_string_equal(err.msg,
                            "template: error calling index: index out of range: 9 at offset 2");
        nlab_format_free(f);
        json_decref(row);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_docker_ps_layout), cmocka_unit_test(test_edge_cells),
            cmocka_unit_test(test_column_blocks),    cmocka_unit_test(test_rows_and_options),
            cmocka_unit_test(test_format_driver),    cmocka_unit_test(test_format_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
