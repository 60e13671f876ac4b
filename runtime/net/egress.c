#include "runtime/net/egress.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_MS 5000
#define NO_STACK_NOTE                                                                              \
        "no egress: neither pasta (package passt) nor slirp4netns is installed, so containers "    \
        "cannot reach the outside network; the lab itself works"

#define TUN "/dev/net/tun"
#define NO_TUN_NOTE                                                                                \
        "no egress: %s is not readable and writable for this user, so %s cannot make the lab "     \
        "host's tap device and containers cannot reach the outside network; the lab itself "       \
        "works (fix, as root: chmod 0666 %s, Debian's default)"

/* Where PATH finds an executable name, like execvp will. */
static bool find_in_path(const char *name, char *out, size_t size)
{
        const char *path = getenv("PATH");
        char *copy, *dir, *save = NULL;
        bool found = false;

        if (!path || !(copy = strdup(path)))
                return false;
        for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
                snprintf(out, size, "%s/%s", dir[0] ? dir : ".", name);
                found = access(out, X_OK) == 0;
        }
        free(copy);
        return found;
}

/* Is the user namespace of pid ours? Then the stack joins only the network namespace. */
static bool same_userns(pid_t pid)
{
        char path[64];
        struct stat a, b;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        return stat("/proc/self/ns/user", &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev;
}

bool nlab_egress_resolvers_loopback(void)
{
        char line[256], word[32], addr[64];
        bool any = false, remote = false;
        struct in_addr a;
        FILE *f = fopen("/etc/resolv.conf", "re");

        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, " %31s %63s", word, addr) == 2 && !strcmp(word, "nameserver") &&
                    inet_pton(AF_INET, addr, &a) == 1) {
                        any = true;
                        remote |= (ntohl(a.s_addr) >> 24) != 127;
                }
        fclose(f);
        return any && !remote;
}

static void pasta_argv(const char *bin, pid_t pid, char *pidbuf, const char **argv)
{
        int i = 0;

        argv[i++] = bin;
        argv[i++] = "--foreground";
        argv[i++] = "--quiet";
        argv[i++] = "--config-net";
        /* no port forwarding either way: our forwarder publishes ports */
        argv[i++] = "-t";
        argv[i++] = "none";
        argv[i++] = "-u";
        argv[i++] = "none";
        argv[i++] = "-T";
        argv[i++] = "none";
        argv[i++] = "-U";
        argv[i++] = "none";
        /* the lab must not reach the host's own loopback services through the gateway */
        argv[i++] = "--no-map-gw";
        /* the one way to a host resolver on the host's loopback; only then: pasta gives the
         * answers of its target this address as their source, whoever asked */
        if (nlab_egress_resolvers_loopback()) {
                argv[i++] = "--dns-forward";
                argv[i++] = NLAB_EGRESS_DNS;
        }
        argv[i++] = "--netns";
        snprintf(pidbuf, 48, "/proc/%d/ns/net", (int)pid);
        argv[i++] = pidbuf;
        if (!same_userns(pid)) {
                argv[i++] = "--userns";
                argv[i++] = pidbuf + 48;
                snprintf(pidbuf + 48, 48, "/proc/%d/ns/user", (int)pid);
        } else {
                argv[i++] = "--netns-only";
        }
        argv[i] = NULL;
}

static void slirp_argv(const char *bin, pid_t pid, char *pidbuf, const char **argv)
{
        int i = 0;

        argv[i++] = bin;
        argv[i++] = "--configure";
        argv[i++] = "--mtu=65520";
        /* the lab must not reach the host's own loopback services through 10.0.2.2 */
        argv[i++] = "--disable-host-loopback";
        if (!same_userns(pid)) {
                snprintf(pidbuf + 48, 48, "--userns-path=/proc/%d/ns/user", (int)pid);
                argv[i++] = pidbuf + 48;
        }
        snprintf(pidbuf, 48, "%d", (int)pid);
        argv[i++] = pidbuf;
        argv[i++] = "tap0";
        argv[i] = NULL;
}

/* Has pid's network namespace a default route yet? /proc/PID/net/route is that namespace's. */
static bool has_default_route(pid_t pid)
{
        char path[64], line[256];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/net/route", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f)) {
                char dev[32];
                unsigned dst;

                found = sscanf(line, "%31s %x", dev, &dst) == 2 && dst == 0;
        }
        fclose(f);
        return found;
}

static pid_t spawn(const char *bin, const char **argv)
{
        pid_t parent = getpid(), child;
        sigset_t all, old;

        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        child = fork();
        if (child == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                /* dies with the keeper, whatever kills it, even before this line */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(127);
                for (int s = 1; s < NSIG; s++)
                        signal(s, SIG_DFL);
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (null >= 0) {
                        dup2(null, 0);
                        dup2(null, 1);
                        dup2(null, 2);
                }
                execv(bin, (char *const *)argv);
                _exit(127);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        return child;
}

/* Wait for the default route; the stack's exit status if it dies first. */
static int wait_ready(pid_t child, pid_t target, const char *tool, struct nlab_err *err)
{
        struct timespec step = {0, 20 * 1000000};
        int status;

        for (int waited = 0; waited < READY_MS; waited += 20) {
                if (has_default_route(target))
                        return 0;
                if (waitpid(child, &status, WNOHANG) == child)
                        return nlab_err_set(
                            err, NLAB_E_SYSTEM,
                            "egress: %s exited with status %d before the lab host "
                            "had a route out",
                            tool, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                nanosleep(&step, NULL);
        }
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return nlab_err_set(err, NLAB_E_SYSTEM, "egress: %s gave the lab host no route out in %d s",
                            tool, READY_MS / 1000);
}

/* pasta, started as root, switches to nobody before it opens the namespaces it should join. */
static bool usable(const char *tool)
{
        return strcmp(tool, "pasta") != 0 || geteuid() != 0;
}

/* Which stack: forced by NETLAB_EGRESS, else pasta, else slirp4netns. "" for none. */
static int choose(char *tool, size_t tsize, char *bin, size_t bsize, struct nlab_err *err)
{
        const char *force = getenv(NLAB_EGRESS_ENV);
        static const char *const order[] = {"pasta", "slirp4netns"};

        tool[0] = '\0';
        if (force && *force) {
                if (strcmp(force, "none") == 0)
                        return 0;
                if (strcmp(force, "pasta") != 0 && strcmp(force, "slirp4netns") != 0)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "%s=%s: expected pasta, slirp4netns or none",
                                            NLAB_EGRESS_ENV, force);
                if (!usable(force))
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "%s=pasta: pasta cannot be used as root (it gives up "
                                            "root before it opens the lab host's namespaces); use "
                                            "slirp4netns",
                                            NLAB_EGRESS_ENV);
                if (!find_in_path(force, bin, bsize))
                        return nlab_err_set(err, NLAB_E_NOTFOUND,
                                            "%s=%s: %s is not installed (not found in PATH)",
                                            NLAB_EGRESS_ENV, force, force);
                snprintf(tool, tsize, "%s", force);
                return 0;
        }
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
                if (usable(order[i]) && find_in_path(order[i], bin, bsize)) {
                        snprintf(tool, tsize, "%s", order[i]);
                        return 0;
                }
        return 0;
}

int nlab_egress_start(pid_t pid, struct nlab_egress *out, struct nlab_err *err)
{
        char bin[PATH_MAX], pidbuf[96];
        const char *argv[24];
        pid_t child;

        assert(out && pid > 0);
        memset(out, 0, sizeof(*out));
        if (choose(out->tool, sizeof(out->tool), bin, sizeof(bin), err) < 0)
                return -1;
        if (!out->tool[0]) {
                const char *force = getenv(NLAB_EGRESS_ENV);

                if (force && strcmp(force, "none") == 0)
                        snprintf(out->note, sizeof(out->note), "no egress: %s=none",
                                 NLAB_EGRESS_ENV);
                else
                        snprintf(out->note, sizeof(out->note), "%s", NO_STACK_NOTE);
                return 0;
        }
        /* both stacks open a tap device there, in the lab host's user namespace */
        if (access(TUN, R_OK | W_OK) < 0) {
                snprintf(out->note, sizeof(out->note), NO_TUN_NOTE, TUN, out->tool, TUN);
                out->tool[0] = '\0';
                return 0;
        }
        if (strcmp(out->tool, "pasta") == 0)
                pasta_argv(bin, pid, pidbuf, argv);
        else
                slirp_argv(bin, pid, pidbuf, argv);
        child = spawn(bin, argv);
        if (child < 0)
                return nlab_err_sys(err, errno, "egress: start %s", out->tool);
        if (wait_ready(child, pid, out->tool, err) < 0)
                return -1;
        out->pid = child;
        return 0;
}

void nlab_egress_stop(struct nlab_egress *eg)
{
        assert(eg);
        if (eg->pid <= 0)
                return;
        kill(eg->pid, SIGTERM);
        while (waitpid(eg->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        eg->pid = 0;
}
