/* Docker's --format: the Go text/template subset people type, evaluated over jansson values. */
#ifndef NLAB_TEMPLATE_H
#define NLAB_TEMPLATE_H

#include <stdbool.h>

#include <jansson.h>

#include "runtime/base/err.h"

struct nlab_template;

/* Column headers for table output: field path (no leading dot, e.g. "ID" or "State.Status")
 * to header text. Arrays end with { NULL, NULL }. */
struct nlab_header {
        const char *field;
        const char *header;
};

/* Parse text once. Errors are NLAB_E_INVALID: "template: unexpected \"}}\" at offset 7". */
int nlab_template_compile(const char *text, struct nlab_template **out, struct nlab_err *err);

/* Execute t with dot = data (may be NULL: `{{.}}` prints <no value>). *out is a malloc'd,
 * NUL-terminated string the caller frees; on error *out is NULL and err names the action. */
int nlab_template_render(const struct nlab_template *t, json_t *data, char **out,
                         struct nlab_err *err);

/* Docker's table header pass: every field `.X.Y` evaluates to its header (looked up as "X.Y"
 * in headers, else the upper-cased last component) and json/join/split/upper/lower/title/pad/
 * truncate return their first argument unchanged, as Docker's HeaderFunctions do. */
int nlab_template_render_header(const struct nlab_template *t, const struct nlab_header *headers,
                                char **out, struct nlab_err *err);

void nlab_template_free(struct nlab_template *t);

/* Docker's Format.IsTable: the format starts with "table". */
bool nlab_template_is_table(const char *format);

#endif
