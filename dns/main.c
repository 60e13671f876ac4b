/* netlab-dns --root DIR [--foreground]: the embedded resolver of one state root. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns/server.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: netlab-dns --root DIR [--foreground] [--port N] [--upstream-port N]\n"
                   "                  [--resolv-conf FILE]\n");
}

static int parse_port(const char *s, uint16_t *out)
{
        char *end;
        long v = strtol(s, &end, 10);

        if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
                return -1;
        *out = (uint16_t)v;
        return 0;
}

static int parse_args(int argc, char **argv, struct nlab_dns_server_config *cfg, int *foreground)
{
        static const struct option opts[] = {
            {"root", required_argument, NULL, 'r'},
            {"foreground", no_argument, NULL, 'f'},
            {"port", required_argument, NULL, 'p'},
            {"upstream-port", required_argument, NULL, 'u'},
            {"resolv-conf", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        cfg->root = optarg;
                        break;
                case 'f':
                        *foreground = 1;
                        break;
                case 'p':
                        if (parse_port(optarg, &cfg->port) < 0)
                                return -1;
                        break;
                case 'u':
                        if (parse_port(optarg, &cfg->upstream_port) < 0)
                                return -1;
                        break;
                case 'c':
                        cfg->resolv_conf = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        return -1;
                }
        }
        return cfg->root && optind == argc ? 0 : -1;
}

/*
 * Fork twice so the daemon is no child of the CLI and has no terminal. The first process waits
 * on a pipe and exits only once the daemon is serving (status 0) or has failed (status 1), so
 * whoever started us knows the records are live when we return.
 */
static int daemonize(int *ready_fd)
{
        int p[2];
        char status = 1;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid > 0) {
                close(p[1]);
                if (read(p[0], &status, 1) != 1)
                        status = 1;
                waitpid(pid, NULL, 0);
                _exit(status);
        }
        close(p[0]);
        if (setsid() < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid > 0)
                _exit(0);
        if (chdir("/") < 0)
                return -1;
        umask(022);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
                return -1;
        close(null);
        *ready_fd = p[1];
        return 0;
}

/*
 * Once bound, keep only CAP_NET_BIND_SERVICE: networks created later still need port 53. The
 * rest needs nothing: IP_FREEBIND, IP_PKTINFO and rtnetlink news are unprivileged, and the records
 * are root's own files. The bounding set and no_new_privs keep an exec from getting more back.
 */
static int drop_privileges(void)
{
        cap_value_t keep = CAP_NET_BIND_SERVICE;
        cap_value_t max = cap_max_bits();
        cap_t caps;
        int r = 0;

        for (cap_value_t c = 0; c < max && r == 0; c++)
                if (c != keep)
                        r = cap_drop_bound(c);
        caps = r == 0 ? cap_init() : NULL;
        if (!caps)
                return -1;
        r = cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET);
        if (r == 0)
                r = cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET);
        if (r == 0)
                r = cap_set_proc(caps);
        cap_free(caps);
        if (r == 0)
                r = cap_reset_ambient();
        if (r == 0)
                r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return r;
}

static void tell(int fd, char status)
{
        if (fd < 0)
                return;
        if (write(fd, &status, 1) < 0) {
                /* the starter is gone; nothing to tell */
        }
        close(fd);
}

int main(int argc, char **argv)
{
        struct nlab_dns_server_config cfg = {
            .port = 53, .upstream_port = 53, .resolv_conf = "/etc/resolv.conf"};
        struct nlab_dns_server *srv;
        char msg[1024] = "";
        int foreground = 0, ready_fd = -1, r;

        if (parse_args(argc, argv, &cfg, &foreground) < 0) {
                usage(stderr);
                return 2;
        }
        if (!foreground && daemonize(&ready_fd) < 0) {
                fprintf(stderr, "netlab-dns: daemonize: %s\n", strerror(errno));
                return 1;
        }
        r = nlab_dns_server_new(&cfg, &srv, msg, sizeof(msg));
        if (r != 0) {
                /* 1: another daemon serves this root already, which is what the caller wanted */
                fprintf(stderr, "netlab-dns: %s\n", msg);
                tell(ready_fd, r == 1 ? 0 : 1);
                return r == 1 ? 0 : 1;
        }
        if (drop_privileges() < 0) {
                fprintf(stderr, "netlab-dns: drop privileges: %s\n", strerror(errno));
                nlab_dns_server_free(srv);
                tell(ready_fd, 1);
                return 1;
        }
        tell(ready_fd, 0);
        r = nlab_dns_server_run(srv);
        nlab_dns_server_free(srv);
        return r < 0 ? 1 : 0;
}
