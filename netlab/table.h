/* Column output like Go's text/tabwriter as Docker configures it, and Docker's --format driver. */
#ifndef NLAB_TABLE_H
#define NLAB_TABLE_H

#include <stddef.h>

#include <jansson.h>

#include "netlab/template.h"
#include "runtime/base/err.h"

/* Docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define NLAB_TABLE_MINWIDTH 10
#define NLAB_TABLE_PADDING  3

struct nlab_table;

/* A writer with Docker's settings, or with an explicit minimum cell width and padding. */
int nlab_table_new(struct nlab_table **out, struct nlab_err *err);
int nlab_table_new_with(size_t minwidth, size_t padding, struct nlab_table **out,
                        struct nlab_err *err);

/* Append text: '\t' ends a cell, '\n' ends a line. The text after the last '\t' of a line is
 * not part of any column. Rows may arrive in pieces, as with an io.Writer. */
int nlab_table_write(struct nlab_table *t, const char *text, struct nlab_err *err);

/* Append one line made of cells (joined with '\t', then '\n'). */
int nlab_table_add_row(struct nlab_table *t, const char *const *cells, size_t ncells,
                       struct nlab_err *err);

/* Align everything written so far into *out (malloc'd) and empty the writer. Every cell but a
 * line's last is padded to max(minwidth, widest cell of its column block + padding); a column
 * block is a run of consecutive lines that have that cell. */
int nlab_table_flush(struct nlab_table *t, char **out, struct nlab_err *err);

void nlab_table_free(struct nlab_table *t);

/* The whole --format flow of `ps` / `network ls`: format NULL or "" or "table" means
 * default_table (itself e.g. "table {{.ID}}\t{{.Names}}"); literal "\t" and "\n" become tab and
 * newline, as in Docker. Table formats print a header row (from headers) and align columns;
 * other formats print one rendered line per row. */
struct nlab_format;

int nlab_format_new(const char *format, const char *default_table,
                    const struct nlab_header *headers, struct nlab_format **out,
                    struct nlab_err *err);
int nlab_format_add(struct nlab_format *f, json_t *row, struct nlab_err *err);
/* The complete output (malloc'd), ending in a newline; the header alone if no rows. */
int nlab_format_finish(struct nlab_format *f, char **out, struct nlab_err *err);
void nlab_format_free(struct nlab_format *f);

#endif
