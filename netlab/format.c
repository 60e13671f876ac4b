#include "netlab/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/table.h"
#include "netlab/template.h"
#include "runtime/ctr/connect.h"
#include "runtime/ctr/container.h"
#include "runtime/net/network.h"

int nlab_print_rows(json_t *rows, const char *format, const struct nlab_header *headers,
                    struct nlab_err *err)
{
        struct nlab_format *f = NULL;
        char *out = NULL;
        json_t *row;
        size_t i;

        if (!strcmp(format, "json")) {
                json_array_foreach(rows, i, row)
                {
                        char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
                        printf("%s\n", s);
                        free(s);
                }
                return 0;
        }
        if (nlab_format_new(format, format, headers, &f, err) < 0)
                return -1;
        json_array_foreach(rows, i, row)
        {
                if (nlab_format_add(f, row, err) < 0) {
                        nlab_format_free(f);
                        return -1;
                }
        }
        if (nlab_format_finish(f, &out, err) < 0) {
                nlab_format_free(f);
                return -1;
        }
        fputs(out, stdout);
        free(out);
        nlab_format_free(f);
        return 0;
}

int nlab_print_docs(json_t *docs, const char *format, struct nlab_err *err)
{
        struct nlab_template *t;
        json_t *doc;
        size_t i;
        char *s;

        if (!format || !strcmp(format, "json")) {
                s = json_dumps(docs, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                printf("%s\n", s ? s : "[]");
                free(s);
                return 0;
        }
        if (nlab_template_compile(format, &t, err) < 0)
                return -1;
        json_array_foreach(docs, i, doc)
        {
                if (nlab_template_render(t, doc, &s, err) < 0) {
                        nlab_template_free(t);
                        return -1;
                }
                printf("%s\n", s);
                free(s);
        }
        nlab_template_free(t);
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
                            buf + len, size > len ? size - len : 0, "%s%s:%s->%s", len ? ", " : "",
                            json_string_value(json_object_get(b, "HostIp")),
                            json_string_value(json_object_get(b, "HostPort")), key);
                }
        }
}

int nlab_inspect_any(struct nlab_cli *cli, const char *ref, const char *type, json_t **doc,
                     struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        struct nlab_ctr_state state;
        struct nlab_net net;
        json_t *cfg;

        if (type && strcmp(type, "container") && strcmp(type, "network"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "unknown --type \"%s\": expected container or network", type);
        if ((!type || !strcmp(type, "network")) &&
            (!type ? nlab_store_resolve(&cli->st, ref, id, NULL) < 0 : true) &&
            nlab_network_load(&cli->st, ref, &net, NULL) == 0) {
                *doc = nlab_network_inspect(&cli->st, &net);
                return *doc ? 0 : nlab_err_set(err, NLAB_E_NOTFOUND, "no such object: %s", ref);
        }
        if ((type && strcmp(type, "container")) || nlab_store_resolve(&cli->st, ref, id, err) < 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no such object: %s", ref);
        if (nlab_container_load(&cli->st, id, &cfg, &state, err) < 0)
                return -1;
        *doc = nlab_container_inspect(cfg, &state);
        json_decref(cfg);
        return 0;
}
