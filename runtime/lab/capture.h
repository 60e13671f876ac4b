/* `netlab capture`: packets on a container's interface, a network's bridge or an external host's
 * link, read through libpcap from the lab host's side (no tcpdump in the container). */
#ifndef NLAB_CAPTURE_H
#define NLAB_CAPTURE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"
#include "runtime/kernel/link.h"
#include "runtime/net/external.h"

struct nlab_capture_req {
        const char *target; /* CONTAINER[/IFACE], NETWORK, an external host, or host */
        const char *iface;  /* NULL: the target's own (eth0, the bridge; host needs one) */
        const char *filter; /* a BPF expression, or NULL for every packet */
        const char *write;  /* a pcap file to write instead of decoding, or NULL */
};

struct nlab_capture {
        pcap_t *pcap;
        pcap_dumper_t *dump;
        char ifname[NLAB_IFNAMSIZ];
        char where[192]; /* "container web", "network labnet", "external host lan" */
        int linktype;    /* DLT_* */
};

struct nlab_capture_pkt {
        struct timeval ts;
        size_t caplen, len;
        const uint8_t *data;
        int linktype;
};

typedef void (*nlab_capture_fn)(void *ctx, const struct nlab_capture_pkt *p);

/* Resolve req->target among ext (a lab's external hosts; may be NULL), containers and networks
 * (recorded `netlab external` hosts and /run/netns names with NLAB_PARTY_NAMED_NETNS) and start
 * capturing. The file req->write is made only once the capture runs. */
int nlab_capture_open(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                      unsigned party_flags, const struct nlab_capture_req *req,
                      struct nlab_capture *c, struct nlab_err *err);
/* The CLI's targets: recorded external hosts that are up, /run/netns names too. */
int nlab_capture_open_cli(struct nlab_store *st, const struct nlab_capture_req *req,
                          struct nlab_capture *c, struct nlab_err *err);
/* A descriptor that turns readable when packets wait. */
int nlab_capture_fd(const struct nlab_capture *c);
/* Take what has arrived, at most max packets (0: all), written to the file when there is one
 * and handed to fn (may be NULL). Returns how many, or -1. Never blocks. */
int nlab_capture_dispatch(struct nlab_capture *c, int max, nlab_capture_fn fn, void *ctx,
                          struct nlab_err *err);
/* Packets the kernel dropped for lack of buffer space so far. */
unsigned nlab_capture_dropped(const struct nlab_capture *c);
/* Flush and close the file, end the capture. */
void nlab_capture_close(struct nlab_capture *c);

/* diagnose --capture: the final probe from A to B[:PORT[/proto]] again, with a capture open at
 * each link of its path (A's interface, the bridge(s), B's interface), to show where its packets
 * stop. */
#define NLAB_TRACE_POINTS 4
#define NLAB_TRACE_LINES  4

struct nlab_trace_point {
        char where[192]; /* "client eth0", "network lan (br-...)" */
        unsigned seen;
        char lines[NLAB_TRACE_LINES][256]; /* the first packets, decoded, without time */
        char error[256];                   /* could not capture here */
};

struct nlab_trace {
        char probe[160]; /* "icmp echo to 10.96.0.2: timeout" */
        struct nlab_trace_point pts[NLAB_TRACE_POINTS];
        size_t n;
        int stop; /* the first point that saw nothing, or -1 */
};

int nlab_capture_trace(struct nlab_store *st, const char *from, const char *to,
                       struct nlab_trace *t, struct nlab_err *err);

#endif
