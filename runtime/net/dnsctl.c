#include "runtime/net/dnsctl.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/unixsock.h"

#define NOT_RUNNING   1
#define REPLY_TIMEOUT 5 /* seconds the daemon may take to apply one change */
#define START_TRIES   40

static int make_dir(const char *path, struct nlab_err *err)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return nlab_err_sys(err, errno, "mkdir %s", path);
        return 0;
}

/* ROOT/dns/<sub>, created on the way. */
static int dns_path(const char *root, const char *sub, char *out, size_t outlen,
                    struct nlab_err *err)
{
        char dir[PATH_MAX];
        int r;

        if ((size_t)snprintf(dir, sizeof(dir), "%s/dns", root) >= sizeof(dir) ||
            (size_t)snprintf(out, outlen, "%s/dns/%s", root, sub) >= outlen)
                return nlab_err_set(err, NLAB_E_INVALID, "state root %s: path too long", root);
        r = make_dir(root, err);
        if (r == 0)
                r = make_dir(dir, err);
        if (r == 0 && sub[0])
                r = make_dir(out, err);
        return r;
}

static bool valid_network_name(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 128 || !isalnum((unsigned char)name[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

static bool valid_id(const char *id)
{
        size_t n = strlen(id);

        if (n < 12 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
                        return false;
        return true;
}

static bool valid_ipv4(const char *ip)
{
        struct in_addr a;

        return ip && inet_pton(AF_INET, ip, &a) == 1;
}

/* Write through a temporary file and rename, so the daemon never reads half a record. */
static int write_record(const char *dir, const char *key, json_t *j, struct nlab_err *err)
{
        char path[PATH_MAX], tmp[PATH_MAX];

        if (!j)
                return nlab_err_set(err, NLAB_E_SYSTEM, "%s: out of memory", key);
        snprintf(path, sizeof(path), "%s/%s.json", dir, key);
        snprintf(tmp, sizeof(tmp), "%s/.%s.json.%d", dir, key, (int)getpid());
        errno = 0;
        if (json_dump_file(j, tmp, JSON_COMPACT) < 0) {
                json_decref(j);
                unlink(tmp);
                return nlab_err_sys(err, errno ? errno : EIO, "write %s", tmp);
        }
        json_decref(j);
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return nlab_err_sys(err, e, "rename %s", path);
        }
        return 0;
}

static int remove_record(const char *root, const char *sub, const char *key, struct nlab_err *err)
{
        char path[PATH_MAX];

        if ((size_t)snprintf(path, sizeof(path), "%s/dns/%s/%s.json", root, sub, key) >=
            sizeof(path))
                return nlab_err_set(err, NLAB_E_INVALID, "state root %s: path too long", root);
        if (unlink(path) < 0 && errno != ENOENT)
                return nlab_err_sys(err, errno, "remove %s", path);
        return 0;
}

static bool any_network(const char *root)
{
        char path[PATH_MAX];
        struct dirent *d;
        bool found = false;
        DIR *dir;

        snprintf(path, sizeof(path), "%s/dns/networks", root);
        dir = opendir(path);
        if (!dir)
                return false;
        while (!found && (d = readdir(dir))) {
                size_t n = strlen(d->d_name);
                found = d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
        }
        closedir(dir);
        return found;
}

/* Send one line and wait for "ok". Returns 0, NOT_RUNNING, or -1 with err set. */
static int talk(const char *root, const char *line, struct nlab_err *err)
{
        char reply[1200], path[PATH_MAX];
        size_t len = 0;
        int fd;

        if (nlab_path(path, sizeof(path), err, "%s/dns/control.sock", root) < 0)
                return -1;
        fd = nlab_unix_connect(path, REPLY_TIMEOUT);
        if (fd < 0 && errno == ENAMETOOLONG)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root %s: path too long for "
                                    "the DNS control socket",
                                    root);
        if (fd < 0 || send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
                if (fd >= 0)
                        close(fd);
                return NOT_RUNNING; /* no socket, or a stale one of a killed daemon */
        }
        while (len < sizeof(reply) - 1) {
                ssize_t n = recv(fd, reply + len, sizeof(reply) - 1 - len, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (memchr(reply, '\n', len))
                        break;
        }
        close(fd);
        reply[len] = '\0';
        if (len == 0)
                return NOT_RUNNING; /* it died before answering */
        reply[strcspn(reply, "\n")] = '\0';
        if (strcmp(reply, "ok") == 0)
                return 0;
        if (strncmp(reply, "error ", 6) == 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "netlab-dns: %s", reply + 6);
        return nlab_err_set(err, NLAB_E_SYSTEM, "netlab-dns: unexpected reply \"%s\"", reply);
}

static bool executable(const char *path)
{
        return access(path, X_OK) == 0;
}

/* NETLAB_DNS_BIN, beside our own binary, the build tree's dns/, then /usr/local/bin. */
static int find_daemon(char *out, size_t outlen, struct nlab_err *err)
{
        const char *env = getenv("NETLAB_DNS_BIN");
        char self[PATH_MAX];
        ssize_t n;

        if (env && env[0]) {
                snprintf(out, outlen, "%s", env);
                return 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                if (slash)
                        *slash = '\0';
                if ((size_t)snprintf(out, outlen, "%s/netlab-dns", self) < outlen &&
                    executable(out))
                        return 0;
                if ((size_t)snprintf(out, outlen, "%s/../dns/netlab-dns", self) < outlen &&
                    executable(out))
                        return 0;
        }
        snprintf(out, outlen, "/usr/local/bin/netlab-dns");
        if (executable(out))
                return 0;
        return nlab_err_set(err, NLAB_E_NOTFOUND,
                            "netlab-dns not found (set NETLAB_DNS_BIN or install it)");
}

/* In the child: a clean process for the daemon, holding none of our descriptors (locks!). */
static void exec_daemon(const char *bin, const char *root, const char *logpath)
{
        sigset_t none;
        int null = open("/dev/null", O_RDWR);
        int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(log >= 0 ? log : null, 2) < 0)
                _exit(126);
        close_range(3, ~0U, 0);
        execl(bin, bin, "--root", root, (char *)NULL);
        _exit(127);
}

/* Start the daemon and wait until it serves (its first process exits once it is ready). */
static int start_daemon(const char *root, struct nlab_err *err)
{
        char bin[PATH_MAX], logpath[PATH_MAX];
        int status, r;
        pid_t pid;

        r = find_daemon(bin, sizeof(bin), err);
        if (r < 0)
                return r;
        r = dns_path(root, "", logpath, sizeof(logpath), err);
        if (r < 0)
                return r;
        snprintf(logpath, sizeof(logpath), "%s/dns/netlab-dns.log", root);
        pid = fork();
        if (pid < 0)
                return nlab_err_sys(err, errno, "start %s", bin);
        if (pid == 0)
                exec_daemon(bin, root, logpath);
        while (waitpid(pid, &status, 0) < 0) {
                if (errno == ECHILD)
                        return 0; /* SIGCHLD ignored by the caller: the retries will tell */
                if (errno != EINTR)
                        return nlab_err_sys(err, errno, "start %s", bin);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "start %s failed (status %d); see %s", bin,
                                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, logpath);
        return 0;
}

static void nap_ms(long ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

        nanosleep(&ts, NULL);
}

/*
 * Tell the daemon about one record. If it is not running: start it when start is set (it reads
 * every record itself), otherwise there is no one to tell.
 */
static int request(const char *root, const char *line, bool start, struct nlab_err *err)
{
        int r = talk(root, line, err);

        if (r != NOT_RUNNING)
                return r;
        if (!start)
                return 0;
        r = start_daemon(root, err);
        if (r < 0)
                return r;
        /* Once ready it answers; a retry covers an old daemon that was just letting go. */
        for (int i = 0; i < START_TRIES; i++) {
                r = talk(root, line, err);
                if (r != NOT_RUNNING)
                        return r;
                nap_ms(50);
                if (i == START_TRIES / 2 && start_daemon(root, err) < 0)
                        return -1;
        }
        return nlab_err_set(err, NLAB_E_SYSTEM,
                            "netlab-dns started but does not answer on %s/dns/"
                            "control.sock",
                            root);
}

int nlab_dns_put_network(const char *root, const char *name, const char *gateway, bool internal,
                         struct nlab_err *err)
{
        char dir[PATH_MAX], line[256];
        int r;

        assert(root && name && gateway);
        if (!valid_network_name(name))
                return nlab_err_set(err, NLAB_E_INVALID, "network %s: invalid name for DNS", name);
        if (!valid_ipv4(gateway))
                return nlab_err_set(err, NLAB_E_INVALID, "network %s: gateway %s is not IPv4", name,
                                    gateway);
        r = dns_path(root, "networks", dir, sizeof(dir), err);
        if (r == 0)
                r = write_record(dir, name,
                                 json_pack("{s:s, s:s, s:b}", "name", name, "gateway", gateway,
                                           "internal", internal),
                                 err);
        snprintf(line, sizeof(line), "network %s\n", name);
        if (r == 0)
                r = request(root, line, true, err);
        if (r < 0)
                nlab_err_prefix(err, "network %s: DNS", name);
        return r < 0 ? -1 : 0;
}

int nlab_dns_drop_network(const char *root, const char *name, struct nlab_err *err)
{
        char line[256];
        int r;

        assert(root && name);
        if (!valid_network_name(name))
                return nlab_err_set(err, NLAB_E_INVALID, "network %s: invalid name for DNS", name);
        r = remove_record(root, "networks", name, err);
        snprintf(line, sizeof(line), "network %s\n", name);
        /* A dead daemon is restarted only if it still has networks to serve. */
        if (r == 0)
                r = request(root, line, any_network(root), err);
        if (r < 0)
                nlab_err_prefix(err, "network %s: DNS", name);
        return r < 0 ? -1 : 0;
}

static json_t *string_array(const char *const *v, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++) {
                if (!v[i] || json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static int validate_container(const struct nlab_dns_container *c, struct nlab_err *err)
{
        if (!c->id || !valid_id(c->id))
                return nlab_err_set(err, NLAB_E_INVALID, "container %s: invalid id for DNS",
                                    c->id ? c->id : "(null)");
        if (!c->name || !c->name[0])
                return nlab_err_set(err, NLAB_E_INVALID, "container %s: no name", c->id);
        for (size_t i = 0; i < c->n_dns_servers; i++)
                if (!c->dns_servers[i])
                        return nlab_err_set(err, NLAB_E_INVALID, "container %s: empty --dns",
                                            c->name);
        for (size_t i = 0; i < c->n_endpoints; i++) {
                const struct nlab_dns_endpoint *e = &c->endpoints[i];

                if (!e->network || !valid_network_name(e->network) || !valid_ipv4(e->ip))
                        return nlab_err_set(
                            err, NLAB_E_INVALID, "container %s: bad DNS endpoint %s %s", c->name,
                            e->network ? e->network : "(null)", e->ip ? e->ip : "(null)");
        }
        return 0;
}

static json_t *container_json(const struct nlab_dns_container *c)
{
        json_t *eps = json_array();

        for (size_t i = 0; eps && i < c->n_endpoints; i++) {
                const struct nlab_dns_endpoint *e = &c->endpoints[i];
                json_t *je = json_pack("{s:s, s:s, s:o*}", "network", e->network, "ip", e->ip,
                                       "aliases", string_array(e->aliases, e->n_aliases));

                if (!je || json_array_append_new(eps, je) < 0) {
                        json_decref(eps);
                        return NULL;
                }
        }
        if (!eps)
                return NULL;
        return json_pack("{s:s, s:s, s:o*, s:o}", "id", c->id, "name", c->name, "dns_servers",
                         string_array(c->dns_servers, c->n_dns_servers), "endpoints", eps);
}

int nlab_dns_put_container(const char *root, const struct nlab_dns_container *c,
                           struct nlab_err *err)
{
        char dir[PATH_MAX], line[128];
        int r;

        assert(root && c);
        r = validate_container(c, err);
        if (r == 0)
                r = dns_path(root, "containers", dir, sizeof(dir), err);
        if (r == 0)
                r = write_record(dir, c->id, container_json(c), err);
        snprintf(line, sizeof(line), "container %s\n", c->id ? c->id : "");
        if (r == 0)
                r = request(root, line, any_network(root), err);
        if (r < 0)
                nlab_err_prefix(err, "container %s: DNS", c->name ? c->name : "?");
        return r < 0 ? -1 : 0;
}

int nlab_dns_drop_container(const char *root, const char *id, struct nlab_err *err)
{
        char line[128];
        int r;

        assert(root && id);
        if (!valid_id(id))
                return nlab_err_set(err, NLAB_E_INVALID, "container %s: invalid id for DNS", id);
        r = remove_record(root, "containers", id, err);
        snprintf(line, sizeof(line), "container %s\n", id);
        if (r == 0)
                r = request(root, line, any_network(root), err);
        if (r < 0)
                nlab_err_prefix(err, "container %.12s: DNS", id);
        return r < 0 ? -1 : 0;
}
