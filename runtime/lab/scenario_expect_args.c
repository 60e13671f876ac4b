/* The words after a check's verb: the parties it names, B[:PORT[/tcp|udp]] [via host], the
 * addresses after '=', and exec's command with its "-> exit N" or "-> output contains TEXT". */
#include "runtime/lab/scenario_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/cidr.h"

/* "A.B.C.D/N" with N from min_prefix to max_prefix. */
static bool valid_cidr(const char *s, unsigned min_prefix, unsigned max_prefix)
{
        struct nlab_subnet sn;

        return nlab_cidr_parse(s, &sn, NULL) == 0 && sn.prefix >= min_prefix &&
               sn.prefix <= max_prefix;
}

static bool is_ipv4(const char *s)
{
        struct in_addr a;

        return inet_pton(AF_INET, s, &a) == 1;
}

/* A: host, an external host or a container named earlier with --name. */
int scn_check_party(struct pctx *c, size_t i, bool allow_ip, bool allow_outside)
{
        const char *n = c->tok[i].s;

        if (allow_ip && is_ipv4(n))
                return 0;
        if (!strcmp(n, "host") || scn_strv_has(&c->externals, n)) {
                if (allow_outside)
                        return 0;
                return scn_fail_at_tok(
                    c, i,
                    "\"%s\" is not a container: exec runs inside one; to look at "
                    "the lab host (the notes' brctl show, ip link), check it "
                    "(expect host has-interface netlab0) or press s under "
                    "scenario run --step for a shell there",
                    n);
        }
        if (scn_strv_has(&c->containers, n))
                return 0;
        return scn_fail_tok(c, i,
                            "unknown name \"%s\": not host, an external host, or a container named "
                            "with --name on an earlier line",
                            n);
}

static int parse_port(struct pctx *c, size_t i, char *colon, struct nlab_expect *ex)
{
        char *slash = strchr(colon + 1, '/'), *end;
        unsigned long p;

        if (slash) {
                if (!strcmp(slash + 1, "tcp"))
                        ex->proto = NLAB_PROTO_TCP;
                else if (!strcmp(slash + 1, "udp"))
                        ex->proto = NLAB_PROTO_UDP;
                else
                        return scn_fail_tok(c, i, "protocol in \"%s\": tcp or udp", c->tok[i].s);
                *slash = '\0';
        } else {
                ex->proto = NLAB_PROTO_TCP;
        }
        p = strtoul(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535 || colon[1] == '-' || colon[1] == '+')
                return scn_fail_tok(c, i, "port in \"%s\": a number from 1 to 65535", c->tok[i].s);
        ex->port = (unsigned)p;
        *colon = '\0';
        return 0;
}

int scn_parse_reach(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        char *colon;

        if (c->ntok < v + 2)
                return scn_fail_tok(c, v + 1, "%s: missing the target (B[:PORT[/tcp|udp]])",
                                    c->tok[v].s);
        if (c->ntok == v + 4 && !strcmp(c->tok[v + 2].s, "via") &&
            !strcmp(c->tok[v + 3].s, "host")) {
                ex->via_host = true;
                if (!strchr(c->tok[v + 1].s, ':'))
                        return scn_fail_tok(c, v + 1, "\"%s\": via host needs the container's port",
                                            c->tok[v + 1].s);
        } else if (c->ntok > v + 2) {
                return scn_fail_tok(
                    c, v + 2, "%s: too many arguments (only \"via host\" may follow)", c->tok[v].s);
        }
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return scn_oom(c);
        colon = strrchr(ex->target, ':');
        ex->proto = NLAB_PROTO_ICMP;
        if (colon && parse_port(c, v + 1, colon, ex) < 0)
                return -1;
        if (!ex->target[0])
                return scn_fail_tok(c, v + 1, "missing the target before \"%s\"", c->tok[v + 1].s);
        /* scn_check_party reads the token; check the name without its port */
        free(c->tok[v + 1].s);
        c->tok[v + 1].s = strdup(ex->target);
        if (!c->tok[v + 1].s)
                return scn_oom(c);
        if (ex->via_host && !scn_strv_has(&c->containers, ex->target))
                return scn_fail_tok(c, v + 1, "via host: \"%s\" must be a container", ex->target);
        return scn_check_party(c, v + 1, true, true);
}

/* IPs after '=': "10.0.0.2,10.0.0.3" or split over words. */
static int parse_addr_list(struct pctx *c, size_t from, struct nlab_expect *ex, bool cidr)
{
        size_t i;

        if (from >= c->ntok)
                return scn_fail_tok(c, from, "missing %s after '='",
                                    cidr ? "A.B.C.D/N" : "an address");
        for (i = from; i < c->ntok; i++) {
                char *dup = strdup(c->tok[i].s), *save = NULL, *p;
                if (!dup)
                        return scn_oom(c);
                for (p = strtok_r(dup, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                        bool ok = cidr ? valid_cidr(p, 0, 32) : is_ipv4(p);
                        char **grown;
                        if (!ok || (cidr && ex->naddrs)) {
                                free(dup);
                                return scn_fail_tok(c, i,
                                                    cidr ? "\"%s\": want one A.B.C.D/N"
                                                         : "\"%s\": want IPv4 addresses separated "
                                                           "by commas",
                                                    c->tok[i].s);
                        }
                        grown = realloc(ex->addrs, (ex->naddrs + 1) * sizeof(char *));
                        if (!grown) {
                                free(dup);
                                return scn_oom(c);
                        }
                        ex->addrs = grown;
                        ex->addrs[ex->naddrs++] = strdup(p);
                }
                free(dup);
        }
        return 0;
}

int scn_parse_resolves(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        bool positive = ex->kind == NLAB_EXPECT_RESOLVES;

        if (c->ntok < v + 2)
                return scn_fail_tok(c, v + 1, "%s: missing the name to look up", c->tok[v].s);
        if (scn_check_party(c, v - 1, false, true) < 0)
                return -1;
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return scn_oom(c);
        if (c->ntok == v + 2)
                return 0;
        if (!positive)
                return scn_fail_tok(c, v + 2, "%s: too many arguments", c->tok[v].s);
        if (strcmp(c->tok[v + 2].s, "="))
                return scn_fail_tok(c, v + 2, "expected '=' before the addresses, got \"%s\"",
                                    c->tok[v + 2].s);
        return parse_addr_list(c, v + 3, ex, false);
}

int scn_parse_has_interface(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        if (c->ntok < v + 2)
                return scn_fail_tok(c, v + 1, "%s: missing the interface name", c->tok[v].s);
        if (strlen(c->tok[v + 1].s) > 15)
                return scn_fail_tok(c, v + 1, "interface name \"%s\": at most 15 characters",
                                    c->tok[v + 1].s);
        ex->target = strdup(c->tok[v + 1].s);
        if (!ex->target)
                return scn_oom(c);
        if (c->ntok == v + 2)
                return 0;
        if (strcmp(c->tok[v + 2].s, "="))
                return scn_fail_tok(c, v + 2, "expected '=' before the address, got \"%s\"",
                                    c->tok[v + 2].s);
        return parse_addr_list(c, v + 3, ex, true);
}

/* "-> exit N" or "-> output contains TEXT..." from token i (just after the arrow) to end. */
static int parse_exec_clause(struct pctx *c, size_t i, size_t end, struct nlab_expect *ex)
{
        if (i < end && !strcmp(c->tok[i].s, "exit")) {
                char *e;
                long n;
                if (i + 2 != end)
                        return scn_fail_tok(c, i + 1 < end ? i + 2 : i,
                                            "%s: want -> exit N (0 to 255)", "exec");
                n = strtol(c->tok[i + 1].s, &e, 10);
                if (!c->tok[i + 1].s[0] || *e || n < 0 || n > 255)
                        return scn_fail_tok(c, i + 1, "exit status \"%s\": a number from 0 to 255",
                                            c->tok[i + 1].s);
                ex->exit_code = (int)n;
                return 0;
        }
        if (i + 1 < end && !strcmp(c->tok[i].s, "output") && !strcmp(c->tok[i + 1].s, "contains")) {
                size_t k, total = 1;
                if (i + 2 >= end)
                        return scn_fail_tok(c, i + 1, "%s: missing the text to look for",
                                            "output contains");
                for (k = i + 2; k < end; k++)
                        total += strlen(c->tok[k].s) + 1;
                free(ex->contains);
                ex->contains = calloc(1, total);
                if (!ex->contains)
                        return scn_oom(c);
                for (k = i + 2; k < end; k++) {
                        if (k > i + 2)
                                strcat(ex->contains, " ");
                        strcat(ex->contains, c->tok[k].s);
                }
                return 0;
        }
        return scn_fail_tok(c, i, "after '->': \"exit N\" or \"output contains TEXT\", not \"%s\"",
                            i < end ? c->tok[i].s : "");
}

int scn_parse_exec(struct pctx *c, size_t v, struct nlab_expect *ex)
{
        size_t i, cmd_end = c->ntok;

        if (scn_check_party(c, v - 1, false, false) < 0)
                return -1;
        for (i = v + 1; i < c->ntok; i++)
                if (!strcmp(c->tok[i].s, "->")) {
                        cmd_end = i;
                        break;
                }
        if (cmd_end == v + 1)
                return scn_fail_tok(c, v + 1, "%s: missing the command to run", "exec");
        ex->argv = scn_copy_argv(c, v + 1, cmd_end);
        ex->argc = cmd_end - v - 1;
        if (!ex->argv)
                return scn_oom(c);
        while (i < c->ntok) {
                size_t next = i + 1;
                while (next < c->ntok && strcmp(c->tok[next].s, "->"))
                        next++;
                if (parse_exec_clause(c, i + 1, next, ex) < 0)
                        return -1;
                i = next;
        }
        return 0;
}
