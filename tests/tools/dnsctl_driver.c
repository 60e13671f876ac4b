/* Test helper: drive the runtime's netlab-dns client API from the shell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/dnsctl.h"

#define MAX_ITEMS 32

static int usage(void)
{
        fprintf(
            stderr,
            "usage: dnsctl_driver ROOT put-network NAME GATEWAY [internal]\n"
            "       dnsctl_driver ROOT drop-network NAME\n"
            "       dnsctl_driver ROOT put-container ID NAME [--dns IP]... NET:IP[:ALIAS,...]...\n"
            "       dnsctl_driver ROOT drop-container ID\n");
        return 2;
}

/* "net:ip:a,b" -> endpoint; the string is split in place. */
static int parse_endpoint(char *spec, struct nlab_dns_endpoint *ep, const char **aliases)
{
        char *ip = strchr(spec, ':'), *al;

        if (!ip)
                return -1;
        *ip++ = '\0';
        al = strchr(ip, ':');
        ep->network = spec;
        ep->ip = ip;
        ep->aliases = aliases;
        ep->n_aliases = 0;
        if (!al)
                return 0;
        *al++ = '\0';
        for (char *tok = strtok(al, ","); tok && ep->n_aliases < MAX_ITEMS; tok = strtok(NULL, ","))
                aliases[ep->n_aliases++] = tok;
        return 0;
}

static int put_container(const char *root, int argc, char **argv, struct nlab_err *err)
{
        static const char *aliases[MAX_ITEMS][MAX_ITEMS];
        struct nlab_dns_endpoint eps[MAX_ITEMS];
        const char *dns[MAX_ITEMS];
        struct nlab_dns_container c = {
            .id = argv[0], .name = argv[1], .dns_servers = dns, .endpoints = eps};

        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc && c.n_dns_servers < MAX_ITEMS) {
                        dns[c.n_dns_servers++] = argv[++i];
                        continue;
                }
                if (c.n_endpoints == MAX_ITEMS ||
                    parse_endpoint(argv[i], &eps[c.n_endpoints], aliases[c.n_endpoints]) < 0)
                        return usage();
                c.n_endpoints++;
        }
        return nlab_dns_put_container(root, &c, err) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        struct nlab_err err = {0};
        const char *root, *cmd;
        int r;

        if (argc < 4)
                return usage();
        root = argv[1];
        cmd = argv[2];
        if (strcmp(cmd, "put-network") == 0 && (argc == 5 || argc == 6))
                r = nlab_dns_put_network(root, argv[3], argv[4],
                                         argc == 6 && strcmp(argv[5], "internal") == 0, &err);
        else if (strcmp(cmd, "drop-network") == 0 && argc == 4)
                r = nlab_dns_drop_network(root, argv[3], &err);
        else if (strcmp(cmd, "put-container") == 0 && argc >= 5)
                r = put_container(root, argc - 3, argv + 3, &err);
        else if (strcmp(cmd, "drop-container") == 0 && argc == 4)
                r = nlab_dns_drop_container(root, argv[3], &err);
        else
                return usage();
        if (r == 2)
                return 2;
        if (r != 0) {
                fprintf(stderr, "dnsctl_driver: %s\n", err.msg);
                return 1;
        }
        return 0;
}
