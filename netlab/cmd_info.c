/* netlab version, info and top: Docker-shaped reports about netlab, the host and a container. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "netlab/cli.h"
#include "netlab/format.h"
#include "runtime/ctr/sysinfo.h"
#include "runtime/ctr/top.h"

static const struct nlab_flag format_flags[] = {
    {"format", 'f', NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
#define N_FORMAT_FLAGS (sizeof(format_flags) / sizeof(format_flags[0]))

/* --format json prints the document; any other format is a template over it. */
static int print_doc(json_t *doc, const char *format, struct nlab_err *err)
{
        json_t *docs;
        int r;

        if (format && !strcmp(format, "json")) {
                char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
                printf("%s\n", s ? s : "{}");
                free(s);
                return 0;
        }
        docs = json_pack("[O]", doc);
        r = nlab_print_docs(docs, format, err);
        json_decref(docs);
        return r;
}

/* Go's GOARCH names, which `docker version` prints. */
static const char *go_arch(const char *machine)
{
        if (!strcmp(machine, "x86_64"))
                return "amd64";
        if (!strcmp(machine, "aarch64"))
                return "arm64";
        return machine;
}

static json_t *version_doc(void)
{
        struct utsname u;

        if (uname(&u) < 0)
                memset(&u, 0, sizeof(u));
        return json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s}}", "Client", "Version", NLAB_VERSION,
                         "Os", "linux", "Arch", go_arch(u.machine), "Server", "Version",
                         NLAB_VERSION, "Os", "linux", "Arch", go_arch(u.machine), "KernelVersion",
                         u.release);
}

static void print_version(const json_t *doc)
{
        const json_t *c = json_object_get(doc, "Client"), *s = json_object_get(doc, "Server");
#define F(o, k) json_string_value(json_object_get(o, k))
        printf("Client:\n Version:           %s\n OS/Arch:           %s/%s\n\n", F(c, "Version"),
               F(c, "Os"), F(c, "Arch"));
        printf("Server: netlab (daemonless: every command is its own server)\n Engine:\n"
               "  Version:          %s\n  OS/Arch:          %s/%s\n  Kernel:           %s\n",
               F(s, "Version"), F(s, "Os"), F(s, "Arch"), F(s, "KernelVersion"));
#undef F
}

int nlab_cmd_version(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        json_t *doc = NULL;
        int code = 0;

        (void)cli;
        if (nlab_cli_parse("version", format_flags, N_FORMAT_FLAGS, argc, argv, 0, &p, false,
                           &code) != 0)
                goto out;
        if (p.npos > 0) {
                code = nlab_cli_usage_error("version", "\"netlab version\" accepts no arguments",
                                            false);
                goto out;
        }
        doc = version_doc();
        if (!p.value[0])
                print_version(doc);
        else if (print_doc(doc, p.value[0], &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(doc);
        nlab_parsed_free(&p, N_FORMAT_FLAGS);
        return code;
}

static const char *const layout_names[] = {
    [NLAB_CGROUP_V1] = "v1", [NLAB_CGROUP_HYBRID] = "hybrid", [NLAB_CGROUP_V2] = "v2"};

static json_t *info_doc(const struct nlab_sysinfo *si, const char *root, bool rootless)
{
        json_t *sec = json_array();

        if (rootless) /* Docker's and Podman's spelling */
                json_array_append_new(sec, json_string("name=rootless"));
        if (si->seccomp)
                json_array_append_new(sec, json_string("name=seccomp,profile=builtin"));
        json_array_append_new(sec, json_string("name=no-new-privileges"));
        return json_pack(
            "{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:b},s:o,s:s,s:s,s:s,s:s,s:I,"
            "s:I,s:s,s:s}",
            "Containers", (json_int_t)si->containers, "ContainersRunning", (json_int_t)si->running,
            "ContainersPaused", (json_int_t)si->paused, "ContainersStopped",
            (json_int_t)si->stopped, "Images", (json_int_t)si->images, "ServerVersion",
            NLAB_VERSION, "Driver", "overlay", "CgroupDriver", "cgroupfs", "CgroupVersion",
            si->cgroup == NLAB_CGROUP_V2 ? "2" : "1", "CgroupLayout", layout_names[si->cgroup],
            "FirewallBackend", "Driver", "nftables", "Table", "inet netlab", "TablePresent",
            si->nft == 1, "SecurityOptions", sec, "KernelVersion", si->kernel, "OperatingSystem",
            si->os, "OSType", "linux", "Architecture", si->arch, "NCPU", (json_int_t)si->cpus,
            "MemTotal", (json_int_t)si->mem_total, "Name", si->hostname, "RootDir", root);
}

/* go-units BytesSize, as Docker prints Total Memory: "7.667GiB". */
static void bytes_size(unsigned long long b, char *buf, size_t size)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = (double)b;
        size_t i = 0;

        while (v >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1024;
                i++;
        }
        snprintf(buf, size, "%.4g%s", v, units[i]);
}

static void print_info(const struct nlab_sysinfo *si, const char *root, bool rootless)
{
        static const char *const layout_text[] = {
            [NLAB_CGROUP_V1] = "v1 (legacy)",
            [NLAB_CGROUP_HYBRID] = "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)",
            [NLAB_CGROUP_V2] = "v2 (unified)"};
        char mem[32];

        bytes_size(si->mem_total, mem, sizeof(mem));
        printf("Client:\n Version:    %s\n Context:    default\n\n", NLAB_VERSION);
        printf(
            "Server:\n Mode: %s\n Containers: %zu\n  Running: %zu\n  Paused: %zu\n  Stopped: %zu\n"
            " Images: %zu\n Server Version: %s\n Storage Driver: overlay\n"
            " Cgroup Driver: cgroupfs\n Cgroup Version: %s\n Cgroup Layout: %s\n",
            rootless ? "rootless (a lab host of this user's own: netlab lab status)" : "root",
            si->containers, si->running, si->paused, si->stopped, si->images, NLAB_VERSION,
            si->cgroup == NLAB_CGROUP_V2 ? "2" : "1", layout_text[si->cgroup]);
        printf(" Firewall Backend: nftables (table inet netlab: %s)\n", si->nft == 1 ? "present"
                                                                        : si->nft == 0
                                                                            ? "not created yet"
                                                                            : "no answer");
        printf(" Security Options:\n%s%s  no-new-privileges\n", rootless ? "  rootless\n" : "",
               si->seccomp ? "  seccomp\n   Profile: builtin\n" : "");
        printf(" Kernel Version: %s\n Operating System: %s\n OSType: linux\n Architecture: %s\n"
               " CPUs: %ld\n Total Memory: %s\n Name: %s\n Root Dir: %s\n",
               si->kernel, si->os, si->arch, si->cpus, mem, si->hostname, root);
        if (!si->seccomp)
                printf("WARNING: the kernel has no seccomp: containers run without a syscall "
                       "filter\n");
}

int nlab_cmd_info(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_sysinfo si;
        struct nlab_err err;
        json_t *doc = NULL;
        int code = 0;

        if (nlab_cli_parse("info", format_flags, N_FORMAT_FLAGS, argc, argv, 0, &p, false, &code) !=
            0)
                goto out;
        if (p.npos > 0) {
                code = nlab_cli_usage_error("info", "\"netlab info\" accepts no arguments", false);
                goto out;
        }
        if (nlab_sysinfo_get(&cli->st, &si, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (!p.value[0]) {
                print_info(&si, cli->root, cli->rootless);
                goto out;
        }
        doc = info_doc(&si, cli->root, cli->rootless);
        if (print_doc(doc, p.value[0], &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(doc);
        nlab_parsed_free(&p, N_FORMAT_FLAGS);
        return code;
}

/* ps's STIME: the time of day within the last 24 hours, else month and day, else the year. */
static void start_time(time_t started, time_t now, char *buf, size_t size)
{
        struct tm s, n;

        localtime_r(&started, &s);
        localtime_r(&now, &n);
        if (now - started < 24 * 3600)
                strftime(buf, size, "%H:%M", &s);
        else if (s.tm_year == n.tm_year)
                strftime(buf, size, "%b%d", &s);
        else
                strftime(buf, size, "%Y", &s);
}

/* ps's TIME: [DD-]HH:MM:SS of CPU time. */
static void cpu_time(unsigned long secs, char *buf, size_t size)
{
        unsigned long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

        if (d)
                snprintf(buf, size, "%lu-%02lu:%02lu:%02lu", d, h, m, s);
        else
                snprintf(buf, size, "%02lu:%02lu:%02lu", h, m, s);
}

static void print_top(const struct nlab_top_row *rows, size_t n)
{
        time_t now = time(NULL);
        size_t i;

        /* Docker's top pads every column but the last to 20 */
        printf("%-20s%-20s%-20s%-20s%-20s%-20s%-20s%s\n", "UID", "PID", "PPID", "C", "STIME", "TTY",
               "TIME", "CMD");
        for (i = 0; i < n; i++) {
                const struct nlab_top_row *r = &rows[i];
                struct passwd *pw = getpwuid(r->uid);
                char uid[32], stime[16], cpu[32];
                if (pw)
                        snprintf(uid, sizeof(uid), "%s", pw->pw_name);
                else
                        snprintf(uid, sizeof(uid), "%u", r->uid);
                start_time(r->started, now, stime, sizeof(stime));
                cpu_time(r->cpu_secs, cpu, sizeof(cpu));
                printf("%-19s %-19d %-19d %-19u %-19s %-19s %-19s %s\n", uid, r->pid, r->ppid,
                       r->cpu_percent, stime, r->tty, cpu, r->cmd);
        }
}

static const struct nlab_flag top_flags[] = {
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};

int nlab_cmd_top(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_top_row *rows = NULL;
        struct nlab_parsed p = {0};
        struct nlab_err err;
        size_t n = 0;
        int code = 0;

        if (nlab_cli_parse("top", top_flags, 1, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 1) {
                code = nlab_cli_usage_error(
                    "top",
                    p.npos ? "\"netlab top\" takes exactly 1 argument: CONTAINER (ps options are "
                             "not supported; the columns are ps -ef's)"
                           : "\"netlab top\" requires exactly 1 argument: CONTAINER",
                    false);
                goto out;
        }
        if (nlab_container_top(&cli->st, p.pos[0], &rows, &n, &err) < 0)
                code = nlab_cli_fail(&err, false);
        else
                print_top(rows, n);
out:
        free(rows);
        nlab_parsed_free(&p, 1);
        return code;
}
