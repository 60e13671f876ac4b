/* netlab explain CONTAINER[:PORT[/tcp|udp]] | --all [--verify] [--json]: who can reach what. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "runtime/lab/explain.h"

static const struct nlab_flag explain_flags[] = {
    {"all", 'a', NLAB_FLAG_BOOL, NULL},
    {"verify", 0, NLAB_FLAG_BOOL, NULL},
    {"json", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 'h', NLAB_FLAG_BOOL, NULL},
};
#define N_EXPLAIN_FLAGS (sizeof(explain_flags) / sizeof(explain_flags[0]))

static const char *proto_str(enum nlab_proto p)
{
        return p == NLAB_PROTO_UDP ? "udp" : "tcp";
}

static const char *check_str(enum nlab_xp_check c)
{
        static const char *const words[] = {[NLAB_XP_UNCHECKED] = "unchecked",
                                            [NLAB_XP_AGREES] = "agrees",
                                            [NLAB_XP_DIFFERS] = "differs",
                                            [NLAB_XP_NOPROBE] = "not probed"};

        return words[c];
}

static void print_check(enum nlab_xp_check c, const char *probe)
{
        if (c == NLAB_XP_AGREES)
                printf("      verified: %s\n", probe);
        else if (c == NLAB_XP_DIFFERS)
                printf("      DIFFERENCE: the probe %s\n", probe);
        else if (c == NLAB_XP_NOPROBE)
                printf("      not probed: %s\n", probe);
}

static void print_ctr(const struct nlab_xp_ctr *c, bool tty)
{
        size_t i, j;

        if (c->note[0])
                printf("%s\n", c->note);
        for (i = 0; i < c->nports; i++) {
                const struct nlab_xp_port *p = &c->ports[i];
                printf("%s:%u/%s (listening on %s)\n", c->name, p->port, proto_str(p->proto),
                       p->bind);
                for (j = 0; j < p->n; j++) {
                        printf("  %s %s\n",
                               p->claims[j].reachable ? (tty ? "✓" : "yes") : (tty ? "✗" : "no "),
                               p->claims[j].why);
                        print_check(p->claims[j].check, p->claims[j].probe);
                }
        }
        for (i = 0; i < c->nnames; i++) {
                printf("names on %s for %s: %s\n", c->names[i].network, c->names[i].ip,
                       c->names[i].names);
                print_check(c->names[i].check, c->names[i].probe);
        }
}

static void print_all(const struct nlab_xp_ctr *c)
{
        size_t i, j;

        if (c->note[0])
                printf("%s\n", c->note);
        for (i = 0; i < c->nports; i++) {
                const struct nlab_xp_port *p = &c->ports[i];
                printf("%s\n", p->summary);
                for (j = 0; j < p->n; j++)
                        if (p->claims[j].check == NLAB_XP_DIFFERS)
                                printf("  DIFFERENCE: claimed %s; the probe %s\n", p->claims[j].why,
                                       p->claims[j].probe);
        }
        for (i = 0; i < c->nnames; i++)
                if (c->names[i].check == NLAB_XP_DIFFERS)
                        printf("  DIFFERENCE: %s should resolve to %s on %s; %s\n", c->name,
                               c->names[i].ip, c->names[i].network, c->names[i].probe);
}

static json_t *claim_json(const struct nlab_xp_claim *c)
{
        static const char *const from[] = {[NLAB_XP_SELF] = "self",
                                           [NLAB_XP_NETWORK] = "network",
                                           [NLAB_XP_OTHER] = "other-networks",
                                           [NLAB_XP_HOST] = "host",
                                           [NLAB_XP_OUTSIDE] = "outside",
                                           [NLAB_XP_EXTERNAL] = "external"};

        return json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:s}", "from", from[c->from], "who", c->who,
                         "reachable", c->reachable, "via", c->via, "claim", c->why, "check",
                         check_str(c->check), "probe", c->probe);
}

static json_t *ctr_json(const struct nlab_xp_ctr *c)
{
        json_t *o =
            json_pack("{s:s,s:s,s:[],s:[]}", "name", c->name, "note", c->note, "ports", "names");
        json_t *ports = o ? json_object_get(o, "ports") : NULL;
        json_t *names = o ? json_object_get(o, "names") : NULL;
        size_t i, j;

        for (i = 0; ports && i < c->nports; i++) {
                const struct nlab_xp_port *p = &c->ports[i];
                json_t *cl = json_array();
                for (j = 0; cl && j < p->n; j++)
                        json_array_append_new(cl, claim_json(&p->claims[j]));
                json_array_append_new(ports,
                                      json_pack("{s:i,s:s,s:s,s:s,s:o*}", "port", (int)p->port,
                                                "proto", proto_str(p->proto), "listening_on",
                                                p->bind, "summary", p->summary, "claims", cl));
        }
        for (i = 0; names && i < c->nnames; i++)
                json_array_append_new(
                    names, json_pack("{s:s,s:s,s:s,s:s,s:s}", "network", c->names[i].network, "ip",
                                     c->names[i].ip, "names", c->names[i].names, "check",
                                     check_str(c->names[i].check), "probe", c->names[i].probe));
        return o;
}

static void print_json(const struct nlab_explain *x)
{
        json_t *o =
            json_pack("{s:[],s:[],s:i}", "notes", "containers", "differences", (int)x->differences);
        json_t *notes = o ? json_object_get(o, "notes") : NULL;
        json_t *ctrs = o ? json_object_get(o, "containers") : NULL;
        char *s;
        size_t i;

        for (i = 0; notes && i < 2; i++)
                if (x->notes[i][0])
                        json_array_append_new(notes, json_string(x->notes[i]));
        for (i = 0; ctrs && i < x->n; i++)
                json_array_append_new(ctrs, ctr_json(&x->v[i]));
        s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
}

int nlab_cmd_explain(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_explain_req req = {0};
        struct nlab_parsed p = {0};
        struct nlab_explain x;
        struct nlab_err err;
        int code = 0;
        size_t i;

        if (nlab_cli_parse("explain", explain_flags, N_EXPLAIN_FLAGS, argc, argv, 0, &p, false,
                           &code) != 0)
                goto out;
        if (p.set[0] ? p.npos != 0 : p.npos != 1) {
                code = nlab_cli_usage_error("explain",
                                            "\"netlab explain\" requires exactly 1 argument, "
                                            "CONTAINER[:PORT[/tcp|udp]], or --all alone",
                                            false);
                goto out;
        }
        req.target = p.set[0] ? NULL : p.pos[0];
        req.verify = p.set[1];
        if (nlab_explain(&cli->st, &req, &x, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (p.set[2]) {
                print_json(&x);
        } else {
                for (i = 0; i < 2; i++)
                        if (x.notes[i][0])
                                printf("note: %s\n", x.notes[i]);
                for (i = 0; i < x.n; i++) {
                        if (req.target)
                                print_ctr(&x.v[i], isatty(1));
                        else
                                print_all(&x.v[i]);
                }
                if (req.verify)
                        printf("%zu difference%s between the claims and the probes%s%.0zu%s\n",
                               x.differences, x.differences == 1 ? "" : "s", x.unprobed ? " (" : "",
                               x.unprobed,
                               x.unprobed ? " not probed: nothing to probe them from)" : "");
        }
        code = x.differences ? 1 : 0;
        nlab_explain_free(&x);
out:
        nlab_parsed_free(&p, N_EXPLAIN_FLAGS);
        return code;
}
