/* netlab capture TARGET [-i IFACE] [-c N] [-w FILE] [FILTER...]: packets as readable lines, or a
 * pcap file, from a container's interface, a network's bridge or an external host's link. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "runtime/base/pktfmt.h"
#include "runtime/lab/capture.h"

static const struct nlab_flag capture_flags[] = {
    {"interface", 'i', NLAB_FLAG_VALUE, NULL},
    {"count", 'c', NLAB_FLAG_VALUE, NULL},
    {"write", 'w', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
#define NFLAGS (sizeof(capture_flags) / sizeof(capture_flags[0]))
enum { F_IFACE, F_COUNT, F_WRITE };

struct printer {
        const char *ifname;
        unsigned long seen;
};

static void print_packet(void *ctx, const struct nlab_capture_pkt *p)
{
        struct printer *pr = ctx;
        char line[1024], when[16];
        time_t t = p->ts.tv_sec;
        struct tm tm;

        pr->seen++;
        if (!pr->ifname)
                return; /* -w: the file has it */
        localtime_r(&t, &tm);
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
        nlab_pkt_decode(p->data, p->caplen, p->len, p->linktype, NULL, line, sizeof(line));
        printf("%s.%06ld %s %s\n", when, (long)p->ts.tv_usec, pr->ifname, line);
}

/* -c: a count from 1 up; 0 when not given. */
static int parse_count(const char *s, unsigned long *out)
{
        char *end;

        *out = 0;
        if (!s)
                return 0;
        errno = 0;
        *out = strtoul(s, &end, 10);
        if (s[0] < '1' || s[0] > '9' || *end || errno || *out > INT_MAX) {
                fprintf(stderr,
                        "netlab: error: invalid count \"%s\" for -c: a whole number from 1 to "
                        "%d\n",
                        s, INT_MAX);
                return -1;
        }
        return 0;
}

/* The words after TARGET, joined with spaces, as tcpdump takes its expression. */
static char *join_filter(const struct nlab_parsed *p)
{
        size_t len = 0;
        char *s;
        int i;

        if (p->npos < 2)
                return NULL;
        for (i = 1; i < p->npos; i++)
                len += strlen(p->pos[i]) + 1;
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (i = 1; i < p->npos; i++) {
                if (i > 1)
                        strcat(s, " ");
                strcat(s, p->pos[i]);
        }
        return s;
}

/* Until N packets, Ctrl-C (SIGINT), SIGTERM or an error. Returns 0 or -1 with err. */
static int capture_loop(struct nlab_capture *c, unsigned long count, struct printer *pr,
                        struct nlab_err *err)
{
        struct pollfd fds[2];
        sigset_t mask;
        int sfd, r = 0;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        /* an ignored signal never reaches the signalfd: a shell's background job ignores SIGINT,
         * and `kill -INT` must still stop the capture cleanly, as tcpdump's does */
        signal(SIGINT, SIG_DFL);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return nlab_err_sys(err, errno, "signalfd");
        fds[0] = (struct pollfd){.fd = nlab_capture_fd(c), .events = POLLIN};
        fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
        while (!count || pr->seen < count) {
                /* libpcap's ring may hold packets poll does not announce: look every 200 ms */
                if (poll(fds, 2, 200) < 0 && errno != EINTR) {
                        r = nlab_err_sys(err, errno, "poll");
                        break;
                }
                if (fds[1].revents)
                        break;
                r = nlab_capture_dispatch(c, count ? (int)(count - pr->seen) : 0, print_packet, pr,
                                          err);
                fflush(stdout);
                if (r < 0)
                        break;
                r = 0;
        }
        close(sfd);
        return r;
}

int nlab_cmd_capture(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_capture_req req = {0};
        struct nlab_parsed p = {0};
        struct printer pr = {0};
        struct nlab_capture c;
        unsigned long count;
        struct nlab_err err;
        unsigned dropped;
        char *filter = NULL;
        int code = 0, r;

        if (nlab_cli_parse("capture", capture_flags, NFLAGS, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error("capture",
                                            "\"netlab capture\" requires a target: a container "
                                            "(CONTAINER[/IFACE]), a network or an external host",
                                            false);
                goto out;
        }
        if (parse_count(p.value[F_COUNT], &count) < 0) {
                code = 1;
                goto out;
        }
        filter = join_filter(&p);
        if (p.npos > 1 && !filter) {
                fprintf(stderr, "netlab: error: out of memory for the filter\n");
                code = 1;
                goto out;
        }
        req = (struct nlab_capture_req){p.pos[0], p.value[F_IFACE], filter, p.value[F_WRITE]};
        if (nlab_capture_open_cli(&cli->st, &req, &c, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        /* the line tests and users wait for: from here on, packets are caught */
        fprintf(stderr, "capturing on %s of %s%s%s, Ctrl-C to stop\n", c.ifname, c.where,
                req.write ? ", writing " : "", req.write ? req.write : "");
        pr.ifname = req.write ? NULL : c.ifname;
        r = capture_loop(&c, count, &pr, &err);
        dropped = nlab_capture_dropped(&c);
        nlab_capture_close(&c);
        fprintf(stderr, "%lu packet%s captured", pr.seen, pr.seen == 1 ? "" : "s");
        if (dropped)
                fprintf(stderr, ", %u dropped by the kernel", dropped);
        fprintf(stderr, "\n");
        if (r < 0)
                code = nlab_cli_fail(&err, false);
out:
        free(filter);
        nlab_parsed_free(&p, NFLAGS);
        return code;
}
