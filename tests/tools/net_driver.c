/* Test driver: runs one endpoint/link verb against the kernel and reports the error, so shell
 * tests can observe the result with ip(8) from outside. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kernel/addr.h"
#include "runtime/kernel/endpoint.h"
#include "runtime/base/ipam.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"

static int usage(void)
{
        fprintf(stderr,
                "usage: net_driver bridge-ensure NAME GW/PREFIX [MTU]\n"
                "       net_driver bridge-rm NAME\n"
                "       net_driver attach NETNS BRIDGE HOSTIF CTRIF IP/PREFIX GW|- "
                "[MAC|-] [MTU]\n"
                "       net_driver detach NETNS|- IFNAME\n"
                "       net_driver lo-up NETNS\n"
                "       net_driver routes | pick-pool | list-kind KIND\n"
                "       net_driver host-ifname CTR NET\n"
                "       net_driver veth NAME PEER\n"
                "       net_driver link NAME info|up|down|mtu N|mac MAC|master BR|nomaster\n"
                "       net_driver addr-add|addr-del IFNAME A.B.C.D/N\n");
        return 2;
}

/* "10.0.0.2/24" keeping the host bits, which nlab_cidr_parse would clear. */
static int parse_addr_prefix(const char *s, struct in_addr *a, unsigned *prefix,
                             struct nlab_err *err)
{
        char buf[64];
        char *slash;

        snprintf(buf, sizeof(buf), "%s", s);
        slash = strchr(buf, '/');
        if (!slash)
                return nlab_err_set(err, NLAB_E_INVALID, "expected A.B.C.D/N: %s", s);
        *slash = '\0';
        *prefix = (unsigned)atoi(slash + 1);
        return nlab_ip_parse(buf, "address", a, err);
}

static int cmd_attach(int argc, char **argv, struct nlab_err *err)
{
        struct nlab_endpoint_req req = {0};

        if (argc < 7)
                return usage();
        req.netns_path = argv[1];
        req.bridge = argv[2];
        req.host_ifname = argv[3];
        req.ctr_ifname = argv[4];
        if (parse_addr_prefix(argv[5], &req.ip, &req.prefix, err) < 0)
                return -1;
        if (strcmp(argv[6], "-")) {
                req.default_route = true;
                if (nlab_ip_parse(argv[6], "gateway", &req.gateway, err) < 0)
                        return -1;
        }
        if (argc > 7 && strcmp(argv[7], "-"))
                req.mac = argv[7];
        if (argc > 8)
                req.mtu = (unsigned)atoi(argv[8]);
        return nlab_endpoint_attach(&req, err);
}

static int cmd_routes(int pick, struct nlab_err *err)
{
        struct nlab_nl *nl = nlab_nl_open(NULL, err);
        struct nlab_subnet *v, pool;
        char c[NLAB_CIDR_STRLEN];
        size_t n, i;
        int r;

        if (!nl)
                return -1;
        r = nlab_route_list_v4(nl, &v, &n, err);
        nlab_nl_close(nl);
        if (r < 0)
                return r;
        if (pick)
                r = nlab_ipam_pick_pool(v, n, &pool, err);
        if (pick && r == 0)
                printf("%s\n", nlab_cidr_format(&pool, c));
        for (i = 0; !pick && i < n; i++)
                printf("%s\n", nlab_cidr_format(&v[i], c));
        free(v);
        return r;
}

static int cmd_list_kind(const char *kind, struct nlab_err *err)
{
        struct nlab_nl *nl = nlab_nl_open(NULL, err);
        char(*names)[NLAB_IFNAMSIZ];
        size_t n, i;
        int r;

        if (!nl)
                return -1;
        r = nlab_link_list_kind(nl, kind, &names, &n, err);
        nlab_nl_close(nl);
        if (r < 0)
                return r;
        for (i = 0; i < n; i++)
                printf("%s\n", names[i]);
        free(names);
        return 0;
}

static int link_info(struct nlab_nl *nl, const char *name, struct nlab_err *err)
{
        struct nlab_link_info info;
        int r = nlab_link_lookup(nl, name, &info, err);

        if (r == 1)
                printf("ifindex=%d kind=%s mtu=%u up=%d master=%d\n", info.ifindex, info.kind,
                       info.mtu, info.up, info.master);
        else if (r == 0)
                printf("absent\n");
        return r < 0 ? r : 0;
}

static int link_verb(struct nlab_nl *nl, int argc, char **argv, struct nlab_err *err)
{
        const char *name = argv[1], *verb = argv[2];
        uint8_t mac[6];

        if (!strcmp(verb, "info"))
                return link_info(nl, name, err);
        if (!strcmp(verb, "up") || !strcmp(verb, "down"))
                return nlab_link_set_up(nl, name, !strcmp(verb, "up"), err);
        if (!strcmp(verb, "nomaster"))
                return nlab_link_set_master(nl, name, NULL, err);
        if (argc < 4)
                return usage();
        if (!strcmp(verb, "mtu"))
                return nlab_link_set_mtu(nl, name, (unsigned)atoi(argv[3]), err);
        if (!strcmp(verb, "master"))
                return nlab_link_set_master(nl, name, argv[3], err);
        if (!strcmp(verb, "mac")) {
                if (nlab_mac_parse(argv[3], mac, err) < 0)
                        return -1;
                return nlab_link_set_mac(nl, name, mac, err);
        }
        return usage();
}

/* Verbs on one link or address in the caller's netns. */
static int cmd_link(int argc, char **argv, struct nlab_err *err)
{
        struct nlab_nl *nl;
        struct in_addr a;
        unsigned prefix;
        int r;

        if (argc < 3)
                return usage();
        nl = nlab_nl_open(NULL, err);
        if (!nl)
                return -1;
        if (!strcmp(argv[0], "veth"))
                r = nlab_link_veth_add(nl, argv[1], NULL, argv[2], NULL, 0, err);
        else if (!strcmp(argv[0], "link"))
                r = link_verb(nl, argc, argv, err);
        else if (parse_addr_prefix(argv[2], &a, &prefix, err) < 0)
                r = -1;
        else if (!strcmp(argv[0], "addr-add"))
                r = nlab_addr_add(nl, argv[1], a, prefix, err);
        else
                r = nlab_addr_del(nl, argv[1], a, prefix, err);
        nlab_nl_close(nl);
        return r;
}

static int run(int argc, char **argv, struct nlab_err *err)
{
        struct in_addr gw;
        unsigned prefix;
        char name[NLAB_IFNAMSIZ];

        if (!strcmp(argv[0], "bridge-ensure") && argc >= 3) {
                if (parse_addr_prefix(argv[2], &gw, &prefix, err) < 0)
                        return -1;
                return nlab_bridge_ensure(argv[1], gw, prefix,
                                          argc > 3 ? (unsigned)atoi(argv[3]) : 0, err);
        }
        if (!strcmp(argv[0], "bridge-rm") && argc == 2)
                return nlab_bridge_remove(argv[1], err);
        if (!strcmp(argv[0], "attach"))
                return cmd_attach(argc, argv, err);
        if (!strcmp(argv[0], "detach") && argc == 3)
                return nlab_endpoint_detach(strcmp(argv[1], "-") ? argv[1] : NULL, argv[2], err);
        if (!strcmp(argv[0], "lo-up") && argc == 2)
                return nlab_netns_lo_up(argv[1], err);
        if (!strcmp(argv[0], "routes") || !strcmp(argv[0], "pick-pool"))
                return cmd_routes(!strcmp(argv[0], "pick-pool"), err);
        if (!strcmp(argv[0], "list-kind") && argc == 2)
                return cmd_list_kind(argv[1], err);
        if (!strcmp(argv[0], "veth") || !strcmp(argv[0], "link") || !strcmp(argv[0], "addr-add") ||
            !strcmp(argv[0], "addr-del"))
                return cmd_link(argc, argv, err);
        if (!strcmp(argv[0], "host-ifname") && argc == 3) {
                nlab_endpoint_host_ifname(argv[1], argv[2], name);
                printf("%s\n", name);
                return 0;
        }
        return usage();
}

int main(int argc, char **argv)
{
        struct nlab_err err = {0};
        int r;

        if (argc < 2)
                return usage();
        r = run(argc - 1, argv + 1, &err);
        if (r == 2)
                return 2;
        if (r < 0) {
                fprintf(stderr, "net_driver: error: %s\n", err.msg);
                return 1;
        }
        return 0;
}
