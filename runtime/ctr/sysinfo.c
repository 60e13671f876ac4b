#include "runtime/ctr/sysinfo.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/ctr/container.h"
#include "runtime/kernel/firewall.h"
#include "runtime/base/fsutil.h"
#include "runtime/ctr/image.h"

static int count_containers(struct nlab_store *st, struct nlab_sysinfo *out, struct nlab_err *err)
{
        char **ids;
        size_t n, i;

        if (nlab_store_list(st, &ids, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++) {
                struct nlab_ctr_state state;
                if (nlab_container_load(st, ids[i], NULL, &state, NULL) < 0)
                        continue; /* removed meanwhile */
                out->containers++;
                if (nlab_container_running(&state))
                        out->running++;
                else
                        out->stopped++; /* netlab has no paused state */
        }
        nlab_store_free_list(ids, n);
        return 0;
}

/* PRETTY_NAME from os-release, as Docker's "Operating System". */
static void os_name(char *buf, size_t size)
{
        char *text = NULL, *line, *end;

        snprintf(buf, size, "Linux");
        if (nlab_read_file("/etc/os-release", &text, NULL, NULL) < 0)
                return;
        line = strstr(text, "PRETTY_NAME=");
        if (line && (line == text || line[-1] == '\n')) {
                line += 12;
                if (*line == '"')
                        line++;
                end = line + strcspn(line, "\"\n");
                snprintf(buf, size, "%.*s", (int)(end - line), line);
        }
        free(text);
}

static bool has_seccomp(void)
{
        char *text = NULL;
        bool yes;

        if (nlab_read_file("/proc/self/status", &text, NULL, NULL) < 0)
                return false;
        yes = strstr(text, "\nSeccomp:") != NULL;
        free(text);
        return yes;
}

static void host_facts(struct nlab_sysinfo *out)
{
        struct utsname u;
        struct sysinfo si;

        if (uname(&u) == 0) {
                snprintf(out->kernel, sizeof(out->kernel), "%s", u.release);
                snprintf(out->arch, sizeof(out->arch), "%s", u.machine);
                snprintf(out->hostname, sizeof(out->hostname), "%s", u.nodename);
        }
        if (sysinfo(&si) == 0)
                out->mem_total = (unsigned long long)si.totalram * si.mem_unit;
        out->cpus = sysconf(_SC_NPROCESSORS_ONLN);
        os_name(out->os, sizeof(out->os));
}

int nlab_sysinfo_get(struct nlab_store *st, struct nlab_sysinfo *out, struct nlab_err *err)
{
        assert(st && out);
        memset(out, 0, sizeof(*out));
        if (count_containers(st, out, err) < 0)
                return -1;
        nlab_image_catalog(&out->images);
        out->cgroup = nlab_cgroup_layout();
        out->seccomp = has_seccomp();
        out->nft = nlab_fw_present(NULL);
        host_facts(out);
        return 0;
}
