#include "netlab/format.h"

#include <errno.h>
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

void nlab_format_ports(const struct nlab_port_map *ports, char *buf, size_t size)
{
        size_t len = 0, i, j;

        buf[0] = '\0';
        for (i = 0; i < ports->n; i++) {
                const struct nlab_port_entry *e = &ports->v[i];
                if (!e->n) {
                        len += (size_t)snprintf(buf + len, size > len ? size - len : 0, "%s%s",
                                                len ? ", " : "", e->key);
                        continue;
                }
                for (j = 0; j < e->n; j++)
                        len += (size_t)snprintf(buf + len, size > len ? size - len : 0,
                                                "%s%s:%s->%s", len ? ", " : "", e->v[j].host_ip,
                                                e->v[j].host_port, e->key);
        }
}

int nlab_inspect_any(struct nlab_cli *cli, const char *ref, const char *type, json_t **doc,
                     struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1];
        struct nlab_ctr_state state;
        struct nlab_net net;
        struct nlab_ctr_config cfg;

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
        *doc = nlab_container_inspect(&cfg, &state);
        nlab_ctr_config_free(&cfg);
        return *doc ? 0 : nlab_err_sys(err, ENOMEM, "inspect %s", ref);
}
