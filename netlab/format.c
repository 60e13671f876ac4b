#include "netlab/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/container.h"
#include "runtime/network.h"

/* Minimal {{.Field}} substitution until the full template engine is wired in. */
static char *render_simple(const char *tmpl, const json_t *row)
{
        size_t cap = strlen(tmpl) + 1024, len = 0;
        char *out = malloc(cap);
        const char *p = tmpl;

        while (out && *p) {
                const char *end;
                const char *val = NULL;
                char field[128];
                if (!strncmp(p, "{{.", 3) && (end = strstr(p, "}}"))) {
                        snprintf(field, sizeof(field), "%.*s", (int)(end - p - 3), p + 3);
                        val = json_string_value(json_object_get(row, field));
                        p = end + 2;
                } else if (!strncmp(p, "\\t", 2)) {
                        val = "\t";
                        p += 2;
                } else {
                        field[0] = *p++;
                        field[1] = '\0';
                        val = field;
                }
                if (!val)
                        val = "<no value>";
                if (len + strlen(val) + 1 > cap) {
                        char *n = realloc(out, cap = (len + strlen(val) + 1) * 2);
                        if (!n) {
                                free(out);
                                return NULL;
                        }
                        out = n;
                }
                memcpy(out + len, val, strlen(val) + 1);
                len += strlen(val);
        }
        return out;
}

static void print_aligned(char **lines, size_t n)
{
        size_t widths[32] = {0}, i, c;

        for (i = 0; i < n; i++) {
                char *s = lines[i], *tab;
                for (c = 0; c < 32 && s; c++) {
                        size_t w;
                        tab = strchr(s, '\t');
                        w = tab ? (size_t)(tab - s) : strlen(s);
                        if (w > widths[c])
                                widths[c] = w;
                        s = tab ? tab + 1 : NULL;
                }
        }
        for (i = 0; i < n; i++) {
                char *s = lines[i], *tab;
                for (c = 0; s; c++) {
                        tab = strchr(s, '\t');
                        if (!tab) {
                                printf("%s\n", s);
                                break;
                        }
                        printf("%-*.*s", (int)(widths[c] + 3), (int)(tab - s), s);
                        s = tab + 1;
                }
        }
}

int nlab_print_rows(json_t *rows, const char *format, const struct nlab_column *cols,
                    size_t ncols, struct nlab_err *err)
{
        bool table = !strncmp(format, "table", 5);
        const char *tmpl = table ? format + 5 : format;
        char **lines;
        size_t n = json_array_size(rows), i, k = 0;

        (void)err;
        if (!strcmp(format, "json")) {
                for (i = 0; i < n; i++) {
                        char *s = json_dumps(json_array_get(rows, i), JSON_COMPACT);
                        printf("%s\n", s);
                        free(s);
                }
                return 0;
        }
        while (*tmpl == ' ')
                tmpl++;
        lines = calloc(n + 2, sizeof(char *));
        if (table) {
                json_t *hdr = json_object();
                for (i = 0; i < ncols; i++)
                        json_object_set_new(hdr, cols[i].field, json_string(cols[i].header));
                lines[k++] = render_simple(tmpl, hdr);
                json_decref(hdr);
        }
        for (i = 0; i < n; i++)
                lines[k++] = render_simple(tmpl, json_array_get(rows, i));
        if (table)
                print_aligned(lines, k);
        else
                for (i = 0; i < k; i++)
                        printf("%s\n", lines[i]);
        for (i = 0; i < k; i++)
                free(lines[i]);
        free(lines);
        return 0;
}

int nlab_print_docs(json_t *docs, const char *format, struct nlab_err *err)
{
        char *s;

        if (format && strcmp(format, "json"))
                return nlab_print_rows(docs, format, NULL, 0, err);
        s = json_dumps(docs, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "[]");
        free(s);
        return 0;
}

void nlab_format_ports(const json_t *ports, char *buf, size_t size)
{
        const char *key;
        json_t *binds;
        size_t len = 0;

        buf[0] = '\0';
        json_object_foreach((json_t *)ports, key, binds)
        {
                size_t i;
                if (!json_array_size(binds)) {
                        len += (size_t)snprintf(buf + len, size > len ? size - len : 0, "%s%s",
                                                len ? ", " : "", key);
                        continue;
                }
                for (i = 0; i < json_array_size(binds); i++) {
                        json_t *b = json_array_get(binds, i);
                        len += (size_t)snprintf(
                                buf + len, size > len ? size - len : 0, "%s%s:%s->%s",
                                len ? ", " : "", json_string_value(json_object_get(b, "HostIp")),
                                json_string_value(json_object_get(b, "HostPort")), key);
                }
        }
}

int nlab_inspect_any(struct nlab_cli *cli, const char *ref, const char *type, json_t **doc,
                     struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        json_t *cfg, *state, *net;

        if (type && strcmp(type, "container") && strcmp(type, "network"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "unknown --type \"%s\": expected container or network", type);
        if ((!type || !strcmp(type, "network")) &&
            (!type ? nlab_store_resolve(&cli->st, ref, id, NULL) < 0 : true) &&
            nlab_network_load(&cli->st, ref, &net, NULL) == 0) {
                *doc = nlab_network_inspect(&cli->st, net);
                json_decref(net);
                return 0;
        }
        if ((type && strcmp(type, "container")) || nlab_store_resolve(&cli->st, ref, id, err) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no such object: %s", ref);
        if (nlab_container_load(&cli->st, id, &cfg, &state, err) < 0)
                return -1;
        *doc = nlab_container_inspect(cfg, state);
        json_decref(cfg);
        json_decref(state);
        return 0;
}
