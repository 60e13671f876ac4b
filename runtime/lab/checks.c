/* The checks of a scenario: reach, resolve, exec and has-interface, each retried within a
 * budget (a server just started may need a moment to listen). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lab/diagnose.h"
#include "runtime/lab/internal.h"
#include "runtime/lab/party.h"
#include "runtime/base/suggest.h"
#include "runtime/lab/probe.h"

#define POSITIVE_WAIT_MS 5000 /* a server just started may need a moment to listen */
#define NEGATIVE_WAIT_MS 1500

/* A container a check runs in must run: a stopped one is an error of the lab, not a finding. A
 * stopped target is a finding (nothing reaches it), so it may be loaded with may_stop. */
static int party_load_target(struct lab_ctx *r, const char *name, bool may_stop,
                             struct nlab_party *p, struct nlab_err *err)
{
        if (nlab_party_load(&r->st, name, r->ext, r->next, r->party_flags, p, err) < 0)
                return -1;
        if (p->kind == NLAB_PARTY_CONTAINER && !p->running && !may_stop) {
                nlab_party_free(p);
                return nlab_err_set(err, NLAB_E_INVALID, "container %s is not running", name);
        }
        return 0;
}

static int party_load(struct lab_ctx *r, const char *name, struct nlab_party *p,
                      struct nlab_err *err)
{
        return party_load_target(r, name, false, p, err);
}

/* "B:PORT via host": the host port B's PORT is published on, at the lab host's address. */
static int published_port(const struct nlab_party *a, const struct nlab_party *b,
                          const struct nlab_expect *ex, struct in_addr *ip, unsigned *port,
                          char *why, size_t size)
{
        *port = nlab_party_published_port(b, ex->port, ex->proto, why, size);
        if (!*port)
                return -1;
        return nlab_party_host_address(a, ip, why, size);
}

static unsigned budget(bool positive)
{
        return positive ? POSITIVE_WAIT_MS : NEGATIVE_WAIT_MS;
}

unsigned lab_mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void describe_reach(const struct nlab_expect *ex, struct in_addr ip, unsigned port,
                           const struct nlab_probe_result *res, char *out, size_t size)
{
        static const char *const proto[] = {"ping", "tcp", "udp"};
        char where[64];

        snprintf(where, sizeof(where), "%s", inet_ntoa(ip));
        if (port)
                snprintf(where + strlen(where), sizeof(where) - strlen(where), ":%u", port);
        if (res->status == NLAB_PROBE_OK)
                snprintf(out, size, "%s %s: %s in %u ms", proto[ex->proto], where,
                         ex->proto == NLAB_PROTO_TCP ? "connected" : "answered", res->ms);
        else
                snprintf(out, size, "%s %s: %s%s%s after %u ms", proto[ex->proto], where,
                         nlab_probe_status_str(res->status), res->errnum ? " - " : "",
                         res->errnum ? strerror(res->errnum) : "", res->ms);
}

static int check_reach(struct lab_ctx *r, const struct nlab_expect *ex, struct lab_outcome *o,
                       struct nlab_err *err)
{
        bool positive = ex->kind == NLAB_EXPECT_REACHES;
        struct nlab_probe_result res;
        struct nlab_party a, b;
        unsigned deadline, t0, tries = 0, port = ex->port;
        struct in_addr ip;
        int rc = -1;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        if (party_load_target(r, ex->target, true, &b, err) < 0)
                goto out;
        rc = 0;
        if (b.kind == NLAB_PARTY_CONTAINER && !b.running) {
                snprintf(o->saw, sizeof(o->saw), "%s is not running", ex->target);
                o->held = !positive;
                goto out;
        }
        if (ex->via_host ? published_port(&a, &b, ex, &ip, &port, o->saw, sizeof(o->saw))
                         : nlab_party_target_address(&a, &b, &ip, o->saw, sizeof(o->saw))) {
                o->held = !positive;
                goto out;
        }
        t0 = lab_mono_ms();
        deadline = t0 + budget(positive);
        do {
                tries++;
                unsigned left = deadline > lab_mono_ms() ? deadline - lab_mono_ms() : 1;
                /* a positive check tries again, so one try must leave room for more */
                rc = nlab_probe_reach(nlab_party_netns(&a), ip, port, ex->proto,
                                      positive && left > 1000 ? 1000 : left, &res, err);
                if (rc < 0)
                        goto out;
                if (res.status == NLAB_PROBE_OK || !positive || *r->interrupted)
                        break;
                usleep(100 * 1000);
        } while (lab_mono_ms() < deadline);
        describe_reach(ex, ip, port, &res, o->saw, sizeof(o->saw));
        if (tries > 1) /* the evidence says how long it was tried, not only the last try */
                snprintf(o->saw + strlen(o->saw), sizeof(o->saw) - strlen(o->saw),
                         " (the last of %u tries in %u ms)", tries, lab_mono_ms() - t0);
        o->held = (res.status == NLAB_PROBE_OK) == positive;
        o->probed = true;
        o->res = res;
out:
        nlab_party_free(&a);
        nlab_party_free(&b);
        return rc;
}

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return NULL;
        buf = calloc(1, 65536);
        n = buf ? fread(buf, 1, 65535, f) : 0;
        if (buf)
                buf[n] = '\0';
        fclose(f);
        return buf;
}

/* The subject's own /etc/hosts and resolv.conf: from the state root, or the lab host's. */
static void etc_file(struct lab_ctx *r, const struct nlab_party *a, const char *file, char *path,
                     size_t size)
{
        snprintf(path, size, "/etc/%s", file);
        if (a->kind == NLAB_PARTY_CONTAINER)
                nlab_store_path(&r->st, path, size, "containers", a->id, file, NULL);
}

static void describe_addrs(const struct in_addr *v, size_t n, char *out, size_t size)
{
        size_t i;

        out[0] = '\0';
        for (i = 0; i < n; i++)
                snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "",
                         inet_ntoa(v[i]));
}

static bool same_set(const struct nlab_expect *ex, const struct in_addr *got, size_t n)
{
        size_t i, k, matched = 0;

        for (i = 0; i < ex->naddrs; i++) {
                struct in_addr want;
                inet_pton(AF_INET, ex->addrs[i], &want);
                for (k = 0; k < n; k++)
                        if (got[k].s_addr == want.s_addr) {
                                matched++;
                                break;
                        }
                if (k == n)
                        return false;
        }
        return n <= ex->naddrs || matched == n;
}

static int resolve_once(struct lab_ctx *r, const struct nlab_party *a, const char *name,
                        unsigned ms, struct nlab_probe_result *res, char *via, size_t size,
                        struct nlab_err *err)
{
        char path[PATH_MAX], *text;
        struct in_addr ns;
        int found;

        memset(res, 0, sizeof(*res));
        etc_file(r, a, "hosts", path, sizeof(path));
        text = read_text(path);
        res->naddrs = text ? nlab_hosts_lookup(text, name, res->addrs, NLAB_PROBE_MAX_ADDRS) : 0;
        free(text);
        if (res->naddrs) {
                snprintf(via, size, "/etc/hosts");
                return 0;
        }
        etc_file(r, a, "resolv.conf", path, sizeof(path));
        text = read_text(path);
        found = text ? nlab_resolvconf_nameserver(text, &ns) : 0;
        free(text);
        if (!found) {
                res->status = NLAB_PROBE_NO_SERVER;
                /* the container's name, not its file under the lab's state root */
                if (a->kind == NLAB_PARTY_CONTAINER)
                        snprintf(via, size, "%s:/etc/resolv.conf", a->name);
                else
                        snprintf(via, size, "%s", path);
                return 0;
        }
        snprintf(via, size, "nameserver %s", inet_ntoa(ns));
        return nlab_probe_resolve(nlab_party_netns(a), ns, name, ms, res, err);
}

static int check_resolve(struct lab_ctx *r, const struct nlab_expect *ex, struct lab_outcome *o,
                         struct nlab_err *err)
{
        bool positive = ex->kind == NLAB_EXPECT_RESOLVES;
        unsigned deadline = lab_mono_ms() + budget(positive);
        struct nlab_probe_result res;
        char via[64], got[256];
        struct nlab_party a;
        int rc;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        do {
                rc = resolve_once(r, &a, ex->target, 1500, &res, via, sizeof(via), err);
                if (rc < 0 || !positive || *r->interrupted)
                        break;
                if (res.status == NLAB_PROBE_OK &&
                    (!ex->naddrs || same_set(ex, res.addrs, res.naddrs)))
                        break;
                usleep(200 * 1000);
        } while (lab_mono_ms() < deadline);
        nlab_party_free(&a);
        if (rc < 0)
                return -1;
        o->probed = true;
        o->res = res;
        describe_addrs(res.addrs, res.naddrs, got, sizeof(got));
        if (res.status == NLAB_PROBE_OK)
                snprintf(o->saw, sizeof(o->saw), "%s = %s (from %s)", ex->target, got, via);
        else
                snprintf(o->saw, sizeof(o->saw), "%s: %s (from %s)", ex->target,
                         nlab_probe_status_str(res.status), via);
        if (positive)
                o->held = res.status == NLAB_PROBE_OK &&
                          (!ex->naddrs || same_set(ex, res.addrs, res.naddrs));
        else
                o->held = res.status != NLAB_PROBE_OK;
        return 0;
}

static int check_exec(struct lab_ctx *r, const struct nlab_expect *ex, struct lab_outcome *o)
{
        unsigned deadline = lab_mono_ms() + budget(ex->exit_code == 0);
        char *args[ex->argc + 2], out[4096];
        int status = 0;

        args[0] = "exec";
        args[1] = ex->subject;
        memcpy(args + 2, ex->argv, ex->argc * sizeof(char *));
        do {
                if (lab_self_exec(r, args, ex->argc + 2, out, sizeof(out), &status) < 0)
                        return nlab_err_sys(NULL, errno, "exec");
                o->held = lab_exit_code(status) == ex->exit_code &&
                          (!ex->contains || strstr(out, ex->contains));
                if (o->held || ex->exit_code != 0 || *r->interrupted)
                        break;
                usleep(200 * 1000);
        } while (lab_mono_ms() < deadline);
        snprintf(o->saw, sizeof(o->saw), "exit status %d, output:\n%s", lab_exit_code(status),
                 out[0] ? out : "(none)");
        return 0;
}

static bool interface_matches(const struct nlab_probe_ifaddr *i, const struct nlab_expect *ex)
{
        char want[32], *slash;
        struct in_addr a;

        if (!ex->naddrs)
                return true;
        snprintf(want, sizeof(want), "%s", ex->addrs[0]);
        slash = strchr(want, '/');
        *slash = '\0';
        inet_pton(AF_INET, want, &a);
        return i->has_v4 && i->addr.s_addr == a.s_addr && i->prefix == (unsigned)atoi(slash + 1);
}

static bool has_address(const struct nlab_probe_ifaddr *ifs, size_t n, const char *name)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (ifs[i].has_v4 && !strcmp(ifs[i].ifname, name))
                        return true;
        return false;
}

/* No interface named want: name the nearest one. Course notes say docker0 for the default
 * bridge, which netlab calls netlab0, too far apart for an edit distance to find. */
static void suggest_interface(const struct nlab_probe_ifaddr *ifs, size_t n, const char *want,
                              char *saw, size_t size)
{
        const char *names[32], *near = NULL;
        size_t i, len = strlen(saw);

        for (i = 0; i < n && i < 32; i++) {
                if (!strcmp(ifs[i].ifname, want))
                        return;
                names[i] = ifs[i].ifname;
                if (!strcmp(want, "docker0") && !strcmp(ifs[i].ifname, "netlab0"))
                        near = "netlab0";
        }
        if (!near)
                near = nlab_suggest_name(want, names, i);
        if (near)
                snprintf(saw + len, size - len, "; no %s here: did you mean %s?%s", want, near,
                         strcmp(near, "netlab0") ? ""
                                                 : " (netlab's default bridge, Docker's docker0)");
}

static int check_interface(struct lab_ctx *r, const struct nlab_expect *ex, struct lab_outcome *o,
                           struct nlab_err *err)
{
        struct nlab_probe_ifaddr ifs[32];
        struct nlab_party a;
        size_t n = 0, i;
        int rc;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        rc = nlab_probe_interfaces(nlab_party_netns(&a), ifs, 32, &n, err);
        nlab_party_free(&a);
        if (rc < 0)
                return -1;
        snprintf(o->saw, sizeof(o->saw), "interfaces:");
        for (i = 0; i < n; i++) {
                size_t len = strlen(o->saw);
                if (!ifs[i].has_v4 && has_address(ifs, n, ifs[i].ifname))
                        continue; /* listed with its address */
                if (ifs[i].has_v4)
                        snprintf(o->saw + len, sizeof(o->saw) - len, " %s %s/%u", ifs[i].ifname,
                                 inet_ntoa(ifs[i].addr), ifs[i].prefix);
                else
                        snprintf(o->saw + len, sizeof(o->saw) - len, " %s", ifs[i].ifname);
                if (!strcmp(ifs[i].ifname, ex->target) && interface_matches(&ifs[i], ex))
                        o->held = true;
        }
        if (!ex->xfail) /* expect-fail ... has-interface eth1 means "gone", not a typo */
                suggest_interface(ifs, n, ex->target, o->saw, sizeof(o->saw));
        return 0;
}

/* "B:PORT via host" that is not published: the check had nothing to probe. */
static bool explain_unpublished(struct lab_ctx *r, const struct nlab_expect *ex,
                                struct nlab_diag_why *why)
{
        struct nlab_party b;
        bool unpublished;

        if (!ex->via_host ||
            nlab_party_load(&r->st, ex->target, r->ext, r->next, r->party_flags, &b, NULL) < 0)
                return false;
        unpublished =
            b.kind == NLAB_PARTY_CONTAINER && b.running &&
            !nlab_party_published_port(&b, ex->port, ex->proto, why->text, sizeof(why->text));
        nlab_party_free(&b);
        if (unpublished)
                why->reason = NLAB_REASON_NOT_PUBLISHED;
        return unpublished;
}

void lab_explain(struct lab_ctx *r, const struct nlab_expect *ex, const struct lab_outcome *o,
                 struct nlab_diag_why *why)
{
        bool resolve = ex->kind == NLAB_EXPECT_RESOLVES || ex->kind == NLAB_EXPECT_CANNOT_RESOLVE;
        struct nlab_err err;
        char to[128];

        memset(why, 0, sizeof(*why));
        if (resolve && o->probed) {
                if (nlab_diagnose_name(&r->st, r->ext, r->next, r->party_flags, ex->subject,
                                       ex->target, &o->res, why, &err) < 0)
                        memset(why, 0, sizeof(*why));
                return;
        }
        if (ex->kind != NLAB_EXPECT_REACHES && ex->kind != NLAB_EXPECT_CANNOT_REACH)
                return;
        if (explain_unpublished(r, ex, why))
                return;
        snprintf(to, sizeof(to), "%s", ex->target);
        if (ex->port)
                snprintf(to + strlen(to), sizeof(to) - strlen(to), ":%u/%s", ex->port,
                         ex->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        if (nlab_diagnose_explain(&r->st, r->ext, r->next,
                                  r->party_flags | (ex->via_host ? NLAB_DIAG_VIA_HOST : 0),
                                  ex->subject, to, o->probed ? &o->res : NULL, why, &err) < 0)
                memset(why, 0, sizeof(*why));
}

int lab_check(struct lab_ctx *r, const struct nlab_expect *ex, struct lab_outcome *o,
              struct nlab_err *err)
{
        switch (ex->kind) {
        case NLAB_EXPECT_REACHES:
        case NLAB_EXPECT_CANNOT_REACH:
                return check_reach(r, ex, o, err);
        case NLAB_EXPECT_RESOLVES:
        case NLAB_EXPECT_CANNOT_RESOLVE:
                return check_resolve(r, ex, o, err);
        case NLAB_EXPECT_EXEC:
                if (check_exec(r, ex, o) == 0)
                        return 0;
                return nlab_err_set(err, NLAB_E_SYSTEM, "cannot run netlab exec");
        case NLAB_EXPECT_CAPTURE:
                return lab_capture_check(r, ex, o, err);
        default:
                return check_interface(r, ex, o, err);
        }
}
