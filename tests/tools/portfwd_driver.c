/* Test driver playing the rootless keeper: an inner child in a new network namespace (and a new
 * user namespace with --userns) serves the port forwarder's requests; the parent, in the
 * caller's namespaces, runs the outer half and takes commands on stdin, one reply line each:
 *   add tcp|udp HOSTIP|- HOSTPORT TARGETIP TARGETPORT   remove tcp|udp HOSTIP|- HOSTPORT
 *   live   udp-timeout MS   egress   egress-stop
 * The first line out is "inner PID". */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/net/egress.h"
#include "runtime/net/portfwd.h"

static int write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, text, strlen(text));
        close(fd);
        return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Map our own uid and gid to root of the new user namespace (no newuidmap needed). */
static int map_self(uid_t uid, gid_t gid)
{
        char line[64];

        snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
        if (write_file("/proc/self/uid_map", line) < 0 ||
            write_file("/proc/self/setgroups", "deny") < 0)
                return -1;
        snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
        return write_file("/proc/self/gid_map", line);
}

static int lo_up(void)
{
        struct ifreq ifr = {0};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

        if (fd < 0)
                return -1;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        r = ioctl(fd, SIOCGIFFLAGS, &ifr);
        ifr.ifr_flags |= IFF_UP;
        if (r == 0)
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        close(fd);
        return r;
}

static void inner(int sock, int ready, int userns)
{
        uid_t uid = getuid();
        gid_t gid = getgid();
        struct nlab_err err = {0};

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNET | (userns ? CLONE_NEWUSER : 0)) < 0 ||
            (userns && map_self(uid, gid) < 0) || lo_up() < 0) {
                perror("portfwd_driver: inner namespaces");
                _exit(1);
        }
        if (write(ready, "x", 1) != 1)
                _exit(1);
        close(ready);
        if (nlab_portfwd_serve(sock, &err) < 0) {
                fprintf(stderr, "portfwd_driver: inner: %s\n", err.msg);
                _exit(1);
        }
        _exit(0);
}

static int parse_mapping(char **tok, int ntok, struct nlab_port_mapping *m)
{
        memset(m, 0, sizeof(*m));
        if (ntok < 4)
                return -1;
        m->proto = strcmp(tok[1], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
        if (strcmp(tok[2], "-") != 0)
                snprintf(m->host_ip, sizeof(m->host_ip), "%s", tok[2]);
        m->host_port = (uint16_t)atoi(tok[3]);
        m->ctr_port = ntok > 5 ? (uint16_t)atoi(tok[5]) : 1;
        return 0;
}

static void command(struct nlab_portfwd *fwd, pid_t inner_pid, struct nlab_egress *eg, char *line)
{
        struct nlab_port_mapping m;
        struct nlab_err err = {0};
        char *tok[8], *save = NULL;
        int ntok = 0, r = 0;

        for (char *t = strtok_r(line, " \t\n", &save); t && ntok < 8;
             t = strtok_r(NULL, " \t\n", &save))
                tok[ntok++] = t;
        if (ntok == 0)
                return;
        if (strcmp(tok[0], "add") == 0 && ntok == 6 && parse_mapping(tok, ntok, &m) == 0)
                r = nlab_portfwd_add(fwd, &m, tok[4], &err);
        else if (strcmp(tok[0], "remove") == 0 && parse_mapping(tok, ntok, &m) == 0)
                r = nlab_portfwd_remove(fwd, &m, &err);
        else if (strcmp(tok[0], "live") == 0) {
                printf("live %u\n", nlab_portfwd_live(fwd));
                return;
        } else if (strcmp(tok[0], "udp-timeout") == 0 && ntok == 2)
                nlab_portfwd_set_udp_timeout(fwd, (unsigned)atoi(tok[1]));
        else if (strcmp(tok[0], "egress") == 0) {
                r = nlab_egress_start(inner_pid, eg, &err);
                if (r == 0) {
                        if (eg->pid)
                                printf("egress %s\n", eg->tool);
                        else
                                printf("note: %s\n", eg->note);
                        return;
                }
        } else if (strcmp(tok[0], "egress-stop") == 0)
                nlab_egress_stop(eg);
        else
                r = nlab_err_set(&err, NLAB_E_INVALID, "unknown command %s", tok[0]);
        if (r < 0)
                printf("error: %s\n", err.msg);
        else
                printf("ok\n");
}

static int loop(struct nlab_portfwd *fwd, pid_t inner_pid)
{
        struct epoll_event ev = {.events = EPOLLIN}, got[4];
        struct nlab_egress eg = {0};
        struct nlab_err err = {0};
        char line[512];
        size_t len = 0;
        int ep = epoll_create1(EPOLL_CLOEXEC);

        ev.data.fd = 0;
        epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
        ev.data.fd = nlab_portfwd_fd(fwd);
        epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
        for (;;) {
                int n = epoll_wait(ep, got, 4, -1);

                for (int i = 0; i < n; i++) {
                        if (got[i].data.fd != 0) {
                                if (nlab_portfwd_dispatch(fwd, &err) < 0) {
                                        fprintf(stderr, "portfwd_driver: %s\n", err.msg);
                                        return 1;
                                }
                                continue;
                        }
                        ssize_t r = read(0, line + len, sizeof(line) - 1 - len);
                        char *nl;

                        if (r <= 0) {
                                nlab_egress_stop(&eg);
                                return 0;
                        }
                        len += (size_t)r;
                        line[len] = '\0';
                        while ((nl = strchr(line, '\n'))) {
                                *nl = '\0';
                                command(fwd, inner_pid, &eg, line);
                                fflush(stdout);
                                len -= (size_t)(nl + 1 - line);
                                memmove(line, nl + 1, len + 1);
                        }
                        if (len == sizeof(line) - 1)
                                len = 0; /* an overlong line: drop it */
                }
        }
}

int main(int argc, char **argv)
{
        int userns = argc > 1 && strcmp(argv[1], "--userns") == 0;
        struct nlab_portfwd *fwd;
        struct nlab_err err = {0};
        int sv[2], ready[2], rc;
        char c;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
            pipe2(ready, O_CLOEXEC) < 0)
                return perror("portfwd_driver"), 1;
        pid = fork();
        if (pid == 0) {
                close(sv[0]);
                close(ready[0]);
                inner(sv[1], ready[1], userns);
        }
        close(sv[1]);
        close(ready[1]);
        if (pid < 0 || read(ready[0], &c, 1) != 1) {
                fprintf(stderr, "portfwd_driver: the inner half did not start\n");
                return 1;
        }
        fwd = nlab_portfwd_new(sv[0], &err);
        if (!fwd) {
                fprintf(stderr, "portfwd_driver: %s\n", err.msg);
                return 1;
        }
        printf("inner %d\n", (int)pid);
        fflush(stdout);
        rc = loop(fwd, pid);
        nlab_portfwd_free(fwd);
        kill(pid, SIGKILL);
        return rc;
}
