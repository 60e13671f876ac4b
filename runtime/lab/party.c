/* Names into parties: where each sits and what address reaches it. */
#include "runtime/lab/party.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/ctr/container.h"
#include "runtime/ctr/netmode.h"
#include "runtime/base/proc.h"

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

        if (nlab_store_resolve(st, owner_ref, id, NULL) < 0 ||
            nlab_container_load(st, id, &p->owner_cfg, &state, NULL) < 0)
                return;
        name = json_string_value(json_object_get(p->owner_cfg, "Name"));
        snprintf(p->owner, sizeof(p->owner), "%s", name ? name + (name[0] == '/') : owner_ref);
        p->nets = nlab_netmode_networks(p->owner_cfg);
        p->in_host_ns = !strcmp(nlab_netmode_of(p->owner_cfg), "host");
        p->owner_running = nlab_container_running(&state);
        p->stale =
            p->running && !p->in_host_ns && (!p->owner_running || !same_netns(p->pid, state.pid));
}

static int load_container(struct nlab_store *st, struct nlab_party *p, struct nlab_err *err)
{
        const char *mode;

        if (nlab_store_resolve(st, p->name, p->id, err) < 0 ||
            nlab_container_load(st, p->id, &p->cfg, &p->state, err) < 0)
                return -1;
        p->kind = NLAB_PARTY_CONTAINER;
        p->running = nlab_container_running(&p->state);
        p->pid = p->running ? p->state.pid : 0;
        p->nets = nlab_netmode_networks(p->cfg);
        mode = nlab_netmode_of(p->cfg);
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

void nlab_party_free(struct nlab_party *p)
{
        if (!p)
                return;
        json_decref(p->cfg);
        json_decref(p->owner_cfg);
        p->cfg = p->owner_cfg = NULL;
        p->nets = NULL;
}

const char *nlab_party_netns(const struct nlab_party *p)
{
        return p->in_host_ns || !p->netns[0] ? NULL : p->netns;
}

const char *nlab_party_name(const struct nlab_party *p)
{
        const char *n = p->cfg ? json_string_value(json_object_get(p->cfg, "Name")) : NULL;

        if (!n)
                return p->name;
        return n[0] == '/' ? n + 1 : n;
}

int nlab_party_host_address(const struct nlab_party *a, struct in_addr *ip, char *why, size_t size)
{
        json_t *ep;
        const char *k, *gw = NULL;

        if (a->in_host_ns || a->kind == NLAB_PARTY_ADDRESS)
                return inet_pton(AF_INET, "127.0.0.1", ip) == 1 ? 0 : -1;
        if (a->kind == NLAB_PARTY_EXTERNAL && a->x) {
                *ip = a->x->host_addr;
                return 0;
        }
        json_object_foreach((json_t *)a->nets, k, ep)
        {
                gw = json_string_value(json_object_get(ep, "Gateway"));
                if (gw && gw[0])
                        break;
        }
        if (!gw || inet_pton(AF_INET, gw, ip) != 1) {
                snprintf(why, size, "%s has no network, so no way to the lab host", a->name);
                return -1;
        }
        return 0;
}

int nlab_party_target_address(const struct nlab_party *a, const struct nlab_party *b,
                              struct in_addr *ip, char *why, size_t size)
{
        const json_t *anets;
        const char *k, *pick = NULL;
        json_t *ep;

        if (b->kind == NLAB_PARTY_ADDRESS) {
                *ip = b->ip;
                return 0;
        }
        if (b->kind == NLAB_PARTY_EXTERNAL && b->x) {
                *ip = b->x->addr;
                return 0;
        }
        if (b->kind == NLAB_PARTY_HOST || b->in_host_ns)
                return nlab_party_host_address(a, ip, why, size);
        anets = a->kind == NLAB_PARTY_CONTAINER ? a->nets : NULL;
        json_object_foreach((json_t *)b->nets, k, ep)
        {
                const char *addr = json_string_value(json_object_get(ep, "IPAddress"));
                if (!addr || !addr[0])
                        continue;
                if (!pick || (anets && json_object_get(anets, k))) {
                        pick = addr;
                        if (anets && json_object_get(anets, k))
                                break;
                }
        }
        if (!pick || inet_pton(AF_INET, pick, ip) != 1) {
                snprintf(why, size, "%s has no address (no network attached)", b->name);
                return -1;
        }
        return 0;
}

/* NetworkSettings.Ports in Docker's shape: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort":
 * "32768"}]}. For container:NAME the owner publishes. */
static json_t *ports_of(const struct nlab_party *b)
{
        const json_t *cfg = b->owner_cfg ? b->owner_cfg : b->cfg;

        return json_object_get(json_object_get(cfg, "NetworkSettings"), "Ports");
}

unsigned nlab_party_published_port(const struct nlab_party *b, unsigned port, enum nlab_proto proto,
                                   char *why, size_t size)
{
        const char *hp;
        char key[32];

        snprintf(key, sizeof(key), "%u/%s", port, proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        hp = json_string_value(
            json_object_get(json_array_get(json_object_get(ports_of(b), key), 0), "HostPort"));
        if (!hp || atoi(hp) <= 0) {
                snprintf(why, size, "%s's port %s is not published on the host", b->name, key);
                return 0;
        }
        return (unsigned)atoi(hp);
}

unsigned nlab_party_container_port(const struct nlab_party *b, unsigned host_port,
                                   enum nlab_proto proto)
{
        const char *key, *want = proto == NLAB_PROTO_UDP ? "/udp" : "/tcp";
        json_t *binds, *bind;
        size_t i;

        json_object_foreach(ports_of(b), key, binds)
        {
                const char *slash = strchr(key, '/');
                if (!slash || strcmp(slash, want))
                        continue;
                json_array_foreach(binds, i, bind)
                {
                        const char *hp = json_string_value(json_object_get(bind, "HostPort"));
                        if (hp && (unsigned)atoi(hp) == host_port)
                                return (unsigned)atoi(key);
                }
        }
        return 0;
}
