#include "runtime/ctr/logfile.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/suggest.h"

static const char *const log_keys[] = {"max-size", "max-file"};

static uint64_t unit_of(char c)
{
        switch (tolower((unsigned char)c)) {
        case 'k':
                return 1ULL << 10;
        case 'm':
                return 1ULL << 20;
        case 'g':
                return 1ULL << 30;
        }
        return 0;
}

/* Digits with an optional fraction; returns the end, or NULL if there are no digits. */
static const char *parse_number(const char *s, uint64_t *whole, uint64_t *frac, uint64_t *scale)
{
        const char *p = s;

        *whole = 0;
        *frac = 0;
        *scale = 1;
        for (; isdigit((unsigned char)*p); p++) {
                if (*whole > (UINT64_MAX - 9) / 10)
                        return NULL;
                *whole = *whole * 10 + (uint64_t)(*p - '0');
        }
        if (p == s)
                return NULL;
        if (*p != '.')
                return p;
        if (!isdigit((unsigned char)*++p))
                return NULL;
        for (; isdigit((unsigned char)*p); p++) {
                if (*scale < 1000000000ULL) { /* more precision than bytes need is dropped */
                        *frac = *frac * 10 + (uint64_t)(*p - '0');
                        *scale *= 10;
                }
        }
        return p;
}

static int bad_size(const char *s, struct nlab_err *err)
{
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid --log-opt max-size=\"%s\": expected a positive size with an "
                            "optional unit k, m or g (e.g. 10m)",
                            s);
}

int nlab_log_size_parse(const char *s, uint64_t *out, struct nlab_err *err)
{
        uint64_t whole, frac, scale, unit = 1, bytes;
        const char *p;

        assert(s && out);
        p = parse_number(s, &whole, &frac, &scale);
        if (!p)
                return bad_size(s, err);
        if (*p && unit_of(*p))
                unit = unit_of(*p++);
        if (*p == 'i' || *p == 'I')
                p++;
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p || whole > (UINT64_MAX >> 2) / unit)
                return bad_size(s, err);
        bytes = whole * unit + frac * unit / scale;
        if (bytes > 0) {
                *out = bytes;
                return 0;
        }
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid --log-opt max-size=\"%s\": max-size must be a "
                            "positive number",
                            s);
}

void nlab_log_size_format(uint64_t size, char *buf, size_t len)
{
        static const char units[] = "gmk";
        int i;

        for (i = 0; i < 3; i++) {
                uint64_t u = 1ULL << (10 * (3 - i));
                if (size >= u && size % u == 0) {
                        snprintf(buf, len, "%llu%c", (unsigned long long)(size / u), units[i]);
                        return;
                }
        }
        snprintf(buf, len, "%llu", (unsigned long long)size);
}

static int parse_max_file(const char *s, unsigned *out, struct nlab_err *err)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(s, &end, 10);
        if (!*s || *end || errno || n > NLAB_LOG_MAX_FILES)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --log-opt max-file=\"%s\": expected a whole number "
                                    "from 1 to %d",
                                    s, NLAB_LOG_MAX_FILES);
        if (n < 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --log-opt max-file=\"%s\": max-file cannot be less "
                                    "than 1",
                                    s);
        *out = (unsigned)n;
        return 0;
}

static int unknown_key(const char *key, struct nlab_err *err)
{
        const char *near = nlab_suggest(key, log_keys, sizeof(log_keys) / sizeof(log_keys[0]), 2);

        return nlab_err_set(err, NLAB_E_INVALID,
                            "unknown log opt \"%s\": accepted are max-size and max-file%s%s%s", key,
                            near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
}

/* One KEY=VALUE; sets *size_given when it was max-size. */
static int parse_one(const char *kv, struct nlab_log_opts *o, bool *size_given,
                     const char **file_spec, struct nlab_err *err)
{
        const char *eq = strchr(kv, '=');
        char key[64];

        if (!eq)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --log-opt \"%s\": expected KEY=VALUE with KEY "
                                    "max-size or max-file",
                                    kv);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
        if (!strcmp(key, "max-size")) {
                *size_given = true;
                return nlab_log_size_parse(eq + 1, &o->max_size, err);
        }
        if (!strcmp(key, "max-file")) {
                *file_spec = kv;
                return parse_max_file(eq + 1, &o->max_file, err);
        }
        return unknown_key(key, err);
}

int nlab_log_opts_parse(const struct nlab_strv *kv, struct nlab_log_opts *o, struct nlab_err *err)
{
        const char *file_spec = NULL;
        bool size_given = false;
        size_t i;

        assert(o);
        o->max_size = NLAB_LOG_DEFAULT_MAX_SIZE;
        o->max_file = NLAB_LOG_DEFAULT_MAX_FILE;
        for (i = 0; kv && i < kv->n; i++)
                if (parse_one(kv->v[i], o, &size_given, &file_spec, err) < 0)
                        return -1;
        /* Docker: max-file only means something together with max-size. */
        if (file_spec && !size_given)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --log-opt %s: max-file needs max-size too (e.g. "
                                    "--log-opt max-size=1m)",
                                    file_spec);
        return 0;
}

static void rotated_name(const char *path, unsigned i, char *buf, size_t len)
{
        if (i == 0)
                snprintf(buf, len, "%s", path);
        else
                snprintf(buf, len, "%s.%u", path, i);
}

static int open_current(struct nlab_log_writer *w)
{
        struct stat sb;

        if (!w->path)
                return -1;
        w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (w->fd < 0)
                return -1;
        w->size = fstat(w->fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        return 0;
}

void nlab_log_writer_open(struct nlab_log_writer *w, const char *path,
                          const struct nlab_log_opts *o)
{
        assert(w && path && o);
        memset(w, 0, sizeof(*w));
        w->fd = -1;
        w->opts = *o;
        w->at_line_start = true;
        w->path = strdup(path);
        if (w->path)
                open_current(w);
}

/* log.(n-2) -> log.(n-1) ... log -> log.1, then a fresh log; each rename replaces the oldest.
 * With one file, or if renaming fails, truncate: the bound matters more than old lines. */
static void rotate(struct nlab_log_writer *w)
{
        char from[PATH_MAX + 16], to[PATH_MAX + 16];
        unsigned i;

        for (i = w->opts.max_file - 1; i >= 1; i--) {
                rotated_name(w->path, i - 1, from, sizeof(from));
                rotated_name(w->path, i, to, sizeof(to));
                if (rename(from, to) < 0 && errno != ENOENT)
                        break;
        }
        if (w->opts.max_file > 1 && i == 0) {
                close(w->fd);
                w->fd = -1;
                open_current(w);
                return;
        }
        if (ftruncate(w->fd, 0) == 0) {
                w->size = 0;
                return;
        }
        close(w->fd);
        w->fd = -1;
}

/* How much of buf goes into the current file: whole lines while they fit; a line longer than
 * a file is split. 0 means rotate first. */
static size_t fitting(const char *buf, size_t len, uint64_t size, uint64_t max)
{
        uint64_t room = size >= max ? 0 : max - size;
        size_t i;

        if (len <= room)
                return len;
        for (i = (size_t)room; i > 0; i--)
                if (buf[i - 1] == '\n')
                        return i;
        return size == 0 ? (size_t)room : 0;
}

static bool free_oldest(struct nlab_log_writer *w)
{
        char name[PATH_MAX + 16];
        unsigned i;

        for (i = w->opts.max_file - 1; i >= 1; i--) {
                rotated_name(w->path, i, name, sizeof(name));
                if (unlink(name) == 0)
                        return true;
        }
        return false;
}

/* A full file system: the newest output wins. Free the oldest rotated file; with none left,
 * rotate a non-empty current file so that the next failure can free it. */
static bool make_room(struct nlab_log_writer *w)
{
        if (free_oldest(w))
                return true;
        if (w->size == 0)
                return false;
        rotate(w);
        return true;
}

static void drop(struct nlab_log_writer *w, size_t len, int errnum)
{
        w->dropped += len;
        w->drop_errno = errnum;
}

/* Write what fits, rotating as needed; a failed write is retried only after making room. */
static bool put(struct nlab_log_writer *w, const char *buf, size_t len)
{
        bool all = true;

        while (len > 0) {
                size_t take;
                ssize_t n;
                if (w->fd < 0 && open_current(w) < 0) {
                        drop(w, len, errno);
                        return false;
                }
                take = fitting(buf, len, w->size, w->opts.max_size);
                if (take == 0) {
                        rotate(w);
                        continue;
                }
                n = write(w->fd, buf, take);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == ENOSPC || errno == EDQUOT) && make_room(w))
                        continue;
                if (n <= 0) {
                        drop(w, take, n < 0 ? errno : ENOSPC);
                        all = false;
                        n = (ssize_t)take;
                } else {
                        w->size += (uint64_t)n;
                        w->at_line_start = buf[n - 1] == '\n';
                }
                buf += n;
                len -= (size_t)n;
        }
        return all;
}

/* Tell the reader that output is missing, once writing works again. */
static void note_dropped(struct nlab_log_writer *w)
{
        char note[160];
        uint64_t lost = w->dropped;
        int e = w->drop_errno;
        int n;

        n = snprintf(note, sizeof(note), "%s[netlab: %llu bytes of output dropped: %s]\n",
                     w->at_line_start ? "" : "\n", (unsigned long long)lost, strerror(e));
        w->dropped = 0;
        if (!put(w, note, (size_t)n)) { /* the note itself is not output: count only ours */
                w->dropped = lost;
                w->drop_errno = e;
        }
}

void nlab_log_writer_write(struct nlab_log_writer *w, const char *buf, size_t len)
{
        assert(w && buf);
        if (w->dropped && (w->fd >= 0 || open_current(w) == 0))
                note_dropped(w);
        put(w, buf, len);
}

void nlab_log_writer_close(struct nlab_log_writer *w)
{
        if (w->dropped && w->fd >= 0)
                note_dropped(w);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        free(w->path);
        w->path = NULL;
}

/* The files as they are now, oldest first. Retries if a rotation moved `log` meanwhile. */
struct log_set {
        int fd[NLAB_LOG_MAX_FILES];
        off_t size[NLAB_LOG_MAX_FILES];
        size_t n;
};

static void set_close(struct log_set *s)
{
        size_t i;

        for (i = 0; i < s->n; i++)
                close(s->fd[i]);
        s->n = 0;
}

static bool same_file(int fd, const char *path)
{
        struct stat a, b;

        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev;
}

static int set_open_once(const char *path, struct log_set *s)
{
        int newest[NLAB_LOG_MAX_FILES];
        char name[PATH_MAX + 16];
        size_t n = 0, i;

        for (n = 0; n < NLAB_LOG_MAX_FILES; n++) {
                rotated_name(path, (unsigned)n, name, sizeof(name));
                newest[n] = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (newest[n] < 0)
                        break;
        }
        s->n = n;
        for (i = 0; i < n; i++) {
                struct stat sb;
                s->fd[i] = newest[n - 1 - i];
                s->size[i] = fstat(s->fd[i], &sb) == 0 ? sb.st_size : 0;
        }
        return n == 0 || same_file(s->fd[n - 1], path) ? 0 : -1;
}

static void set_open(const char *path, struct log_set *s)
{
        int tries;

        for (tries = 0; tries < 10; tries++) {
                if (set_open_once(path, s) == 0)
                        return;
                set_close(s);
        }
        set_open_once(path, s); /* a chatty writer: take what is there */
}

/* Where the last `lines` lines begin. The final newline ends the last line rather than
 * starting another; an unfinished last line counts as a line, as in Docker. */
static int tail_start(const struct log_set *s, unsigned long lines, size_t *fi, off_t *off)
{
        bool first = true;
        char buf[4096];
        size_t i = s->n;

        *fi = s->n ? s->n - 1 : 0;
        *off = s->n ? s->size[s->n - 1] : 0;
        if (lines == 0)
                return 0;
        while (i-- > 0) {
                off_t end = s->size[i];
                while (end > 0) {
                        size_t len = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end, j;
                        off_t start = end - (off_t)len;
                        if (pread(s->fd[i], buf, len, start) != (ssize_t)len)
                                return -1;
                        for (j = len; j-- > 0; first = false) {
                                if (buf[j] != '\n' || first || --lines > 0)
                                        continue;
                                *fi = i;
                                *off = start + (off_t)j + 1;
                                return 0;
                        }
                        end = start;
                }
        }
        *fi = 0;
        *off = 0;
        return 0;
}

int nlab_log_reader_open(struct nlab_log_reader *r, const char *path, long tail,
                         struct nlab_err *err)
{
        struct log_set s;
        size_t fi = 0, i;
        off_t off = 0;

        assert(r && path);
        r->fd = -1;
        if (nlab_path(r->path, sizeof(r->path), err, "%s", path) < 0)
                return -1;
        set_open(path, &s);
        if (tail >= 0 && tail_start(&s, (unsigned long)tail, &fi, &off) < 0) {
                int e = errno;
                set_close(&s);
                return nlab_err_sys(err, e, "read log %s", path);
        }
        for (i = 0; i < s.n; i++)
                if (i != fi)
                        close(s.fd[i]);
        if (s.n && lseek(s.fd[fi], off, SEEK_SET) >= 0) {
                r->fd = s.fd[fi];
                return 0;
        }
        if (s.n)
                close(s.fd[fi]);
        return 0;
}

/* Our file was rotated away: it is complete. Move to the next newer one that still exists
 * (found by inode), or to the oldest left if ours was already deleted. */
static int next_newer(struct nlab_log_reader *r)
{
        char name[PATH_MAX + 16];
        unsigned i, last = 0;
        int fd;

        for (i = 1; i < NLAB_LOG_MAX_FILES; i++) {
                rotated_name(r->path, i, name, sizeof(name));
                if (access(name, F_OK) < 0)
                        break;
                last = i;
                if (same_file(r->fd, name))
                        break;
        }
        rotated_name(r->path, i < NLAB_LOG_MAX_FILES && last == i ? i - 1 : last, name,
                     sizeof(name));
        fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -1;
        close(r->fd);
        r->fd = fd;
        return 0;
}

/* With max-file=1 the writer truncates in place: start again from the top. */
static void rewind_if_truncated(int fd)
{
        struct stat sb;
        off_t pos = lseek(fd, 0, SEEK_CUR);

        if (fstat(fd, &sb) == 0 && pos > sb.st_size)
                lseek(fd, 0, SEEK_SET);
}

ssize_t nlab_log_reader_read(struct nlab_log_reader *r, char *buf, size_t len, struct nlab_err *err)
{
        int hops;

        if (r->fd < 0)
                r->fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        for (hops = 0; r->fd >= 0 && hops < NLAB_LOG_MAX_FILES + 1; hops++) {
                ssize_t n = read(r->fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != 0)
                        return n < 0 ? nlab_err_sys(err, errno, "read log %s", r->path) : n;
                /* A missing `log` is a rotation in progress: look again next time. */
                if (access(r->path, F_OK) < 0)
                        return 0;
                if (same_file(r->fd, r->path)) {
                        rewind_if_truncated(r->fd);
                        return 0;
                }
                if (next_newer(r) < 0)
                        return 0;
        }
        return 0;
}

void nlab_log_reader_close(struct nlab_log_reader *r)
{
        if (r->fd >= 0)
                close(r->fd);
        r->fd = -1;
}
