/* Routers between networks, from the kernel: netlab keeps networks apart, but a container on
 * two of them with forwarding on carries traffic across when both ends route through it. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/cidr.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"
#include "runtime/lab/explain_int.h"
#include "runtime/net/network.h"

/* net.ipv4.ip_forward of p's namespace: /proc/sys/net shows the reader's own namespace, so a
 * forked child joins p's and reads it there. */
static bool forwards(const struct nlab_party *p)
{
        const char *ns = nlab_party_netns(p);
        int status = 0;
        pid_t pid;

        if (!ns)
                return false;
        pid = fork();
        if (pid < 0)
                return false;
        if (pid == 0) {
                char c = '0';
                int fd = open(ns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                        _exit(2);
                fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, &c, 1) != 1)
                        _exit(2);
                _exit(c == '1' ? 0 : 1);
        }
        while (waitpid(pid, &status, 0) < 0)
                ;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Does p's namespace have a route (not the default one) that takes traffic to subnet? */
static bool routes_to(const struct nlab_party *p, const struct nlab_subnet *subnet)
{
        struct nlab_nl *nl = nlab_nl_open(nlab_party_netns(p), NULL);
        struct nlab_subnet *v = NULL;
        bool hit = false;
        size_t n = 0, i;

        if (!nl)
                return false;
        if (nlab_route_list_v4(nl, &v, &n, NULL) == 0)
                for (i = 0; i < n && !hit; i++)
                        hit = v[i].prefix > 0 && v[i].prefix <= subnet->prefix &&
                              nlab_subnet_contains(&v[i], subnet->net);
        free(v);
        nlab_nl_close(nl);
        return hit;
}

static bool on_net(const struct nlab_party *p, const char *net)
{
        return nlab_party_endpoint(p, net) != NULL;
}

/* A container on both networks that forwards. */
static const struct nlab_party *relay(const struct xp_subject *s, const char *a, const char *b)
{
        size_t i;

        for (i = 0; i < s->lab->n; i++) {
                const struct nlab_party *r = &s->lab->ctrs[i];
                if (r->running && !r->stale && !r->in_host_ns && on_net(r, a) && on_net(r, b) &&
                    forwards(r))
                        return r;
        }
        return NULL;
}

int nlab_xp_route(const struct xp_subject *s, const struct nlab_party *p, size_t *net_index,
                  const struct nlab_party **router)
{
        size_t i, j;

        for (j = 0; j < nlab_party_n_endpoints(p); j++) {
                const char *m = nlab_party_endpoint_at(p, j)->network;
                struct nlab_net mnet;
                if (nlab_network_load(s->lab->st, m, &mnet, NULL) < 0 || !mnet.has_pool ||
                    !routes_to(s->b, &mnet.pool.subnet))
                        continue;
                for (i = 0; i < s->nnets; i++) {
                        if (!s->nets[i].has_pool || !routes_to(p, &s->nets[i].pool.subnet))
                                continue;
                        *router = relay(s, s->eps[i]->network, m);
                        if (*router) {
                                *net_index = i;
                                return 1;
                        }
                }
        }
        return 0;
}
