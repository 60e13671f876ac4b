/* netlab scenario run|list: run .lab files, each in a sandbox of its own, and show every step. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "runtime/container.h"
#include "runtime/labhost.h"
#include "runtime/netmode.h"
#include "runtime/probe.h"
#include "runtime/diagnose.h"
#include "runtime/scenario.h"
#include "runtime/scenario_trust.h"

#define MAX_EXTERNALS     16
#define POSITIVE_WAIT_MS  5000 /* a server just started may need a moment to listen */
#define NEGATIVE_WAIT_MS  1500
#define COMMAND_TIMEOUT_S 120

static const char help_scenario[] =
    "Usage: netlab scenario COMMAND\n"
    "\n"
    "Run lab scenarios: .lab files of netlab commands and expectations.\n"
    "\n"
    "Commands:\n"
    "  run    run scenario files, each in its own sandbox\n"
    "  list   show the title of every scenario in a directory\n"
    "\n"
    "The language is described in docs/scenarios.md.\n";

static const char help_run[] =
    "Usage: netlab scenario run [OPTIONS] FILE|DIR...\n"
    "\n"
    "Run each scenario in its own sandbox (fresh network, mount and pid namespaces and a\n"
    "private state root), so it never touches the host's network. Every step is printed with\n"
    "its result; a failed expectation is explained. The sandbox is always removed, also on\n"
    "Ctrl-C. Exit status 0 only when every expectation held. A directory runs its *.lab files.\n"
    "\n"
    "Options:\n"
    "      --tap     print TAP (for CI)\n"
    "      --step    wait for Enter before each step (for a class)\n"
    "      --keep    leave the lab up afterwards and print how to enter it (one file only)\n"
    "      --trust   allow what gives a lab container the host: bind mounts (-v), --privileged,\n"
    "                --device, --cap-add SYS_ADMIN|SYS_MODULE|ALL, seccomp=unconfined\n"
    "\n"
    "A scenario file is code: without --trust, a file that asks for any of those is refused\n"
    "before anything runs, naming the line.\n";

static const char help_list[] = "Usage: netlab scenario list [DIR]\n"
                                "\n"
                                "Show each scenario file in DIR (default: ./scenarios, or\n"
                                "$NETLAB_SCENARIOS) with its title.\n";

const char *nlab_scenario_help(const char *cmd)
{
        if (!strcmp(cmd, "scenario"))
                return help_scenario;
        if (!strcmp(cmd, "scenario run"))
                return help_run;
        if (!strcmp(cmd, "scenario list"))
                return help_list;
        return NULL;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
        (void)sig;
        interrupted = 1;
}

struct run_opts {
        bool tap, step, keep, fancy, trust;
        char self[PATH_MAX];
};

/* Where an expectation's subject lives and what addresses it has. */
struct party {
        const char *name;
        int kind; /* 0 host, 1 external, 2 container, 3 an address */
        char netns[PATH_MAX];
        bool in_host_ns; /* host, or a container with --network host */
        char id[NLAB_ID_LEN + 1];
        json_t *cfg; /* the container whose netns it uses (the owner for container:NAME) */
        const struct nlab_external *x;
        struct in_addr ip;
};

struct runner {
        const struct run_opts *o;
        const struct nlab_scenario *s;
        struct nlab_store st;
        const char *root;
        struct nlab_external ext[MAX_EXTERNALS];
        size_t next;
        unsigned tap_n;
        unsigned passed, failed, xfailed;
        bool aborted;
};

/* What an expectation found, for the mark and the explanation. */
struct outcome {
        bool held;
        char saw[512]; /* what the probe saw, in a sentence */
};

/* ---- output ---- */

static void print_indented(const struct runner *r, const char *text)
{
        const char *p = text;

        while (*p) {
                const char *eol = strchrnul(p, '\n');
                printf("%s%.*s\n", r->o->tap ? "#     " : "    ", (int)(eol - p), p);
                p = *eol ? eol + 1 : eol;
        }
}

static void mark(struct runner *r, int result, const char *text, const char *why)
{
        /* result: 1 held, 0 failed, 2 failed as expected, 3 skipped */
        static const char *const fancy[] = {"\u2717", "\u2713", "\u2717 (expected)", "-"};
        static const char *const plain[] = {"[FAIL]", "[ok]", "[xfail]", "[skip]"};

        if (r->o->tap) {
                r->tap_n++;
                printf("%s %u - %s%s%s\n", result == 1 || result == 3 ? "ok" : "not ok", r->tap_n,
                       text, result == 2 ? " # TODO broken on purpose" : "",
                       result == 3 ? " # SKIP an earlier command failed" : "");
        } else {
                printf("%s %s\n", (r->o->fancy ? fancy : plain)[result], text);
        }
        if (why && why[0])
                print_indented(r, why);
        fflush(stdout);
}

static void wait_for_enter(const struct runner *r, const char *text)
{
        char line[64];

        if (!r->o->step || r->o->tap)
                return;
        printf("  (next: %s) press Enter ", text);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                clearerr(stdin);
        if (!isatty(STDIN_FILENO))
                printf("\n"); /* the Enter was not echoed */
}

/* ---- running netlab commands ---- */

/* Run this netlab binary with --root and args; collect its stdout and stderr. */
static int run_netlab(const struct runner *r, char *const *args, size_t nargs, char *out,
                      size_t size, int *status)
{
        char *argv[nargs + 4];
        int pfd[2], devnull;
        size_t used = 0;
        time_t start = time(NULL);
        pid_t pid;

        argv[0] = "netlab";
        argv[1] = "--root";
        argv[2] = (char *)r->root;
        memcpy(argv + 3, args, nargs * sizeof(char *));
        argv[nargs + 3] = NULL;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -1;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                signal(SIGINT, SIG_DFL);
                devnull = open("/dev/null", O_RDONLY);
                dup2(devnull, 0);
                dup2(pfd[1], 1);
                dup2(pfd[1], 2);
                execv(r->o->self, argv);
                _exit(127);
        }
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return -1;
        }
        /* read until the command exits: a shim it spawned may keep a copy of the pipe */
        for (;;) {
                struct pollfd p = {.fd = pfd[0], .events = POLLIN};
                ssize_t n = 0;
                if (poll(&p, 1, 100) > 0 && used + 1 < size) {
                        n = read(pfd[0], out + used, size - used - 1);
                        if (n > 0)
                                used += (size_t)n;
                }
                if (waitpid(pid, status, WNOHANG) == pid)
                        break;
                if (time(NULL) - start > COMMAND_TIMEOUT_S)
                        kill(pid, SIGKILL);
        }
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        while (used + 1 < size) {
                ssize_t n = read(pfd[0], out + used, size - used - 1);
                if (n <= 0)
                        break;
                used += (size_t)n;
        }
        out[used] = '\0';
        close(pfd[0]);
        return 0;
}

static int exit_code(int status)
{
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void step_command(struct runner *r, const struct nlab_step *st)
{
        char out[8192], why[64];
        int status = 0;

        if (!r->o->tap)
                printf("$ netlab %s\n", st->text);
        if (run_netlab(r, st->argv, st->argc, out, sizeof(out), &status) < 0) {
                snprintf(out, sizeof(out), "cannot run %s: %s", r->o->self, strerror(errno));
                status = 1 << 8;
        }
        if (!r->o->tap || exit_code(status) != 0)
                print_indented(r, out);
        if (exit_code(status) == 0) {
                if (r->o->tap)
                        mark(r, 1, st->text, NULL);
                return;
        }
        snprintf(why, sizeof(why), "exit status %d: the lab cannot go on", exit_code(status));
        mark(r, 0, r->o->tap ? st->text : "the command failed", why);
        r->failed++;
        r->aborted = true;
}

static void step_external(struct runner *r, const struct nlab_step *st)
{
        struct nlab_external *x = &r->ext[r->next];
        struct nlab_err err;
        char text[256];

        if (r->next == MAX_EXTERNALS ||
            nlab_external_create(st->argv[0], st->argv[1], (unsigned)r->next + 1, x, &err) < 0) {
                mark(r, 0, st->text,
                     r->next == MAX_EXTERNALS ? "too many external hosts" : err.msg);
                r->failed++;
                r->aborted = true;
                return;
        }
        r->next++;
        snprintf(text, sizeof(text), "external host %s at %s", x->name, inet_ntoa(x->addr));
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " (the lab host is %s)",
                 inet_ntoa(x->host_addr));
        mark(r, 1, text, NULL);
}

/* ---- parties: who is A, who is B, and where ---- */

static const struct nlab_external *find_external(const struct runner *r, const char *name)
{
        size_t i;

        for (i = 0; i < r->next; i++)
                if (!strcmp(r->ext[i].name, name))
                        return &r->ext[i];
        return NULL;
}

static int load_container(struct runner *r, const char *ref, char id[NLAB_ID_LEN + 1], json_t **cfg,
                          struct nlab_err *err)
{
        json_t *state = NULL;

        if (nlab_store_resolve(&r->st, ref, id, err) < 0 ||
            nlab_container_load(&r->st, id, cfg, &state, err) < 0)
                return -1;
        if (!nlab_container_running(state)) {
                json_decref(state);
                json_decref(*cfg);
                *cfg = NULL;
                return nlab_err_set(err, NLAB_E_INVALID, "container %s is not running", ref);
        }
        json_decref(state);
        return 0;
}

static int party_container(struct runner *r, struct party *p, struct nlab_err *err)
{
        const char *mode;

        if (load_container(r, p->name, p->id, &p->cfg, err) < 0)
                return -1;
        mode = nlab_netmode_of(p->cfg);
        if (!strncmp(mode, "container:", 10)) {
                char owner[NLAB_ID_LEN + 1];
                snprintf(owner, sizeof(owner), "%s", mode + 10);
                json_decref(p->cfg);
                p->cfg = NULL;
                if (load_container(r, owner, p->id, &p->cfg, err) < 0)
                        return -1;
                mode = nlab_netmode_of(p->cfg);
        }
        p->in_host_ns = !strcmp(mode, "host");
        if (!p->in_host_ns &&
            nlab_store_path(&r->st, p->netns, sizeof(p->netns), "netns", p->id, NULL, err) < 0)
                return -1;
        return 0;
}

static int party_load(struct runner *r, const char *name, struct party *p, struct nlab_err *err)
{
        memset(p, 0, sizeof(*p));
        p->name = name;
        if (inet_pton(AF_INET, name, &p->ip) == 1) {
                p->kind = 3;
                return 0;
        }
        if (!strcmp(name, "host")) {
                p->in_host_ns = true;
                return 0;
        }
        p->x = find_external(r, name);
        if (p->x) {
                p->kind = 1;
                snprintf(p->netns, sizeof(p->netns), "%s", p->x->netns_path);
                return 0;
        }
        p->kind = 2;
        return party_container(r, p, err);
}

static const char *netns_of(const struct party *p)
{
        return p->in_host_ns ? NULL : p->netns;
}

/* The lab host's address as `a` sees it: its gateway, its link, or loopback. */
static int host_address(const struct party *a, struct in_addr *ip, char *why, size_t size)
{
        json_t *nets, *ep;
        const char *k, *gw = NULL;

        if (a->in_host_ns || a->kind == 3)
                return inet_pton(AF_INET, "127.0.0.1", ip) == 1 ? 0 : -1;
        if (a->kind == 1) {
                *ip = a->x->host_addr;
                return 0;
        }
        nets = nlab_netmode_networks(a->cfg);
        json_object_foreach(nets, k, ep)
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

/* B's address for a probe from A: on a network they share if there is one. */
static int target_address(const struct party *a, const struct party *b, struct in_addr *ip,
                          char *why, size_t size)
{
        json_t *bnets, *anets, *ep;
        const char *k, *pick = NULL;

        if (b->kind == 3) {
                *ip = b->ip;
                return 0;
        }
        if (b->kind == 1) {
                *ip = b->x->addr;
                return 0;
        }
        if (b->kind == 0 || b->in_host_ns)
                return host_address(a, ip, why, size);
        bnets = nlab_netmode_networks(b->cfg);
        anets = a->kind == 2 ? nlab_netmode_networks(a->cfg) : NULL;
        json_object_foreach(bnets, k, ep)
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

/* "B:PORT via host": the host port B's PORT is published on (NetworkSettings.Ports, Docker's
 * shape {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]}), at the lab host's address. */
static int published_port(const struct party *a, const struct party *b,
                          const struct nlab_expect *ex, struct in_addr *ip, unsigned *port,
                          char *why, size_t size)
{
        json_t *ports = json_object_get(json_object_get(b->cfg, "NetworkSettings"), "Ports");
        const char *hp;
        char key[32];

        snprintf(key, sizeof(key), "%u/%s", ex->port, ex->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        hp = json_string_value(
            json_object_get(json_array_get(json_object_get(ports, key), 0), "HostPort"));
        if (!hp || atoi(hp) <= 0) {
                snprintf(why, size, "%s's port %s is not published on the host", b->name, key);
                return -1;
        }
        *port = (unsigned)atoi(hp);
        return host_address(a, ip, why, size);
}

/* ---- expectations ---- */

static unsigned budget(bool positive)
{
        return positive ? POSITIVE_WAIT_MS : NEGATIVE_WAIT_MS;
}

static unsigned mono_ms(void)
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

static int check_reach(struct runner *r, const struct nlab_expect *ex, struct outcome *o,
                       struct nlab_err *err)
{
        bool positive = ex->kind == NLAB_EXPECT_REACHES;
        struct nlab_probe_result res;
        struct party a, b;
        unsigned deadline, port = ex->port;
        struct in_addr ip;
        int rc = -1;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        if (party_load(r, ex->target, &b, err) < 0)
                goto out;
        rc = 0;
        if (ex->via_host ? published_port(&a, &b, ex, &ip, &port, o->saw, sizeof(o->saw))
                         : target_address(&a, &b, &ip, o->saw, sizeof(o->saw))) {
                o->held = !positive;
                goto out;
        }
        deadline = mono_ms() + budget(positive);
        do {
                unsigned left = deadline > mono_ms() ? deadline - mono_ms() : 1;
                /* a positive check tries again, so one try must leave room for more */
                rc = nlab_probe_reach(netns_of(&a), ip, port, ex->proto,
                                      positive && left > 1000 ? 1000 : left, &res, err);
                if (rc < 0)
                        goto out;
                if (res.status == NLAB_PROBE_OK || !positive || interrupted)
                        break;
                usleep(100 * 1000);
        } while (mono_ms() < deadline);
        describe_reach(ex, ip, port, &res, o->saw, sizeof(o->saw));
        o->held = (res.status == NLAB_PROBE_OK) == positive;
out:
        json_decref(a.cfg);
        json_decref(b.cfg);
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
static void etc_file(struct runner *r, const struct party *a, const char *file, char *path,
                     size_t size)
{
        char id[NLAB_ID_LEN + 1];

        snprintf(path, size, "/etc/%s", file);
        if (a->kind != 2 || nlab_store_resolve(&r->st, a->name, id, NULL) < 0)
                return;
        nlab_store_path(&r->st, path, size, "containers", id, file, NULL);
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

static int resolve_once(struct runner *r, const struct party *a, const char *name, unsigned ms,
                        struct nlab_probe_result *res, char *via, size_t size, struct nlab_err *err)
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
                snprintf(via, size, "%s", path);
                return 0;
        }
        snprintf(via, size, "nameserver %s", inet_ntoa(ns));
        return nlab_probe_resolve(netns_of(a), ns, name, ms, res, err);
}

static int check_resolve(struct runner *r, const struct nlab_expect *ex, struct outcome *o,
                         struct nlab_err *err)
{
        bool positive = ex->kind == NLAB_EXPECT_RESOLVES;
        unsigned deadline = mono_ms() + budget(positive);
        struct nlab_probe_result res;
        char via[64], got[256];
        struct party a;
        int rc;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        do {
                rc = resolve_once(r, &a, ex->target, 1500, &res, via, sizeof(via), err);
                if (rc < 0 || !positive || interrupted)
                        break;
                if (res.status == NLAB_PROBE_OK &&
                    (!ex->naddrs || same_set(ex, res.addrs, res.naddrs)))
                        break;
                usleep(200 * 1000);
        } while (mono_ms() < deadline);
        json_decref(a.cfg);
        if (rc < 0)
                return -1;
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

static int check_exec(struct runner *r, const struct nlab_expect *ex, struct outcome *o)
{
        unsigned deadline = mono_ms() + budget(ex->exit_code == 0);
        char *args[ex->argc + 2], out[4096];
        int status = 0;

        args[0] = "exec";
        args[1] = ex->subject;
        memcpy(args + 2, ex->argv, ex->argc * sizeof(char *));
        do {
                if (run_netlab(r, args, ex->argc + 2, out, sizeof(out), &status) < 0)
                        return nlab_err_sys(NULL, errno, "exec");
                o->held = exit_code(status) == ex->exit_code &&
                          (!ex->contains || strstr(out, ex->contains));
                if (o->held || ex->exit_code != 0 || interrupted)
                        break;
                usleep(200 * 1000);
        } while (mono_ms() < deadline);
        snprintf(o->saw, sizeof(o->saw), "exit status %d, output:\n%s", exit_code(status),
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

static int check_interface(struct runner *r, const struct nlab_expect *ex, struct outcome *o,
                           struct nlab_err *err)
{
        struct nlab_probe_ifaddr ifs[32];
        struct party a;
        size_t n = 0, i;
        int rc;

        if (party_load(r, ex->subject, &a, err) < 0)
                return -1;
        rc = nlab_probe_interfaces(netns_of(&a), ifs, 32, &n, err);
        json_decref(a.cfg);
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
        return 0;
}

static void explain(struct runner *r, const struct nlab_expect *ex, char *why, size_t size)
{
        char to[128], more[512];
        struct nlab_err err;

        if ((ex->kind != NLAB_EXPECT_REACHES && ex->kind != NLAB_EXPECT_CANNOT_REACH))
                return;
        snprintf(to, sizeof(to), "%s", ex->target);
        if (ex->port)
                snprintf(to + strlen(to), sizeof(to) - strlen(to), ":%u/%s", ex->port,
                         ex->proto == NLAB_PROTO_UDP ? "udp" : "tcp");
        if (nlab_diagnose_explain(&r->st, r->ext, r->next, ex->subject, to, more, sizeof(more), &err) == 0)
                snprintf(why + strlen(why), size - strlen(why), "\nwhy: %s", more);
}

static void step_expect(struct runner *r, const struct nlab_step *st)
{
        const struct nlab_expect *ex = &st->ex;
        struct outcome o = {0};
        struct nlab_err err;
        char why[1024];
        int rc;

        switch (ex->kind) {
        case NLAB_EXPECT_REACHES:
        case NLAB_EXPECT_CANNOT_REACH:
                rc = check_reach(r, ex, &o, &err);
                break;
        case NLAB_EXPECT_RESOLVES:
        case NLAB_EXPECT_CANNOT_RESOLVE:
                rc = check_resolve(r, ex, &o, &err);
                break;
        case NLAB_EXPECT_EXEC:
                rc = check_exec(r, ex, &o);
                snprintf(err.msg, sizeof(err.msg), "cannot run netlab exec");
                break;
        default:
                rc = check_interface(r, ex, &o, &err);
                break;
        }
        if (rc < 0) {
                o.held = false;
                snprintf(o.saw, sizeof(o.saw), "%s", err.msg);
        }
        if (o.held && !ex->xfail) {
                r->passed++;
                mark(r, 1, st->text, r->o->tap ? NULL : o.saw);
                return;
        }
        snprintf(why, sizeof(why), "%s%s",
                 ex->xfail && o.held ? "held, but this lab shows it failing: " : "", o.saw);
        if (!o.held)
                explain(r, ex, why, sizeof(why));
        if (ex->xfail && !o.held) {
                r->xfailed++;
                mark(r, 2, st->text, why);
        } else {
                r->failed++;
                mark(r, 0, st->text, why);
        }
}

static void run_step(struct runner *r, const struct nlab_step *st)
{
        if (st->kind == NLAB_STEP_NOTE) {
                printf("%s%s\n", r->o->tap ? "# " : (r->o->fancy ? "\u00bb " : "> "), st->text);
                return;
        }
        if (r->aborted || interrupted) {
                if (r->o->tap)
                        mark(r, 3, st->text, NULL);
                return;
        }
        wait_for_enter(r, st->text);
        if (st->kind == NLAB_STEP_COMMAND)
                step_command(r, st);
        else if (st->kind == NLAB_STEP_EXTERNAL)
                step_external(r, st);
        else
                step_expect(r, st);
}

/* TAP points a file produces: every step but notes. */
static unsigned tap_points(const struct nlab_scenario *s)
{
        unsigned n = 0;
        size_t i;

        for (i = 0; i < s->nsteps; i++)
                n += s->steps[i].kind != NLAB_STEP_NOTE;
        return n;
}

/* Containers' cgroups live outside the lab's namespaces: remove the containers as rm -f does
 * before the lab ends, or their cgroups would outlive it. */
static void remove_containers(struct nlab_store *st)
{
        char **ids;
        size_t i, n;

        if (nlab_store_list(st, &ids, &n, NULL) < 0)
                return;
        for (i = 0; i < n; i++)
                nlab_container_remove(st, ids[i], true, NULL);
        nlab_store_free_list(ids, n);
}

/* In the lab's worker: run every step, print the summary, return the exit status. */
static int run_in_lab(const struct run_opts *o, const struct nlab_scenario *s, const char *root,
                      unsigned tap_base)
{
        struct sigaction sa = {.sa_handler = on_interrupt};
        struct runner r = {.o = o, .s = s, .root = root, .tap_n = tap_base};
        struct nlab_err err;
        size_t i;

        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (nlab_store_open(&r.st, root, &err) < 0) {
                fprintf(stderr, "netlab: error: %s\n", err.msg);
                return 1;
        }
        for (i = 0; i < s->nsteps; i++)
                run_step(&r, &s->steps[i]);
        for (i = 0; i < r.next; i++)
                nlab_external_destroy(&r.ext[i]);
        if (!o->keep)
                remove_containers(&r.st);
        if (interrupted)
                printf("%sinterrupted: the lab is being removed\n", o->tap ? "# " : "");
        printf("%s%s: %u passed, %u failed%s", o->tap ? "# " : "", s->file, r.passed, r.failed,
               r.xfailed ? "" : "\n");
        if (r.xfailed)
                printf(", %u failed as this lab means them to\n", r.xfailed);
        fflush(stdout);
        nlab_store_close(&r.st);
        if (interrupted)
                return 130;
        return r.failed ? 1 : 0;
}

static int run_one(const struct run_opts *o, const struct nlab_scenario *s, unsigned tap_base)
{
        char dir[] = "/run/netlab-lab.XXXXXX";
        struct nlab_lab lab;
        struct nlab_err err;
        int r, code;

        if (!mkdtemp(dir)) {
                fprintf(stderr, "netlab: error: scenario %s: mkdtemp %s: %s\n", s->file, dir,
                        strerror(errno));
                return 1;
        }
        if (o->tap)
                printf("# %s: %s\n", s->file, s->title ? s->title : "(untitled)");
        else
                printf("%s %s: %s\n", o->fancy ? "\u25b6" : "==", s->file,
                       s->title ? s->title : "(untitled)");
        fflush(stdout);
        r = nlab_lab_spawn(dir, o->keep, &lab, &err);
        if (r == 0)
                _exit(run_in_lab(o, s, dir, tap_base));
        if (r < 0) {
                rmdir(dir);
                fprintf(stderr, "netlab: error: scenario %s: %s\n", s->file, err.msg);
                return 1;
        }
        code = nlab_lab_wait(&lab);
        if (o->keep) {
                printf("The lab is still up. Enter it with:\n"
                       "  nsenter -t %d -n -m -p env NETLAB_ROOT=%s sh\n"
                       "End it with:\n  kill %d; rmdir %s\n",
                       (int)lab.init, dir, (int)lab.init, dir);
        } else {
                rmdir(dir);
        }
        if (code < 0)
                printf("%s%s: the lab ended early\n", o->tap ? "# " : "", s->file);
        return code < 0 ? 1 : code;
}

/* ---- files ---- */

static int load_file(const char *path, struct nlab_scenario *s)
{
        struct nlab_err err;
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");
        int r;

        if (!f) {
                fprintf(stderr, "netlab: error: scenario %s: %s\n", path, strerror(errno));
                return -1;
        }
        text = malloc(1 << 20);
        if (text)
                len = fread(text, 1, 1 << 20, f);
        fclose(f);
        r = text ? nlab_scenario_parse(path, text, len, s, &err) : -1;
        free(text);
        if (r < 0)
                fprintf(stderr, "%s\n", text ? err.msg : "out of memory");
        return r;
}

static int refuse_untrusted(const struct nlab_scenario *s)
{
        struct nlab_err err;

        if (nlab_scenario_check_trust(s, &err) == 0)
                return 0;
        fprintf(stderr, "netlab: error: %s\n", err.msg);
        return -1;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.lab files of a directory, sorted (their names give the teaching order). */
static int dir_files(const char *dir, struct nlab_strv *out)
{
        struct dirent *de;
        size_t first = out->n;
        DIR *d = opendir(dir);

        if (!d) {
                fprintf(stderr, "netlab: error: scenario directory %s: %s\n", dir, strerror(errno));
                return -1;
        }
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                char path[PATH_MAX];
                if (n < 5 || strcmp(de->d_name + n - 4, ".lab"))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                nlab_strv_push(out, path);
        }
        closedir(d);
        qsort(out->v + first, out->n - first, sizeof(char *), by_name);
        return 0;
}

static int expand_args(int argc, char **argv, struct nlab_strv *files)
{
        struct stat sb;
        int i;

        for (i = 0; i < argc; i++) {
                if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
                        if (dir_files(argv[i], files) < 0)
                                return -1;
                } else {
                        nlab_strv_push(files, argv[i]);
                }
        }
        return 0;
}

static int parse_run_flags(int argc, char **argv, struct run_opts *o, int *first)
{
        int i;

        for (i = 0; i < argc && argv[i][0] == '-'; i++) {
                if (!strcmp(argv[i], "--tap"))
                        o->tap = true;
                else if (!strcmp(argv[i], "--step"))
                        o->step = true;
                else if (!strcmp(argv[i], "--keep"))
                        o->keep = true;
                else if (!strcmp(argv[i], "--trust"))
                        o->trust = true;
                else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return fputs(help_run, stdout), 1;
                else if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                } else
                        return nlab_cli_usage_error("scenario run", "unknown flag", false), -1;
        }
        *first = i;
        if (i == argc)
                return nlab_cli_usage_error("scenario run", "no scenario file given", false), -1;
        return 0;
}

static int scenario_run(int argc, char **argv)
{
        struct nlab_scenario *all = NULL;
        struct nlab_strv files = {0};
        struct run_opts o = {0};
        unsigned tap_base = 0, total = 0;
        int first, r, status = 0;
        bool parse_failed = !all;
        size_t i, parsed = 0;
        ssize_t n;

        r = parse_run_flags(argc, argv, &o, &first);
        if (r != 0)
                return r > 0 ? 0 : 1;
        if (geteuid() != 0) {
                fprintf(stderr, "netlab: error: scenario run needs root: each scenario gets "
                                "namespaces of its own (try: sudo netlab scenario run ...)\n");
                return 1;
        }
        if (expand_args(argc - first, argv + first, &files) < 0)
                return 1;
        if (o.keep && files.n != 1)
                return nlab_cli_usage_error("scenario run", "--keep takes exactly one file", false);
        n = readlink("/proc/self/exe", o.self, sizeof(o.self) - 1);
        if (n < 0)
                return fprintf(stderr, "netlab: error: /proc/self/exe: %s\n", strerror(errno)), 1;
        o.self[n] = '\0';
        o.fancy = isatty(STDOUT_FILENO) && !o.tap;
        all = calloc(files.n + 1, sizeof(*all));
        parse_failed = !all;
        /* check every file before running any */
        for (i = 0; all && i < files.n; i++, parsed++) {
                if (load_file(files.v[i], &all[i]) < 0) {
                        parse_failed = true;
                        continue;
                }
                if (!o.trust && refuse_untrusted(&all[i]) < 0)
                        parse_failed = true;
                total += tap_points(&all[i]);
        }
        if (o.tap && !parse_failed)
                printf("1..%u\n", total);
        signal(SIGINT, SIG_IGN);  /* the lab's worker handles Ctrl-C, then the lab ends */
        signal(SIGPIPE, SIG_IGN); /* a closed pipe must not skip the cleanup */
        for (i = 0; !parse_failed && all && i < files.n; i++) {
                r = run_one(&o, &all[i], tap_base);
                tap_base += tap_points(&all[i]);
                if (r)
                        status = r == 130 ? 130 : 1;
                if (r == 130)
                        break;
                if (!o.tap && i + 1 < files.n)
                        printf("\n");
        }
        signal(SIGINT, SIG_DFL);
        if (parse_failed)
                status = 1;
        for (i = 0; all && i < parsed; i++)
                nlab_scenario_free(&all[i]);
        free(all);
        nlab_strv_free(&files);
        return status;
}

static int scenario_list(int argc, char **argv)
{
        const char *dir = getenv("NETLAB_SCENARIOS");
        struct nlab_strv files = {0};
        size_t i;
        int status = 0;

        if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
                return fputs(help_list, stdout), 0;
        if (argc > 1)
                return nlab_cli_usage_error("scenario list", "too many arguments", false);
        if (argc == 1)
                dir = argv[0];
        if (!dir || !dir[0])
                dir = "scenarios";
        if (dir_files(dir, &files) < 0)
                return 1;
        for (i = 0; i < files.n; i++) {
                struct nlab_scenario s;
                const char *base = strrchr(files.v[i], '/');
                if (load_file(files.v[i], &s) < 0) {
                        status = 1;
                        continue;
                }
                printf("%-28s %s\n", base ? base + 1 : files.v[i], s.title ? s.title : "");
                nlab_scenario_free(&s);
        }
        nlab_strv_free(&files);
        return status;
}

int nlab_cmd_scenario(struct nlab_cli *cli, int argc, char **argv)
{
        (void)cli;
        if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
                return fputs(help_scenario, stdout), argc < 1;
        if (!strcmp(argv[0], "run"))
                return scenario_run(argc - 1, argv + 1);
        if (!strcmp(argv[0], "list"))
                return scenario_list(argc - 1, argv + 1);
        return nlab_cli_usage_error("scenario", "unknown subcommand (run, list)", false);
}
