#include "runtime/net/extrec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *str(const json_t *rec, const char *key)
{
        return json_string_value(json_object_get(rec, key));
}

int nlab_external_parse(const json_t *rec, struct nlab_external *x, struct nlab_err *err)
{
        const char *name = str(rec, "Name"), *subnet = str(rec, "Subnet");
        const char *state = str(rec, "State"), *created = str(rec, "Created");

        if (!json_is_object(rec) || !name || !subnet)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "external host record %s: no Name or Subnet",
                                    name ? name : "(unnamed)");
        if (nlab_external_plan(name, subnet, 0, x, err) < 0) {
                nlab_err_prefix(err, "external host record");
                return -1;
        }
        snprintf(x->created, sizeof(x->created), "%s", created ? created : "");
        x->state = NLAB_EXTERNAL_UP;
        if (state && !strcmp(state, "creating")) {
                x->state = NLAB_EXTERNAL_CREATING;
                x->creator = (pid_t)json_integer_value(json_object_get(rec, "CreatorPid"));
                x->creator_start =
                    (unsigned long long)json_integer_value(json_object_get(rec, "CreatorStart"));
        }
        return 0;
}

json_t *nlab_external_encode(const struct nlab_external *x)
{
        char subnet[NLAB_CIDR_STRLEN], addr[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];
        json_t *rec;

        nlab_cidr_format(&x->subnet, subnet);
        inet_ntop(AF_INET, &x->addr, addr, sizeof(addr));
        inet_ntop(AF_INET, &x->host_addr, host, sizeof(host));
        rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Name", x->name, "Subnet", subnet, "Address",
                        addr, "HostAddress", host, "HostInterface", x->host_ifname, "Created",
                        x->created);
        if (rec && x->state == NLAB_EXTERNAL_CREATING &&
            (json_object_set_new(rec, "State", json_string("creating")) < 0 ||
             json_object_set_new(rec, "CreatorPid", json_integer(x->creator)) < 0 ||
             json_object_set_new(rec, "CreatorStart", json_integer((json_int_t)x->creator_start)) <
                 0)) {
                json_decref(rec);
                return NULL;
        }
        return rec;
}
