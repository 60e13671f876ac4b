/* Names into parties: where each sits and what address reaches it. */
#include "runtime/lab/party.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/ctr/container.h"
#include "runtime/ctr/netmode.h"
#include "runtime/base/proc.h"
#include "runtime/lab/probe.h"

static const struct nlab_external *find_external(const struct nlab_external *ext, size_t n,
                                                 const char *name)
{
        size_t i;

        for (i = 0; ext && i < n; i++)
                if (!strcmp(ext[i].name, name))
                        return &ext[i];
        return NULL;
}

/* Same network namespace? Compared by the nsfs inode, as ip netns identify does. */
static bool same_netns(int pid_a, int pid_b)
{
        char pa[NLAB_NETNS_PATH_LEN], pb[NLAB_NETNS_PATH_LEN];
        struct stat sa, sb;

        if (stat(nlab_proc_netns_path(pid_a, pa), &sa) < 0 ||
            stat(nlab_proc_netns_path(pid_b, pb), &sb) < 0)
                return false;
        return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* container:NAME follows its owner's networks; if the owner restarted since, the container is
 * still in the owner's old namespace, which nothing is attached to any more. */
static void load_owner(struct nlab_store *st, struct nlab_party *p, const char *owner_ref)
{
        struct nlab_ctr_state state;
        char id[NLAB_ID_LEN + 1];
        const char *name;

        p->owner_cfg = calloc(1, sizeof(*p->owner_cfg));
        if (!p->owner_cfg || nlab_store_resolve(st, owner_ref, id, NULL) < 0 ||
            nlab_container_load(st, id, p->owner_cfg, &state, NULL) < 0) {
                free(p->owner_cfg);
                p->owner_cfg = NULL;
                return;
        }
        name = p->owner_cfg->name;
        snprintf(p->owner, sizeof(p->owner), "%s", name + (name[0] == '/'));
        p->net_cfg = p->owner_cfg;
        p->in_host_ns = !strcmp(p->owner_cfg->network_mode, "host");
        p->owner_running = nlab_container_running(&state);
        p->stale =
            p->running && !p->in_host_ns && (!p->owner_running || !same_netns(p->pid, state.pid));
}

static int load_container(struct nlab_store *st, struct nlab_party *p, struct nlab_err *err)
{
        const char *mode;

        p->cfg = calloc(1, sizeof(*p->cfg));
        if (!p->cfg)
                return nlab_err_sys(err, ENOMEM, "container %s", p->name);
        if (nlab_store_resolve(st, p->name, p->id, err) < 0 ||
            nlab_container_load(st, p->id, p->cfg, &p->state, err) < 0)
                return -1;
        p->kind = NLAB_PARTY_CONTAINER;
        p->running = nlab_container_running(&p->state);
        p->pid = p->running ? p->state.pid : 0;
        p->net_cfg = p->cfg;
        mode = p->cfg->network_mode;
        p->in_host_ns = !strcmp(mode, "host");
        if (nlab_netmode_container_ref(mode))
                load_owner(st, p, nlab_netmode_container_ref(mode));
        if (!p->in_host_ns)
                nlab_proc_netns_path(p->pid, p->netns);
        return 0;
}

/* A test host made with ip netns add NAME (the integration tests' make_external). */
static bool named_netns(struct nlab_party *p)
{
        struct stat sb;

        if (strchr(p->name, '/') || p->name[0] == '.')
                return false;
        snprintf(p->netns, sizeof(p->netns), "/run/netns/%s", p->name);
        if (stat(p->netns, &sb) == 0)
                return true;
        p->netns[0] = '\0';
        return false;
}

int nlab_party_load(struct nlab_store *st, const char *name, const struct nlab_external *ext,
                    size_t next, unsigned flags, struct nlab_party *p, struct nlab_err *err)
{
        struct nlab_err cerr;

        assert(st && name && p);
        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", name);
        if (inet_pton(AF_INET, name, &p->ip) == 1) {
                p->kind = NLAB_PARTY_ADDRESS;
                return 0;
        }
        if (!strcmp(name, "host")) {
                p->kind = NLAB_PARTY_HOST;
                p->in_host_ns = true;
                return 0;
        }
        p->x = find_external(ext, next, name);
        if (p->x) {
                p->kind = NLAB_PARTY_EXTERNAL;
                snprintf(p->netns, sizeof(p->netns), "%s", p->x->netns_path);
                return 0;
        }
        if (load_container(st, p, &cerr) == 0)
                return 0;
        nlab_party_free(p);
        snprintf(p->name, sizeof(p->name), "%s", name);
        if (cerr.kind == NLAB_E_NOTFOUND && (flags & NLAB_PARTY_NAMED_NETNS) && named_netns(p)) {
                p->kind = NLAB_PARTY_EXTERNAL;
                return 0;
        }
        if (err)
                *err = cerr;
        return -1;
}

static void free_cfg(struct nlab_ctr_config *c)
{
        if (c)
                nlab_ctr_config_free(c);
        free(c);
}

void nlab_party_free(struct nlab_party *p)
{
        if (!p)
                return;
        free_cfg(p->cfg);
        free_cfg(p->owner_cfg);
        p->cfg = p->owner_cfg = NULL;
        p->net_cfg = NULL;
}

const char *nlab_party_netns(const struct nlab_party *p)
{
        return p->in_host_ns || !p->netns[0] ? NULL : p->netns;
}

const char *nlab_party_name(const struct nlab_party *p)
{
        const char *n = p->cfg ? p->cfg->name : NULL;

        if (!n)
                return p->name;
        return n[0] == '/' ? n + 1 : n;
}

size_t nlab_party_n_endpoints(const struct nlab_party *p)
{
        return p->net_cfg ? p->net_cfg->n_networks : 0;
}

const struct nlab_ctr_endpoint *nlab_party_endpoint_at(const struct nlab_party *p, size_t i)
{
        return i < nlab_party_n_endpoints(p) ? &p->net_cfg->networks[i] : NULL;
}

const struct nlab_ctr_endpoint *nlab_party_endpoint(const struct nlab_party *p, const char *net)
{
        return p->net_cfg ? nlab_ctr_config_endpoint(p->net_cfg, net) : NULL;
}

int nlab_party_host_address(const struct nlab_party *a, struct in_addr *ip, char *why, size_t size)
{
        const char *gw = NULL;
        size_t i;

        if (a->in_host_ns || a->kind == NLAB_PARTY_ADDRESS)
                return inet_pton(AF_INET, "127.0.0.1", ip) == 1 ? 0 : -1;
        if (a->kind == NLAB_PARTY_EXTERNAL && a->x) {
                *ip = a->x->host_addr;
                return 0;
        }
        for (i = 0; i < nlab_party_n_endpoints(a); i++) {
                gw = nlab_party_endpoint_at(a, i)->gateway;
                if (gw && gw[0])
                        break;
        }
        if (!gw || inet_pton(AF_INET, gw, ip) != 1) {
                snprintf(why, size, "%s has no network, so no way to the lab host", a->name);
                return -1;
        }
        return 0;
}

/* A test host made by hand (/run/netns/NAME) is reached at its first address that is not lo's. */
static int named_netns_address(const struct nlab_party *b, struct in_addr *ip, char *why,
                               size_t size)
{
        struct nlab_probe_ifaddr ifs[16];
        size_t n = 0, i;

        if (nlab_probe_interfaces(b->netns, ifs, 16, &n, NULL) == 0)
                for (i = 0; i < n; i++)
                        if (ifs[i].has_v4 && strcmp(ifs[i].ifname, "lo")) {
                                *ip = ifs[i].addr;
                                return 0;
                        }
        snprintf(why, size, "external host %s has no IPv4 address", b->name);
        return -1;
}

int nlab_party_target_address(const struct nlab_party *a, const struct nlab_party *b,
                              struct in_addr *ip, char *why, size_t size)
{
        const char *pick = NULL;
        size_t i;

        if (b->kind == NLAB_PARTY_ADDRESS) {
                *ip = b->ip;
                return 0;
        }
        if (b->kind == NLAB_PARTY_EXTERNAL && b->x) {
                *ip = b->x->addr;
                return 0;
        }
        if (b->kind == NLAB_PARTY_EXTERNAL)
                return named_netns_address(b, ip, why, size);
        if (b->kind == NLAB_PARTY_HOST || b->in_host_ns)
                return nlab_party_host_address(a, ip, why, size);
        for (i = 0; i < nlab_party_n_endpoints(b); i++) {
                const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(b, i);
                bool shared =
                    a->kind == NLAB_PARTY_CONTAINER && nlab_party_endpoint(a, ep->network);
                if (!ep->ip_address || !ep->ip_address[0])
                        continue;
                if (!pick || shared) {
                        pick = ep->ip_address;
                        if (shared)
                                break;
                }
        }
        if (!pick || inet_pton(AF_INET, pick, ip) != 1) {
                snprintf(why, size, "%s has no address (no network attached)", b->name);
                return -1;
        }
        return 0;
}

/* NetworkSettings.Ports: for container:NAME the owner publishes. */
static const struct nlab_port_map *ports_of(const struct nlab_party *b)
{
        static const struct nlab_port_map none;
        const struct nlab_ctr_config *cfg = b->owner_cfg ? b->owner_cfg : b->cfg;

        return cfg ? &cfg->ports : &none;
}

unsigned nlab_party_published_port(const struct nlab_party *b, unsigned port, enum nlab_proto proto,
                                   char *why, size_t size)
{
        const struct nlab_port_map *ports = ports_of(b);
        const char *hp = NULL;
        char key[32];
        size_t i;

        snprintf(key, sizeof(key), "%u/%s", port, proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        for (i = 0; i < ports->n; i++)
                if (!strcmp(ports->v[i].key, key) && ports->v[i].n)
                        hp = ports->v[i].v[0].host_port;
        if (!hp || atoi(hp) <= 0) {
                snprintf(why, size, "%s's port %s is not published on the host", b->name, key);
                return 0;
        }
        return (unsigned)atoi(hp);
}

unsigned nlab_party_container_port(const struct nlab_party *b, unsigned host_port,
                                   enum nlab_proto proto)
{
        const struct nlab_port_map *ports = ports_of(b);
        const char *want = proto == NLAB_PROTO_UDP ? "/udp" : "/tcp";
        size_t i, j;

        for (i = 0; i < ports->n; i++) {
                const char *slash = strchr(ports->v[i].key, '/');
                if (!slash || strcmp(slash, want))
                        continue;
                for (j = 0; j < ports->v[i].n; j++)
                        if ((unsigned)atoi(ports->v[i].v[j].host_port) == host_port)
                                return (unsigned)atoi(ports->v[i].key);
        }
        return 0;
}
