#include "runtime/net/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "runtime/base/runreq.h"
#include "runtime/base/fsutil.h"
#include "runtime/net/keepctl.h"

static void port_key(const struct nlab_port_mapping *m, char *buf, size_t size)
{
        snprintf(buf, size, "%u/%s", m->ctr_port, nlab_proto_name(m->proto));
}

static int add_binding(struct nlab_port_map *bindings, const struct nlab_port_mapping *m)
{
        char key[32], hp[16] = "";
        struct nlab_port_entry *e;

        port_key(m, key, sizeof(key));
        if (m->host_port && m->host_port_end > m->host_port)
                snprintf(hp, sizeof(hp), "%u-%u", m->host_port, m->host_port_end);
        else if (m->host_port)
                snprintf(hp, sizeof(hp), "%u", m->host_port);
        e = nlab_port_map_entry(bindings, key);
        return e ? nlab_port_entry_add(e, m->host_ip, hp) : -1;
}

static int expose(struct nlab_strv *exposed, const char *key)
{
        size_t i;

        for (i = 0; i < exposed->n; i++)
                if (!strcmp(exposed->v[i], key))
                        return 0;
        return nlab_strv_push(exposed, key);
}

int nlab_ports_prepare(const struct nlab_run_req *req, struct nlab_ctr_config *cfg,
                       struct nlab_err *err)
{
        size_t i, j;

        for (i = 0; i < req->publish.n + req->expose.n; i++) {
                bool publish = i < req->publish.n;
                const char *spec = publish ? req->publish.v[i] : req->expose.v[i - req->publish.n];
                struct nlab_port_mapping *m = NULL;
                size_t n = 0;
                int r = publish ? nlab_portspec_parse(spec, &m, &n, err)
                                : nlab_portspec_parse_expose(spec, &m, &n, err);
                if (r < 0)
                        return -1;
                for (j = 0; r == 0 && j < n; j++) {
                        char key[32];
                        port_key(&m[j], key, sizeof(key));
                        r = expose(&cfg->exposed, key);
                        if (r == 0 && publish)
                                r = add_binding(&cfg->port_bindings, &m[j]);
                }
                free(m);
                if (r < 0)
                        return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        }
        return 0;
}

static int holder_name(struct nlab_store *st, const char *path, char *name, size_t size)
{
        char id[NLAB_ID_LEN + 1] = "";
        struct nlab_ctr_config cfg;
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        n = read(fd, id, NLAB_ID_LEN);
        close(fd);
        id[n > 0 ? n : 0] = '\0';
        if (nlab_store_load_config(st, id, &cfg, NULL) < 0) {
                snprintf(name, size, "%.12s", id);
                return 0;
        }
        snprintf(name, size, "%s", cfg.name);
        nlab_ctr_config_free(&cfg);
        return 0;
}

/* Rootless: the port must also be free on the real host, where the keeper will listen. */
static bool keeper_check(const char *root, uint16_t port, int proto, const char *host_ip,
                         struct nlab_err *err)
{
        struct nlab_port_mapping m = {.host_port = port, .ctr_port = port, .proto = proto};

        snprintf(m.host_ip, sizeof(m.host_ip), "%s", host_ip);
        return nlab_keepctl_check(root, &m, err) < 0;
}

/* 0 claimed, 1 taken (err says by whom), <0 error. host holds the socket tables of the request. */
static int claim_port(struct nlab_store *st, const char *id, struct nlab_host_socks *host,
                      uint16_t port, int proto, const char *host_ip, struct nlab_err *err)
{
        char path[PATH_MAX], holder[160], owner[NLAB_ID_LEN + 1];
        int r;

        if (nlab_path(path, sizeof(path), err, "%s/ports/%s-%u", st->root, nlab_proto_name(proto),
                      port) < 0)
                return -1;
        /* A claim left by a killed create is taken over; a live owner keeps it. */
        r = nlab_store_claim_file(st, path, id, owner, NULL, NULL, err);
        if (r == 1) {
                holder_name(st, path, holder, sizeof(holder));
                nlab_err_set(err, NLAB_E_CONFLICT,
                             "port %u/%s is already published by container %s", port,
                             nlab_proto_name(proto), holder);
                return 1;
        }
        if (r < 0)
                return -1;
        if (nlab_host_socks_check(host, host_ip, port, proto, err) != 0 ||
            (nlab_keepctl_active(st->root) && keeper_check(st->root, port, proto, host_ip, err))) {
                unlink(path);
                return err && err->kind == NLAB_E_CONFLICT ? 1 : -1;
        }
        return 0;
}

static int claim_one(struct nlab_store *st, const char *id, struct nlab_host_socks *host,
                     struct nlab_port_mapping *m, struct nlab_err *err)
{
        uint16_t lo, hi, p;
        uint32_t start, i, span;
        struct nlab_err e;
        int r = 1;

        if (m->host_port) {
                uint16_t end = m->host_port_end > m->host_port ? m->host_port_end : m->host_port;
                /* A host range to one port: the first free port of the range, as Docker does. */
                for (p = m->host_port; r == 1; p++) {
                        r = claim_port(st, id, host, p, m->proto, m->host_ip, err);
                        if (r == 0)
                                m->host_port = p;
                        if (p == end)
                                break;
                }
                return r == 0 ? 0 : -1;
        }
        if (nlab_port_ephemeral_range(&lo, &hi, err) < 0)
                return -1;
        if (getrandom(&start, sizeof(start), 0) != sizeof(start))
                start = (uint32_t)getpid();
        span = (uint32_t)(hi - lo) + 1;
        for (i = 0; i < span; i++) {
                p = (uint16_t)(lo + (start + i) % span);
                /* a local err: without one a port held by someone is not told from a failure */
                r = claim_port(st, id, host, p, m->proto, m->host_ip, &e);
                if (r == 0) {
                        m->host_port = p;
                        return 0;
                }
                if (r < 0) {
                        if (err)
                                *err = e;
                        return -1;
                }
        }
        return nlab_err_set(err, NLAB_E_CONFLICT, "no free host port in %u-%u", lo, hi);
}

static int parse_key(const char *key, struct nlab_port_mapping *m)
{
        char proto[8];
        unsigned port;

        memset(m, 0, sizeof(*m));
        if (sscanf(key, "%u/%7s", &port, proto) != 2 || port == 0 || port > 65535)
                return -1;
        m->ctr_port = (uint16_t)port;
        m->proto = strcmp(proto, "udp") ? IPPROTO_TCP : IPPROTO_UDP;
        return 0;
}

static int record(struct nlab_port_map *ports, const char *key, const struct nlab_port_mapping *m)
{
        struct nlab_port_entry *e = nlab_port_map_entry(ports, key);
        char hp[8];

        snprintf(hp, sizeof(hp), "%u", m->host_port);
        return e ? nlab_port_entry_add(e, m->host_ip[0] ? m->host_ip : "0.0.0.0", hp) : -1;
}

/* Claim one binding of key ("8080", "8080-8090" or "" for any host port) and record it. */
static int claim_binding(struct nlab_store *st, const char *id, struct nlab_host_socks *host,
                         struct nlab_ctr_config *cfg, const char *key,
                         const struct nlab_hostport *b, struct nlab_err *err)
{
        struct nlab_port_mapping m;
        unsigned lo = 0, hi = 0;

        parse_key(key, &m);
        if (b) {
                snprintf(m.host_ip, sizeof(m.host_ip), "%s", b->host_ip);
                if (sscanf(b->host_port, "%u-%u", &lo, &hi) < 1)
                        lo = hi = 0;
        }
        m.host_port = (uint16_t)lo;
        m.host_port_end = (uint16_t)hi;
        if (claim_one(st, id, host, &m, err) < 0)
                return -1;
        if (record(&cfg->ports, key, &m) < 0) {
                char path[PATH_MAX];
                if (nlab_path(path, sizeof(path), NULL, "%s/ports/%s-%u", st->root,
                              nlab_proto_name(m.proto), m.host_port) == 0)
                        nlab_unlink_if_owner(path, id);
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        }
        return 0;
}

static const struct nlab_port_entry *binding_of(const struct nlab_ctr_config *cfg, const char *key)
{
        size_t i;

        for (i = 0; i < cfg->port_bindings.n; i++)
                if (!strcmp(cfg->port_bindings.v[i].key, key))
                        return &cfg->port_bindings.v[i];
        return NULL;
}

int nlab_ports_claim(struct nlab_store *st, const char *id, struct nlab_ctr_config *cfg,
                     struct nlab_err *err)
{
        struct nlab_host_socks host = {.proc_root = "/proc"};
        size_t i, j;

        nlab_port_map_free(&cfg->ports);
        for (i = 0; i < cfg->exposed.n; i++) {
                const char *key = cfg->exposed.v[i];
                const struct nlab_port_entry *list = binding_of(cfg, key);
                struct nlab_port_mapping m;
                if (parse_key(key, &m) < 0)
                        continue;
                if (!list && !cfg->publish_all) {
                        struct nlab_port_entry *e = nlab_port_map_entry(&cfg->ports, key);
                        if (!e) {
                                nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
                                goto undo;
                        }
                        e->unbound = true;
                        continue;
                }
                if (!list) { /* -P: a random host port for every exposed port */
                        if (claim_binding(st, id, &host, cfg, key, NULL, err) < 0)
                                goto undo;
                        continue;
                }
                for (j = 0; j < list->n; j++)
                        if (claim_binding(st, id, &host, cfg, key, &list->v[j], err) < 0)
                                goto undo;
        }
        nlab_host_socks_free(&host);
        return 0;
undo:
        nlab_host_socks_free(&host);
        nlab_ports_release(st, id, cfg);
        return -1;
}

int nlab_ports_mappings(const struct nlab_ctr_config *cfg, struct nlab_port_mapping **out,
                        size_t *n)
{
        const struct nlab_port_map *ports = &cfg->ports;
        struct nlab_port_mapping *m;
        size_t i, j, count = 0;

        for (i = 0; i < ports->n; i++)
                count += ports->v[i].n;
        m = calloc(count + 1, sizeof(*m));
        if (!m)
                return -1;
        *n = 0;
        for (i = 0; i < ports->n; i++)
                for (j = 0; j < ports->v[i].n; j++) {
                        const char *ip = ports->v[i].v[j].host_ip;
                        if (parse_key(ports->v[i].key, &m[*n]) < 0)
                                continue;
                        snprintf(m[*n].host_ip, sizeof(m[*n].host_ip), "%s",
                                 strcmp(ip, "0.0.0.0") ? ip : "");
                        m[*n].host_port = (uint16_t)atoi(ports->v[i].v[j].host_port);
                        (*n)++;
                }
        *out = m;
        return 0;
}

void nlab_ports_release(struct nlab_store *st, const char *id, const struct nlab_ctr_config *cfg)
{
        struct nlab_port_mapping *m = NULL;
        char path[PATH_MAX];
        size_t n = 0, i;

        if (nlab_ports_mappings(cfg, &m, &n) < 0)
                return;
        for (i = 0; i < n; i++)
                if (nlab_path(path, sizeof(path), NULL, "%s/ports/%s-%u", st->root,
                              nlab_proto_name(m[i].proto), m[i].host_port) == 0)
                        nlab_unlink_if_owner(path, id);
        free(m);
}
