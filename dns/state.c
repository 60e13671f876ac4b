#include "dns/state.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 64

static int fail(char *msg, size_t msglen, const char *what, const char *name, const char *why)
{
        snprintf(msg, msglen, "%s %s: %s", what, name, why);
        return -1;
}

/* Returns 1 loaded, 0 file absent, -1 error. */
static int load_json(const char *path, json_t **out, char *why, size_t whylen)
{
        json_error_t jerr;

        *out = json_load_file(path, 0, &jerr);
        if (*out)
                return 1;
        if (errno == ENOENT && jerr.line == -1)
                return 0;
        snprintf(why, whylen, "%s", jerr.text);
        return -1;
}

int nlab_dns_state_load_network(struct nlab_dns_store *s, const char *dnsdir, const char *name,
                                char *msg, size_t msglen)
{
        char path[4096], why[256];
        const char *jname = NULL, *gw = NULL;
        int internal = 0, r;
        json_t *j;

        if (!nlab_dns_valid_network_name(name))
                return fail(msg, msglen, "network", name, "invalid name");
        snprintf(path, sizeof(path), "%s/networks/%s.json", dnsdir, name);
        errno = 0;
        r = load_json(path, &j, why, sizeof(why));
        if (r == 0) {
                nlab_dns_store_drop_network(s, name);
                return 0;
        }
        if (r < 0)
                return fail(msg, msglen, "network", name, why);
        r = json_unpack(j, "{s:s, s:s, s?b}", "name", &jname, "gateway", &gw, "internal",
                        &internal);
        if (r == 0 && strcmp(jname, name) != 0)
                r = -1;
        if (r == 0)
                r = nlab_dns_store_put_network(s, name, gw, internal);
        json_decref(j);
        return r < 0 ? fail(msg, msglen, "network", name, "bad record") : 0;
}

/* Fill a NULL-terminated array of the strings in a JSON array (borrowed from j). */
static int string_list(json_t *arr, const char **out, size_t *n)
{
        size_t i;
        json_t *v;

        *n = 0;
        if (!arr)
                return 0;
        if (!json_is_array(arr) || json_array_size(arr) > MAX_LIST)
                return -1;
        json_array_foreach(arr, i, v)
        {
                if (!json_is_string(v))
                        return -1;
                out[(*n)++] = json_string_value(v);
        }
        return 0;
}

struct parsed_ep {
        struct nlab_dns_endpoint ep;
        const char *aliases[MAX_LIST];
};

static int parse_container(json_t *j, const char *id, struct nlab_dns_container *c,
                           struct parsed_ep *eps, const char **dns)
{
        json_t *jdns = NULL, *jeps = NULL, *v;
        size_t i;

        if (json_unpack(j, "{s:s, s:s, s?o, s:o}", "id", &c->id, "name", &c->name, "dns_servers",
                        &jdns, "endpoints", &jeps) < 0 ||
            strcmp(c->id, id) != 0 || !json_is_array(jeps) || json_array_size(jeps) > MAX_LIST)
                return -1;
        if (string_list(jdns, dns, &c->n_dns_servers) < 0)
                return -1;
        c->dns_servers = dns;
        json_array_foreach(jeps, i, v)
        {
                json_t *jal = NULL;

                if (json_unpack(v, "{s:s, s:s, s?o}", "network", &eps[i].ep.network, "ip",
                                &eps[i].ep.ip, "aliases", &jal) < 0 ||
                    string_list(jal, eps[i].aliases, &eps[i].ep.n_aliases) < 0)
                        return -1;
                eps[i].ep.aliases = eps[i].aliases;
        }
        c->n_endpoints = json_array_size(jeps);
        return 0;
}

int nlab_dns_state_load_container(struct nlab_dns_store *s, const char *dnsdir, const char *id,
                                  char *msg, size_t msglen)
{
        char path[4096], why[256];
        struct nlab_dns_endpoint flat[MAX_LIST];
        struct nlab_dns_container c = {0};
        const char *dns[MAX_LIST];
        struct parsed_ep *eps;
        json_t *j;
        int r;

        if (!nlab_dns_valid_id(id))
                return fail(msg, msglen, "container", id, "invalid id");
        snprintf(path, sizeof(path), "%s/containers/%s.json", dnsdir, id);
        errno = 0;
        r = load_json(path, &j, why, sizeof(why));
        if (r == 0) {
                nlab_dns_store_drop_container(s, id);
                return 0;
        }
        if (r < 0)
                return fail(msg, msglen, "container", id, why);
        eps = calloc(MAX_LIST, sizeof(*eps));
        r = eps ? parse_container(j, id, &c, eps, dns) : -1;
        for (size_t i = 0; r == 0 && i < c.n_endpoints; i++)
                flat[i] = eps[i].ep;
        c.endpoints = flat;
        if (r == 0)
                r = nlab_dns_store_put_container(s, &c);
        free(eps);
        json_decref(j);
        return r < 0 ? fail(msg, msglen, "container", id, "bad record") : 0;
}

/* Call load for every "<key>.json" in dnsdir/sub. */
static int load_dir(struct nlab_dns_store *s, const char *dnsdir, const char *sub,
                    int (*load)(struct nlab_dns_store *, const char *, const char *, char *,
                                size_t),
                    char *msg, size_t msglen)
{
        char path[4096], key[256];
        struct dirent *d;
        int skipped = 0;
        DIR *dir;

        snprintf(path, sizeof(path), "%s/%s", dnsdir, sub);
        dir = opendir(path);
        if (!dir)
                return 0;
        while ((d = readdir(dir))) {
                size_t n = strlen(d->d_name);

                if (n <= 5 || n - 5 >= sizeof(key) || strcmp(d->d_name + n - 5, ".json") != 0)
                        continue;
                memcpy(key, d->d_name, n - 5);
                key[n - 5] = '\0';
                if (load(s, dnsdir, key, msg, msglen) < 0)
                        skipped++;
        }
        closedir(dir);
        return skipped;
}

int nlab_dns_state_load_all(struct nlab_dns_store *s, const char *dnsdir, char *msg, size_t msglen)
{
        int skipped = load_dir(s, dnsdir, "networks", nlab_dns_state_load_network, msg, msglen);

        return skipped +
               load_dir(s, dnsdir, "containers", nlab_dns_state_load_container, msg, msglen);
}
