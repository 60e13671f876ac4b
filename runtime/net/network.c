#include "runtime/net/network.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/kernel/endpoint.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/ids.h"
#include "runtime/base/suggest.h"
#include "runtime/kernel/link.h"
#include "runtime/net/netglue.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"

static const char *const predefined[] = {"bridge", "host", "none"};

bool nlab_network_is_predefined(const char *name)
{
        size_t i;

        for (i = 0; i < 3; i++)
                if (!strcmp(name, predefined[i]))
                        return true;
        return false;
}

bool nlab_network_is_user(const struct nlab_net *net)
{
        return !nlab_network_is_predefined(net->name);
}

int nlab_network_path(const struct nlab_store *st, const char *name, const char *sub, char *buf,
                      size_t size, struct nlab_err *err)
{
        if (sub)
                return nlab_path(buf, size, err, "%s/networks/%s/%s", st->root, name, sub);
        return nlab_path(buf, size, err, "%s/networks/%s", st->root, name);
}

static int save_net(struct nlab_store *st, const json_t *net, struct nlab_err *err)
{
        const char *name = json_string_value(json_object_get(net, "Name"));
        char path[PATH_MAX];
        char *text;
        int r;

        if (nlab_network_path(st, name, "network.json", path, sizeof(path), err) < 0)
                return -1;
        text = json_dumps(net, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text)
                return nlab_err_sys(err, ENOMEM, "network %s", name);
        r = nlab_write_file(path, text, strlen(text), 0600, err);
        free(text);
        return r;
}

static json_t *ipam_config(const char *subnet, const char *gateway, const char *range)
{
        json_t *cfgs = json_array(), *c;

        if (subnet) {
                c = json_pack("{s:s,s:s}", "Subnet", subnet, "Gateway", gateway);
                if (range)
                        json_object_set_new(c, "IPRange", json_string(range));
                json_array_append_new(cfgs, c);
        }
        return json_pack("{s:s,s:{},s:o}", "Driver", "default", "Options", "Config", cfgs);
}

static json_t *new_record(const char *name, const char *id, const char *driver, bool internal,
                          json_t *ipam, json_t *options, json_t *labels)
{
        char created[64];

        nlab_now_rfc3339(created, sizeof(created));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:b,s:b,s:b,s:b,s:o,s:o}", "Name", name,
                         "Id", id, "Created", created, "Scope", "local", "Driver", driver,
                         "EnableIPv6", 0, "IPAM", ipam, "Internal", internal, "Attachable", 0,
                         "Ingress", 0, "ConfigOnly", 0, "Options", options, "Labels", labels);
}

static int make_net_dirs(struct nlab_store *st, const char *name, struct nlab_err *err)
{
        static const char *const subs[] = {NULL, "ips", "endpoints"};
        char path[PATH_MAX];
        size_t i;

        for (i = 0; i < 3; i++) {
                if (nlab_network_path(st, name, subs[i], path, sizeof(path), err) < 0)
                        return -1;
                if (mkdir(path, 0700) < 0)
                        return nlab_err_sys(err, errno, "network %s: mkdir %s", name, path);
        }
        return 0;
}

/* A second state root on this host must not take over the first one's netlab0 and addresses.
 * So a root's default bridge is Docker's netlab0 unless this network namespace has one already
 * (then netlab-HASH of the root's path), on 172.17.0.0/16 unless a route covers it (then the
 * first free default pool). */
struct default_bridge {
        char name[16], subnet[NLAB_CIDR_STRLEN], gateway[INET_ADDRSTRLEN];
};

static bool subnet_routed(const struct nlab_subnet *want, const struct nlab_subnet *routes,
                          size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (nlab_subnet_overlaps(want, &routes[i]))
                        return true;
        return false;
}

static void root_bridge_name(const struct nlab_store *st, char name[16])
{
        uint32_t h = 2166136261u; /* FNV-1a */
        const char *p;

        for (p = st->root; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        snprintf(name, 16, "netlab-%08x", (unsigned)h);
}

static int choose_default_bridge(const struct nlab_store *st, struct default_bridge *b,
                                 struct nlab_err *err)
{
        struct nlab_subnet sub = {.prefix = 16}, *routes = NULL;
        struct nlab_nl *nl = nlab_nl_open(NULL, err);
        struct in_addr gw;
        size_t n = 0;
        int r;

        if (!nl)
                return -1;
        snprintf(b->name, sizeof(b->name), "%s", NLAB_DEFAULT_BRIDGE);
        r = nlab_link_lookup(nl, NLAB_DEFAULT_BRIDGE, NULL, err);
        if (r > 0)
                root_bridge_name(st, b->name);
        if (r >= 0)
                r = nlab_route_list_v4(nl, &routes, &n, err);
        nlab_nl_close(nl);
        inet_pton(AF_INET, "172.17.0.0", &sub.net);
        if (r >= 0 && subnet_routed(&sub, routes, n))
                r = nlab_ipam_pick_pool(routes, n, &sub, err);
        free(routes);
        if (r < 0 || nlab_subnet_gateway(&sub, &gw, err) < 0)
                return -1;
        nlab_cidr_format(&sub, b->subnet);
        inet_ntop(AF_INET, &gw, b->gateway, sizeof(b->gateway));
        return 0;
}

int nlab_network_bridge_claim(const struct nlab_store *st, const char *bridge, bool mark,
                              struct nlab_err *err)
{
        char want[256], have[256];
        struct nlab_nl *nl;
        int r;

        assert(st && bridge);
        if ((size_t)snprintf(want, sizeof(want), "netlab:%s", st->root) >= sizeof(want))
                return 0; /* a root too long for an alias goes unmarked */
        nl = nlab_nl_open(NULL, err);
        if (!nl)
                return -1;
        r = nlab_link_alias(nl, bridge, have, sizeof(have), err);
        if (r > 0 && !have[0] && mark)
                r = nlab_link_set_alias(nl, bridge, want, err);
        else if (r > 0 && have[0] && strcmp(have, want))
                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                 "bridge %s belongs to state root %s, not to %s (both recorded "
                                 "it before either had made it)",
                                 bridge, strncmp(have, "netlab:", 7) ? have : have + 7, st->root);
        nlab_nl_close(nl);
        return r < 0 ? -1 : 0;
}

static json_t *predefined_record(const struct nlab_store *st, const char *name, const char *id,
                                 struct nlab_err *err)
{
        if (!strcmp(name, "bridge")) {
                struct default_bridge b;
                json_t *opts, *rec;
                if (choose_default_bridge(st, &b, err) < 0)
                        return NULL;
                opts = json_pack("{s:s,s:s,s:s,s:s}", "com.docker.network.bridge.default_bridge",
                                 "true", "com.docker.network.bridge.enable_icc", "true",
                                 "com.docker.network.bridge.name", b.name,
                                 "com.docker.network.driver.mtu", "1500");
                rec = new_record(name, id, "bridge", false, ipam_config(b.subnet, b.gateway, NULL),
                                 opts, json_object());
                json_object_set_new(rec, NLAB_NET_KEY_USER_SUBNET, json_false());
                return rec;
        }
        return new_record(name, id, !strcmp(name, "host") ? "host" : "null", false,
                          ipam_config(NULL, NULL, NULL), json_object(), json_object());
}

/* A predefined network's id, the same at every read that finds its record absent and at the
 * write that saves it, so reading never needs to write. FNV-1a over root and name, four lanes. */
static void predefined_id(const struct nlab_store *st, const char *name, char id[NLAB_ID_LEN + 1])
{
        for (int lane = 0; lane < 4; lane++) {
                uint64_t h = 14695981039346656037ull ^ (uint64_t)(lane + 1);
                const char *parts[] = {st->root, "/", name};

                for (size_t p = 0; p < 3; p++)
                        for (const char *c = parts[p]; *c; c++)
                                h = (h ^ (uint8_t)*c) * 1099511628211ull;
                snprintf(id + 16 * lane, 17, "%016llx", (unsigned long long)h);
        }
}

int nlab_network_ensure_predefined(struct nlab_store *st, struct nlab_err *err)
{
        char path[PATH_MAX], id[NLAB_ID_LEN + 1];
        size_t i;

        for (i = 0; i < 3; i++) {
                json_t *rec;
                int r;
                if (nlab_network_path(st, predefined[i], "network.json", path, sizeof(path), err) <
                    0)
                        return -1;
                if (access(path, F_OK) == 0)
                        continue;
                if (nlab_store_lock(st, err) < 0)
                        return -1;
                r = 0;
                if (access(path, F_OK) < 0) {
                        predefined_id(st, predefined[i], id);
                        /* chosen before the directory exists, so a failure leaves nothing */
                        rec = predefined_record(st, predefined[i], id, err);
                        r = rec ? 0 : -1;
                        if (r == 0)
                                r = make_net_dirs(st, predefined[i], err);
                        if (r == 0)
                                r = save_net(st, rec, err);
                        json_decref(rec);
                }
                nlab_store_unlock(st);
                if (r < 0)
                        return -1;
        }
        return 0;
}

/* The saved record; for a predefined network not saved yet (no write command has run), the one
 * the first write will save. */
static json_t *load_record(struct nlab_store *st, const char *name)
{
        char path[PATH_MAX], id[NLAB_ID_LEN + 1];

        if (strchr(name, '/') || name[0] == '.' ||
            nlab_network_path(st, name, "network.json", path, sizeof(path), NULL) < 0)
                return NULL;
        if (access(path, F_OK) == 0 || !nlab_network_is_predefined(name))
                return json_load_file(path, 0, NULL);
        predefined_id(st, name, id);
        return predefined_record(st, name, id, NULL);
}

/* 0 loaded, 1 no such record, <0 a record that does not parse (err says why). */
static int load_by_name(struct nlab_store *st, const char *name, struct nlab_net *net,
                        struct nlab_err *err)
{
        json_t *rec = load_record(st, name);
        int r;

        if (!rec)
                return 1;
        r = nlab_net_parse(rec, net, err);
        json_decref(rec);
        return r;
}

json_t *nlab_network_record(struct nlab_store *st, const struct nlab_net *net)
{
        json_t *rec = load_record(st, net->name);

        json_object_del(rec, NLAB_NET_KEY_USER_SUBNET); /* ours, not Docker's */
        return rec;
}

static int by_created(const void *a, const void *b)
{
        return strcmp(((const struct nlab_net *)a)->created, ((const struct nlab_net *)b)->created);
}

/* Append the record of name to *v (one that does not parse is left out); -1 on ENOMEM. */
static int push_net(struct nlab_store *st, const char *name, struct nlab_net **v, size_t *count,
                    size_t *cap)
{
        struct nlab_net *grown;

        if (*count == *cap) {
                *cap = *cap ? 2 * *cap : 8;
                grown = realloc(*v, *cap * sizeof(**v));
                if (!grown)
                        return -1;
                *v = grown;
        }
        if (load_by_name(st, name, &(*v)[*count], NULL) == 0)
                (*count)++;
        return 0;
}

int nlab_network_list(struct nlab_store *st, struct nlab_net **nets, size_t *n,
                      struct nlab_err *err)
{
        char path[PATH_MAX];
        struct dirent *de;
        struct nlab_net *v = NULL;
        size_t i, cap = 0, count = 0, first;
        DIR *d;

        if (nlab_path(path, sizeof(path), err, "%s/networks", st->root) < 0)
                return -1;
        d = opendir(path);
        if (!d)
                return nlab_err_sys(err, errno, "open %s", path);
        /* Predefined first in their fixed order (saved or not yet), then user networks by
         * creation. */
        for (i = 0; i < 3; i++)
                if (push_net(st, predefined[i], &v, &count, &cap) < 0)
                        goto nomem;
        first = count;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && !nlab_network_is_predefined(de->d_name) &&
                    push_net(st, de->d_name, &v, &count, &cap) < 0)
                        goto nomem;
        closedir(d);
        if (count > first)
                qsort(v + first, count - first, sizeof(*v), by_created);
        *nets = v;
        *n = count;
        return 0;
nomem:
        closedir(d);
        free(v);
        return nlab_err_sys(err, ENOMEM, "listing networks");
}

int nlab_network_near(struct nlab_store *st, const char *ref, char *out, size_t size)
{
        const char **names = NULL, *near = NULL;
        struct nlab_net *all = NULL;
        size_t i, n = 0;

        if (nlab_network_list(st, &all, &n, NULL) == 0 && n)
                names = calloc(n, sizeof(*names));
        for (i = 0; names && i < n; i++) {
                names[i] = all[i].name;
                /* the Linux bridge's name (netlab0) for its network's (bridge) */
                if (!near && all[i].bridge[0] && strcmp(all[i].bridge, ref) == 0)
                        near = all[i].name;
        }
        if (names && !near)
                near = nlab_suggest_name(ref, names, n);
        if (near)
                snprintf(out, size, "%s", near);
        free(names);
        free(all);
        return near != NULL;
}

/* "network REF not found", with the nearest name of a network that exists. */
static int not_found(struct nlab_store *st, const char *ref, struct nlab_err *err)
{
        char near[sizeof(((struct nlab_net *)0)->name)];

        if (nlab_network_near(st, ref, near, sizeof(near)))
                return nlab_err_set(err, NLAB_E_NOTFOUND, "network %s not found: did you mean %s?",
                                    ref, near);
        return nlab_err_set(err, NLAB_E_NOTFOUND, "network %s not found", ref);
}

int nlab_network_load(struct nlab_store *st, const char *ref, struct nlab_net *net,
                      struct nlab_err *err)
{
        struct nlab_net *all;
        size_t i, n, matches = 0;
        int r;

        r = load_by_name(st, ref, net, err);
        if (r <= 0)
                return r;
        if (!nlab_id_is_prefix(ref))
                return not_found(st, ref, err);
        if (nlab_network_list(st, &all, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if (strncmp(all[i].id, ref, strlen(ref)) == 0 && matches++ == 0)
                        *net = all[i];
        free(all);
        if (matches == 0)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "network %s not found", ref);
        if (matches > 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "network %s is ambiguous (%zu matches found on id prefix)", ref,
                                    matches);
        return 0;
}

struct used_subnets {
        struct nlab_subnet *v;
        size_t n;
};

static int collect_used(struct nlab_store *st, struct used_subnets *u, struct nlab_err *err)
{
        struct nlab_net *all;
        size_t i, n;
        struct nlab_nl *nl;

        if (nlab_network_list(st, &all, &n, err) < 0)
                return -1;
        nl = nlab_nl_open(NULL, err);
        if (!nl || nlab_route_list_v4(nl, &u->v, &u->n, err) < 0) {
                if (nl)
                        nlab_nl_close(nl);
                free(all);
                return -1;
        }
        nlab_nl_close(nl);
        for (i = 0; i < n; i++) {
                struct nlab_subnet *grown;
                if (!all[i].has_pool)
                        continue;
                grown = realloc(u->v, (u->n + 1) * sizeof(*u->v));
                if (!grown)
                        break;
                u->v = grown;
                u->v[u->n++] = all[i].pool.subnet;
        }
        free(all);
        return 0;
}

static int parse_opts(const struct nlab_net_create_req *req, json_t *options, unsigned *mtu,
                      bool *icc, struct nlab_err *err)
{
        size_t i;

        *mtu = 0;
        *icc = true;
        for (i = 0; i < req->opts.n; i++) {
                const char *o = req->opts.v[i], *eq = strchr(o, '=');
                char key[128];
                if (!eq)
                        return nlab_err_set(
                            err, NLAB_E_INVALID,
                            "invalid --opt \"%s\": expected mtu=N or icc=true|false", o);
                snprintf(key, sizeof(key), "%.*s", (int)(eq - o), o);
                if (!strcmp(key, "mtu") || !strcmp(key, "com.docker.network.driver.mtu")) {
                        char *end;
                        long v = strtol(eq + 1, &end, 10);
                        if (*end || v < 68 || v > 65535)
                                return nlab_err_set(err, NLAB_E_INVALID,
                                                    "invalid --opt mtu=%s: expected 68 to 65535",
                                                    eq + 1);
                        *mtu = (unsigned)v;
                } else if (!strcmp(key, "icc") ||
                           !strcmp(key, "com.docker.network.bridge.enable_icc")) {
                        if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
                                return nlab_err_set(err, NLAB_E_INVALID,
                                                    "invalid --opt icc=%s: expected true or false",
                                                    eq + 1);
                        *icc = !strcmp(eq + 1, "true");
                } else {
                        return nlab_err_set(
                            err, NLAB_E_INVALID,
                            "unknown --opt \"%s\": supported are mtu=N and icc=true|false", key);
                }
                json_object_set_new(options, key, json_string(eq + 1));
        }
        return 0;
}

static json_t *parse_labels(const struct nlab_strv *labels)
{
        json_t *o = json_object();
        size_t i;

        for (i = 0; i < labels->n; i++) {
                const char *eq = strchr(labels->v[i], '=');
                char key[256];
                snprintf(key, sizeof(key), "%.*s",
                         (int)(eq ? eq - labels->v[i] : (long)strlen(labels->v[i])), labels->v[i]);
                json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
        }
        return o;
}

/* Turn --subnet/--gateway/--ip-range into a checked plan; pick a pool when none was given. */
static int plan_addresses(struct nlab_store *st, const struct nlab_net_create_req *req,
                          struct nlab_pool *p, struct nlab_err *err)
{
        struct used_subnets used = {0};
        size_t i;
        int r = 0;

        memset(p, 0, sizeof(*p));
        if (req->subnet && (nlab_cidr_parse(req->subnet, &p->subnet, err) < 0 ||
                            nlab_subnet_check_usable(&p->subnet, err) < 0))
                return -1;
        if (!req->subnet && (req->gateway || req->ip_range))
                return nlab_err_set(err, NLAB_E_INVALID, "--gateway and --ip-range need --subnet");
        if (req->gateway && nlab_ip_parse(req->gateway, "gateway", &p->gateway, err) < 0)
                return -1;
        if (req->ip_range) {
                if (nlab_cidr_parse(req->ip_range, &p->range, err) < 0)
                        return -1;
                p->has_range = true;
        }
        if (collect_used(st, &used, err) < 0)
                return -1;
        if (!req->subnet) {
                r = nlab_ipam_pick_pool(used.v, used.n, &p->subnet, err);
        } else {
                for (i = 0; i < used.n && r == 0; i++) {
                        char a[NLAB_CIDR_STRLEN], b[NLAB_CIDR_STRLEN];
                        if (nlab_subnet_overlaps(&p->subnet, &used.v[i]))
                                r = nlab_err_set(err, NLAB_E_CONFLICT,
                                                 "invalid pool request: pool %s overlaps with "
                                                 "%s, which is already in use (by another network "
                                                 "or a host route)",
                                                 nlab_cidr_format(&p->subnet, a),
                                                 nlab_cidr_format(&used.v[i], b));
                }
        }
        free(used.v);
        if (r == 0 && !req->gateway)
                r = nlab_subnet_gateway(&p->subnet, &p->gateway, err);
        if (r == 0)
                r = nlab_pool_check(p, err);
        return r;
}

static int check_create(const struct nlab_net_create_req *req, struct nlab_err *err)
{
        if (nlab_network_is_predefined(req->name))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "%s is a pre-defined network and cannot be created", req->name);
        if (req->driver && strcmp(req->driver, "bridge"))
                return nlab_err_set(
                    err, NLAB_E_INVALID,
                    "unsupported driver \"%s\": netlab networks use the bridge driver",
                    req->driver);
        if (nlab_name_check(req->name, err) < 0) {
                nlab_err_prefix(err, "network");
                return -1;
        }
        return 0;
}

int nlab_network_create(struct nlab_store *st, const struct nlab_net_create_req *req,
                        char id[NLAB_ID_LEN + 1], struct nlab_err *err)
{
        char subnet[NLAB_CIDR_STRLEN], range[NLAB_CIDR_STRLEN], gw[INET_ADDRSTRLEN];
        char bridge[32], dir[PATH_MAX];
        json_t *options = json_object(), *labels, *rec = NULL;
        struct nlab_net net, old;
        struct nlab_pool p;
        unsigned mtu;
        bool icc;
        int r = -1;

        if (check_create(req, err) < 0 || parse_opts(req, options, &mtu, &icc, err) < 0 ||
            nlab_network_ensure_predefined(st, err) < 0 || nlab_id_new(id, err) < 0) {
                json_decref(options);
                return -1;
        }
        labels = parse_labels(&req->labels);
        if (nlab_store_lock(st, err) < 0)
                goto out;
        if (load_by_name(st, req->name, &old, NULL) != 1) {
                nlab_err_set(err, NLAB_E_CONFLICT, "network with name %s already exists",
                             req->name);
                goto unlock;
        }
        if (plan_addresses(st, req, &p, err) < 0)
                goto unlock;
        inet_ntop(AF_INET, &p.gateway, gw, sizeof(gw));
        snprintf(bridge, sizeof(bridge), "br-%.12s", id);
        json_object_set_new(options, "com.docker.network.bridge.name", json_string(bridge));
        rec = new_record(req->name, id, "bridge", req->internal,
                         ipam_config(nlab_cidr_format(&p.subnet, subnet), gw,
                                     p.has_range ? nlab_cidr_format(&p.range, range) : NULL),
                         options, labels);
        options = labels = NULL;
        json_object_set_new(rec, NLAB_NET_KEY_USER_SUBNET, json_boolean(req->subnet != NULL));
        /* The record is checked as every later load will check it. */
        if (nlab_net_parse(rec, &net, err) < 0)
                goto unlock;
        if (make_net_dirs(st, req->name, err) < 0 || save_net(st, rec, err) < 0)
                goto undo;
        if (nlab_netglue_network_up(st, &net, err) < 0)
                goto undo;
        r = 0;
        goto unlock;
undo:
        nlab_netglue_network_down(st, &net);
        if (nlab_network_path(st, req->name, NULL, dir, sizeof(dir), NULL) == 0)
                nlab_rm_rf(dir, NULL);
unlock:
        nlab_store_unlock(st);
out:
        json_decref(rec);
        json_decref(options);
        json_decref(labels);
        if (r < 0)
                nlab_err_prefix(err, "network %s", req->name);
        return r;
}

int nlab_network_realize(struct nlab_store *st, const struct nlab_net *net, struct nlab_err *err)
{
        return nlab_netglue_network_ensure(st, net, err);
}

int nlab_network_endpoints(struct nlab_store *st, const char *name, char ***ids, size_t *n,
                           struct nlab_err *err)
{
        char path[PATH_MAX], **v = NULL, **grown;
        struct dirent *de;
        DIR *d;

        *ids = NULL;
        *n = 0;
        if (nlab_network_path(st, name, "endpoints", path, sizeof(path), err) < 0)
                return -1;
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : nlab_err_sys(err, errno, "open %s", path);
        while ((de = readdir(d))) {
                if (strlen(de->d_name) != NLAB_ID_LEN)
                        continue;
                grown = realloc(v, (*n + 1) * sizeof(*v));
                if (!grown || !(grown[*n] = strdup(de->d_name))) {
                        closedir(d);
                        nlab_store_free_list(grown ? grown : v, *n);
                        *n = 0;
                        return nlab_err_sys(err, ENOMEM, "network %s: endpoints", name);
                }
                v = grown;
                (*n)++;
        }
        closedir(d);
        *ids = v;
        return 0;
}

int nlab_network_destroy(struct nlab_store *st, const struct nlab_net *net, struct nlab_err *err)
{
        char dir[PATH_MAX];

        nlab_netglue_network_down(st, net);
        if (nlab_network_path(st, net->name, NULL, dir, sizeof(dir), err) < 0)
                return -1;
        return nlab_rm_rf(dir, err);
}
