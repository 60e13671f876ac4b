/* Test driver for runtime/firewall.c: one verb per invocation, so integration tests can call the
 * API from bash. `render VERB ...` prints the batch the pure builders make instead of sending.
 *   fw_driver [render] ensure | teardown
 *   fw_driver [render] net-add|net-del BRIDGE CIDR [internal]
 *   fw_driver [render] ports-add|ports-del CTR_IP SPEC...
 *   fw_driver [render] ports-move OLD_IP NEW_IP SPEC...
 *   fw_driver [render] port-add|port-del IFNAME MAC IP [noicc] [IFNAME=CIDR...]
 *   fw_driver check-host SPEC */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kernel/firewall.h"
#include "runtime/kernel/fwbridge.h"
#include "runtime/base/ipam.h"
#include "runtime/base/portspec.h"

#define MAX_ROUTES 8

static bool has_flag(int argc, char **argv, const char *flag)
{
        for (int i = 0; i < argc; i++)
                if (strcmp(argv[i], flag) == 0)
                        return true;
        return false;
}

/* Parse every spec and resolve host ports as the CLI would (the kernel still refuses a port that
 * is already in the map). */
static int collect(int argc, char **argv, struct nlab_port_mapping **all, size_t *n,
                   struct nlab_err *err)
{
        *all = NULL;
        *n = 0;
        for (int i = 0; i < argc; i++) {
                struct nlab_port_mapping *m, *grown;
                size_t k;

                if (nlab_portspec_parse(argv[i], &m, &k, err) < 0)
                        return -1;
                grown = realloc(*all, (*n + k) * sizeof(*m));
                if (!grown) {
                        free(m);
                        return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
                }
                *all = grown;
                memcpy(*all + *n, m, k * sizeof(*m));
                *n += k;
                free(m);
        }
        return nlab_port_resolve("/proc", *all, *n, NULL, NULL, 0, err);
}

/* IFNAME=CIDR, split in place */
static int parse_route(char *arg, struct nlab_fw_route *rt, struct nlab_err *err)
{
        char *eq = strchr(arg, '='), *slash = eq ? strchr(eq, '/') : NULL;

        if (!slash)
                return nlab_err_set(err, NLAB_E_INVALID, "route %s: want IFNAME=CIDR", arg);
        *eq = *slash = '\0';
        rt->ifname = arg;
        rt->prefix = (unsigned)atoi(slash + 1);
        return nlab_ip_parse(eq + 1, "route", &rt->net, err);
}

/* IFNAME MAC IP [noicc] [IFNAME=CIDR...] into a port; routes point into argv. */
static int parse_port(int argc, char **argv, struct nlab_fw_port *p, struct nlab_fw_route *rt,
                      struct nlab_err *err)
{
        *p = (struct nlab_fw_port){.ifname = argv[0], .icc = true, .routes = rt};
        if (nlab_mac_parse(argv[1], p->mac, err) < 0 || nlab_ip_parse(argv[2], "ip", &p->ip, err))
                return -1;
        for (int i = 3; i < argc && p->n_routes < MAX_ROUTES; i++) {
                if (strcmp(argv[i], "noicc") == 0)
                        p->icc = false;
                else if (parse_route(argv[i], &rt[p->n_routes++], err) < 0)
                        return -1;
        }
        return 0;
}

static int build(struct nlab_fwb *b, int argc, char **argv, struct nlab_err *err)
{
        const char *verb = argv[0];
        struct nlab_port_mapping *m = NULL;
        size_t n = 0;
        int r;

        if (strcmp(verb, "ensure") == 0)
                return nlab_fw_build_ensure(b, err);
        if (strcmp(verb, "teardown") == 0)
                return nlab_fw_build_teardown(b, err);
        if ((strcmp(verb, "net-add") == 0 || strcmp(verb, "net-del") == 0) && argc >= 3) {
                bool add = verb[4] == 'a';

                if (add && nlab_fw_build_ensure(b, err) < 0)
                        return -1;
                return nlab_fw_build_network(b, add, argv[1], argv[2],
                                             has_flag(argc, argv, "internal"), err);
        }
        if ((strcmp(verb, "ports-add") == 0 || strcmp(verb, "ports-del") == 0) && argc >= 3) {
                if (collect(argc - 2, argv + 2, &m, &n, err) < 0)
                        return -1;
                r = nlab_fw_build_ports(b, verb[6] == 'a', m, n, argv[1], err);
                free(m);
                return r;
        }
        if ((strcmp(verb, "port-add") == 0 || strcmp(verb, "port-del") == 0) && argc >= 4) {
                struct nlab_fw_route rt[MAX_ROUTES];
                struct nlab_fw_port p;

                if (parse_port(argc - 1, argv + 1, &p, rt, err) < 0)
                        return -1;
                return nlab_fwbridge_build_port(b, verb[5] == 'a', &p, err);
        }
        if (strcmp(verb, "ports-move") == 0 && argc >= 4) {
                if (collect(argc - 3, argv + 3, &m, &n, err) < 0)
                        return -1;
                r = nlab_fw_build_ports(b, false, m, n, argv[1], err);
                if (r == 0)
                        r = nlab_fw_build_ports(b, true, m, n, argv[2], err);
                free(m);
                return r;
        }
        return nlab_err_set(err, NLAB_E_INVALID, "unknown verb %s", verb);
}

/* The public verbs, as the CLI calls them: each one batch, sent and acknowledged. */
static int run(int argc, char **argv, struct nlab_err *err)
{
        const char *verb = argv[0];
        struct nlab_port_mapping *m = NULL;
        size_t n = 0;
        int r;

        if (strcmp(verb, "ensure") == 0)
                return nlab_fw_ensure(err);
        if (strcmp(verb, "teardown") == 0)
                return nlab_fw_teardown(err);
        if ((strcmp(verb, "net-add") == 0 || strcmp(verb, "net-del") == 0) && argc >= 3)
                return (verb[4] == 'a' ? nlab_fw_network_add : nlab_fw_network_del)(
                    argv[1], argv[2], has_flag(argc, argv, "internal"), err);
        if ((strcmp(verb, "ports-add") == 0 || strcmp(verb, "ports-del") == 0) && argc >= 3) {
                if (collect(argc - 2, argv + 2, &m, &n, err) < 0)
                        return -1;
                r = (verb[6] == 'a' ? nlab_fw_ports_add : nlab_fw_ports_del)(m, n, argv[1], err);
                free(m);
                return r;
        }
        if ((strcmp(verb, "port-add") == 0 || strcmp(verb, "port-del") == 0) && argc >= 4) {
                struct nlab_fw_route rt[MAX_ROUTES];
                struct nlab_fw_port p;

                if (parse_port(argc - 1, argv + 1, &p, rt, err) < 0)
                        return -1;
                return (verb[5] == 'a' ? nlab_fw_port_add : nlab_fw_port_del)(&p, err);
        }
        if (strcmp(verb, "ports-move") == 0 && argc >= 4) {
                if (collect(argc - 3, argv + 3, &m, &n, err) < 0)
                        return -1;
                r = nlab_fw_ports_move(m, n, argv[1], argv[2], err);
                free(m);
                return r;
        }
        return nlab_err_set(err, NLAB_E_INVALID, "unknown verb %s", verb);
}

static int check_host(int argc, char **argv, struct nlab_err *err)
{
        struct nlab_port_mapping *m;
        size_t n;
        int r = 0;

        if (argc < 2)
                return nlab_err_set(err, NLAB_E_INVALID, "check-host SPEC");
        if (nlab_portspec_parse(argv[1], &m, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++)
                r = nlab_port_check_host("/proc", m[i].host_ip, m[i].host_port, m[i].proto, err);
        free(m);
        return r;
}

int main(int argc, char **argv)
{
        struct nlab_err err = {0};
        struct nlab_fwb b;
        bool render;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: fw_driver [render] VERB ARGS... | check-host SPEC\n");
                return 2;
        }
        if (strcmp(argv[1], "check-host") == 0) {
                r = check_host(argc - 1, argv + 1, &err);
                goto out;
        }
        render = strcmp(argv[1], "render") == 0;
        if (!render) {
                r = run(argc - 1, argv + 1, &err);
                goto out;
        }
        if (argc < 3)
                return 2;
        nlab_fwb_init(&b);
        r = build(&b, argc - 2, argv + 2, &err);
        if (r == 0) {
                char *text = nlab_fwb_render(&b);

                fputs(text ? text : "", stdout);
                free(text);
        }
        nlab_fwb_free(&b);
out:
        if (r < 0)
                fprintf(stderr, "fw_driver: error: %s\n", err.msg);
        return r < 0 ? 1 : 0;
}
