/* The checks about this state root's networks: subnets against the host, other firewalls,
 * br_netfilter, the netlab table, forwarding. doctor_host.c has the host-wide ones. */
#include "runtime/lab/doctor.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/ipam.h"
#include "runtime/kernel/doctor_probe.h"
#include "runtime/kernel/firewall.h"
#include "runtime/kernel/fwforeign.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/sysctl.h"
#include "runtime/lab/doctor_int.h"
#include "runtime/net/netglue.h"
#include "runtime/net/network.h"

struct doc_ctx {
        struct nlab_store *st;
        const struct nlab_doctor_opts *o;
        struct nlab_net *nets;
        size_t n_nets;
        bool *up;        /* per network: its bridge exists in the kernel */
        char names[256]; /* the networks that are up, "neta, netb" */
        size_t n_up;
        char drop_chain[160]; /* another firewall's forward chain that drops, or "" */
};

struct nlab_doc_finding *doc_add(struct nlab_doctor *d, const char *check,
                                 enum nlab_doc_level level, const char *fmt, ...)
{
        struct nlab_doc_finding *grown = realloc(d->v, (d->n + 1) * sizeof(*d->v)), *f;
        va_list ap;

        if (!grown)
                return NULL;
        d->v = grown;
        f = &d->v[d->n++];
        memset(f, 0, sizeof(*f));
        f->check = check;
        f->level = level;
        va_start(ap, fmt);
        vsnprintf(f->text, sizeof(f->text), fmt, ap);
        va_end(ap);
        return f;
}

void doc_fix(struct nlab_doc_finding *f, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(f->fix, sizeof(f->fix), fmt, ap);
        va_end(ap);
}

void nlab_doctor_free(struct nlab_doctor *d)
{
        free(d->v);
        d->v = NULL;
        d->n = 0;
}

bool nlab_doctor_any(const struct nlab_doctor *d, enum nlab_doc_level level)
{
        for (size_t i = 0; i < d->n; i++)
                if (d->v[i].level >= level)
                        return true;
        return false;
}

static int oom(struct nlab_err *err)
{
        return nlab_err_sys(err, ENOMEM, "doctor");
}

static bool our_bridge(const struct doc_ctx *c, const char *ifname)
{
        for (size_t i = 0; i < c->n_nets; i++)
                if (c->nets[i].bridge[0] && !strcmp(c->nets[i].bridge, ifname))
                        return true;
        return false;
}

/* What the network's subnet runs into, in words. */
static void describe_clash(const struct nlab_hostnet *e, char *buf, size_t size)
{
        char ip[INET_ADDRSTRLEN], cidr[NLAB_CIDR_STRLEN];

        inet_ntop(AF_INET, &e->addr, ip, sizeof(ip));
        nlab_cidr_format(&e->sub, cidr);
        if (!strcmp(e->ifname, "docker0"))
                snprintf(buf, size, "Docker's docker0 (%s/%u)", ip, e->sub.prefix);
        else if (!strncmp(e->ifname, "br-", 3) || !strncmp(e->ifname, "netlab", 6))
                snprintf(buf, size, "bridge %s of another netlab state root or of Docker (%s/%u)",
                         e->ifname, ip, e->sub.prefix);
        else if (e->is_addr)
                snprintf(buf, size, "the host's address %s/%u on %s", ip, e->sub.prefix, e->ifname);
        else
                snprintf(buf, size, "the host's route %s dev %s", cidr, e->ifname);
}

/* A subnet that overlaps nothing the host or this root uses now, as "10.x.y.z/n", or "". */
static void free_subnet(const struct doc_ctx *c, const struct nlab_hostnet *h, size_t nh,
                        char out[NLAB_CIDR_STRLEN])
{
        struct nlab_subnet *used = calloc(nh + c->n_nets + 1, sizeof(*used)), pick;
        size_t n = 0, i;

        out[0] = '\0';
        if (!used)
                return;
        for (i = 0; i < nh; i++)
                used[n++] = h[i].sub;
        for (i = 0; i < c->n_nets; i++)
                if (c->nets[i].has_pool)
                        used[n++] = c->nets[i].pool.subnet;
        if (nlab_ipam_pick_pool(used, n, &pick, NULL) == 0)
                nlab_cidr_format(&pick, out);
        free(used);
}

static int report_clash(struct nlab_doctor *d, const struct nlab_net *net,
                        const struct nlab_hostnet *e, const char *spare)
{
        char what[160], cidr[NLAB_CIDR_STRLEN];
        struct nlab_doc_finding *f;

        describe_clash(e, what, sizeof(what));
        f = doc_add(d, "subnet", NLAB_DOC_PROBLEM,
                    "network %s (%s) overlaps %s: containers cannot reach those hosts, and the "
                    "host may send its traffic for them to the wrong side",
                    net->name, nlab_cidr_format(&net->pool.subnet, cidr), what);
        if (!f)
                return -1;
        if (nlab_network_is_predefined(net->name))
                doc_fix(f,
                        "remove the host's overlapping route or address, or use a network of your "
                        "own: netlab network create --subnet %s NAME",
                        spare[0] ? spare : "A.B.C.D/N");
        else
                doc_fix(f, "netlab network rm %s; netlab network create --subnet %s %s", net->name,
                        spare[0] ? spare : "A.B.C.D/N", net->name);
        return 0;
}

static int check_subnets(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        struct nlab_hostnet *h = NULL;
        char spare[NLAB_CIDR_STRLEN];
        struct nlab_err e;
        size_t nh = 0, clashes = 0, i, j;
        int r = 0;

        if (nlab_hostnet_list(&h, &nh, &e) < 0)
                return doc_add(d, "subnet", NLAB_DOC_NOTE, "not checked: %s", e.msg) ? 0 : oom(err);
        free_subnet(c, h, nh, spare);
        for (i = 0; r == 0 && i < c->n_nets; i++) {
                if (!c->nets[i].has_pool)
                        continue;
                for (j = 0; j < nh; j++)
                        if (!our_bridge(c, h[j].ifname) &&
                            nlab_subnet_overlaps(&c->nets[i].pool.subnet, &h[j].sub))
                                break;
                if (j == nh)
                        continue;
                clashes++;
                if (report_clash(d, &c->nets[i], &h[j], spare) < 0)
                        r = oom(err);
        }
        if (r == 0 && !clashes &&
            !doc_add(d, "subnet", NLAB_DOC_OK,
                     "no network's subnet overlaps the host's routes and addresses (%zu checked)",
                     nh))
                r = oom(err);
        free(h);
        return r;
}

static int check_firewall(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        struct nlab_doc_finding *f;
        char msg[1024], *fix;
        struct nlab_err e;

        if (nlab_fw_foreign(msg, sizeof(msg), &e) < 0)
                f = doc_add(d, "firewall", NLAB_DOC_NOTE, "other firewalls not checked: %s", e.msg);
        else if (!msg[0])
                f = doc_add(d, "firewall", NLAB_DOC_OK,
                            "no other firewall's forward chain drops by default");
        else {
                /* "chain ip filter FORWARD (another ...": the chain's three words */
                if (sscanf(msg, "chain %159[^(]", c->drop_chain) == 1)
                        c->drop_chain[strlen(c->drop_chain) - 1] = '\0'; /* the space before ( */
                fix = strstr(msg, "; fix: ");
                if (fix)
                        *fix = '\0';
                f = doc_add(d, "firewall", NLAB_DOC_PROBLEM, "%s", msg);
                if (f && fix)
                        doc_fix(f, "%s", fix + 7);
        }
        return f ? 0 : oom(err);
}

static int check_brnf(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        struct nlab_doc_finding *f;
        char v[8];

        if (nlab_sysctl_read("net/bridge/bridge-nf-call-iptables", v, sizeof(v), NULL) < 0)
                f = doc_add(d, "br_netfilter", NLAB_DOC_OK,
                            "not loaded: bridged traffic does not pass the IP firewall");
        else if (strcmp(v, "1"))
                f = doc_add(d, "br_netfilter", NLAB_DOC_OK,
                            "bridge-nf-call-iptables=%s: bridged traffic does not pass the IP "
                            "firewall",
                            v);
        else if (!c->drop_chain[0])
                f = doc_add(d, "br_netfilter", NLAB_DOC_OK,
                            "bridge-nf-call-iptables=1: traffic between containers of one network "
                            "also passes the IP forward hook, where netlab's rules accept it");
        else if ((f = doc_add(d, "br_netfilter", NLAB_DOC_PROBLEM,
                              "bridge-nf-call-iptables=1 sends traffic between containers of one "
                              "network through the IP forward hook, where chain %s drops it",
                              c->drop_chain)))
                doc_fix(f, "sysctl -w net.bridge.bridge-nf-call-iptables=0 (unless Docker or "
                           "Kubernetes on this host rely on it), or the accept rules of the "
                           "firewall finding");
        return f ? 0 : oom(err);
}

static int ruleset_fix(struct doc_ctx *c, struct nlab_doc_finding *f)
{
        struct nlab_err e;
        int r = nlab_store_lock(c->st, &e);

        if (r == 0) {
                r = nlab_netglue_fw_check(c->st, NULL, &e);
                nlab_store_unlock(c->st);
        }
        if (r < 0) {
                doc_fix(f, "netlab doctor --fix failed: %s", e.msg);
                return 0;
        }
        f->level = NLAB_DOC_OK;
        f->fixed = true;
        snprintf(f->fix, sizeof(f->fix), "rebuilt from the records");
        return 0;
}

static int check_ruleset(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        struct nlab_doc_finding *f;
        struct nlab_err e;
        int present = nlab_fw_present(&e);

        if (present < 0) {
                f = doc_add(d, "ruleset", NLAB_DOC_PROBLEM,
                            "nftables does not answer (%s): netlab cannot isolate networks or "
                            "publish ports",
                            e.msg);
                if (f) {
                        f->fatal = true;
                        doc_fix(f, "a kernel with nf_tables (CONFIG_NF_TABLES, module nf_tables)");
                }
        } else if (present == 1) {
                f = doc_add(d, "ruleset", NLAB_DOC_OK, "table inet %s is in place", NLAB_FW_TABLE);
        } else if (!c->n_up) {
                f = doc_add(d, "ruleset", NLAB_DOC_OK,
                            "table inet %s is not created yet (no network is up)", NLAB_FW_TABLE);
        } else {
                f = doc_add(d, "ruleset", NLAB_DOC_PROBLEM,
                            "table inet %s is gone (nft flush ruleset, or a firewall reload) while "
                            "network(s) %s are up: no isolation, NAT or published ports until it "
                            "is rebuilt",
                            NLAB_FW_TABLE, c->names);
                if (f)
                        doc_fix(f, "netlab rebuilds it from its records at the next run, start, "
                                   "connect or network create; to rebuild it now: netlab doctor "
                                   "--fix");
                if (f && c->o->fix)
                        return ruleset_fix(c, f);
        }
        return f ? 0 : oom(err);
}

/* One forwarding sysctl that must be 1 while networks are up. */
static int check_forward_key(struct doc_ctx *c, struct nlab_doctor *d, const char *key,
                             const char *dotted, struct nlab_err *err)
{
        struct nlab_doc_finding *f;
        struct nlab_err e;
        char v[8];

        if (nlab_sysctl_read(key, v, sizeof(v), NULL) < 0 || !strcmp(v, "1"))
                return 0;
        f = doc_add(d, "forwarding", NLAB_DOC_PROBLEM,
                    "%s=%s while network(s) %s are up: containers cannot reach other networks or "
                    "the outside, and published ports do not answer from outside",
                    dotted, v, c->names);
        if (!f)
                return oom(err);
        doc_fix(f, "sysctl -w %s=1, or netlab doctor --fix", dotted);
        if (!c->o->fix)
                return 0;
        if (nlab_sysctl_write(key, "1", &e) < 0) {
                doc_fix(f, "sysctl -w %s=1 (netlab doctor --fix failed: %s)", dotted, e.msg);
                return 0;
        }
        f->level = NLAB_DOC_OK;
        f->fixed = true;
        snprintf(f->fix, sizeof(f->fix), "set to 1");
        return 0;
}

static int check_forwarding(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        char key[96], dotted[96], v[8];
        size_t before = d->n;

        if (!c->n_up) {
                if (nlab_sysctl_read("net/ipv4/ip_forward", v, sizeof(v), NULL) < 0)
                        snprintf(v, sizeof(v), "?");
                return doc_add(d, "forwarding", NLAB_DOC_OK,
                               "net.ipv4.ip_forward=%s; netlab turns it on for its own bridges "
                               "when a network comes up",
                               v)
                           ? 0
                           : oom(err);
        }
        if (check_forward_key(c, d, "net/ipv4/ip_forward", "net.ipv4.ip_forward", err) < 0)
                return -1;
        /* ip_forward=0 turned every interface's forwarding off with it: one finding is enough */
        if (d->n > before && !d->v[d->n - 1].fixed)
                return 0;
        for (size_t i = 0; i < c->n_nets; i++) {
                if (!c->up[i])
                        continue;
                snprintf(key, sizeof(key), "net/ipv4/conf/%s/forwarding", c->nets[i].bridge);
                snprintf(dotted, sizeof(dotted), "net.ipv4.conf.%s.forwarding", c->nets[i].bridge);
                if (check_forward_key(c, d, key, dotted, err) < 0)
                        return -1;
        }
        if (d->n == before &&
            !doc_add(d, "forwarding", NLAB_DOC_OK, "on for the bridges of network(s) %s", c->names))
                return oom(err);
        return 0;
}

/* The networks and which of them have their bridge in the kernel. */
static int load_networks(struct doc_ctx *c, struct nlab_err *err)
{
        nlab_nl_auto *nl = NULL;
        size_t len = 0;

        if (nlab_network_list(c->st, &c->nets, &c->n_nets, err) < 0)
                return -1;
        c->up = calloc(c->n_nets + 1, sizeof(*c->up));
        if (!c->up)
                return oom(err);
        nl = nlab_nl_open(NULL, err);
        if (!nl)
                return -1;
        for (size_t i = 0; i < c->n_nets; i++) {
                if (!c->nets[i].bridge[0] ||
                    nlab_link_lookup(nl, c->nets[i].bridge, NULL, NULL) != 1)
                        continue;
                c->up[i] = true;
                c->n_up++;
                if (len < sizeof(c->names))
                        len += (size_t)snprintf(c->names + len, sizeof(c->names) - len, "%s%s",
                                                len ? ", " : "", c->nets[i].name);
        }
        return 0;
}

static int run_root_checks(struct doc_ctx *c, struct nlab_doctor *d, struct nlab_err *err)
{
        struct nlab_err e;

        if (load_networks(c, &e) < 0)
                return doc_add(d, "networks", NLAB_DOC_NOTE,
                               "the state root's networks could not be read: %s", e.msg)
                           ? 0
                           : oom(err);
        if (check_subnets(c, d, err) < 0 || check_firewall(c, d, err) < 0 ||
            check_brnf(c, d, err) < 0 || check_ruleset(c, d, err) < 0 ||
            check_forwarding(c, d, err) < 0)
                return -1;
        return 0;
}

int nlab_doctor_run(struct nlab_store *st, const struct nlab_doctor_opts *o,
                    struct nlab_doctor *out, struct nlab_err *err)
{
        struct doc_ctx c = {.st = st, .o = o};
        int r = 0;

        assert(o && out && (st || o->quick));
        memset(out, 0, sizeof(*out));
        if (!o->quick)
                r = run_root_checks(&c, out, err);
        if (r == 0)
                r = doc_kernel(out, o, err);
        if (r == 0)
                r = doc_cgroup(out, err);
        if (r == 0 && !o->quick)
                r = doc_userns(out, err);
        if (r == 0 && !o->quick)
                r = doc_rootless(out, err);
        free(c.nets);
        free(c.up);
        if (r < 0)
                nlab_doctor_free(out);
        return r;
}

static bool flag_is(const char *arg, const char *flag)
{
        size_t n = strlen(flag);

        return !strncmp(arg, flag, n) && (arg[n] == '\0' || arg[n] == '=');
}

unsigned nlab_scenario_needs(const struct nlab_scenario *s)
{
        unsigned need = 0;

        for (size_t i = 0; i < s->nsteps; i++) {
                const struct nlab_step *st = &s->steps[i];
                if (st->kind != NLAB_STEP_COMMAND || st->argc < 2 || strcmp(st->argv[0], "link") ||
                    strcmp(st->argv[1], "set"))
                        continue;
                for (size_t j = 2; j < st->argc; j++) {
                        if (flag_is(st->argv[j], "--rate"))
                                need |= 1u << NLAB_KF_TBF;
                        if (flag_is(st->argv[j], "--delay") || flag_is(st->argv[j], "--jitter") ||
                            flag_is(st->argv[j], "--loss"))
                                need |= 1u << NLAB_KF_NETEM;
                }
        }
        return need;
}
