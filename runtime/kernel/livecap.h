/* A live libpcap handle on an interface of any network namespace. A packet socket belongs to the
 * namespace it was made in, so a short-lived thread enters the namespace, opens and filters the
 * handle, and ends: the caller's own namespace never changes, and the handle keeps capturing. */
#ifndef NLAB_LIVECAP_H
#define NLAB_LIVECAP_H

#include <pcap/pcap.h>

#include "runtime/base/err.h"

/* netns: a namespace file (/proc/PID/ns/net, a bind mount), or NULL for the caller's own. filter:
 * a BPF expression as tcpdump takes it, or NULL. The handle is non-blocking, in immediate mode
 * and promiscuous (a bridge passes up the frames it forwards only then). where names the
 * interface's owner in messages ("container web"). */
pcap_t *nlab_livecap_open(const char *netns, const char *ifname, const char *filter,
                          const char *where, struct nlab_err *err);

#endif
