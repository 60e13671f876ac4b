/* Probes from inside a network namespace. Each runs in a forked child so that setns() never
 * moves the caller, and so that a stuck socket costs a kill instead of a hang. */
#include "runtime/lab/probe.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dns/wire.h"

#define ICMP_ID_FALLBACK 0x4e4c /* "NL" */

struct probe_job {
        int what; /* 0 reach, 1 resolve */
        struct in_addr dst;
        unsigned port;
        enum nlab_proto proto;
        unsigned timeout_ms;
        const char *name;
};

/* What the child sends back. */
struct probe_msg {
        int failed_errno; /* setns or socket setup failed */
        char failed_what[48];
        struct nlab_probe_result res;
        size_t nif;
        struct nlab_probe_ifaddr ifs[32];
};

static const char *const status_names[] = {
    [NLAB_PROBE_OK] = "ok",
    [NLAB_PROBE_TIMEOUT] = "timeout",
    [NLAB_PROBE_REFUSED] = "refused",
    [NLAB_PROBE_UNREACHABLE] = "unreachable",
    [NLAB_PROBE_NXDOMAIN] = "NXDOMAIN",
    [NLAB_PROBE_NODATA] = "no IPv4 address (NODATA)",
    [NLAB_PROBE_DNS_ERROR] = "DNS error",
    [NLAB_PROBE_NO_SERVER] = "no nameserver",
};

const char *nlab_probe_status_str(enum nlab_probe_status s)
{
        return status_names[s];
}

static unsigned now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static enum nlab_probe_status status_of_errno(int e)
{
        switch (e) {
        case ECONNREFUSED:
                return NLAB_PROBE_REFUSED;
        case ETIMEDOUT:
        case EAGAIN:
                return NLAB_PROBE_TIMEOUT;
        default:
                return NLAB_PROBE_UNREACHABLE;
        }
}

/* Wait for events on fd until deadline; 0 on timeout. */
static int wait_fd(int fd, short events, unsigned deadline)
{
        struct pollfd p = {.fd = fd, .events = events};
        int r;

        do {
                unsigned now = now_ms();
                if (now >= deadline)
                        return 0;
                r = poll(&p, 1, (int)(deadline - now));
        } while (r < 0 && errno == EINTR);
        return r;
}

static void tcp_probe(const struct probe_job *j, struct nlab_probe_result *res, unsigned deadline)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = j->dst};
        socklen_t sl = sizeof(int);
        int fd, e = 0;

        sa.sin_port = htons((uint16_t)j->port);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                res->status = NLAB_PROBE_UNREACHABLE;
                res->errnum = errno;
                return;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
                res->status = NLAB_PROBE_OK;
        } else if (errno != EINPROGRESS) {
                res->errnum = errno;
                res->status = status_of_errno(errno);
        } else if (wait_fd(fd, POLLOUT, deadline) <= 0) {
                res->status = NLAB_PROBE_TIMEOUT;
        } else {
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl);
                res->errnum = e;
                res->status = e ? status_of_errno(e) : NLAB_PROBE_OK;
        }
        close(fd);
}

/* Send a datagram to fd (connected) and wait for any reply or an ICMP error. */
static void dgram_exchange(int fd, const void *msg, size_t len, uint8_t *reply, size_t rsize,
                           ssize_t *got, struct nlab_probe_result *res, unsigned deadline)
{
        *got = -1;
        if (send(fd, msg, len, 0) < 0) {
                res->errnum = errno;
                res->status = status_of_errno(errno);
                return;
        }
        for (;;) {
                if (wait_fd(fd, POLLIN, deadline) <= 0) {
                        res->status = NLAB_PROBE_TIMEOUT;
                        return;
                }
                *got = recv(fd, reply, rsize, 0);
                if (*got >= 0) {
                        res->status = NLAB_PROBE_OK;
                        return;
                }
                if (errno != EINTR && errno != EAGAIN) {
                        res->errnum = errno;
                        res->status = status_of_errno(errno);
                        return;
                }
        }
}

static int udp_socket(struct in_addr dst, unsigned port, struct nlab_probe_result *res)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = dst};
        int fd;

        sa.sin_port = htons((uint16_t)port);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return fd;
        res->errnum = errno;
        res->status = status_of_errno(errno);
        if (fd >= 0)
                close(fd);
        return -1;
}

/* The UDP payload is a DNS query, so a DNS server answers it as well as an echo service. */
static void udp_probe(const struct probe_job *j, struct nlab_probe_result *res, unsigned deadline)
{
        uint8_t q[64], reply[512];
        ssize_t got;
        int fd = udp_socket(j->dst, j->port, res), qlen;

        if (fd < 0)
                return;
        qlen = nlab_dns_build_query("netlab-probe.", (uint16_t)getpid(), q, sizeof(q));
        dgram_exchange(fd, q, (size_t)qlen, reply, sizeof(reply), &got, res, deadline);
        close(fd);
}

static uint16_t inet_cksum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t sum = 0;
        size_t i;

        for (i = 0; i + 1 < len; i += 2)
                sum += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (len & 1)
                sum += (uint32_t)(p[len - 1] << 8);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t)~sum);
}

/* Is this packet an echo reply for us, or (raw socket: IP header first) an error about our
 * request? 1 when it settles the probe. */
static int icmp_classify(const uint8_t *pkt, ssize_t n, bool raw, uint16_t id, struct in_addr dst,
                         struct nlab_probe_result *res)
{
        const struct iphdr *ip = (const struct iphdr *)pkt, *inner;
        const struct icmphdr *ic;
        size_t hl = 0;

        if (raw) {
                if (n < (ssize_t)sizeof(*ip))
                        return 0;
                hl = (size_t)ip->ihl * 4;
        }
        if (n < (ssize_t)(hl + sizeof(*ic)))
                return 0;
        ic = (const struct icmphdr *)(pkt + hl);
        if (ic->type == ICMP_ECHOREPLY) {
                if (raw && (ip->saddr != dst.s_addr || ic->un.echo.id != htons(id)))
                        return 0;
                res->status = NLAB_PROBE_OK;
                return 1;
        }
        inner = (const struct iphdr *)(ic + 1);
        if (raw && ic->type == ICMP_DEST_UNREACH &&
            n >= (ssize_t)(hl + sizeof(*ic) + sizeof(*inner)) && inner->daddr == dst.s_addr) {
                res->status = NLAB_PROBE_UNREACHABLE;
                res->errnum = EHOSTUNREACH;
                return 1;
        }
        return 0;
}

static int icmp_socket(struct in_addr dst, bool *raw)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = dst};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);

        *raw = fd < 0; /* ping_group_range forbids it: fall back to a raw socket (root) */
        if (*raw)
                fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
        /* a connected raw socket would drop errors sent by a router, so only the ping one */
        if (fd >= 0 && !*raw && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void icmp_probe(const struct probe_job *j, struct nlab_probe_result *res, unsigned deadline)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = j->dst};
        uint8_t pkt[64] = {0}, reply[1500];
        struct icmphdr *ic = (struct icmphdr *)pkt;
        uint16_t id = (uint16_t)(getpid() ^ ICMP_ID_FALLBACK);
        bool raw;
        int fd = icmp_socket(j->dst, &raw);

        if (fd < 0) {
                res->errnum = errno;
                res->status = status_of_errno(errno);
                return;
        }
        ic->type = ICMP_ECHO;
        ic->un.echo.id = htons(id);
        ic->un.echo.sequence = htons(1);
        memcpy(pkt + sizeof(*ic), "netlab probe", 12);
        ic->checksum = inet_cksum(pkt, sizeof(pkt));
        if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                res->errnum = errno;
                res->status = status_of_errno(errno);
                close(fd);
                return;
        }
        res->status = NLAB_PROBE_TIMEOUT;
        while (wait_fd(fd, POLLIN, deadline) > 0) {
                ssize_t n = recv(fd, reply, sizeof(reply), 0);
                if (n < 0 && errno != EINTR && errno != EAGAIN) {
                        res->errnum = errno;
                        res->status = status_of_errno(errno);
                        break;
                }
                if (n > 0 && icmp_classify(reply, n, raw, id, j->dst, res))
                        break;
        }
        close(fd);
}

static void dns_probe(const struct probe_job *j, struct nlab_probe_result *res, unsigned deadline)
{
        uint16_t id = (uint16_t)(getpid() * 7919u);
        uint8_t q[300], reply[1500];
        int fd, qlen = nlab_dns_build_query(j->name, id, q, sizeof(q));
        unsigned half = now_ms() + (deadline - now_ms()) / 2;
        ssize_t got;

        if (qlen < 0) {
                res->status = NLAB_PROBE_NXDOMAIN;
                return;
        }
        fd = udp_socket(j->dst, 53, res);
        if (fd < 0)
                return;
        /* one retransmission half-way, as a stub resolver would */
        dgram_exchange(fd, q, (size_t)qlen, reply, sizeof(reply), &got, res, half);
        if (res->status == NLAB_PROBE_TIMEOUT)
                dgram_exchange(fd, q, (size_t)qlen, reply, sizeof(reply), &got, res, deadline);
        if (res->status == NLAB_PROBE_OK &&
            nlab_dns_parse_response(reply, (size_t)got, id, res) < 0)
                res->status = NLAB_PROBE_DNS_ERROR;
        close(fd);
}

static void list_interfaces(struct probe_msg *m)
{
        struct ifaddrs *ifa, *i;

        if (getifaddrs(&ifa) < 0) {
                m->failed_errno = errno;
                snprintf(m->failed_what, sizeof(m->failed_what), "list interfaces");
                return;
        }
        for (i = ifa; i && m->nif < sizeof(m->ifs) / sizeof(m->ifs[0]); i = i->ifa_next) {
                struct nlab_probe_ifaddr *o = &m->ifs[m->nif];
                if (!i->ifa_addr ||
                    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_PACKET))
                        continue;
                memset(o, 0, sizeof(*o));
                snprintf(o->ifname, sizeof(o->ifname), "%s", i->ifa_name);
                if (i->ifa_addr->sa_family == AF_INET) {
                        uint32_t mask =
                            ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
                        o->has_v4 = true;
                        o->addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                        o->prefix = (unsigned)__builtin_popcount(mask);
                }
                m->nif++;
        }
        freeifaddrs(ifa);
}

static void child_work(const char *netns_path, const struct probe_job *j, struct probe_msg *m)
{
        unsigned start = now_ms(), deadline = start + j->timeout_ms;
        int fd;

        if (netns_path) {
                fd = open(netns_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
                        m->failed_errno = errno;
                        snprintf(m->failed_what, sizeof(m->failed_what), "enter netns");
                        return;
                }
                close(fd);
        }
        if (j->what == 2)
                list_interfaces(m);
        else if (j->what == 1)
                dns_probe(j, &m->res, deadline);
        else if (j->proto == NLAB_PROTO_TCP)
                tcp_probe(j, &m->res, deadline);
        else if (j->proto == NLAB_PROTO_UDP)
                udp_probe(j, &m->res, deadline);
        else
                icmp_probe(j, &m->res, deadline);
        m->res.ms = now_ms() - start;
}

static int read_full(int fd, void *buf, size_t len, unsigned deadline)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n;
                if (wait_fd(fd, POLLIN, deadline) <= 0)
                        return -1;
                n = read(fd, (char *)buf + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        return 0;
}

static int run_job(const char *netns_path, const struct probe_job *j, struct probe_msg *m,
                   struct nlab_err *err)
{
        int pfd[2], status;
        pid_t pid;

        memset(m, 0, sizeof(*m));
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "probe: pipe");
        pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return nlab_err_sys(err, errno, "probe: fork");
        }
        if (pid == 0) {
                close(pfd[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                child_work(netns_path, j, m);
                _exit(write(pfd[1], m, sizeof(*m)) == (ssize_t)sizeof(*m) ? 0 : 1);
        }
        close(pfd[1]);
        if (read_full(pfd[0], m, sizeof(*m), now_ms() + j->timeout_ms + 2000) < 0) {
                kill(pid, SIGKILL);
                memset(m, 0, sizeof(*m));
                m->failed_errno = ETIMEDOUT;
                snprintf(m->failed_what, sizeof(m->failed_what), "probe child");
        }
        close(pfd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (m->failed_errno)
                return nlab_err_sys(err, m->failed_errno, "probe in %s: %s",
                                    netns_path ? netns_path : "the lab host", m->failed_what);
        return 0;
}

int nlab_probe_reach(const char *netns_path, struct in_addr dst, unsigned port,
                     enum nlab_proto proto, unsigned timeout_ms, struct nlab_probe_result *res,
                     struct nlab_err *err)
{
        struct probe_job j = {
            .what = 0, .dst = dst, .port = port, .proto = proto, .timeout_ms = timeout_ms};
        struct probe_msg m;

        assert(res);
        if (run_job(netns_path, &j, &m, err) < 0)
                return -1;
        *res = m.res;
        return 0;
}

int nlab_probe_resolve(const char *netns_path, struct in_addr nameserver, const char *name,
                       unsigned timeout_ms, struct nlab_probe_result *res, struct nlab_err *err)
{
        struct probe_job j = {.what = 1, .dst = nameserver, .timeout_ms = timeout_ms, .name = name};
        struct probe_msg m;

        assert(name && res);
        if (run_job(netns_path, &j, &m, err) < 0)
                return -1;
        *res = m.res;
        return 0;
}

int nlab_probe_interfaces(const char *netns_path, struct nlab_probe_ifaddr *out, size_t max,
                          size_t *n, struct nlab_err *err)
{
        struct probe_job j = {.what = 2, .timeout_ms = 2000};
        struct probe_msg m;

        assert(out && n);
        if (run_job(netns_path, &j, &m, err) < 0)
                return -1;
        *n = m.nif < max ? m.nif : max;
        memcpy(out, m.ifs, *n * sizeof(*out));
        return 0;
}

/* ---- pure helpers ---- */

int nlab_resolvconf_nameserver(const char *text, struct in_addr *ns)
{
        const char *p = text;

        while (p && *p) {
                char addr[64];
                if (sscanf(p, " nameserver %63s", addr) == 1 && inet_pton(AF_INET, addr, ns) == 1)
                        return 1;
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return 0;
}

size_t nlab_hosts_lookup(const char *text, const char *name, struct in_addr *out, size_t max)
{
        const char *p = text;
        size_t n = 0;

        while (p && *p && n < max) {
                const char *eol = strchrnul(p, '\n');
                char line[512], *save = NULL, *ip, *w;
                size_t len =
                    (size_t)(eol - p) < sizeof(line) - 1 ? (size_t)(eol - p) : sizeof(line) - 1;
                memcpy(line, p, len);
                line[len] = '\0';
                if (strchr(line, '#'))
                        *strchr(line, '#') = '\0';
                ip = strtok_r(line, " \t", &save);
                while (ip && (w = strtok_r(NULL, " \t", &save)))
                        if (!strcasecmp(w, name) && inet_pton(AF_INET, ip, &out[n]) == 1) {
                                n++;
                                break;
                        }
                p = *eol ? eol + 1 : eol;
        }
        return n;
}

int nlab_dns_parse_response(const uint8_t *b, size_t len, uint16_t id,
                            struct nlab_probe_result *res)
{
        struct nlab_dns_header h;
        struct nlab_dns_rr rr;
        size_t o = NLAB_DNS_HDRLEN, i;

        if (nlab_dns_parse_header(b, len, &h) < 0 || h.id != id || !(h.flags & NLAB_DNS_F_QR))
                return -1;
        res->rcode = h.flags & NLAB_DNS_F_RCODE;
        res->naddrs = 0;
        for (i = 0; i < h.qdcount; i++) {
                if (nlab_dns_skip_name(b, len, &o) < 0 || len - o < 4)
                        return -1;
                o += 4;
        }
        for (i = 0; i < h.ancount; i++) {
                if (nlab_dns_next_rr(b, len, &o, &rr) < 0)
                        return -1;
                if (rr.type == NLAB_DNS_T_A && rr.rdlength == 4 &&
                    res->naddrs < NLAB_PROBE_MAX_ADDRS)
                        memcpy(&res->addrs[res->naddrs++], b + rr.rdata_off, 4);
        }
        if (res->rcode == NLAB_DNS_NXDOMAIN)
                res->status = NLAB_PROBE_NXDOMAIN;
        else if (res->rcode)
                res->status = NLAB_PROBE_DNS_ERROR;
        else
                res->status = res->naddrs ? NLAB_PROBE_OK : NLAB_PROBE_NODATA;
        return 0;
}
