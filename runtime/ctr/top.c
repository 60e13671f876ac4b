#include "runtime/ctr/top.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/ctr/container.h"
#include "runtime/base/fsutil.h"
#include "runtime/base/proc.h"

int nlab_proc_stat_parse(const char *text, struct nlab_proc_stat *out)
{
        const char *open_paren, *close_paren;
        unsigned long long f[20];
        char state;
        size_t len;

        assert(text && out);
        open_paren = strchr(text, '(');
        close_paren = strrchr(text, ')');
        if (!open_paren || !close_paren || close_paren < open_paren)
                return -1;
        len = (size_t)(close_paren - open_paren - 1);
        if (len >= sizeof(out->comm))
                len = sizeof(out->comm) - 1;
        memcpy(out->comm, open_paren + 1, len);
        out->comm[len] = '\0';
        /* fields 3..22: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
         * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime */
        if (sscanf(close_paren + 1,
                   " %c %llu %llu %llu %llu %lld %llu %llu %llu %llu %llu %llu %llu %lld %lld %lld "
                   "%lld %lld %lld %llu",
                   &state, &f[0], &f[1], &f[2], &f[3], (long long *)&f[4], &f[5], &f[6], &f[7],
                   &f[8], &f[9], &f[10], &f[11], (long long *)&f[12], (long long *)&f[13],
                   (long long *)&f[14], (long long *)&f[15], (long long *)&f[16],
                   (long long *)&f[17], &f[18]) != 20)
                return -1;
        if (f[0] > INT_MAX)
                return -1;
        out->ppid = (int)f[0];
        out->tty_nr = (int)(unsigned)f[3];
        out->utime = f[10];
        out->stime = f[11];
        out->start = f[18];
        return 0;
}

void nlab_tty_name(int tty_nr, char *buf, size_t size)
{
        unsigned dev = (unsigned)tty_nr;
        unsigned major = (dev >> 8) & 0xfff, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

        if (dev == 0)
                snprintf(buf, size, "?");
        else if (major >= 136 && major <= 143) /* UNIX98 pty slaves */
                snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
        else if (major == 4 && minor < 64)
                snprintf(buf, size, "tty%u", minor);
        else if (major == 4)
                snprintf(buf, size, "ttyS%u", minor - 64);
        else
                snprintf(buf, size, "?");
}

/* The clock the stat fields count in: boot time (wall clock) and seconds since boot. */
struct clock_ref {
        time_t boot;
        double uptime;
        long hz;
};

static int clock_ref(struct clock_ref *c, struct nlab_err *err)
{
        char *text = NULL, *line;

        c->hz = sysconf(_SC_CLK_TCK);
        if (nlab_read_file("/proc/uptime", &text, NULL, err) < 0)
                return -1;
        c->uptime = strtod(text, NULL);
        free(text);
        if (nlab_read_file("/proc/stat", &text, NULL, err) < 0)
                return -1;
        line = strstr(text, "\nbtime ");
        c->boot = line ? (time_t)strtoll(line + 7, NULL, 10) : time(NULL) - (time_t)c->uptime;
        free(text);
        if (c->hz <= 0)
                c->hz = 100;
        return 0;
}

static unsigned effective_uid(int pid)
{
        char path[64], *text = NULL, *line;
        unsigned real = 0, eff = 0;

        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        if (nlab_read_file(path, &text, NULL, NULL) < 0)
                return 0;
        line = strstr(text, "\nUid:");
        if (line && sscanf(line + 5, "%u %u", &real, &eff) != 2)
                eff = real;
        free(text);
        return eff;
}

static void command_line(int pid, const char *comm, char *buf, size_t size)
{
        char path[64], *text = NULL;
        size_t len = 0, i;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
        if (nlab_read_file(path, &text, &len, NULL) < 0 || len == 0) {
                snprintf(buf, size, "[%s]", comm);
                free(text);
                return;
        }
        while (len > 0 && text[len - 1] == '\0')
                len--;
        for (i = 0; i < len; i++)
                if (text[i] == '\0' || !isprint((unsigned char)text[i]))
                        text[i] = text[i] ? '?' : ' ';
        snprintf(buf, size, "%.*s", (int)len, text);
        free(text);
}

static int read_row(int pid, const struct clock_ref *c, struct nlab_top_row *row)
{
        char path[64], *text = NULL;
        struct nlab_proc_stat s;
        double age, cpu;

        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        if (nlab_read_file(path, &text, NULL, NULL) < 0)
                return -1; /* gone meanwhile */
        if (nlab_proc_stat_parse(text, &s) < 0) {
                free(text);
                return -1;
        }
        free(text);
        memset(row, 0, sizeof(*row));
        row->pid = pid;
        row->ppid = s.ppid;
        row->uid = effective_uid(pid);
        cpu = (double)(s.utime + s.stime) / (double)c->hz;
        age = c->uptime - (double)s.start / (double)c->hz;
        row->cpu_secs = (unsigned long)cpu;
        row->cpu_percent = age > 0 ? (unsigned)(cpu * 100.0 / age) : 0;
        if (row->cpu_percent > 99) /* as ps prints C */
                row->cpu_percent = 99;
        row->started = c->boot + (time_t)(s.start / (unsigned long long)c->hz);
        nlab_tty_name(s.tty_nr, row->tty, sizeof(row->tty));
        command_line(pid, s.comm, row->cmd, sizeof(row->cmd));
        return 0;
}

static int pidns_of(int pid, char *buf, size_t size)
{
        char path[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
        n = readlink(path, buf, size - 1);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return 0;
}

static int by_pid(const void *a, const void *b)
{
        const struct nlab_top_row *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process of the host whose pid namespace is ns. */
static int scan(const char *ns, struct nlab_top_row **rows, size_t *n, struct nlab_err *err)
{
        struct clock_ref c;
        struct dirent *de;
        size_t cap = 0;
        DIR *d;

        if (clock_ref(&c, err) < 0)
                return -1;
        d = opendir("/proc");
        if (!d)
                return nlab_err_sys(err, errno, "open /proc");
        while ((de = readdir(d))) {
                char other[64], *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 0 || pid > INT_MAX ||
                    pidns_of((int)pid, other, sizeof(other)) < 0 || strcmp(other, ns))
                        continue;
                if (*n == cap) {
                        struct nlab_top_row *grown = realloc(*rows, (cap + 16) * sizeof(**rows));
                        if (!grown) {
                                closedir(d);
                                return nlab_err_sys(err, ENOMEM, "list processes");
                        }
                        *rows = grown;
                        cap += 16;
                }
                if (read_row((int)pid, &c, &(*rows)[*n]) == 0)
                        (*n)++;
        }
        closedir(d);
        qsort(*rows, *n, sizeof(**rows), by_pid);
        return 0;
}

int nlab_container_top(struct nlab_store *st, const char *ref, struct nlab_top_row **rows,
                       size_t *n, struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], ns[64];
        struct nlab_ctr_state state;
        json_t *cfg = NULL;
        const char *name;
        int pid, r = -1;

        assert(st && ref && rows && n);
        *rows = NULL;
        *n = 0;
        if (nlab_store_resolve(st, ref, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0)
                return -1;
        name = json_string_value(json_object_get(cfg, "Name"));
        pid = state.pid;
        if (!nlab_container_running(&state) || !nlab_proc_alive(pid, state.pid_start)) {
                nlab_err_set(err, NLAB_E_INVALID, "container %s is not running", name);
                goto out;
        }
        if (pidns_of(pid, ns, sizeof(ns)) < 0) {
                nlab_err_sys(err, errno, "container %s: pid namespace of %d", name, pid);
                goto out;
        }
        r = scan(ns, rows, n, err);
        if (r < 0) {
                nlab_err_prefix(err, "container %s", name);
                free(*rows);
                *rows = NULL;
                *n = 0;
        }
out:
        json_decref(cfg);
        return r;
}
