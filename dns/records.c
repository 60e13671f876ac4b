#include "dns/records.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHORT_ID_LEN 12
#define MAX_NET_NAME 128

struct rec_ep {
        char *network;
        char *ip;
        struct in_addr addr;
        char **aliases;
        size_t n_aliases;
};

struct rec {
        char *id;
        char *name;
        char **dns;
        size_t n_dns;
        struct rec_ep *eps;
        size_t n_eps;
};

/* A multimap entry: key -> (container, endpoint index or -1 for "pick a shared network"). */
struct entry {
        struct entry *next;
        uint32_t hash;
        struct rec *c;
        int ep;
        char key[];
};

struct map {
        struct entry **buckets;
        size_t nbuckets;
        size_t count;
};

struct net {
        char *name;
        struct in_addr gateway;
        bool internal;
};

struct nlab_dns_store {
        struct map ids;    /* id -> container */
        struct map names;  /* name, short id, name.net, alias, alias.net -> container */
        struct map askers; /* "ip net" -> container, endpoint */
        struct map ptrs;   /* "ip" -> container, endpoint */
        struct net *nets;
        size_t n_nets;
        unsigned rotation;
};

static uint32_t hash_key(const char *s)
{
        uint32_t h = 2166136261u; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static int map_grow(struct map *m)
{
        size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
        struct entry **b = calloc(n, sizeof(*b));

        if (!b)
                return -1;
        for (size_t i = 0; i < m->nbuckets; i++) {
                struct entry *e = m->buckets[i], *next;

                for (; e; e = next) {
                        next = e->next;
                        e->next = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                }
        }
        free(m->buckets);
        m->buckets = b;
        m->nbuckets = n;
        return 0;
}

static int map_add(struct map *m, const char *key, struct rec *c, int ep)
{
        size_t klen = strlen(key);
        struct entry *e;

        if (m->count >= m->nbuckets && map_grow(m) < 0)
                return -1;
        e = malloc(sizeof(*e) + klen + 1);
        if (!e)
                return -1;
        memcpy(e->key, key, klen + 1);
        e->hash = hash_key(key);
        e->c = c;
        e->ep = ep;
        e->next = m->buckets[e->hash & (m->nbuckets - 1)];
        m->buckets[e->hash & (m->nbuckets - 1)] = e;
        m->count++;
        return 0;
}

/* Remove every entry of key that belongs to c. */
static void map_remove(struct map *m, const char *key, const struct rec *c)
{
        if (!m->nbuckets)
                return;
        uint32_t h = hash_key(key);
        struct entry **pp = &m->buckets[h & (m->nbuckets - 1)];

        while (*pp) {
                struct entry *e = *pp;

                if (e->hash == h && e->c == c && strcmp(e->key, key) == 0) {
                        *pp = e->next;
                        free(e);
                        m->count--;
                } else {
                        pp = &e->next;
                }
        }
}

/* First entry of key, then map_next for the others. */
static struct entry *map_find(const struct map *m, const char *key)
{
        if (!m->nbuckets)
                return NULL;
        uint32_t h = hash_key(key);

        for (struct entry *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next)
                if (e->hash == h && strcmp(e->key, key) == 0)
                        return e;
        return NULL;
}

static struct entry *map_next(struct entry *e)
{
        for (struct entry *n = e->next; n; n = n->next)
                if (n->hash == e->hash && strcmp(n->key, e->key) == 0)
                        return n;
        return NULL;
}

static void map_free(struct map *m)
{
        for (size_t i = 0; i < m->nbuckets; i++) {
                struct entry *e = m->buckets[i], *next;

                for (; e; e = next) {
                        next = e->next;
                        free(e);
                }
        }
        free(m->buckets);
        memset(m, 0, sizeof(*m));
}

bool nlab_dns_valid_id(const char *id)
{
        size_t n = strlen(id);

        if (n < SHORT_ID_LEN || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
                        return false;
        return true;
}

bool nlab_dns_valid_network_name(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > MAX_NET_NAME || !isalnum((unsigned char)name[0]))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)name[i];

                if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
                        return false;
        }
        return true;
}

struct nlab_dns_store *nlab_dns_store_new(void)
{
        return calloc(1, sizeof(struct nlab_dns_store));
}

static void free_strv(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void rec_free(struct rec *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_eps; i++) {
                free(c->eps[i].network);
                free(c->eps[i].ip);
                free_strv(c->eps[i].aliases, c->eps[i].n_aliases);
        }
        free(c->eps);
        free_strv(c->dns, c->n_dns);
        free(c->id);
        free(c->name);
        free(c);
}

void nlab_dns_store_free(struct nlab_dns_store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->ids.nbuckets; i++)
                for (struct entry *e = s->ids.buckets[i]; e; e = e->next)
                        rec_free(e->c);
        map_free(&s->ids);
        map_free(&s->names);
        map_free(&s->askers);
        map_free(&s->ptrs);
        for (size_t i = 0; i < s->n_nets; i++)
                free(s->nets[i].name);
        free(s->nets);
        free(s);
}

static struct net *find_net(const struct nlab_dns_store *s, const char *name)
{
        for (size_t i = 0; i < s->n_nets; i++)
                if (strcmp(s->nets[i].name, name) == 0)
                        return &s->nets[i];
        return NULL;
}

int nlab_dns_store_put_network(struct nlab_dns_store *s, const char *name, const char *gateway,
                               bool internal)
{
        struct in_addr gw;
        struct net *n;

        assert(s && name && gateway);
        if (!nlab_dns_valid_network_name(name) || inet_pton(AF_INET, gateway, &gw) != 1)
                return -1;
        n = find_net(s, name);
        if (!n) {
                struct net *v = realloc(s->nets, (s->n_nets + 1) * sizeof(*v));
                char *copy = strdup(name);

                if (!v || !copy) {
                        if (v)
                                s->nets = v;
                        free(copy);
                        return -1;
                }
                s->nets = v;
                n = &s->nets[s->n_nets++];
                n->name = copy;
        }
        n->gateway = gw;
        n->internal = internal;
        return 0;
}

int nlab_dns_store_drop_network(struct nlab_dns_store *s, const char *name)
{
        struct net *n;

        assert(s && name);
        n = find_net(s, name);
        if (!n)
                return -1;
        free(n->name);
        *n = s->nets[--s->n_nets];
        return 0;
}

size_t nlab_dns_store_network_count(const struct nlab_dns_store *s)
{
        return s->n_nets;
}

struct nlab_dns_network nlab_dns_store_network_at(const struct nlab_dns_store *s, size_t i)
{
        assert(i < s->n_nets);
        return (struct nlab_dns_network){s->nets[i].name, s->nets[i].gateway, s->nets[i].internal};
}

bool nlab_dns_store_is_own_address(const struct nlab_dns_store *s, struct in_addr addr)
{
        for (size_t i = 0; i < s->n_nets; i++)
                if (s->nets[i].gateway.s_addr == addr.s_addr)
                        return true;
        return false;
}

static char *lower_dup(const char *s)
{
        char *d = strdup(s);

        for (char *p = d; p && *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return d;
}

static char **strv_dup(const char *const *v, size_t n, bool lower)
{
        char **d = calloc(n + 1, sizeof(*d));

        for (size_t i = 0; d && i < n; i++) {
                d[i] = lower ? lower_dup(v[i]) : strdup(v[i]);
                if (!d[i]) {
                        free_strv(d, i);
                        return NULL;
                }
        }
        return d;
}

static int copy_ep(struct rec_ep *d, const struct nlab_dns_endpoint *e)
{
        if (!e->network || !e->ip || !nlab_dns_valid_network_name(e->network) ||
            inet_pton(AF_INET, e->ip, &d->addr) != 1)
                return -1;
        d->network = strdup(e->network);
        d->ip = strdup(e->ip);
        d->aliases = strv_dup(e->aliases, e->n_aliases, true);
        d->n_aliases = d->aliases ? e->n_aliases : 0;
        return d->network && d->ip && d->aliases ? 0 : -1;
}

static struct rec *rec_copy(const struct nlab_dns_container *c)
{
        struct rec *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->id = strdup(c->id);
        r->name = lower_dup(c->name);
        r->dns = strv_dup(c->dns_servers, c->n_dns_servers, false);
        r->n_dns = r->dns ? c->n_dns_servers : 0;
        r->eps = calloc(c->n_endpoints + 1, sizeof(*r->eps));
        if (!r->id || !r->name || !r->dns || !r->eps)
                goto fail;
        for (size_t i = 0; i < c->n_endpoints; i++) {
                r->n_eps = i + 1;
                if (copy_ep(&r->eps[i], &c->endpoints[i]) < 0)
                        goto fail;
        }
        return r;
fail:
        rec_free(r);
        return NULL;
}

typedef int (*key_fn)(struct map *m, const char *key, struct rec *c, int ep);

static int add_fn(struct map *m, const char *key, struct rec *c, int ep)
{
        return map_add(m, key, c, ep);
}

static int remove_fn(struct map *m, const char *key, struct rec *c, int ep)
{
        (void)ep;
        map_remove(m, key, c);
        return 0;
}

/* Every key a container is found under; used both to index and to unindex it. */
static int for_each_key(struct nlab_dns_store *s, struct rec *c, key_fn fn)
{
        char key[NLAB_DNS_NAMEBUF], shortid[SHORT_ID_LEN + 1];
        int r = 0;

        snprintf(shortid, sizeof(shortid), "%s", c->id);
        r |= fn(&s->ids, c->id, c, -1);
        r |= fn(&s->names, c->name, c, -1);
        r |= fn(&s->names, shortid, c, -1);
        for (size_t i = 0; i < c->n_eps; i++) {
                const struct rec_ep *e = &c->eps[i];

                snprintf(key, sizeof(key), "%s.%s", c->name, e->network);
                r |= fn(&s->names, key, c, (int)i);
                for (size_t a = 0; a < e->n_aliases; a++) {
                        r |= fn(&s->names, e->aliases[a], c, (int)i);
                        snprintf(key, sizeof(key), "%s.%s", e->aliases[a], e->network);
                        r |= fn(&s->names, key, c, (int)i);
                }
                snprintf(key, sizeof(key), "%s %s", e->ip, e->network);
                r |= fn(&s->askers, key, c, (int)i);
                r |= fn(&s->ptrs, e->ip, c, (int)i);
        }
        return r ? -1 : 0;
}

static struct rec *find_rec(const struct nlab_dns_store *s, const char *id)
{
        struct entry *e = map_find(&s->ids, id);

        return e ? e->c : NULL;
}

int nlab_dns_store_drop_container(struct nlab_dns_store *s, const char *id)
{
        struct rec *c;

        assert(s && id);
        c = find_rec(s, id);
        if (!c)
                return -1;
        for_each_key(s, c, remove_fn);
        rec_free(c);
        return 0;
}

int nlab_dns_store_put_container(struct nlab_dns_store *s, const struct nlab_dns_container *c)
{
        struct rec *r;

        assert(s && c);
        if (!c->id || !c->name || !nlab_dns_valid_id(c->id) || c->name[0] == '\0')
                return -1;
        r = rec_copy(c);
        if (!r)
                return -1;
        nlab_dns_store_drop_container(s, c->id);
        if (for_each_key(s, r, add_fn) < 0) {
                for_each_key(s, r, remove_fn);
                rec_free(r);
                return -1;
        }
        return 0;
}

size_t nlab_dns_store_container_count(const struct nlab_dns_store *s)
{
        return s->ids.count;
}

/* Which networks the asker sees: a container's own, or just the arrival network for the host. */
struct scope {
        const struct rec *asker;
        const char *arrival;
};

static bool in_scope(const struct scope *sc, const char *network)
{
        if (!sc->asker)
                return strcmp(sc->arrival, network) == 0;
        for (size_t i = 0; i < sc->asker->n_eps; i++)
                if (strcmp(sc->asker->eps[i].network, network) == 0)
                        return true;
        return false;
}

static bool internal_only(const struct nlab_dns_store *s, const struct scope *sc)
{
        size_t n = sc->asker ? sc->asker->n_eps : 1;

        for (size_t i = 0; i < n; i++) {
                const char *name = sc->asker ? sc->asker->eps[i].network : sc->arrival;
                const struct net *net = find_net(s, name);

                if (!net || !net->internal)
                        return false;
        }
        return n > 0;
}

/* The endpoint a name answers with: on the arrival network if shared, else the first shared. */
static int pick_ep(const struct rec *c, const struct scope *sc)
{
        int first = -1;

        for (size_t i = 0; i < c->n_eps; i++) {
                if (!in_scope(sc, c->eps[i].network))
                        continue;
                if (strcmp(c->eps[i].network, sc->arrival) == 0)
                        return (int)i;
                if (first < 0)
                        first = (int)i;
        }
        return first;
}

static void add_addr(struct nlab_dns_result *r, struct in_addr a)
{
        for (size_t i = 0; i < r->n_addrs; i++)
                if (r->addrs[i].s_addr == a.s_addr)
                        return;
        if (r->n_addrs < NLAB_DNS_MAX_ANSWERS)
                r->addrs[r->n_addrs++] = a;
}

static void rotate(struct nlab_dns_result *r, unsigned by)
{
        struct in_addr tmp[NLAB_DNS_MAX_ANSWERS];
        size_t n = r->n_addrs, k;

        if (n < 2)
                return;
        k = by % n;
        for (size_t i = 0; i < n; i++)
                tmp[i] = r->addrs[(i + k) % n];
        memcpy(r->addrs, tmp, n * sizeof(tmp[0]));
}

static bool lookup_ptr(const struct nlab_dns_store *s, const struct scope *sc, const char *qname,
                       struct nlab_dns_result *r)
{
        struct in_addr addr;
        char ip[INET_ADDRSTRLEN];

        if (!nlab_dns_ptr_to_addr(qname, &addr) || !inet_ntop(AF_INET, &addr, ip, sizeof(ip)))
                return false;
        for (struct entry *e = map_find(&s->ptrs, ip); e; e = map_next(e)) {
                const struct rec_ep *ep = &e->c->eps[e->ep];

                if (!in_scope(sc, ep->network))
                        continue;
                snprintf(r->ptr, sizeof(r->ptr), "%s.%s", e->c->name, ep->network);
                r->is_ptr = true;
                return true;
        }
        return false;
}

static void lookup_name(const struct nlab_dns_store *s, const struct scope *sc, const char *qname,
                        struct nlab_dns_result *r)
{
        for (struct entry *e = map_find(&s->names, qname); e; e = map_next(e)) {
                int ep = e->ep >= 0 ? e->ep : pick_ep(e->c, sc);

                if (ep < 0 || !in_scope(sc, e->c->eps[ep].network))
                        continue;
                add_addr(r, e->c->eps[ep].addr);
        }
}

static const struct rec *find_asker(const struct nlab_dns_store *s, struct in_addr addr,
                                    const char *network)
{
        char key[NLAB_DNS_NAMEBUF], ip[INET_ADDRSTRLEN];
        struct entry *e;

        if (!inet_ntop(AF_INET, &addr, ip, sizeof(ip)))
                return NULL;
        snprintf(key, sizeof(key), "%s %s", ip, network);
        e = map_find(&s->askers, key);
        return e ? e->c : NULL;
}

bool nlab_dns_store_is_endpoint(const struct nlab_dns_store *s, struct in_addr addr,
                                const char *network)
{
        assert(s && network);
        return find_asker(s, addr, network) != NULL;
}

void nlab_dns_lookup(struct nlab_dns_store *s, const struct nlab_dns_asker *asker,
                     const char *qname, uint16_t qtype, struct nlab_dns_result *r)
{
        struct scope sc = {NULL, asker->network};

        assert(s && asker && asker->network && qname && r);
        memset(r, 0, sizeof(*r));
        if (!asker->host) {
                sc.asker = find_asker(s, asker->addr, asker->network);
                if (!sc.asker) {
                        r->verdict = NLAB_DNS_V_REFUSED;
                        return;
                }
        }
        if (sc.asker && sc.asker->n_dns) {
                r->upstreams = (const char *const *)sc.asker->dns;
                r->n_upstreams = sc.asker->n_dns;
        }
        if (lookup_ptr(s, &sc, qname, r)) {
                bool want = qtype == NLAB_DNS_T_PTR || qtype == NLAB_DNS_T_ANY;
                r->verdict = want ? NLAB_DNS_V_ANSWER : NLAB_DNS_V_NODATA;
                return;
        }
        lookup_name(s, &sc, qname, r);
        if (r->n_addrs > 0) {
                bool want = qtype == NLAB_DNS_T_A || qtype == NLAB_DNS_T_ANY;
                rotate(r, s->rotation++);
                r->verdict = want ? NLAB_DNS_V_ANSWER : NLAB_DNS_V_NODATA;
                if (!want)
                        r->n_addrs = 0;
                return;
        }
        r->verdict = internal_only(s, &sc) ? NLAB_DNS_V_NXDOMAIN : NLAB_DNS_V_FORWARD;
}
