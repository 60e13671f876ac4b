/* External hosts: the plan and wiring shared with scenarios, and the recorded ones of
 * `netlab external`. */
#include "runtime/net/external.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/base/suggest.h"
#include "runtime/kernel/addr.h"
#include "runtime/kernel/netlink.h"
#include "runtime/kernel/route.h"
#include "runtime/net/extrec.h"
#include "runtime/net/network.h"

#define NSFS_MAGIC_NUMBER 0x6e736673 /* linux/magic.h NSFS_MAGIC */
#define MAX_EXTERNALS     256

int nlab_external_name_check(const char *name, struct nlab_err *err)
{
        size_t n = strlen(name), i;

        for (i = 0; i < n && n >= 2 && n <= NLAB_EXTERNAL_NAME_MAX; i++)
                if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                      (i > 0 && name[i] == '-')))
                        break;
        if (n >= 2 && n <= NLAB_EXTERNAL_NAME_MAX && i == n)
                return 0;
        return nlab_err_set(err, NLAB_E_INVALID,
                            "external host name \"%s\": 2 to 11 of a-z, 0-9 and '-', "
                            "starting with a letter or digit",
                            name);
}

int nlab_external_subnet_parse(const char *subnet, unsigned index, struct nlab_subnet *out,
                               struct nlab_err *err)
{
        char buf[NLAB_CIDR_STRLEN];

        if (!subnet) {
                snprintf(buf, sizeof(buf), "198.18.%u.0/24", index % 256);
                subnet = buf;
        }
        if (nlab_cidr_parse(subnet, out, NULL) < 0 || out->prefix < 8 || out->prefix > 30)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "--subnet \"%s\": expected A.B.C.D/N with N from 8 to 30, "
                                    "like 198.18.1.0/24",
                                    subnet);
        return 0;
}

int nlab_external_plan(const char *name, const char *subnet, unsigned index,
                       struct nlab_external *x, struct nlab_err *err)
{
        uint32_t h;

        assert(name && x);
        memset(x, 0, sizeof(*x));
        if (nlab_external_name_check(name, err) < 0)
                return -1;
        snprintf(x->name, sizeof(x->name), "%s", name);
        snprintf(x->host_ifname, sizeof(x->host_ifname), "xh-%s", name);
        if (nlab_external_subnet_parse(subnet, index, &x->subnet, err) < 0) {
                nlab_err_prefix(err, "external %s", name);
                return -1;
        }
        x->prefix = x->subnet.prefix;
        h = ntohl(x->subnet.net.s_addr);
        x->host_addr.s_addr = htonl(h + 1);
        x->addr.s_addr = htonl(h + 2);
        return 0;
}

pid_t nlab_external_hold_netns(struct nlab_err *err)
{
        int pfd[2];
        char c = 0;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "external host: pipe");
        pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return nlab_err_sys(err, errno, "external host: fork");
        }
        if (pid == 0) {
                close(pfd[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGINT, SIG_IGN);
                c = unshare(CLONE_NEWNET) < 0 ? 1 : 0;
                if (write(pfd[1], &c, 1) != 1 || c)
                        _exit(1);
                close(pfd[1]);
                for (;;)
                        pause();
        }
        close(pfd[1]);
        if (read(pfd[0], &c, 1) != 1 || c) {
                close(pfd[0]);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return nlab_err_set(err, NLAB_E_SYSTEM, "external host: new network namespace");
        }
        close(pfd[0]);
        return pid;
}

int nlab_external_wire(const struct nlab_external *x, struct nlab_err *err)
{
        nlab_nl_auto *host = NULL;
        nlab_nl_auto *ext = NULL;

        host = nlab_nl_open(NULL, err);
        ext = host ? nlab_nl_open(x->netns_path, err) : NULL;
        if (!ext)
                return -1;
        if (nlab_link_veth_add(host, x->host_ifname, ext, "eth0", NULL, 0, err) < 0)
                return -1;
        if (nlab_addr_add(host, x->host_ifname, x->host_addr, x->prefix, err) < 0 ||
            nlab_link_set_up(host, x->host_ifname, 1, err) < 0 ||
            nlab_addr_add(ext, "eth0", x->addr, x->prefix, err) < 0 ||
            nlab_link_set_up(ext, "eth0", 1, err) < 0 || nlab_link_set_up(ext, "lo", 1, err) < 0 ||
            nlab_route_add_default(ext, x->host_addr, "eth0", err) < 0) {
                nlab_link_delete(host, x->host_ifname, NULL);
                return -1;
        }
        return 0;
}

void nlab_external_unwire(const struct nlab_external *x)
{
        nlab_nl_auto *host = nlab_nl_open(NULL, NULL);

        if (host)
                nlab_link_delete(host, x->host_ifname, NULL);
}

/* ---- recorded external hosts ---- */

static int ext_path(const struct nlab_store *st, const char *name, const char *file, char *buf,
                    size_t size, struct nlab_err *err)
{
        if (name)
                return nlab_store_path(st, buf, size, "external", name, file, err);
        return nlab_path(buf, size, err, "%s/external", st->root);
}

static int save(const struct nlab_store *st, const struct nlab_external *x, struct nlab_err *err)
{
        char path[PATH_MAX];
        json_t *rec = nlab_external_encode(x);
        char *text = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        int r;

        json_decref(rec);
        if (!text)
                return nlab_err_sys(err, ENOMEM, "external %s: record", x->name);
        r = ext_path(st, x->name, "external.json", path, sizeof(path), err);
        if (r == 0)
                r = nlab_write_file(path, text, strlen(text), 0600, err);
        free(text);
        return r;
}

static int names(const struct nlab_store *st, char ***out, size_t *n, struct nlab_err *err)
{
        char dir[PATH_MAX], **v;
        struct dirent *d;
        DIR *dp;

        *out = NULL;
        *n = 0;
        if (ext_path(st, NULL, NULL, dir, sizeof(dir), err) < 0)
                return -1;
        dp = opendir(dir);
        if (!dp)
                return errno == ENOENT ? 0 : nlab_err_sys(err, errno, "external hosts: %s", dir);
        v = calloc(MAX_EXTERNALS, sizeof(*v));
        while (v && (d = readdir(dp)) && *n < MAX_EXTERNALS)
                if (nlab_external_name_check(d->d_name, NULL) == 0 && (v[*n] = strdup(d->d_name)))
                        (*n)++;
        closedir(dp);
        if (!v)
                return nlab_err_sys(err, ENOMEM, "external hosts");
        *out = v;
        return 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

static int not_found(const struct nlab_store *st, const char *name, struct nlab_err *err)
{
        char **v = NULL;
        const char *near;
        size_t n = 0;
        int r;

        names(st, &v, &n, NULL);
        near = nlab_suggest(name, (const char *const *)v, n, 2);
        if (near)
                r = nlab_err_set(err, NLAB_E_NOTFOUND,
                                 "no such external host: \"%s\" (did you mean \"%s\"?)", name,
                                 near);
        else
                r = nlab_err_set(err, NLAB_E_NOTFOUND, "no such external host: \"%s\"", name);
        free_names(v, n);
        return r;
}

static bool is_nsfs(const char *path)
{
        struct statfs sf;

        return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == NSFS_MAGIC_NUMBER;
}

/* What the record says, checked against the processes and the kernel. */
static void observe(struct nlab_external *x)
{
        struct nlab_link_info info;
        nlab_nl_auto *host = NULL;

        if (x->state == NLAB_EXTERNAL_CREATING) {
                if (!nlab_proc_alive(x->creator, x->creator_start))
                        x->state = NLAB_EXTERNAL_ABANDONED;
                return;
        }
        host = nlab_nl_open(NULL, NULL);
        if (!is_nsfs(x->netns_path) || !host ||
            nlab_link_lookup(host, x->host_ifname, &info, NULL) < 0)
                x->state = NLAB_EXTERNAL_BROKEN;
}

bool nlab_external_exists(const struct nlab_store *st, const char *name)
{
        char path[PATH_MAX];

        return nlab_external_name_check(name, NULL) == 0 &&
               ext_path(st, name, "external.json", path, sizeof(path), NULL) == 0 &&
               access(path, F_OK) == 0;
}

int nlab_external_load(const struct nlab_store *st, const char *name, struct nlab_external *x,
                       struct nlab_err *err)
{
        char path[PATH_MAX];
        json_error_t jerr;
        json_t *rec;
        int r;

        assert(st && name && x);
        if (nlab_external_name_check(name, NULL) < 0 ||
            ext_path(st, name, "external.json", path, sizeof(path), NULL) < 0 ||
            access(path, F_OK) < 0)
                return not_found(st, name, err);
        rec = json_load_file(path, 0, &jerr);
        if (!rec)
                return nlab_err_set(err, NLAB_E_SYSTEM, "external %s: record %s: %s", name, path,
                                    jerr.text);
        r = nlab_external_parse(rec, x, err);
        json_decref(rec);
        if (r < 0 || ext_path(st, name, "netns", x->netns_path, sizeof(x->netns_path), err) < 0)
                return -1;
        observe(x);
        return 0;
}

int nlab_external_list(const struct nlab_store *st, struct nlab_external **out, size_t *n,
                       struct nlab_err *err)
{
        char **v = NULL;
        size_t nv = 0, i;
        struct nlab_external *all;

        *out = NULL;
        *n = 0;
        if (names(st, &v, &nv, err) < 0)
                return -1;
        if (nv)
                qsort(v, nv, sizeof(*v), cmp_names);
        all = calloc(nv ? nv : 1, sizeof(*all));
        if (!all) {
                free_names(v, nv);
                return nlab_err_sys(err, ENOMEM, "external hosts");
        }
        for (i = 0; i < nv; i++)
                if (nlab_external_load(st, v[i], &all[*n], NULL) == 0)
                        (*n)++;
        free_names(v, nv);
        *out = all;
        return 0;
}

const char *nlab_external_state_name(enum nlab_external_state s)
{
        static const char *const words[] = {"up", "creating", "abandoned", "broken"};

        return (unsigned)s < sizeof(words) / sizeof(words[0]) ? words[s] : "unknown";
}

/* Whatever part of it exists: veth, netns mount, record. Keeps the first error. */
static int teardown(const struct nlab_store *st, const char *name, struct nlab_err *err)
{
        struct nlab_external x;
        char dir[PATH_MAX];

        if (nlab_external_plan(name, "198.18.0.0/24", 0, &x, err) < 0 ||
            ext_path(st, name, NULL, dir, sizeof(dir), err) < 0 ||
            ext_path(st, name, "netns", x.netns_path, sizeof(x.netns_path), err) < 0)
                return -1;
        nlab_external_unwire(&x);
        if (umount2(x.netns_path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
            errno != ENOENT)
                return nlab_err_sys(err, errno, "external %s: unmount %s", name, x.netns_path);
        return nlab_rm_rf(dir, err);
}

/* Under the lock, a record still "creating" belongs to a creator killed mid-way, and a folder
 * without a record that loads to one killed before it wrote the record. */
static void collect_abandoned(struct nlab_store *st)
{
        struct nlab_external x;
        char **v = NULL;
        size_t n = 0;

        if (names(st, &v, &n, NULL) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (nlab_external_load(st, v[i], &x, NULL) < 0 ||
                    x.state == NLAB_EXTERNAL_CREATING || x.state == NLAB_EXTERNAL_ABANDONED)
                        teardown(st, v[i], NULL);
        free_names(v, n);
}

static bool overlaps(const struct nlab_subnet *a, const struct nlab_subnet *b)
{
        unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
        uint32_t mask = p ? 0xffffffffu << (32 - p) : 0;

        return (ntohl(a->net.s_addr) & mask) == (ntohl(b->net.s_addr) & mask);
}

/* The subnets x must not overlap: the other external hosts' and the networks'. */
struct taken {
        struct nlab_subnet v[MAX_EXTERNALS * 2];
        char who[MAX_EXTERNALS * 2][160];
        size_t n;
};

static int load_taken(struct nlab_store *st, struct taken *t, struct nlab_err *err)
{
        struct nlab_external *xs;
        struct nlab_net *nets;
        size_t n, i;

        t->n = 0;
        if (nlab_external_list(st, &xs, &n, err) < 0)
                return -1;
        for (i = 0; i < n && t->n < MAX_EXTERNALS; i++, t->n++) {
                t->v[t->n] = xs[i].subnet;
                snprintf(t->who[t->n], sizeof(t->who[0]), "external host %s", xs[i].name);
        }
        free(xs);
        if (nlab_network_list(st, &nets, &n, err) < 0)
                return -1;
        for (i = 0; i < n && t->n < MAX_EXTERNALS * 2; i++) {
                if (!nets[i].has_pool)
                        continue;
                t->v[t->n] = nets[i].pool.subnet;
                snprintf(t->who[t->n++], sizeof(t->who[0]), "network %s", nets[i].name);
        }
        free(nets);
        return 0;
}

static const char *clash(const struct taken *t, const struct nlab_subnet *s)
{
        for (size_t i = 0; i < t->n; i++)
                if (overlaps(&t->v[i], s))
                        return t->who[i];
        return NULL;
}

/* The scenario's default, 198.18.INDEX.0/24, with the first INDEX nothing else uses. */
static int pick_subnet(const char *name, const char *subnet, const struct taken *t,
                       struct nlab_external *x, struct nlab_err *err)
{
        char text[NLAB_CIDR_STRLEN];
        const char *who;
        unsigned i;

        for (i = 1; !subnet && i < 256; i++) {
                if (nlab_external_plan(name, NULL, i, x, err) < 0)
                        return -1;
                if (!clash(t, &x->subnet))
                        return 0;
        }
        if (!subnet)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "external %s: every 198.18.N.0/24 is taken: give --subnet",
                                    name);
        if (nlab_external_plan(name, subnet, 0, x, err) < 0)
                return -1;
        who = clash(t, &x->subnet);
        if (who)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "external %s: subnet %s overlaps %s's; choose another "
                                    "--subnet",
                                    name, nlab_cidr_format(&x->subnet, text), who);
        return 0;
}

static int check_new(struct nlab_store *st, const char *name, const char *subnet,
                     struct nlab_external *x, struct nlab_err *err)
{
        char path[PATH_MAX];
        struct taken *t;
        struct stat sb;
        int r;

        if (nlab_external_name_check(name, err) < 0)
                return -1;
        if (!strcmp(name, "host"))
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "the name \"host\" is taken: it names the lab host itself");
        if (nlab_store_path(st, path, sizeof(path), "names", name, NULL, err) < 0)
                return -1;
        if (lstat(path, &sb) == 0)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "the name \"%s\" is already in use by a container; "
                                    "choose another name",
                                    name);
        if (ext_path(st, name, NULL, path, sizeof(path), err) < 0)
                return -1;
        if (lstat(path, &sb) == 0)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "external host \"%s\" already exists; remove it with: "
                                    "netlab external rm %s",
                                    name, name);
        t = calloc(1, sizeof(*t));
        if (!t)
                return nlab_err_sys(err, ENOMEM, "external %s", name);
        r = load_taken(st, t, err);
        if (r == 0)
                r = pick_subnet(name, subnet, t, x, err);
        free(t);
        return r;
}

/* The netns file, bind-mounted from a child that held the new namespace for a moment. */
static int make_netns(const struct nlab_external *x, struct nlab_err *err)
{
        char src[NLAB_NETNS_PATH_LEN];
        pid_t pid;
        int r = 0;

        if (nlab_write_file(x->netns_path, "", 0, 0444, err) < 0)
                return -1;
        pid = nlab_external_hold_netns(err);
        if (pid < 0)
                return -1;
        if (mount(nlab_proc_netns_path((int)pid, src), x->netns_path, NULL, MS_BIND, NULL) < 0)
                r = nlab_err_sys(err, errno, "bind-mount network namespace at %s", x->netns_path);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return r;
}

static int create_locked(struct nlab_store *st, const char *name, const char *subnet,
                         struct nlab_external *x, struct nlab_err *err)
{
        char dir[PATH_MAX];

        collect_abandoned(st);
        if (check_new(st, name, subnet, x, err) < 0 ||
            ext_path(st, name, NULL, dir, sizeof(dir), err) < 0 ||
            ext_path(st, name, "netns", x->netns_path, sizeof(x->netns_path), err) < 0)
                return -1;
        nlab_now_rfc3339(x->created, sizeof(x->created));
        x->state = NLAB_EXTERNAL_CREATING;
        x->creator = getpid();
        x->creator_start = nlab_proc_starttime(getpid());
        if (nlab_mkdir_p(dir, 0700, err) < 0)
                return -1;
        if (save(st, x, err) < 0)
                goto undo;
        nlab_store_test_point(st, "external:record");
        if (make_netns(x, err) < 0)
                goto undo;
        nlab_store_test_point(st, "external:netns");
        if (nlab_external_wire(x, err) < 0)
                goto undo;
        nlab_store_test_point(st, "external:veth");
        x->state = NLAB_EXTERNAL_UP;
        if (save(st, x, err) < 0)
                goto undo;
        return 0;
undo:
        nlab_err_prefix(err, "external %s", name);
        teardown(st, name, NULL);
        return -1;
}

int nlab_external_add(struct nlab_store *st, const char *name, const char *subnet,
                      struct nlab_external *x, struct nlab_err *err)
{
        int r;

        assert(st && name && x);
        if (nlab_store_lock(st, err) < 0)
                return -1;
        r = create_locked(st, name, subnet, x, err);
        nlab_store_unlock(st);
        return r;
}

int nlab_external_remove(struct nlab_store *st, const char *name, bool force, struct nlab_err *err)
{
        struct nlab_external x;
        int r;

        assert(st && name);
        if (nlab_store_lock(st, err) < 0)
                return -1;
        r = nlab_external_load(st, name, &x, err);
        if (r < 0 && force && err && err->kind == NLAB_E_NOTFOUND)
                r = 1;
        else if (r == 0)
                r = teardown(st, name, err);
        nlab_store_unlock(st);
        return r;
}

int nlab_external_remove_all(struct nlab_store *st, struct nlab_err *err)
{
        struct nlab_err e;
        char **v = NULL;
        size_t n = 0;
        int r = 0;

        if (names(st, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (teardown(st, v[i], &e) < 0 && r == 0)
                        r = -1, *err = e;
        free_names(v, n);
        return r;
}

/* The child's end: errno of a failed exec travels back through the close-on-exec pipe. */
static void exec_child(int nsfd, int w, char *const argv[])
{
        int e;

        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        if (setns(nsfd, CLONE_NEWNET) == 0)
                execvp(argv[0], argv);
        e = errno;
        if (write(w, &e, sizeof(e)) != sizeof(e))
                _exit(127);
        _exit(e == ENOENT ? 127 : 126);
}

static int wait_child(pid_t pid, int r)
{
        void (*old_int)(int) = signal(SIGINT, SIG_IGN);
        void (*old_quit)(int) = signal(SIGQUIT, SIG_IGN);
        int status = 0;

        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        signal(SIGINT, old_int);
        signal(SIGQUIT, old_quit);
        if (r < 0)
                return r;
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

int nlab_external_exec(const struct nlab_store *st, const char *name, char *const argv[],
                       struct nlab_err *err)
{
        struct nlab_external x;
        int pfd[2], nsfd, e = 0, r = 0;
        pid_t pid;

        assert(st && name && argv && argv[0]);
        if (nlab_external_load(st, name, &x, err) < 0)
                return -1;
        if (x.state != NLAB_EXTERNAL_UP)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "external host %s is %s: remove it with netlab external rm "
                                    "%s and add it again",
                                    name, nlab_external_state_name(x.state), name);
        nsfd = open(x.netns_path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return nlab_err_sys(err, errno, "external %s: open %s", name, x.netns_path);
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                close(nsfd);
                return nlab_err_sys(err, errno, "external %s: pipe", name);
        }
        pid = fork();
        if (pid == 0)
                exec_child(nsfd, pfd[1], argv);
        close(nsfd);
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return nlab_err_sys(err, errno, "external %s: fork", name);
        }
        if (read(pfd[0], &e, sizeof(e)) == sizeof(e))
                r = e == ENOENT
                        ? nlab_err_set(err, NLAB_E_NOCMD,
                                       "exec: \"%s\": executable file not found in $PATH", argv[0])
                        : nlab_err_set(err, NLAB_E_NOEXEC, "exec: \"%s\": %s", argv[0],
                                       strerror(e));
        close(pfd[0]);
        return wait_child(pid, r);
}
