#include "runtime/kernel/livecap.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SNAPLEN 262144 /* tcpdump's default: whole frames */

struct opener {
        const char *netns, *ifname, *filter, *where;
        pcap_t *pcap;
        struct nlab_err err;
};

static int activate_fail(struct opener *o, pcap_t *p, int r)
{
        if (r == PCAP_ERROR_NO_SUCH_DEVICE)
                return nlab_err_set(&o->err, NLAB_E_NOTFOUND, "%s has no interface %s", o->where,
                                    o->ifname);
        if (r == PCAP_ERROR_PERM_DENIED)
                return nlab_err_set(&o->err, NLAB_E_SYSTEM,
                                    "%s: capture on %s: permission denied (needs CAP_NET_RAW)",
                                    o->where, o->ifname);
        return nlab_err_set(&o->err, NLAB_E_SYSTEM, "%s: capture on %s: %s", o->where, o->ifname,
                            pcap_geterr(p));
}

static int set_filter(struct opener *o, pcap_t *p)
{
        struct bpf_program prog;
        int r;

        if (!o->filter)
                return 0;
        if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
                return nlab_err_set(&o->err, NLAB_E_INVALID, "invalid filter \"%s\": %s", o->filter,
                                    pcap_geterr(p));
        r = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (r < 0)
                return nlab_err_set(&o->err, NLAB_E_SYSTEM, "%s: filter on %s: %s", o->where,
                                    o->ifname, pcap_geterr(p));
        return 0;
}

static int open_here(struct opener *o)
{
        char ebuf[PCAP_ERRBUF_SIZE] = "";
        pcap_t *p = pcap_create(o->ifname, ebuf);
        int r;

        if (!p)
                return nlab_err_set(&o->err, NLAB_E_SYSTEM, "%s: capture on %s: %s", o->where,
                                    o->ifname, ebuf);
        pcap_set_snaplen(p, SNAPLEN);
        pcap_set_promisc(p, 1);
        pcap_set_immediate_mode(p, 1);
        r = pcap_activate(p);
        if (r < 0) {
                activate_fail(o, p, r);
                pcap_close(p);
                return -1;
        }
        if (set_filter(o, p) < 0 || pcap_setnonblock(p, 1, ebuf) < 0) {
                if (!o->err.msg[0])
                        nlab_err_set(&o->err, NLAB_E_SYSTEM, "%s: capture on %s: %s", o->where,
                                     o->ifname, ebuf);
                pcap_close(p);
                return -1;
        }
        o->pcap = p;
        return 0;
}

static void *opener_thread(void *arg)
{
        struct opener *o = arg;
        int fd, e;

        if (o->netns) {
                fd = open(o->netns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
                        e = errno;
                        nlab_err_sys(&o->err, e, "%s: enter network namespace %s", o->where,
                                     o->netns);
                        if (fd >= 0)
                                close(fd);
                        return NULL;
                }
                close(fd);
        }
        open_here(o);
        return NULL;
}

pcap_t *nlab_livecap_open(const char *netns, const char *ifname, const char *filter,
                          const char *where, struct nlab_err *err)
{
        struct opener o = {netns, ifname, filter, where, NULL, {0}};
        pthread_t t;
        int r;

        assert(ifname && where);
        r = pthread_create(&t, NULL, opener_thread, &o);
        if (r) {
                nlab_err_sys(err, r, "%s: start the capture thread", where);
                return NULL;
        }
        pthread_join(t, NULL);
        if (!o.pcap && err)
                *err = o.err;
        return o.pcap;
}
