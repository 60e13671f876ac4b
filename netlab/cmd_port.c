/* netlab port CTR [PRIVATE[/proto]]: the published mappings, in Docker's format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/ctr/container.h"
#include "runtime/base/portspec.h"
#include "runtime/net/ports.h"

static bool wanted(const struct nlab_port_mapping *m, const char *filter)
{
        char key[32];

        if (!filter)
                return true;
        snprintf(key, sizeof(key), "%u/%s", m->ctr_port, nlab_proto_name(m->proto));
        if (!strcmp(filter, key))
                return true;
        snprintf(key, sizeof(key), "%u", m->ctr_port);
        return !strcmp(filter, key) && m->proto == 6;
}

static int print_ports(const json_t *cfg, const char *filter, struct nlab_err *err)
{
        struct nlab_port_mapping *m = NULL;
        size_t n = 0, i, shown = 0;
        char line[128];

        if (nlab_ports_mappings(cfg, &m, &n) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        for (i = 0; i < n; i++) {
                if (!wanted(&m[i], filter))
                        continue;
                if (filter) {
                        printf("%s:%u\n", m[i].host_ip[0] ? m[i].host_ip : "0.0.0.0",
                               m[i].host_port);
                } else {
                        nlab_port_format(&m[i], line, sizeof(line));
                        printf("%s\n", line);
                }
                shown++;
        }
        free(m);
        if (filter && !shown)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no public port '%s' published for %s",
                                    filter, json_string_value(json_object_get(cfg, "Name")));
        return 0;
}

static const struct nlab_flag port_flags[] = {
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_port = NLAB_FLAGS(port_flags);

int nlab_cmd_port(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        char id[NLAB_ID_LEN + 1];
        struct nlab_ctr_state state;
        json_t *cfg = NULL;
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("port", port_flags, 1, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1 || p.npos > 2) {
                code = nlab_cli_usage_error("port",
                                            "\"netlab port\" requires 1 or 2 arguments: "
                                            "CONTAINER [PRIVATE_PORT[/PROTO]]",
                                            false);
                goto out;
        }
        if (nlab_store_resolve(&cli->st, p.pos[0], id, &err) < 0 ||
            nlab_container_load(&cli->st, id, &cfg, &state, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        /* Docker prints nothing for a container that is not running. */
        if (nlab_container_running(&state) &&
            print_ports(cfg, p.npos > 1 ? p.pos[1] : NULL, &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(cfg);
        nlab_parsed_free(&p, 1);
        return code;
}
