/* Go's text/tabwriter with Docker's settings (no tabs in output, left aligned), and the
 * --format driver that `ps` and `network ls` share. */
#include "netlab/table.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct nlab_table {
        size_t minwidth, padding;
        char *text; /* everything written since the last flush */
        size_t len, cap;
};

struct cell {
        size_t off, size;
        size_t width; /* in runes, as tabwriter counts */
        size_t colw;  /* padded width of its column block; unused for a line's last cell */
};

struct line {
        size_t first, n; /* cells[first .. first+n) */
};

struct grid {
        struct cell *cells;
        size_t ncells, capcells;
        struct line *lines;
        size_t nlines, caplines;
};

static int oom(struct nlab_err *err)
{
        return nlab_err_set(err, NLAB_E_SYSTEM, "table: out of memory");
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
        size_t cap2 = *cap ? *cap : 16;
        void *np;

        if (need <= *cap)
                return 0;
        while (cap2 < need)
                cap2 *= 2;
        np = realloc(*p, cap2 * size);
        if (!np)
                return -1;
        *p = np;
        *cap = cap2;
        return 0;
}

int nlab_table_new_with(size_t minwidth, size_t padding, struct nlab_table **out,
                        struct nlab_err *err)
{
        assert(out);
        *out = calloc(1, sizeof(**out));
        if (!*out)
                return oom(err);
        (*out)->minwidth = minwidth;
        (*out)->padding = padding;
        return 0;
}

int nlab_table_new(struct nlab_table **out, struct nlab_err *err)
{
        return nlab_table_new_with(NLAB_TABLE_MINWIDTH, NLAB_TABLE_PADDING, out, err);
}

static int table_add(struct nlab_table *t, const char *s, size_t n, struct nlab_err *err)
{
        if (grow((void **)&t->text, &t->cap, t->len + n + 1, 1) < 0)
                return oom(err);
        memcpy(t->text + t->len, s, n);
        t->len += n;
        t->text[t->len] = '\0';
        return 0;
}

int nlab_table_write(struct nlab_table *t, const char *text, struct nlab_err *err)
{
        assert(t && text);
        return table_add(t, text, strlen(text), err);
}

int nlab_table_add_row(struct nlab_table *t, const char *const *cells, size_t ncells,
                       struct nlab_err *err)
{
        size_t i;

        assert(t && (cells || !ncells));
        for (i = 0; i < ncells; i++) {
                if (i > 0 && table_add(t, "\t", 1, err) < 0)
                        return -1;
                if (table_add(t, cells[i], strlen(cells[i]), err) < 0)
                        return -1;
        }
        return table_add(t, "\n", 1, err);
}

static size_t runes(const char *s, size_t n)
{
        size_t i, r = 0;

        for (i = 0; i < n; i++)
                r += ((unsigned char)s[i] & 0xc0) != 0x80;
        return r;
}

static int add_cell(struct grid *g, const char *text, size_t start, size_t end)
{
        struct cell *c;

        if (grow((void **)&g->cells, &g->capcells, g->ncells + 1, sizeof(*g->cells)) < 0)
                return -1;
        c = &g->cells[g->ncells++];
        c->off = start;
        c->size = end - start;
        c->width = runes(text + start, end - start);
        c->colw = 0;
        return 0;
}

static int end_line(struct grid *g, size_t *first)
{
        if (grow((void **)&g->lines, &g->caplines, g->nlines + 1, sizeof(*g->lines)) < 0)
                return -1;
        g->lines[g->nlines].first = *first;
        g->lines[g->nlines++].n = g->ncells - *first;
        *first = g->ncells;
        return 0;
}

/* Split into lines of cells. The text after the last newline is a final line that gets no
 * newline of its own (empty when the text ends in '\n'). */
static int split_grid(const char *text, size_t len, struct grid *g)
{
        size_t i, start = 0, first = 0;

        for (i = 0; i < len; i++) {
                if (text[i] != '\t' && text[i] != '\n')
                        continue;
                if (add_cell(g, text, start, i) < 0)
                        return -1;
                start = i + 1;
                if (text[i] == '\n' && end_line(g, &first) < 0)
                        return -1;
        }
        if (start < len && add_cell(g, text, start, len) < 0)
                return -1;
        return end_line(g, &first);
}

/* A line takes part in column c when cell c exists and is not its last cell. */
static bool has_column(const struct line *l, size_t c)
{
        return l->n > 0 && c < l->n - 1;
}

/* Go's format(): each column's width is set per block of consecutive lines sharing it. */
static void set_widths(const struct nlab_table *t, struct grid *g)
{
        size_t c, i, j, width;
        bool any = true;

        for (c = 0; any; c++) {
                any = false;
                for (i = 0; i < g->nlines; i = j) {
                        if (!has_column(&g->lines[i], c)) {
                                j = i + 1;
                                continue;
                        }
                        any = true;
                        width = t->minwidth;
                        for (j = i; j < g->nlines && has_column(&g->lines[j], c); j++) {
                                struct cell *cell = &g->cells[g->lines[j].first + c];

                                if (cell->width + t->padding > width)
                                        width = cell->width + t->padding;
                        }
                        for (j = i; j < g->nlines && has_column(&g->lines[j], c); j++)
                                g->cells[g->lines[j].first + c].colw = width;
                }
        }
}

static int render_grid(const struct nlab_table *t, const struct grid *g, char **out,
                       struct nlab_err *err)
{
        struct nlab_table o = {0};
        size_t i, j, k;
        int r = 0;

        for (i = 0; i < g->nlines && r == 0; i++) {
                const struct line *l = &g->lines[i];

                for (j = 0; j < l->n && r == 0; j++) {
                        const struct cell *c = &g->cells[l->first + j];

                        r = table_add(&o, t->text + c->off, c->size, err);
                        for (k = c->width; j + 1 < l->n && k < c->colw && r == 0; k++)
                                r = table_add(&o, " ", 1, err);
                }
                if (r == 0 && i + 1 < g->nlines)
                        r = table_add(&o, "\n", 1, err);
        }
        if (r == 0 && !o.text)
                r = table_add(&o, "", 0, err);
        if (r < 0) {
                free(o.text);
                return r;
        }
        *out = o.text;
        return 0;
}

int nlab_table_flush(struct nlab_table *t, char **out, struct nlab_err *err)
{
        struct grid g = {0};
        int r;

        assert(t && out);
        *out = NULL;
        r = split_grid(t->text ? t->text : "", t->len, &g);
        if (r < 0) {
                r = oom(err);
        } else {
                set_widths(t, &g);
                r = render_grid(t, &g, out, err);
        }
        free(g.cells);
        free(g.lines);
        if (r == 0 && t->text) {
                t->len = 0;
                t->text[0] = '\0';
        }
        return r;
}

void nlab_table_free(struct nlab_table *t)
{
        if (!t)
                return;
        free(t->text);
        free(t);
}

/* ---- the --format driver ---- */

struct nlab_format {
        bool table;
        struct nlab_template *tmpl;
        struct nlab_table *out; /* table: aligned on finish; otherwise plain lines */
};

/* Docker's preFormat: drop "table", trim spaces, turn literal \t and \n into tab and newline. */
static char *preformat(const char *format, bool table)
{
        size_t len, i, o = 0;
        char *s;

        if (table)
                format += strlen("table");
        while (*format == ' ')
                format++;
        len = strlen(format);
        while (len > 0 && format[len - 1] == ' ')
                len--;
        s = malloc(len + 1);
        if (!s)
                return NULL;
        for (i = 0; i < len; i++) {
                if (format[i] == '\\' && i + 1 < len &&
                    (format[i + 1] == 't' || format[i + 1] == 'n')) {
                        s[o++] = format[++i] == 't' ? '\t' : '\n';
                        continue;
                }
                s[o++] = format[i];
        }
        s[o] = '\0';
        return s;
}

/* Docker ignores a failing header pass (the header is whatever rendered); we print an empty
 * header line rather than half of one. */
static int write_header(struct nlab_format *f, const struct nlab_header *headers,
                        struct nlab_err *err)
{
        char *h = NULL;
        int r;

        if (nlab_template_render_header(f->tmpl, headers, &h, NULL) < 0)
                h = NULL;
        r = nlab_table_write(f->out, h ? h : "", err);
        free(h);
        if (r == 0)
                r = nlab_table_write(f->out, "\n", err);
        return r;
}

int nlab_format_new(const char *format, const char *default_table,
                    const struct nlab_header *headers, struct nlab_format **out,
                    struct nlab_err *err)
{
        struct nlab_format *f;
        char *text;
        int r;

        assert(out);
        *out = NULL;
        if (!format || !*format || !strcmp(format, "table"))
                format = default_table;
        assert(format);
        f = calloc(1, sizeof(*f));
        if (!f)
                return oom(err);
        f->table = nlab_template_is_table(format);
        text = preformat(format, f->table);
        r = text ? nlab_template_compile(text, &f->tmpl, err) : oom(err);
        free(text);
        if (r == 0)
                r = nlab_table_new(&f->out, err);
        if (r == 0 && f->table)
                r = write_header(f, headers, err);
        if (r < 0) {
                nlab_format_free(f);
                return r;
        }
        *out = f;
        return 0;
}

int nlab_format_add(struct nlab_format *f, json_t *row, struct nlab_err *err)
{
        char *line;
        int r;

        assert(f);
        r = nlab_template_render(f->tmpl, row, &line, err);
        if (r < 0)
                return r;
        r = nlab_table_write(f->out, line, err);
        free(line);
        return r == 0 ? nlab_table_write(f->out, "\n", err) : r;
}

int nlab_format_finish(struct nlab_format *f, char **out, struct nlab_err *err)
{
        assert(f && out);
        if (f->table)
                return nlab_table_flush(f->out, out, err);
        *out = strdup(f->out->text ? f->out->text : "");
        if (!*out)
                return oom(err);
        f->out->len = 0;
        if (f->out->text)
                f->out->text[0] = '\0';
        return 0;
}

void nlab_format_free(struct nlab_format *f)
{
        if (!f)
                return;
        nlab_template_free(f->tmpl);
        nlab_table_free(f->out);
        free(f);
}
