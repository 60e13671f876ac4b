/* The Chinese variants of title and note lines: how they parse, and that the shipped library
 * has one for every title and note. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/grammar.h"
#include "runtime/lab/files.h"
#include "runtime/lab/scenario.h"

static int parse(const char *text, struct nlab_scenario *s, struct nlab_err *err)
{
        return nlab_scenario_parse("t.lab", text, strlen(text), nlab_cli_grammar(), s, err);
}

static void test_variants_attach_to_the_line_above(void **state)
{
        struct nlab_scenario s;
        struct nlab_err err;

        (void)state;
        assert_int_equal(parse("title  Names\n"
                               "title.zh  名字   # a comment\n"
                               "note   The host's view\n"
                               "\n"
                               "# blank and comment lines between do not count\n"
                               "note.zh 宿主机的视角 \"引号\" 'and' it's\n"
                               "note   English only\n"
                               "run -d --name web busybox sleep 1d\n",
                               &s, &err),
                         0);
        assert_string_equal(s.title, "Names");
        assert_string_equal(s.title_zh, "名字");
        assert_int_equal(s.nsteps, 3); /* a variant is no step of its own */
        assert_string_equal(s.steps[0].text, "The host's view");
        assert_string_equal(s.steps[0].text_zh, "宿主机的视角 \"引号\" 'and' it's");
        assert_string_equal(s.steps[1].text, "English only");
        assert_null(s.steps[1].text_zh); /* falls back to English */
        nlab_scenario_free(&s);
}

static const struct {
        const char *text, *want;
} bads[] = {
    {"title T\nnote n\nrun -d --name web busybox sleep 1d\nnote.zh 说明\n",
     "t.lab:4:1: error: note.zh: goes on the line right after the note it translates"},
    {"title T\nnote n\nnote.zh 一\nnote.zh 二\n",
     "t.lab:4:1: error: note.zh: goes on the line right after the note it translates"},
    {"title T\nnote n\ntitle.zh 标题\n",
     "t.lab:3:1: error: title.zh: goes on the line right after the title it translates"},
    {"note.zh 说明\n",
     "t.lab:1:1: error: note.zh: goes on the line right after the note it translates"},
    {"title T\nnote n\nnote.fr texte\n",
     "t.lab:3:1: error: note.fr: unknown language (a variant is title.zh or note.zh)"},
    {"title T\ntitle. x\n", "t.lab:2:1: error: title.: unknown language"},
    {"title T\ntitle.zh   \n", "t.lab:2:"},
    {"title T\nnote n\nnote.zh # only a comment\n", "t.lab:3:"},
};

static void test_malformed_variants_name_the_line(void **state)
{
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                struct nlab_scenario s;
                struct nlab_err err;
                if (parse(bads[i].text, &s, &err) == 0)
                        fail_msg("parsed, but should fail: %s", bads[i].text);
                if (strncmp(err.msg, bads[i].want, strlen(bads[i].want)))
                        fail_msg("for [%s]\n  want: %s\n   got: %s", bads[i].text, bads[i].want,
                                 err.msg);
                assert_int_equal(err.kind, NLAB_E_INVALID);
                assert_null(s.steps);
        }
}

/* Every title and note of a library has its Chinese variant: a teacher who asks for Chinese
 * never gets half a lab in English. Returns how many are missing. */
static unsigned check_bilingual(const char *dir, size_t min_files)
{
        struct nlab_strv files = {0};
        struct nlab_err err;
        unsigned missing = 0, notes = 0;
        size_t i, k;

        assert_non_null(dir);
        assert_int_equal(nlab_scenario_dir(dir, &files, &err), 0);
        assert_true(files.n >= min_files);
        for (i = 0; i < files.n; i++) {
                struct nlab_scenario s;
                if (nlab_scenario_load(files.v[i], nlab_cli_grammar(), &s, &err) < 0)
                        fail_msg("%s", err.msg);
                if (!s.title || !s.title_zh) {
                        print_error("%s: no title or no title.zh\n", files.v[i]);
                        missing++;
                }
                for (k = 0; k < s.nsteps; k++) {
                        if (s.steps[k].kind != NLAB_STEP_NOTE)
                                continue;
                        notes++;
                        if (!s.steps[k].text_zh) {
                                print_error("%s:%u: note without note.zh\n", files.v[i],
                                            s.steps[k].line);
                                missing++;
                        }
                }
                nlab_scenario_free(&s);
        }
        nlab_strv_free(&files);
        assert_true(notes > 0);
        return missing;
}

static void test_library_is_bilingual(void **state)
{
        (void)state;
        assert_int_equal(check_bilingual(getenv("NETLAB_SCENARIO_LIB"), 13), 0); /* 01..12, tour */
}

/* The teacher's library from the course notes (scenarios/course/): 10 to 15 files. */
static void test_course_library_is_bilingual(void **state)
{
        (void)state;
        assert_int_equal(check_bilingual(getenv("NETLAB_COURSE_LIB"), 10), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_variants_attach_to_the_line_above),
            cmocka_unit_test(test_malformed_variants_name_the_line),
            cmocka_unit_test(test_library_is_bilingual),
            cmocka_unit_test(test_course_library_is_bilingual),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
