#include "runtime/base/portspec.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define P_FORM "[IP:][HOSTPORT[-END]:]CTRPORT[-END][/tcp|/udp]"
#define E_FORM "PORT[-END][/tcp|/udp]"

struct range {
        uint16_t lo, hi;
};

/* Why a piece of the spec is bad; the caller wraps it with the whole value and the form. */
struct why {
        char text[256];
};

const char *nlab_proto_name(int proto)
{
        return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static int parse_port(const char *s, size_t len, uint16_t *out)
{
        unsigned long v = 0;

        if (len == 0 || len > 5)
                return -1;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -1;
                v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -1;
        *out = (uint16_t)v;
        return 0;
}

/* "N" or "N-M" (N <= M), all of s[0..len). */
static int parse_range(const char *s, size_t len, const char *which, struct range *r,
                       struct why *why)
{
        const char *dash = memchr(s, '-', len);

        if (!dash) {
                if (parse_port(s, len, &r->lo) < 0) {
                        snprintf(why->text, sizeof(why->text),
                                 "invalid %s port \"%.*s\" (ports are 1-65535)", which, (int)len,
                                 s);
                        return -1;
                }
                r->hi = r->lo;
                return 0;
        }
        if (parse_port(s, (size_t)(dash - s), &r->lo) < 0 ||
            parse_port(dash + 1, len - (size_t)(dash - s) - 1, &r->hi) < 0 || r->lo > r->hi) {
                snprintf(why->text, sizeof(why->text),
                         "invalid %s port range \"%.*s\" (want START-END, 1-65535, START <= END)",
                         which, (int)len, s);
                return -1;
        }
        return 0;
}

static int parse_proto(const char *s, int *proto, struct why *why)
{
        if (strcmp(s, "tcp") == 0)
                *proto = IPPROTO_TCP;
        else if (strcmp(s, "udp") == 0)
                *proto = IPPROTO_UDP;
        else {
                snprintf(why->text, sizeof(why->text),
                         "unknown protocol \"%.32s\" (want tcp or udp)", s);
                return -1;
        }
        return 0;
}

static int parse_ip(const char *s, size_t len, char *out, struct why *why)
{
        char buf[INET_ADDRSTRLEN];
        struct in_addr a;

        if (len == 0 || len >= sizeof(buf)) {
                snprintf(why->text, sizeof(why->text), "invalid IP address \"%.*s\" (want A.B.C.D)",
                         (int)(len > 64 ? 64 : len), s);
                return -1;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (inet_pton(AF_INET, buf, &a) != 1) {
                snprintf(why->text, sizeof(why->text), "invalid IP address \"%s\" (want A.B.C.D)",
                         buf);
                return -1;
        }
        inet_ntop(AF_INET, &a, out, 16);
        return 0;
}

/* Expand host and container ranges into mappings. */
static int expand(const char *ip, const struct range *host, const struct range *ctr, int proto,
                  struct nlab_port_mapping **out, size_t *n, struct why *why)
{
        size_t count = (size_t)(ctr->hi - ctr->lo) + 1;
        size_t hcount = host ? (size_t)(host->hi - host->lo) + 1 : 0;
        struct nlab_port_mapping *m;

        if (host && hcount != count && count != 1) {
                snprintf(why->text, sizeof(why->text),
                         "host range %u-%u has %zu ports but container range %u-%u has %zu "
                         "(ranges must be the same length)",
                         host->lo, host->hi, hcount, ctr->lo, ctr->hi, count);
                return -1;
        }
        m = calloc(count, sizeof(*m));
        if (!m) {
                snprintf(why->text, sizeof(why->text), "out of memory");
                return -1;
        }
        for (size_t i = 0; i < count; i++) {
                snprintf(m[i].host_ip, sizeof(m[i].host_ip), "%s", ip);
                m[i].ctr_port = (uint16_t)(ctr->lo + i);
                m[i].proto = proto;
                if (!host)
                        continue;
                if (count == 1 && hcount > 1) { /* host range to one port: candidates */
                        m[i].host_port = host->lo;
                        m[i].host_port_end = host->hi;
                } else {
                        m[i].host_port = (uint16_t)(host->lo + i);
                }
        }
        *out = m;
        *n = count;
        return 0;
}

static int split_proto(char *s, int *proto, struct why *why)
{
        char *slash = strrchr(s, '/');

        *proto = IPPROTO_TCP;
        if (!slash)
                return 0;
        *slash = '\0';
        return parse_proto(slash + 1, proto, why);
}

static int parse_p(char *s, struct nlab_port_mapping **out, size_t *n, struct why *why)
{
        char ip[16] = "";
        const char *c1, *c2, *hs = NULL;
        struct range host, ctr;
        size_t hlen = 0;
        int proto;

        if (split_proto(s, &proto, why) < 0)
                return -1;
        c1 = strchr(s, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && strchr(c2 + 1, ':')) {
                snprintf(why->text, sizeof(why->text), "too many ':' (IPv6 is not supported)");
                return -1;
        }
        if (c2) { /* IP:HOST:CTR or IP::CTR */
                if (parse_ip(s, (size_t)(c1 - s), ip, why) < 0)
                        return -1;
                hs = c1 + 1;
                hlen = (size_t)(c2 - hs);
                s = (char *)c2 + 1;
        } else if (c1) { /* HOST:CTR */
                hs = s;
                hlen = (size_t)(c1 - s);
                s = (char *)c1 + 1;
                if (hlen == 0) {
                        snprintf(why->text, sizeof(why->text), "empty host port before ':'");
                        return -1;
                }
        }
        if (parse_range(s, strlen(s), "container", &ctr, why) < 0)
                return -1;
        if (hlen && parse_range(hs, hlen, "host", &host, why) < 0)
                return -1;
        return expand(ip, hlen ? &host : NULL, &ctr, proto, out, n, why);
}

static int parse_with(int (*fn)(char *, struct nlab_port_mapping **, size_t *, struct why *),
                      const char *spec, const char *what, const char *form,
                      struct nlab_port_mapping **out, size_t *n, struct nlab_err *err)
{
        struct why why = {""};
        char *copy;
        int r;

        assert(out && n);
        *out = NULL;
        *n = 0;
        if (!spec || !*spec)
                return nlab_err_set(err, NLAB_E_INVALID, "empty %s value (want %s)", what, form);
        copy = strdup(spec);
        if (!copy)
                return nlab_err_sys(err, ENOMEM, "%s", what);
        r = fn(copy, out, n, &why);
        free(copy);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid %s \"%.128s\": %s; want %s", what,
                                    spec, why.text, form);
        return 0;
}

int nlab_portspec_parse(const char *spec, struct nlab_port_mapping **out, size_t *n,
                        struct nlab_err *err)
{
        return parse_with(parse_p, spec, "port mapping", P_FORM, out, n, err);
}

static int parse_e(char *s, struct nlab_port_mapping **out, size_t *n, struct why *why)
{
        struct range ctr;
        int proto;

        if (split_proto(s, &proto, why) < 0 || parse_range(s, strlen(s), "exposed", &ctr, why) < 0)
                return -1;
        return expand("", NULL, &ctr, proto, out, n, why);
}

int nlab_portspec_parse_expose(const char *spec, struct nlab_port_mapping **out, size_t *n,
                               struct nlab_err *err)
{
        return parse_with(parse_e, spec, "--expose value", E_FORM, out, n, err);
}

int nlab_port_format(const struct nlab_port_mapping *m, char *buf, size_t size)
{
        assert(m && buf);
        return snprintf(buf, size, "%u/%s -> %s:%u", m->ctr_port, nlab_proto_name(m->proto),
                        m->host_ip[0] ? m->host_ip : "0.0.0.0", m->host_port);
}

void nlab_port_label(const struct nlab_port_mapping *m, char *buf, size_t size)
{
        assert(m && buf);
        snprintf(buf, size, "port %s%s%u/%s", m->host_ip, m->host_ip[0] ? ":" : "", m->host_port,
                 nlab_proto_name(m->proto));
}

static int is_taken(uint16_t p, const uint16_t *taken, size_t ntaken)
{
        for (size_t i = 0; i < ntaken; i++)
                if (taken[i] == p)
                        return 1;
        return 0;
}

int nlab_port_pick(uint16_t lo, uint16_t hi, uint32_t start, const uint16_t *taken, size_t ntaken,
                   uint16_t *out, struct nlab_err *err)
{
        uint32_t span;

        assert(out && (taken || ntaken == 0));
        if (lo == 0 || lo > hi)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid port range %u-%u", lo, hi);
        span = (uint32_t)(hi - lo) + 1;
        for (uint32_t i = 0; i < span; i++) {
                uint16_t p = (uint16_t)(lo + (start + i) % span);

                if (!is_taken(p, taken, ntaken)) {
                        *out = p;
                        return 0;
                }
        }
        return nlab_err_set(err, NLAB_E_CONFLICT, "no free host port in %u-%u", lo, hi);
}

int nlab_port_ephemeral_range(uint16_t *lo, uint16_t *hi, struct nlab_err *err)
{
        const char *path = "/proc/sys/net/ipv4/ip_local_port_range";
        unsigned a, b;
        FILE *f = fopen(path, "re");
        int r;

        assert(lo && hi);
        if (!f)
                return nlab_err_sys(err, errno, "%s", path);
        r = fscanf(f, "%u %u", &a, &b);
        fclose(f);
        if (r != 2 || a == 0 || a > b || b > 65535)
                return nlab_err_set(err, NLAB_E_SYSTEM, "%s: unexpected contents", path);
        *lo = (uint16_t)a;
        *hi = (uint16_t)b;
        return 0;
}

static int parse_hex_addr(const char *hex, int is_v6, struct in6_addr *a)
{
        size_t words = is_v6 ? 4 : 1;

        if (strlen(hex) != words * 8)
                return -1;
        memset(a, 0, sizeof(*a));
        for (size_t i = 0; i < words; i++) {
                char part[9];
                uint32_t w;

                memcpy(part, hex + i * 8, 8);
                part[8] = '\0';
                /* the kernel prints each 32-bit word of the address in host byte order */
                w = (uint32_t)strtoul(part, NULL, 16);
                memcpy(a->s6_addr + i * 4, &w, 4);
        }
        return 0;
}

const char *nlab_port_scan_next(const char *line, int is_v6, int is_tcp, struct nlab_sock_row *row)
{
        assert(line && row);
        for (line = strchr(line, '\n'); line && *++line; line = strchr(line, '\n')) {
                char local[40], remote[40];
                unsigned lport, rport, st, uid;
                unsigned long ino;
                struct in6_addr a;

                if (sscanf(line,
                           " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %u %*s %lu",
                           local, &lport, remote, &rport, &st, &uid, &ino) != 7)
                        continue;
                if (lport > 65535 || parse_hex_addr(local, is_v6, &a) < 0)
                        continue;
                /* TCP: listening; UDP: bound and not connected */
                if (is_tcp ? st != 0x0A : rport != 0)
                        continue;
                memcpy(row->addr, a.s6_addr, sizeof(row->addr));
                row->port = (uint16_t)lport;
                row->is_v6 = is_v6;
                row->inode = ino;
                row->uid = uid;
                return line;
        }
        return NULL;
}

int nlab_sock_row_v4(const struct nlab_sock_row *row, uint32_t *addr)
{
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const uint8_t any[16];

        assert(row && addr);
        if (row->is_v6 && !memcmp(row->addr, any, sizeof(any))) {
                *addr = INADDR_ANY;
                return 1;
        }
        if (row->is_v6 && memcmp(row->addr, mapped, sizeof(mapped)) != 0)
                return 0;
        memcpy(addr, row->addr + (row->is_v6 ? 12 : 0), 4);
        return 1;
}

int nlab_port_scan_entry(const char *text, int is_v6, int is_tcp, const char *ip, uint16_t port,
                         struct nlab_sock_entry *out)
{
        struct nlab_sock_row row;
        const char *line = text;

        assert(text && ip && out);
        while ((line = nlab_port_scan_next(line, is_v6, is_tcp, &row))) {
                struct in_addr want;
                uint32_t have;

                /* would the socket take IPv4 traffic for ip ("" = every local address)? */
                if (row.port != port || !nlab_sock_row_v4(&row, &have))
                        continue;
                if (have != INADDR_ANY && ip[0] &&
                    (inet_pton(AF_INET, ip, &want) != 1 || want.s_addr != have))
                        continue;
                out->inode = row.inode;
                out->uid = row.uid;
                return 1;
        }
        return 0;
}

int nlab_port_scan_table(const char *text, int is_v6, int is_tcp, const char *ip, uint16_t port,
                         unsigned long *inode)
{
        struct nlab_sock_entry e;
        int r;

        assert(inode);
        r = nlab_port_scan_entry(text, is_v6, is_tcp, ip, port, &e);
        if (r)
                *inode = e.inode;
        return r;
}

static char *read_file(const char *path)
{
        size_t len = 0, cap = 0;
        char *buf = NULL;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        for (;;) {
                if (cap - len < 4096) {
                        char *n = realloc(buf, cap + 65536);

                        if (!n)
                                break;
                        buf = n;
                        cap += 65536;
                }
                size_t got = fread(buf + len, 1, cap - len - 1, f);

                len += got;
                if (got == 0)
                        break;
        }
        fclose(f);
        if (buf)
                buf[len] = '\0';
        return buf;
}

/* Best effort: which process holds socket inode ino? "pid 42 (nginx)" or "". */
static void find_holder(const char *proc_root, unsigned long ino, char *out, size_t size)
{
        char want[64], path[1024], link[64];
        struct dirent *p;
        DIR *d = opendir(proc_root);

        out[0] = '\0';
        snprintf(want, sizeof(want), "socket:[%lu]", ino);
        while (d && !out[0] && (p = readdir(d))) {
                struct dirent *fd;
                DIR *fds;

                if (!isdigit((unsigned char)p->d_name[0]))
                        continue;
                snprintf(path, sizeof(path), "%.256s/%.64s/fd", proc_root, p->d_name);
                fds = opendir(path);
                while (fds && !out[0] && (fd = readdir(fds))) {
                        ssize_t n;

                        snprintf(path, sizeof(path), "%.256s/%.64s/fd/%.64s", proc_root, p->d_name,
                                 fd->d_name);
                        n = readlink(path, link, sizeof(link) - 1);
                        if (n <= 0)
                                continue;
                        link[n] = '\0';
                        if (strcmp(link, want) == 0) {
                                char comm[64] = "?", *nl;
                                FILE *f;

                                snprintf(path, sizeof(path), "%.256s/%.64s/comm", proc_root,
                                         p->d_name);
                                f = fopen(path, "re");
                                if (f && fgets(comm, sizeof(comm), f) && (nl = strchr(comm, '\n')))
                                        *nl = '\0';
                                if (f)
                                        fclose(f);
                                snprintf(out, size, "pid %.16s (%.32s)", p->d_name, comm);
                        }
                }
                if (fds)
                        closedir(fds);
        }
        if (d)
                closedir(d);
}

/* When another user's process is not visible in /proc (hidepid, or we are not root), the
 * socket table's uid column still says whose it is: "a process of user bob (uid 4243)". */
static void owner_name(unsigned uid, char *out, size_t size)
{
        struct passwd pw, *res = NULL;
        char buf[1024];

        if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res)
                snprintf(out, size, "a process of user %.64s (uid %u)", res->pw_name, uid);
        else
                snprintf(out, size, "a process of uid %u", uid);
}

void nlab_host_socks_free(struct nlab_host_socks *t)
{
        assert(t);
        for (int u = 0; u < 2; u++)
                for (int v = 0; v < 2; v++) {
                        free(t->text[u][v]);
                        t->text[u][v] = NULL;
                        t->loaded[u][v] = false;
                }
}

static const char *host_table(struct nlab_host_socks *t, int udp, int v6)
{
        char path[512];

        if (!t->loaded[udp][v6]) {
                snprintf(path, sizeof(path), "%.256s/net/%s%s", t->proc_root, udp ? "udp" : "tcp",
                         v6 ? "6" : "");
                t->text[udp][v6] = read_file(path); /* NULL: no IPv6 or no table, nothing held */
                t->loaded[udp][v6] = true;
        }
        return t->text[udp][v6];
}

int nlab_host_socks_check(struct nlab_host_socks *t, const char *ip, uint16_t port, int proto,
                          struct nlab_err *err)
{
        int udp = proto == IPPROTO_UDP;

        assert(t && t->proc_root && ip);
        for (int v6 = 0; v6 <= 1; v6++) {
                const char *text = host_table(t, udp, v6);
                struct nlab_sock_entry e;
                char holder[128];

                if (!text || !nlab_port_scan_entry(text, v6, !udp, ip, port, &e))
                        continue;
                if (!err)
                        return -1;
                find_holder(t->proc_root, e.inode, holder, sizeof(holder));
                if (!holder[0])
                        owner_name(e.uid, holder, sizeof(holder));
                return nlab_err_set(
                    err, NLAB_E_CONFLICT, "port %s%s%u/%s is held by a listening host process%s%s",
                    ip, ip[0] ? ":" : "", port, udp ? "udp" : "tcp", holder[0] ? ": " : "", holder);
        }
        return 0;
}

int nlab_port_check_host(const char *proc_root, const char *ip, uint16_t port, int proto,
                         struct nlab_err *err)
{
        struct nlab_host_socks t = {.proc_root = proc_root};
        int r;

        assert(proc_root && ip);
        r = nlab_host_socks_check(&t, ip, port, proto, err);
        nlab_host_socks_free(&t);
        return r;
}

static int pick_from(struct nlab_host_socks *t, int proto, uint16_t lo, uint16_t hi, uint32_t start,
                     const uint16_t *taken, size_t ntaken, uint16_t *out)
{
        uint32_t span = (uint32_t)(hi - lo) + 1;

        for (uint32_t i = 0; i < span; i++) {
                uint16_t p = (uint16_t)(lo + (start + i) % span);

                if (!is_taken(p, taken, ntaken) &&
                    nlab_host_socks_check(t, "", p, proto, NULL) == 0) {
                        *out = p;
                        return 0;
                }
        }
        return -1;
}

int nlab_port_pick_random(int proto, const uint16_t *taken, size_t ntaken, uint16_t *out,
                          struct nlab_err *err)
{
        struct nlab_host_socks t = {.proc_root = "/proc"};
        uint32_t start = 0;
        uint16_t lo, hi;
        int r;

        assert(out);
        if (nlab_port_ephemeral_range(&lo, &hi, err) < 0)
                return -1;
        if (getrandom(&start, sizeof(start), 0) != sizeof(start))
                start = (uint32_t)getpid();
        r = pick_from(&t, proto, lo, hi, start, taken, ntaken, out);
        nlab_host_socks_free(&t);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_CONFLICT, "no free host port in %u-%u", lo, hi);
        return 0;
}

/* Would mappings a and b take the same traffic? Same protocol and port, and addresses overlap. */
static int clash(const struct nlab_port_mapping *a, uint16_t port,
                 const struct nlab_port_mapping *b)
{
        return a->proto == b->proto && port == b->host_port &&
               (!a->host_ip[0] || !b->host_ip[0] || strcmp(a->host_ip, b->host_ip) == 0);
}

struct pool {
        struct nlab_host_socks *host;
        const struct nlab_port_mapping *taken, *done;
        const char *const *owner;
        size_t ntaken, ndone;
};

/* 0 if port is free for m; otherwise -1 with the reason in err (err may be NULL). */
static int port_free(const struct pool *p, const struct nlab_port_mapping *m, uint16_t port,
                     struct nlab_err *err)
{
        struct nlab_port_mapping probe = *m;
        char label[64];

        probe.host_port = port;
        nlab_port_label(&probe, label, sizeof(label));
        for (size_t i = 0; i < p->ntaken; i++)
                if (clash(m, port, &p->taken[i]))
                        return nlab_err_set(err, NLAB_E_CONFLICT, "%s is already published%s%s",
                                            label, p->owner && p->owner[i] ? " by " : "",
                                            p->owner && p->owner[i] ? p->owner[i] : "");
        for (size_t i = 0; i < p->ndone; i++)
                if (clash(m, port, &p->done[i]))
                        return nlab_err_set(err, NLAB_E_CONFLICT, "%s is given twice", label);
        return nlab_host_socks_check(p->host, m->host_ip, port, m->proto, err);
}

static int resolve_one(const struct pool *p, struct nlab_port_mapping *m, struct nlab_err *err)
{
        uint16_t lo = m->host_port, hi = m->host_port_end > lo ? m->host_port_end : lo;
        uint32_t start = 0;

        if (lo == 0) {
                if (nlab_port_ephemeral_range(&lo, &hi, err) < 0)
                        return -1;
                if (getrandom(&start, sizeof(start), 0) != sizeof(start))
                        start = (uint32_t)getpid();
        } else if (lo == hi) {
                m->host_port_end = 0;
                return port_free(p, m, lo, err);
        }
        for (uint32_t i = 0, span = (uint32_t)(hi - lo) + 1; i < span; i++) {
                uint16_t port = (uint16_t)(lo + (start + i) % span);

                if (port_free(p, m, port, NULL) == 0) {
                        m->host_port = port;
                        m->host_port_end = 0;
                        return 0;
                }
        }
        return nlab_err_set(err, NLAB_E_CONFLICT, "no free host port for %u/%s in %u-%u",
                            m->ctr_port, nlab_proto_name(m->proto), lo, hi);
}

int nlab_port_resolve(const char *proc_root, struct nlab_port_mapping *m, size_t n,
                      const struct nlab_port_mapping *taken, const char *const *owner,
                      size_t ntaken, struct nlab_err *err)
{
        struct nlab_host_socks host = {.proc_root = proc_root};
        struct pool p = {&host, taken, m, owner, ntaken, 0};
        int r = 0;

        assert(proc_root && (m || n == 0) && (taken || ntaken == 0));
        for (size_t i = 0; i < n && r == 0; i++, p.ndone++)
                r = resolve_one(&p, &m[i], err);
        nlab_host_socks_free(&host);
        return r;
}
