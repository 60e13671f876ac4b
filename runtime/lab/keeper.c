#include "runtime/lab/keeper.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"
#include "runtime/base/subid.h"
#include "runtime/lab/keeper_ctl.h"

#define NS_ALL                                                                                     \
        (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC)

/* What the outer half tells the command that started it, over a pipe. */
struct report {
        int ok;
        int errnum;
        int outer, inner;
        int idmap;
        char msg[512];
        char idmap_note[256];
        char egress_note[384];
};

int nlab_keeper_default_root(const char *flag, char *buf, size_t size, struct nlab_err *err)
{
        const char *env = getenv("NETLAB_ROOT"), *xdg = getenv("XDG_RUNTIME_DIR");

        if (flag)
                return nlab_path(buf, size, err, "%s", flag);
        if (env && env[0])
                return nlab_path(buf, size, err, "%s", env);
        if (xdg && xdg[0] == '/')
                return nlab_path(buf, size, err, "%s/netlab", xdg);
        return nlab_path(buf, size, err, "/tmp/netlab-%u", (unsigned)geteuid());
}

int nlab_keeper_user_root(const char *user, char *buf, size_t size, struct nlab_err *err)
{
        struct passwd *pw = getpwnam(user);
        char *end;
        unsigned long uid = pw ? pw->pw_uid : strtoul(user, &end, 10);

        if (geteuid() != 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "--user %s: only root looks into another user's lab", user);
        if (!pw && (!user[0] || *end || uid > 0x7fffffffUL))
                return nlab_err_set(err, NLAB_E_NOTFOUND,
                                    "--user %s: no such user (a user name or a numeric uid)", user);
        if (nlab_path(buf, size, err, "/run/user/%lu/netlab", uid) < 0)
                return -1;
        if (access(buf, F_OK) == 0)
                return 0;
        if (nlab_path(buf, size, err, "/tmp/netlab-%lu", uid) < 0)
                return -1;
        if (access(buf, F_OK) == 0)
                return 0;
        return nlab_err_set(err, NLAB_E_NOTFOUND,
                            "--user %s: no lab (neither /run/user/%lu/netlab nor %s): the student "
                            "has not run netlab yet, or chose another --root (then use --rootless "
                            "--root DIR)",
                            user, uid, buf);
}

/* Before the join the root is checked here (store.c checks it again inside): ours, or root's
 * when root looks into a user's lab, and not writable by anyone else. */
static int prepare_root(const char *root, struct nlab_err *err)
{
        struct stat sb;

        if (root[0] != '/')
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root \"%s\" must be an absolute path", root);
        if (nlab_mkdir_p(root, 0700, err) < 0)
                return -1;
        if (lstat(root, &sb) < 0)
                return nlab_err_sys(err, errno, "state root %s", root);
        return nlab_store_check_root_stat(root, &sb, true, err);
}

static void read_map(int pid, const char *file, char *out, size_t size)
{
        char path[64], *text, *p;
        size_t len;

        out[0] = '\0';
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        if (nlab_read_file(path, &text, &len, NULL) < 0)
                return;
        /* the kernel's padded columns, one line per range, into "0 4242 1 1 100000 65536" */
        for (p = strtok(text, " \n"); p; p = strtok(NULL, " \n")) {
                size_t used = strlen(out);
                snprintf(out + used, size - used, "%s%s", used ? " " : "", p);
        }
        free(text);
}

static int read_pidfile(const char *root, struct nlab_keeper *k)
{
        char path[PATH_MAX], *text;
        size_t len;
        int idmap, n;

        if (nlab_path(path, sizeof(path), NULL, "%s/keeper.pid", root) < 0 ||
            nlab_read_file(path, &text, &len, NULL) < 0)
                return -1;
        n = sscanf(text, "%d %llu %d %llu %d", &k->outer_pid, &k->outer_start, &k->inner_pid,
                   &k->inner_start, &idmap);
        free(text);
        if (n != 5 || k->outer_pid <= 0 || k->inner_pid <= 0)
                return -1;
        k->idmap = idmap ? NLAB_IDMAP_SINGLE : NLAB_IDMAP_SUBIDS;
        return 0;
}

bool nlab_keeper_find(const char *root, struct nlab_keeper *k, int *lost_pid)
{
        char path[PATH_MAX];

        assert(root && k && lost_pid);
        memset(k, 0, sizeof(*k));
        k->lock_fd = k->outer_fd = k->inner_fd = -1;
        *lost_pid = 0;
        if (read_pidfile(root, k) < 0) {
                if (nlab_path(path, sizeof(path), NULL, "%s/keeper.pid", root) == 0 &&
                    access(path, F_OK) == 0)
                        *lost_pid = -1; /* a pidfile we cannot read: its keeper is gone too */
                return false;
        }
        if (nlab_proc_alive(k->outer_pid, k->outer_start) &&
            nlab_proc_alive(k->inner_pid, k->inner_start)) {
                read_map(k->inner_pid, "uid_map", k->uid_map, sizeof(k->uid_map));
                read_map(k->inner_pid, "gid_map", k->gid_map, sizeof(k->gid_map));
                return true;
        }
        *lost_pid = k->outer_pid;
        return false;
}

/* newuidmap/newgidmap PID 0 ID 1 1 START COUNT: the only setuid helpers rootless mode uses. */
static bool run_idmap_tool(const char *tool, int pid, unsigned id,
                           const struct nlab_subid_range *range)
{
        char spid[16], sid[16], start[24], count[24];
        int status;
        pid_t c;

        snprintf(spid, sizeof(spid), "%d", pid);
        snprintf(sid, sizeof(sid), "%u", id);
        snprintf(start, sizeof(start), "%lu", range->start);
        snprintf(count, sizeof(count), "%lu", range->count);
        c = fork();
        if (c == 0) {
                execlp(tool, tool, spid, "0", sid, "1", "1", start, count, (char *)NULL);
                _exit(127);
        }
        if (c < 0 || waitpid(c, &status, 0) < 0)
                return false;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int write_proc(int pid, const char *file, const char *text)
{
        char path[64];
        int fd, r;

        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
        close(fd);
        return r;
}

/* Subordinate ranges when the user has them and uidmap is installed, else 0 -> our own ids. */
static int map_ids(int pid, struct report *rep)
{
        struct nlab_subid_range ur, gr;
        char line[64];
        struct passwd *pw = getpwuid(getuid());
        const char *name = pw ? pw->pw_name : NULL;
        unsigned uid = getuid(), gid = getgid();

        if (nlab_subid_find("/etc/subuid", name, uid, &ur) &&
            nlab_subid_find("/etc/subgid", name, uid, &gr) &&
            run_idmap_tool("newuidmap", pid, uid, &ur) &&
            run_idmap_tool("newgidmap", pid, gid, &gr)) {
                rep->idmap = NLAB_IDMAP_SUBIDS;
                return 0;
        }
        rep->idmap = NLAB_IDMAP_SINGLE;
        snprintf(rep->idmap_note, sizeof(rep->idmap_note),
                 "uid %u has no range in /etc/subuid and /etc/subgid (or newuidmap/newgidmap are "
                 "missing): only uid 0 exists in the lab, so no file or process can have another "
                 "owner (fix: "
                 "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s)",
                 uid, name ? name : "USER");
        snprintf(line, sizeof(line), "0 %u 1\n", uid);
        if (write_proc(pid, "setgroups", "deny") < 0 || write_proc(pid, "uid_map", line) < 0)
                return -1;
        snprintf(line, sizeof(line), "0 %u 1\n", gid);
        return write_proc(pid, "gid_map", line);
}

/* Why an unprivileged user namespace was refused: the sysctl that is set, and the fix. */
static void userns_refused(int errnum, struct report *rep)
{
        static const struct {
                const char *path, *name, *bad, *fix;
        } knobs[] = {
            {"/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0",
             "sysctl -w kernel.unprivileged_userns_clone=1"},
            {"/proc/sys/user/max_user_namespaces", "user.max_user_namespaces", "0",
             "sysctl -w user.max_user_namespaces=15000"},
            {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
             "kernel.apparmor_restrict_unprivileged_userns", "1",
             "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile "
             "that allows userns for netlab"},
        };
        char *text;
        size_t i, len;

        rep->errnum = errnum;
        for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
                bool set;
                if (nlab_read_file(knobs[i].path, &text, &len, NULL) < 0)
                        continue;
                set = !strncmp(text, knobs[i].bad, strlen(knobs[i].bad)) &&
                      (text[1] == '\n' || text[1] == '\0');
                free(text);
                if (!set)
                        continue;
                snprintf(rep->msg, sizeof(rep->msg),
                         "rootless mode needs unprivileged user namespaces, and %s=%s forbids "
                         "them (fix, as root: %s; or run netlab as root)",
                         knobs[i].name, knobs[i].bad, knobs[i].fix);
                return;
        }
        snprintf(rep->msg, sizeof(rep->msg),
                 "rootless mode: cannot create a user namespace: %s (or run netlab as root)",
                 strerror(errnum));
}

static void lo_up(void)
{
        struct ifreq ifr = {0};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
                ifr.ifr_flags |= IFF_UP;
                ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
}

/* A signalfd for SIGCHLD, so the loops below sleep until something happens. */
static int chld_fd(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* More requests queued on the forwarder's socket (it is non-blocking: serve_one cannot say). */
static bool serve_more(int pf)
{
        struct pollfd p = {.fd = pf, .events = POLLIN};

        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The outer half's one request after the start ('d': use <root>/keeper.resolv.conf as the lab
 * host's /etc/resolv.conf), answered 'r' or 'e'. False when the outer half is gone. */
static bool outer_asks(const char *root, int sp)
{
        char path[PATH_MAX], c;

        if (read(sp, &c, 1) != 1 || c != 'd')
                return false;
        c = nlab_path(path, sizeof(path), NULL, "%s/keeper.resolv.conf", root) == 0 &&
                    mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0
                ? 'r'
                : 'e';
        return write(sp, &c, 1) == 1;
}

/* pid 1 of the lab host: waits for its id map, sets the lab host up, then reaps orphans and
 * connects published ports' connections (pf: the forwarder's socket) until the outer half goes
 * (its end of sp closes). Ending takes every process of the lab with it. */
static int inner_main(const char *root, int sp, int pf)
{
        struct signalfd_siginfo si;
        struct pollfd p[3];
        char c = 0;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(sp, &c, 1) != 1 || c != 'm')
                return 1;
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return 2;
        setgroups(0, NULL); /* refused under "setgroups deny", which is fine */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return 3;
        lo_up();
        p[0] = (struct pollfd){.fd = sp, .events = POLLIN};
        p[1] = (struct pollfd){.fd = chld_fd(), .events = POLLIN};
        p[2] = (struct pollfd){.fd = pf, .events = POLLIN};
        fcntl(pf, F_SETFL, O_NONBLOCK);
        if (write(sp, "r", 1) != 1)
                return 4;
        for (;;) {
                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        return 5;
                while (read(p[1].fd, &si, sizeof(si)) > 0) {
                }
                while (waitpid(-1, NULL, WNOHANG) > 0) {
                }
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !outer_asks(root, sp))
                        return 0; /* the outer half is gone: so is the lab */
                if (p[2].revents & POLLIN)
                        while (nlab_portfwd_serve_one(pf, NULL) > 0 && serve_more(pf)) {
                        }
        }
}

static int listen_ctl(const char *root)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int fd;

        if (snprintf(a.sun_path, sizeof(a.sun_path), "%s/keeper.sock", root) >=
            (int)sizeof(a.sun_path))
                return -1;
        unlink(a.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

static int write_pidfile(const char *root, const struct report *rep)
{
        char path[PATH_MAX], text[128];
        int n;

        n = snprintf(text, sizeof(text), "%d %llu %d %llu %d\n", rep->outer,
                     nlab_proc_starttime(rep->outer), rep->inner, nlab_proc_starttime(rep->inner),
                     rep->idmap == NLAB_IDMAP_SINGLE);
        if (nlab_path(path, sizeof(path), NULL, "%s/keeper.pid", root) < 0)
                return -1;
        return nlab_write_file(path, text, (size_t)n, 0644, NULL);
}

static void send_report(int fd, struct report *rep)
{
        if (write(fd, rep, sizeof(*rep)) < 0) {
                /* the starter is gone; the pidfile still tells */
        }
        close(fd);
}

/* Egress for the lab host; a stack that cannot start is a note, not a failure: the lab works. */
static void start_egress(struct kctl *k, struct report *rep)
{
        struct nlab_err err = {0};

        if (nlab_egress_start(k->inner, &k->eg, &err) < 0)
                snprintf(k->egress_note, sizeof(k->egress_note),
                         "no egress: %s; containers cannot reach the outside network, the lab "
                         "itself works",
                         err.msg);
        else
                snprintf(k->egress_note, sizeof(k->egress_note), "%s", k->eg.note);
        snprintf(rep->egress_note, sizeof(rep->egress_note), "%s", k->egress_note);
}

/* netlab-dns in the lab host forwards to the host's resolvers through the stack; when those are
 * loopback only, the lab host's /etc/resolv.conf becomes the stack's DNS forwarder instead (a
 * bind mount in its own mount namespace; the host's file is untouched). */
static void lab_resolver(const char *root, const struct kctl *k, int sp, struct report *rep)
{
        static const char text[] = "nameserver " NLAB_EGRESS_DNS "\n";
        char path[PATH_MAX], c = 'e';

        if (k->eg.pid <= 0 || !nlab_egress_resolvers_loopback())
                return;
        if (nlab_path(path, sizeof(path), NULL, "%s/keeper.resolv.conf", root) == 0 &&
            nlab_write_file(path, text, sizeof(text) - 1, 0644, NULL) == 0 &&
            write(sp, "d", 1) == 1 && read(sp, &c, 1) == 1 && c == 'r')
                return;
        snprintf(rep->egress_note, sizeof(rep->egress_note),
                 "the host's resolvers are loopback only and the lab host could not be pointed at "
                 "%s's DNS forwarder: names outside the lab do not resolve",
                 k->eg.tool);
}

/* The forwarder's outer half over pf; without it ports cannot be published (add says so). */
static void start_forwarder(struct kctl *k, int pf)
{
        k->fwd = nlab_portfwd_new(pf, NULL);
        if (!k->fwd)
                close(pf);
}

/* Serve keeper.sock and relay published ports until the inner half ends. */
static void outer_loop(struct kctl *k, int sp, int lfd, int chld)
{
        struct signalfd_siginfo si;
        struct pollfd p[4];
        nfds_t n = 3;

        p[0] = (struct pollfd){.fd = sp, .events = POLLIN};
        p[1] = (struct pollfd){.fd = lfd, .events = POLLIN};
        p[2] = (struct pollfd){.fd = chld, .events = POLLIN};
        if (k->fwd)
                p[n++] = (struct pollfd){.fd = nlab_portfwd_fd(k->fwd), .events = POLLIN};
        for (;;) {
                if (poll(p, n, -1) < 0 && errno != EINTR)
                        return;
                while (read(chld, &si, sizeof(si)) > 0) {
                }
                if (waitpid(k->inner, NULL, WNOHANG) == k->inner ||
                    (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        return;
                kctl_reap(k);
                /* the inner half gone (-1) is seen on sp as well */
                if (n == 4 && (p[3].revents & POLLIN) && nlab_portfwd_dispatch(k->fwd, NULL) < 0)
                        return;
                if (p[1].revents & POLLIN)
                        kctl_serve(lfd, k);
        }
}

/* The outer half: makes the inner, maps its ids, starts egress, reports, then serves
 * keeper.sock and the published ports until the inner ends. Runs detached (setsid, stdio on
 * /dev/null), ready_fd is the starter's pipe. */
static int outer_main(const char *root, int ready_fd)
{
        struct report rep = {.outer = getpid()};
        struct kctl k = {.outer = getpid()};
        int sp[2], pf[2], lfd, chld;
        char c;
        pid_t inner;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pf) < 0) {
                rep.errnum = errno;
                snprintf(rep.msg, sizeof(rep.msg), "keeper: socketpair: %s", strerror(errno));
                return send_report(ready_fd, &rep), 1;
        }
        chld = chld_fd();
        inner = (pid_t)syscall(SYS_clone, NS_ALL | SIGCHLD, 0, 0, 0, 0);
        if (inner == 0) {
                close(sp[0]);
                close(pf[0]);
                close(ready_fd);
                _exit(inner_main(root, sp[1], pf[1]));
        }
        if (inner < 0) {
                userns_refused(errno, &rep);
                return send_report(ready_fd, &rep), 1;
        }
        close(sp[1]);
        close(pf[1]);
        rep.inner = k.inner = inner;
        if (map_ids(inner, &rep) < 0 || write(sp[0], "m", 1) != 1 || read(sp[0], &c, 1) != 1) {
                rep.errnum = errno ? errno : EIO;
                snprintf(rep.msg, sizeof(rep.msg),
                         "keeper: setting up the lab host (pid %d) failed: %s", inner,
                         strerror(rep.errnum));
                kill(inner, SIGKILL);
                return send_report(ready_fd, &rep), 1;
        }
        lfd = listen_ctl(root);
        if (lfd < 0 || write_pidfile(root, &rep) < 0) {
                rep.errnum = errno;
                snprintf(rep.msg, sizeof(rep.msg), "keeper: %s/keeper.sock or keeper.pid: %s", root,
                         strerror(errno));
                kill(inner, SIGKILL);
                return send_report(ready_fd, &rep), 1;
        }
        start_forwarder(&k, pf[0]);
        start_egress(&k, &rep);
        lab_resolver(root, &k, sp[0], &rep);
        rep.ok = 1;
        send_report(ready_fd, &rep);
        outer_loop(&k, sp[0], lfd, chld);
        kctl_free(&k);
        kill(inner, SIGKILL);
        return 0;
}

/* Double fork, so the keeper is nobody's child (a zombie would still look alive). */
static int spawn(const char *root, struct nlab_keeper *k, struct nlab_keeper_news *news,
                 struct nlab_err *err)
{
        struct report rep = {0};
        int pfd[2], status, devnull;
        pid_t c;
        ssize_t n;
        int lost;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return nlab_err_sys(err, errno, "keeper: pipe");
        fflush(NULL);
        c = fork();
        if (c < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return nlab_err_sys(err, errno, "keeper: fork");
        }
        if (c == 0) {
                devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(devnull, 0);
                dup2(devnull, 1);
                dup2(devnull, 2);
                dup2(pfd[1], 3);
                syscall(SYS_close_range, 4, ~0U, 0);
                setsid();
                signal(SIGPIPE, SIG_IGN);
                if (fork() == 0) {
                        prctl(PR_SET_NAME, "netlab-keeper");
                        _exit(outer_main(root, 3));
                }
                _exit(0);
        }
        close(pfd[1]);
        waitpid(c, &status, 0);
        n = nlab_read_full(pfd[0], &rep, sizeof(rep));
        close(pfd[0]);
        if (n != (ssize_t)sizeof(rep))
                return nlab_err_set(err, NLAB_E_SYSTEM, "keeper: the lab host did not start");
        if (!rep.ok)
                return nlab_err_set(err,
                                    rep.errnum == EPERM || rep.errnum == ENOSPC ? NLAB_E_INVALID
                                                                                : NLAB_E_SYSTEM,
                                    "%s", rep.msg);
        news->started = true;
        snprintf(news->idmap_note, sizeof(news->idmap_note), "%s", rep.idmap_note);
        snprintf(news->egress_note, sizeof(news->egress_note), "%s", rep.egress_note);
        return nlab_keeper_find(root, k, &lost)
                   ? 0
                   : nlab_err_set(err, NLAB_E_SYSTEM, "keeper: the lab host ended at its start");
}

static void kill_checked(int pid, unsigned long long start)
{
        if (pid > 0 && nlab_proc_alive(pid, start)) {
                kill(pid, SIGKILL);
                nlab_proc_wait_gone(pid, start, 5000);
        }
}

int nlab_keeper_ensure(const char *root, struct nlab_keeper *k, struct nlab_keeper_news *news,
                       struct nlab_err *err)
{
        char path[PATH_MAX];
        struct nlab_keeper old;
        int fd, r;

        assert(root && k && news);
        memset(news, 0, sizeof(*news));
        if (prepare_root(root, err) < 0 ||
            nlab_path(path, sizeof(path), err, "%s/keeper.lock", root) < 0)
                return -1;
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return nlab_err_sys(err, errno, "open %s", path);
        while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR) {
        }
        if (r < 0) {
                r = nlab_err_sys(err, errno, "lock %s", path);
                close(fd);
                return r;
        }
        r = nlab_keeper_find(root, k, &news->lost_pid) ? 1 : 0;
        if (r == 0) {
                /* half a keeper: end the half that is left before starting anew */
                if (read_pidfile(root, &old) == 0) {
                        kill_checked(old.inner_pid, old.inner_start);
                        kill_checked(old.outer_pid, old.outer_start);
                }
                r = spawn(root, k, news, err);
        }
        if (r < 0 || (k->outer_fd = nlab_proc_pidfd(k->outer_pid, k->outer_start, err)) < 0 ||
            (k->inner_fd = nlab_proc_pidfd(k->inner_pid, k->inner_start, err)) < 0) {
                if (k->outer_fd >= 0)
                        close(k->outer_fd);
                close(fd);
                return -1;
        }
        k->lock_fd = fd;
        return 0;
}

void nlab_keeper_release(struct nlab_keeper *k)
{
        if (k->lock_fd >= 0)
                close(k->lock_fd);
        k->lock_fd = -1;
}

int nlab_keeper_join(const struct nlab_keeper *k, struct nlab_err *err)
{
        char cwd[PATH_MAX];
        bool have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
        int pidfd = nlab_proc_pidfd(k->inner_pid, k->inner_start, err);

        if (pidfd < 0)
                return -1;
        if (nlab_proc_setns(pidfd, NS_ALL, err) < 0) {
                close(pidfd);
                nlab_err_prefix(err, "lab host (keeper pid %d): ", k->outer_pid);
                return -1;
        }
        close(pidfd);
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return nlab_err_sys(err, errno, "lab host: become uid 0");
        setgroups(0, NULL); /* refused under "setgroups deny", which is fine */
        /* joining a mount namespace moves us to its root; the user's relative paths need ours */
        if (have_cwd && chdir(cwd) < 0 && chdir("/") < 0)
                return nlab_err_sys(err, errno, "chdir");
        return 0;
}

/* Remove every entry of <root>/<sub>; with sub_each, of <root>/<sub>/<each entry>/<sub_each>. */
static int clear_dir(const char *root, const char *sub, const char *sub_each, int *count)
{
        char path[PATH_MAX], entry[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if (nlab_path(path, sizeof(path), NULL, "%s/%s", root, sub) < 0 || !(d = opendir(path)))
                return 0;
        while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                if (sub_each) {
                        char inner[PATH_MAX];
                        if (nlab_path(inner, sizeof(inner), NULL, "%s/%s/%s", sub, de->d_name,
                                      sub_each) == 0)
                                clear_dir(root, inner, NULL, NULL);
                        continue;
                }
                if (nlab_path(entry, sizeof(entry), NULL, "%s/%s", path, de->d_name) < 0)
                        continue;
                if (nlab_rm_rf(entry, NULL) == 0 && count)
                        (*count)++;
        }
        closedir(d);
        return 0;
}

int nlab_keeper_forget(struct nlab_store *st, int *n_containers, struct nlab_err *err)
{
        char path[PATH_MAX];
        static const char *const plain[] = {"names", "netns", "ports"};
        size_t i;

        assert(st && n_containers);
        *n_containers = 0;
        if (nlab_store_lock(st, err) < 0)
                return -1;
        clear_dir(st->root, "containers", NULL, n_containers);
        for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
                clear_dir(st->root, plain[i], NULL, NULL);
        clear_dir(st->root, "networks", "ips", NULL);
        clear_dir(st->root, "networks", "endpoints", NULL);
        if (nlab_path(path, sizeof(path), NULL, "%s/dns", st->root) == 0)
                nlab_rm_rf(path, NULL);
        if (nlab_path(path, sizeof(path), NULL, "%s/host", st->root) == 0)
                nlab_rm_rf(path, NULL);
        nlab_store_unlock(st);
        return 0;
}

static void kill_pidfd(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};

        if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
                return;
        poll(&p, 1, 5000); /* readable once the process has exited */
}

int nlab_keeper_stop(const char *root, const struct nlab_keeper *k, struct nlab_err *err)
{
        static const char *const files[] = {"keeper.pid", "keeper.sock"};
        char path[PATH_MAX];
        size_t i;

        kill_pidfd(k->inner_fd);
        kill_pidfd(k->outer_fd);
        for (i = 0; i < 2; i++) {
                if (nlab_path(path, sizeof(path), err, "%s/%s", root, files[i]) < 0)
                        return -1;
                if (unlink(path) < 0 && errno != ENOENT)
                        return nlab_err_sys(err, errno, "unlink %s", path);
        }
        return 0;
}
