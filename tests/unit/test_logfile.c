#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/ctr/logfile.h"

static uint64_t size_ok(const char *s)
{
        struct nlab_err err = {0};
        uint64_t v = 0;

        if (nlab_log_size_parse(s, &v, &err) < 0)
                fail_msg("%s: %s", s, err.msg);
        return v;
}

static void size_bad(const char *s, const char *needle)
{
        struct nlab_err err = {0};
        uint64_t v = 7;

        assert_int_equal(nlab_log_size_parse(s, &v, &err), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        assert_int_equal(v, 7);
        if (!strstr(err.msg, s) || !strstr(err.msg, needle))
                fail_msg("%s: message '%s' lacks the value or '%s'", s, err.msg, needle);
}

static void test_size_units(void **state)
{
        (void)state;
        assert_int_equal(size_ok("100"), 100);
        assert_int_equal(size_ok("100b"), 100);
        assert_int_equal(size_ok("10k"), 10240);
        assert_int_equal(size_ok("10K"), 10240);
        assert_int_equal(size_ok("10m"), 10485760);
        assert_int_equal(size_ok("10MB"), 10485760);
        assert_int_equal(size_ok("2MiB"), 2097152);
        assert_int_equal(size_ok("1g"), 1073741824);
        assert_int_equal(size_ok("1.5m"), 1572864);
        assert_int_equal(size_ok("0.5k"), 512);
}

static void test_size_rejects(void **state)
{
        (void)state;
        size_bad("", "unit k, m or g");
        size_bad("m", "unit k, m or g");
        size_bad("10x", "unit k, m or g");
        size_bad("10 m", "unit k, m or g");
        size_bad("-1m", "unit k, m or g");
        size_bad("1.m", "unit k, m or g");
        size_bad("10mm", "unit k, m or g");
        size_bad("99999999999999999999", "unit k, m or g");
        size_bad("999999999999g", "unit k, m or g");
        size_bad("0", "positive");
        size_bad("0k", "positive");
}

static void test_size_format(void **state)
{
        char buf[32];

        (void)state;
        nlab_log_size_format(1048576, buf, sizeof(buf));
        assert_string_equal(buf, "1m");
        nlab_log_size_format(1572864, buf, sizeof(buf));
        assert_string_equal(buf, "1536k");
        nlab_log_size_format(1073741824, buf, sizeof(buf));
        assert_string_equal(buf, "1g");
        nlab_log_size_format(100, buf, sizeof(buf));
        assert_string_equal(buf, "100");
}

static int opts(struct nlab_log_opts *o, struct nlab_err *err, const char *a, const char *b)
{
        char *v[] = {(char *)a, (char *)b};
        struct nlab_strv kv = {v, b ? 2 : a ? 1 : 0};

        return nlab_log_opts_parse(&kv, o, err);
}

static void opts_bad(const char *a, const char *b, const char *needle)
{
        struct nlab_log_opts o;
        struct nlab_err err = {0};

        assert_int_equal(opts(&o, &err, a, b), -1);
        assert_int_equal(err.kind, NLAB_E_INVALID);
        if (!strstr(err.msg, needle))
                fail_msg("%s %s: message '%s' lacks '%s'", a, b ? b : "", err.msg, needle);
}

static void test_opts_defaults_and_values(void **state)
{
        struct nlab_log_opts o;

        (void)state;
        assert_int_equal(opts(&o, NULL, NULL, NULL), 0);
        assert_int_equal(o.max_size, NLAB_LOG_DEFAULT_MAX_SIZE);
        assert_int_equal(o.max_file, NLAB_LOG_DEFAULT_MAX_FILE);
        assert_int_equal(opts(&o, NULL, "max-size=16k", NULL), 0);
        assert_int_equal(o.max_size, 16384);
        assert_int_equal(o.max_file, NLAB_LOG_DEFAULT_MAX_FILE);
        assert_int_equal(opts(&o, NULL, "max-file=5", "max-size=2m"), 0);
        assert_int_equal(o.max_size, 2097152);
        assert_int_equal(o.max_file, 5);
        assert_int_equal(opts(&o, NULL, "max-size=1k", "max-file=1"), 0);
        assert_int_equal(o.max_file, 1);
}

static void test_opts_rejects(void **state)
{
        (void)state;
        opts_bad("max-file=3", NULL, "max-file=3: max-file needs max-size");
        opts_bad("max-size=1m", "max-file=0", "max-file cannot be less than 1");
        opts_bad("max-size=1m", "max-file=-2", "max-file cannot be less than 1");
        opts_bad("max-size=1m", "max-file=abc", "\"abc\": expected a whole number from 1 to 100");
        opts_bad("max-size=1m", "max-file=101", "from 1 to 100");
        opts_bad("max-size=1m", "max-file=", "from 1 to 100");
        opts_bad("max-size=", NULL, "max-size=\"\"");
        opts_bad("max-size", NULL, "\"max-size\": expected KEY=VALUE");
        opts_bad("compress=true", NULL,
                 "unknown log opt \"compress\": accepted are max-size and max-file");
        opts_bad("max_size=1m", NULL, "(did you mean max-size?)");
        opts_bad("maxfile=2", NULL, "(did you mean max-file?)");
}

/* A scratch directory with log files written by the test. */
struct dir {
        char path[PATH_MAX], log[PATH_MAX];
};

static void dir_make(struct dir *d)
{
        snprintf(d->path, sizeof(d->path), "/tmp/nlab-logtest-XXXXXX");
        assert_non_null(mkdtemp(d->path));
        snprintf(d->log, sizeof(d->log), "%s/log", d->path);
}

static void dir_put(struct dir *d, const char *name, const char *text)
{
        char path[PATH_MAX + 16];

        snprintf(path, sizeof(path), "%s/%s", d->path, name);
        assert_int_equal(nlab_write_file(path, text, strlen(text), 0600, NULL), 0);
}

static char *read_all(const char *log, long tail)
{
        struct nlab_log_reader r;
        static char out[1 << 16];
        size_t got = 0;
        ssize_t n;

        assert_int_equal(nlab_log_reader_open(&r, log, tail, NULL), 0);
        while ((n = nlab_log_reader_read(&r, out + got, 7, NULL)) > 0) /* small reads on purpose */
                got += (size_t)n;
        assert_int_equal(n, 0);
        out[got] = '\0';
        nlab_log_reader_close(&r);
        return out;
}

static void test_reader_across_files(void **state)
{
        struct dir d;

        (void)state;
        dir_make(&d);
        assert_string_equal(read_all(d.log, -1), ""); /* never started: nothing, no error */
        dir_put(&d, "log.2", "a\nb\n");
        dir_put(&d, "log.1", "c\nd");
        dir_put(&d, "log", "e\nf\n");
        assert_string_equal(read_all(d.log, -1), "a\nb\nc\nde\nf\n");
        assert_string_equal(read_all(d.log, 0), "");
        assert_string_equal(read_all(d.log, 1), "f\n");
        assert_string_equal(read_all(d.log, 2), "de\nf\n"); /* a line split by rotation */
        assert_string_equal(read_all(d.log, 3), "c\nde\nf\n");
        assert_string_equal(read_all(d.log, 4), "b\nc\nde\nf\n");
        assert_string_equal(read_all(d.log, 100), "a\nb\nc\nde\nf\n");
        dir_put(&d, "log", "e\nunfinished");
        assert_string_equal(read_all(d.log, 1), "unfinished");
        assert_string_equal(read_all(d.log, 2), "de\nunfinished");
        nlab_rm_rf(d.path, NULL);
}

/* A writer and a reader: bounded, newest kept, contiguous, and a reader open across rotations. */
static void test_writer_rotates_and_reader_follows(void **state)
{
        struct nlab_log_opts o = {.max_size = 64, .max_file = 3};
        struct nlab_log_writer w;
        struct nlab_log_reader r;
        char line[32], buf[4096], want[1 << 15], path[PATH_MAX + 16];
        size_t got = 0, wl = 0;
        struct stat sb;
        struct dir d;
        ssize_t n;
        int i;

        (void)state;
        dir_make(&d);
        nlab_log_writer_open(&w, d.log, &o);
        assert_int_equal(nlab_log_reader_open(&r, d.log, -1, NULL), 0);
        for (i = 0; i < 500; i++) {
                int len = snprintf(line, sizeof(line), "line %d\n", i);
                nlab_log_writer_write(&w, line, (size_t)len);
                memcpy(want + wl, line, (size_t)len);
                wl += (size_t)len;
                if (i % 5 == 0) /* a follower reading now and then, across rotations */
                        while ((n = nlab_log_reader_read(&r, buf, sizeof(buf), NULL)) > 0)
                                got += (size_t)n;
        }
        while ((n = nlab_log_reader_read(&r, buf, sizeof(buf), NULL)) > 0)
                got += (size_t)n;
        assert_int_equal(got, wl);
        nlab_log_reader_close(&r);
        nlab_log_writer_close(&w);
        for (i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), i ? "%s.%d" : "%s", d.log, i);
                if (i == 3) {
                        assert_int_equal(stat(path, &sb), -1);
                        continue;
                }
                assert_int_equal(stat(path, &sb), 0);
                assert_true(sb.st_size <= 64);
        }
        want[wl] = '\0';
        assert_string_equal(read_all(d.log, 1), "line 499\n");
        {
                const char *all = read_all(d.log, -1);
                assert_true(strlen(all) > 0 && strlen(all) <= 3 * 64);
                assert_string_equal(all, want + wl - strlen(all)); /* the newest, contiguous */
                assert_memory_equal(all, "line ", 5);              /* cut at line ends */
        }
        nlab_rm_rf(d.path, NULL);
}

static void test_writer_one_file_and_long_lines(void **state)
{
        struct nlab_log_opts o = {.max_size = 10, .max_file = 1};
        struct nlab_log_writer w;
        struct dir d;

        (void)state;
        dir_make(&d);
        nlab_log_writer_open(&w, d.log, &o);
        nlab_log_writer_write(&w, "0123456789abcdefghij\n", 21);
        /* split into file-sized pieces; with one file each piece empties the last */
        assert_string_equal(read_all(d.log, -1), "\n");
        nlab_log_writer_write(&w, "abc\n", 4);
        assert_string_equal(read_all(d.log, -1), "\nabc\n");
        nlab_log_writer_write(&w, "defghi\n", 7);
        assert_string_equal(read_all(d.log, -1), "defghi\n");
        nlab_log_writer_close(&w);
        nlab_rm_rf(d.path, NULL);
}

/* A file that cannot be written: output is dropped, counted, and noted once it works again. */
static void test_writer_drops_and_notes(void **state)
{
        struct nlab_log_opts o = {.max_size = 4096, .max_file = 2};
        struct nlab_log_writer w;
        struct dir d;

        (void)state;
        dir_make(&d);
        nlab_log_writer_open(&w, d.log, &o);
        nlab_log_writer_write(&w, "kept\n", 5);
        close(w.fd);
        w.fd = open("/dev/null", O_RDONLY); /* every write now fails with EBADF */
        nlab_log_writer_write(&w, "lost\n", 5);
        nlab_log_writer_write(&w, "lost\n", 5);
        assert_int_equal(w.dropped, 10);
        close(w.fd);
        w.fd = -1; /* the writer reopens the file by itself */
        nlab_log_writer_write(&w, "back\n", 5);
        assert_int_equal(w.dropped, 0);
        assert_string_equal(read_all(d.log, -1),
                            "kept\n[netlab: 10 bytes of output dropped: Bad file descriptor]\n"
                            "back\n");
        nlab_log_writer_close(&w);
        nlab_rm_rf(d.path, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_size_units),
            cmocka_unit_test(test_size_rejects),
            cmocka_unit_test(test_size_format),
            cmocka_unit_test(test_opts_defaults_and_values),
            cmocka_unit_test(test_opts_rejects),
            cmocka_unit_test(test_reader_across_files),
            cmocka_unit_test(test_writer_rotates_and_reader_follows),
            cmocka_unit_test(test_writer_one_file_and_long_lines),
            cmocka_unit_test(test_writer_drops_and_notes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
