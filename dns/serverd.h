/* netlab-dns daemon internals shared by server.c, forward.c and tcp.c. Not a public API. */
#ifndef NLAB_DNS_SERVERD_H
#define NLAB_DNS_SERVERD_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "dns/records.h"
#include "dns/server.h"
#include "dns/wire.h"

#define MAX_LISTENERS    256
#define MAX_NETNAME      128
#define MAX_TCP          64
#define MAX_PENDING      256
#define MAX_UPSTREAMS    8
#define CACHE_SLOTS      128
#define CACHE_MAX_TTL    3600
#define CACHE_MAX_LEN    4096
#define UPSTREAM_TIMEOUT 1000 /* ms per server before trying the next */
/* A TCP client has this long from accept (or from its last answer) to send a whole query. */
#define TCP_QUERY_MS   2500
#define TCP_PER_CLIENT 8 /* connections one address may hold, so it cannot starve others */
#define LO_IFINDEX     1 /* lo has index 1 in every network namespace */
#define TCP_OUT_MAX    (256 * 1024)
#define TCP_IN_MAX     (2 + NLAB_DNS_MAXMSG)
#define UDP_BATCH      64
#define CONTROL_LINE   512

enum watch_kind { W_UDP = 1, W_TCP_LISTEN, W_TCP_CONN, W_UPSTREAM, W_CONTROL, W_SIGNAL, W_LINKS };

struct listener {
        bool used;
        uint32_t gen; /* bumped on close: a late answer never leaves through a reused slot */
        char net[MAX_NETNAME + 1];
        struct in_addr addr;
        int ifindex; /* the bridge holding addr (0: not found yet); queries must arrive on it */
        int udp, tcp;
};

struct tcpconn {
        bool used, busy, eof, in_process;
        bool host;    /* came in on lo */
        uint32_t gen; /* tells a reply for a closed connection from one for its successor */
        int fd, listener;
        uint32_t events;
        struct in_addr peer;
        uint8_t *in, *out;
        size_t inlen, outlen, outcap;
        uint64_t deadline;
};

/* Where a query came from, so the answer goes back the same way. */
struct origin {
        int listener;
        uint32_t listener_gen;
        int tcp; /* -1 for UDP */
        uint32_t tcp_gen;
        bool host; /* arrived on lo: the host itself */
        struct sockaddr_in client;
};

struct pending {
        bool used;
        int fd;
        struct origin from;
        struct nlab_dns_query q; /* the client's query, with the client's id */
        uint8_t *query;          /* what goes upstream, with our id */
        size_t qlen;
        uint16_t our_id;
        bool added_opt; /* we asked upstream with an OPT the client did not send */
        struct sockaddr_in up[MAX_UPSTREAMS];
        size_t n_up, idx;
        uint64_t deadline;
        char *cache_key;
};

struct cache_entry {
        char *key;
        uint8_t *resp;
        size_t len;
        uint64_t stored, expires;
};

struct host_upstreams {
        bool loaded;
        struct stat st;
        struct in_addr addrs[MAX_UPSTREAMS];
        size_t n;
};

struct nlab_dns_server {
        struct nlab_dns_server_config cfg;
        char dnsdir[PATH_MAX], pidpath[PATH_MAX], sockpath[PATH_MAX];
        int epfd, ctlfd, sigfd, pidfd;
        int nlfd;              /* address and link changes: which bridge holds a gateway */
        struct in_addr *local; /* the host's own addresses */
        size_t n_local, local_cap;
        bool stop;
        struct nlab_dns_store *store;
        struct listener listeners[MAX_LISTENERS];
        struct tcpconn tcp[MAX_TCP];
        struct pending *pending;
        size_t n_pending, n_tcp; /* so idle loops skip the scans */
        struct cache_entry cache[CACHE_SLOTS];
        struct host_upstreams host;
        uint8_t buf[NLAB_DNS_MAXMSG + 1];
        uint8_t out[NLAB_DNS_MAXMSG + 1];
};

static inline uint64_t nlab_dnsd_tag(enum watch_kind k, uint32_t idx)
{
        return (uint64_t)k << 32 | idx;
}

enum arrival { ARRIVAL_FOREIGN, ARRIVAL_NETWORK, ARRIVAL_HOST };

/* server.c */
uint64_t nlab_dnsd_now_ms(void);
/* Did a packet from src that came in on ifindex come from the listener's network, or the host? */
enum arrival nlab_dnsd_arrival(struct nlab_dns_server *srv, uint32_t listener, int ifindex,
                               struct in_addr src);
/* The arrival interface in an IP_PKTINFO control message, or 0. */
int nlab_dnsd_pktinfo_ifindex(struct msghdr *mh);
int nlab_dnsd_ep_ctl(struct nlab_dns_server *srv, int op, int fd, uint64_t t, uint32_t events);
void nlab_dnsd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send an answer back the way the query came (UDP datagram or TCP connection). */
void nlab_dnsd_reply(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *data,
                     size_t len);
size_t nlab_dnsd_client_limit(const struct origin *o, const struct nlab_dns_query *q);
void nlab_dnsd_reply_rcode(struct nlab_dns_server *srv, const struct origin *o,
                           const struct nlab_dns_query *q, const uint8_t *qbuf, int rcode);
/* Answer one query message; true if the answer comes later (forwarded). */
bool nlab_dnsd_answer(struct nlab_dns_server *srv, const struct origin *o, const uint8_t *buf,
                      size_t len);

/* forward.c */
bool nlab_dnsd_start_forward(struct nlab_dns_server *srv, const struct origin *o,
                             const struct nlab_dns_query *q, const uint8_t *qbuf, size_t len,
                             const struct nlab_dns_result *res);
void nlab_dnsd_on_upstream(struct nlab_dns_server *srv, uint32_t idx);
/* Try the next server of a pending query (timeout or failure), or answer SERVFAIL. */
void nlab_dnsd_upstream_next(struct nlab_dns_server *srv, uint32_t idx);
void nlab_dnsd_pending_free(struct nlab_dns_server *srv, struct pending *p);
void nlab_dnsd_cache_clear(struct cache_entry *e);

/* tcp.c */
void nlab_dnsd_tcp_queue(struct nlab_dns_server *srv, uint32_t idx, const uint8_t *data,
                         size_t len);
/* A forwarded answer went out: carry on with the connection's next query. */
void nlab_dnsd_tcp_resume(struct nlab_dns_server *srv, const struct origin *o);
void nlab_dnsd_tcp_close(struct nlab_dns_server *srv, uint32_t idx);
void nlab_dnsd_on_tcp(struct nlab_dns_server *srv, uint32_t idx, uint32_t events);
void nlab_dnsd_on_accept(struct nlab_dns_server *srv, uint32_t idx);

#endif
