/* The host-wide checks of doctor: kernel features (tried, not guessed), cgroup controllers,
 * user namespaces and rootless prerequisites. None needs a state root. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"
#include "runtime/ctr/cgroup.h"
#include "runtime/kernel/doctor_probe.h"
#include "runtime/kernel/firewall.h"
#include "runtime/lab/doctor_int.h"

static int oom(struct nlab_err *err)
{
        return nlab_err_sys(err, ENOMEM, "doctor");
}

/* Appends ", word" (or "word" first) to list. */
static void list_add(char *list, size_t size, const char *word)
{
        size_t len = strlen(list);

        if (len < size)
                snprintf(list + len, size - len, "%s%s", len ? ", " : "", word);
}

static const struct {
        const char *config, *uses;
        bool required;
} kf_info[NLAB_KF_N] = {
    [NLAB_KF_BRIDGE] = {"CONFIG_BRIDGE", "every network is a bridge", true},
    [NLAB_KF_VETH] = {"CONFIG_VETH", "every container's interface is a veth", true},
    [NLAB_KF_VXLAN] = {"CONFIG_VXLAN", "labs that span hosts (vxlan) cannot run", false},
    [NLAB_KF_TBF] = {"CONFIG_NET_SCH_TBF", "link set --rate fails", false},
    [NLAB_KF_NETEM] = {"CONFIG_NET_SCH_NETEM", "link set --delay, --jitter and --loss fail", false},
};

static void kfeat_fix(struct nlab_doc_finding *f, enum nlab_kfeat_id id)
{
        char dir[128];
        struct utsname u;

        if (uname(&u) < 0)
                snprintf(u.release, sizeof(u.release), "$(uname -r)");
        snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
        if (access(dir, F_OK) == 0)
                doc_fix(f, "modprobe %s (or a kernel built with %s)", nlab_kfeat_module(id),
                        kf_info[id].config);
        else
                doc_fix(f, "this kernel loads no modules (there is no %s): boot one built with %s",
                        dir, kf_info[id].config);
}

static int kfeat_missing(struct nlab_doctor *d, const struct nlab_doctor_opts *o,
                         const struct nlab_kfeat *kf, enum nlab_kfeat_id id)
{
        bool needed = kf_info[id].required || (o->need & (1u << id));
        struct nlab_doc_finding *f;

        if (o->quick && !needed)
                return 0; /* the scenario does not use it */
        f = doc_add(d, "kernel", needed ? NLAB_DOC_PROBLEM : NLAB_DOC_NOTE,
                    "%s (module %s) is missing: %s (creating one in a throwaway network "
                    "namespace: %s)",
                    nlab_kfeat_name(id), nlab_kfeat_module(id), kf_info[id].uses,
                    strerror(kf->errnum[id]));
        if (!f)
                return -1;
        f->fatal = kf_info[id].required;
        kfeat_fix(f, id);
        return 0;
}

int doc_kernel(struct nlab_doctor *d, const struct nlab_doctor_opts *o, struct nlab_err *err)
{
        char have[128] = "";
        struct nlab_kfeat kf;
        struct nlab_doc_finding *f;
        struct nlab_err e;
        int i;

        if (nlab_kfeat_probe(&kf, &e) < 0)
                return doc_add(d, "kernel", NLAB_DOC_NOTE, "features not probed: %s", e.msg)
                           ? 0
                           : oom(err);
        if (kf.netns_errno)
                return doc_add(d, "kernel", NLAB_DOC_NOTE,
                               "features not probed: no throwaway network namespace: %s",
                               strerror(kf.netns_errno))
                           ? 0
                           : oom(err);
        for (i = 0; i < NLAB_KF_N; i++) {
                if (kf.have[i])
                        list_add(have, sizeof(have), nlab_kfeat_name((enum nlab_kfeat_id)i));
                else if (kfeat_missing(d, o, &kf, (enum nlab_kfeat_id)i) < 0)
                        return oom(err);
        }
        /* doctor's ruleset check asks nftables itself; the preflight has no other check of it */
        /* EPERM: a user who may not ask (a rootless run) learns nothing about nftables here */
        if (o->quick && nlab_fw_present(&e) < 0 && e.errnum != EPERM) {
                f = doc_add(d, "kernel", NLAB_DOC_PROBLEM, "nftables does not answer (%s)", e.msg);
                if (!f)
                        return oom(err);
                f->fatal = true;
                doc_fix(f, "a kernel with nf_tables (CONFIG_NF_TABLES, module nf_tables)");
        } else if (o->quick) {
                list_add(have, sizeof(have), "nftables");
        }
        if (have[0] && !doc_add(d, "kernel", NLAB_DOC_OK,
                                "%s work (tried in a throwaway network "
                                "namespace)",
                                have))
                return oom(err);
        return 0;
}

static bool has_controller(enum nlab_cgroup_layout layout, const char *v2_list, const char *name)
{
        char path[96];
        const char *p;
        size_t n = strlen(name);

        if (layout != NLAB_CGROUP_V2) {
                snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cgroup.procs", name);
                return access(path, F_OK) == 0;
        }
        if (!strcmp(name, "devices"))
                return true; /* a BPF program on v2, no controller */
        for (p = v2_list; p && (p = strstr(p, name)); p += n)
                if ((p == v2_list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
                        return true;
        return false;
}

static int cgroup_missing(struct nlab_doctor *d, enum nlab_cgroup_layout layout,
                          const char *layout_name, const char *name, bool required)
{
        struct nlab_doc_finding *f;

        f = doc_add(d, "cgroup", required ? NLAB_DOC_PROBLEM : NLAB_DOC_NOTE,
                    "controller %s is not available (cgroup %s): %s", name, layout_name,
                    required ? "containers need it for their default limits"
                             : "--memory and --cpus need it");
        if (!f)
                return -1;
        if (layout == NLAB_CGROUP_V2)
                doc_fix(f,
                        "echo +%s > /sys/fs/cgroup/cgroup.subtree_control (and boot without "
                        "cgroup_disable=%s)",
                        name, name);
        else
                doc_fix(f,
                        "mkdir -p /sys/fs/cgroup/%s && mount -t cgroup -o %s cgroup "
                        "/sys/fs/cgroup/%s",
                        name, name, name);
        return 0;
}

int doc_cgroup(struct nlab_doctor *d, struct nlab_err *err)
{
        static const char *const layout_names[] = {
            [NLAB_CGROUP_V1] = "v1",
            [NLAB_CGROUP_HYBRID] = "hybrid: v1 controllers, v2 at /sys/fs/cgroup/unified",
            [NLAB_CGROUP_V2] = "v2"};
        static const struct {
                const char *name;
                bool required;
        } ctrls[] = {{"pids", true}, {"devices", true}, {"memory", false}, {"cpu", false}};
        enum nlab_cgroup_layout layout = nlab_cgroup_layout();
        char *v2_list = NULL, have[64] = "";
        int r = 0;

        if (layout == NLAB_CGROUP_V2)
                nlab_read_file("/sys/fs/cgroup/cgroup.controllers", &v2_list, NULL, NULL);
        for (size_t i = 0; r == 0 && i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
                if (has_controller(layout, v2_list, ctrls[i].name))
                        list_add(have, sizeof(have), ctrls[i].name);
                else
                        r = cgroup_missing(d, layout, layout_names[layout], ctrls[i].name,
                                           ctrls[i].required);
        }
        free(v2_list);
        if (r == 0 && have[0] &&
            !doc_add(d, "cgroup", NLAB_DOC_OK, "%s (%s)", have, layout_names[layout]))
                r = -1;
        return r < 0 ? oom(err) : 0;
}

int doc_userns(struct nlab_doctor *d, struct nlab_err *err)
{
        static const struct {
                const char *key, *dotted, *bad, *fix;
        } knobs[] = {
            {"kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0",
             "sysctl -w kernel.unprivileged_userns_clone=1"},
            {"user/max_user_namespaces", "user.max_user_namespaces", "0",
             "sysctl -w user.max_user_namespaces=15000"},
            {"kernel/apparmor_restrict_unprivileged_userns",
             "kernel.apparmor_restrict_unprivileged_userns", "1",
             "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile "
             "that allows user namespaces for netlab"},
        };
        struct nlab_doc_finding *f;
        char path[96], *v = NULL, max[32] = "?";

        for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
                snprintf(path, sizeof(path), "/proc/sys/%s", knobs[i].key);
                if (nlab_read_file(path, &v, NULL, NULL) < 0)
                        continue;
                v[strcspn(v, "\n")] = '\0';
                if (i == 1)
                        snprintf(max, sizeof(max), "%s", v);
                if (strcmp(v, knobs[i].bad)) {
                        free(v);
                        continue;
                }
                free(v);
                f = doc_add(d, "userns", NLAB_DOC_NOTE,
                            "%s=%s forbids unprivileged user namespaces: rootless labs "
                            "(--rootless) cannot start; labs run as root are not affected",
                            knobs[i].dotted, knobs[i].bad);
                if (!f)
                        return oom(err);
                doc_fix(f, "%s", knobs[i].fix);
                return 0;
        }
        return doc_add(d, "userns", NLAB_DOC_OK,
                       "unprivileged user namespaces are allowed (user.max_user_namespaces=%s)",
                       max)
                   ? 0
                   : oom(err);
}

static bool in_path(const char *tool)
{
        const char *path = getenv("PATH"), *p, *end;
        char file[512];

        if (!path || !path[0])
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (p = path; *p; p = *end ? end + 1 : end) {
                end = strchrnul(p, ':');
                if (end > p && (size_t)(end - p) < sizeof(file) - 64) {
                        snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p, tool);
                        if (access(file, X_OK) == 0)
                                return true;
                }
        }
        return false;
}

/* Has name (or uid) a "NAME:START:COUNT" line with COUNT > 0 in file? */
static bool has_subids(const char *file, const char *name, uid_t uid)
{
        char line[512], id[16], *colon;
        FILE *fp = fopen(file, "re");
        bool found = false;

        if (!fp)
                return false;
        snprintf(id, sizeof(id), "%u", (unsigned)uid);
        while (!found && fgets(line, sizeof(line), fp)) {
                colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                colon = strchr(colon + 1, ':');
                found = (!strcmp(line, name) || !strcmp(line, id)) && colon && atol(colon + 1) > 0;
        }
        fclose(fp);
        return found;
}

int doc_rootless(struct nlab_doctor *d, struct nlab_err *err)
{
        const char *user = getenv("SUDO_USER");
        struct passwd *pw = user && user[0] ? getpwnam(user) : NULL;
        struct nlab_doc_finding *f = NULL;
        char ok[256];

        if (!in_path("newuidmap") || !in_path("newgidmap")) {
                f = doc_add(d, "rootless", NLAB_DOC_NOTE,
                            "newuidmap or newgidmap is not installed: a rootless lab (--rootless) "
                            "has only uid 0 inside");
                if (f)
                        doc_fix(f, "apt-get install uidmap");
        } else if (pw && (!has_subids("/etc/subuid", pw->pw_name, pw->pw_uid) ||
                          !has_subids("/etc/subgid", pw->pw_name, pw->pw_uid))) {
                f = doc_add(
                    d, "rootless", NLAB_DOC_NOTE,
                    "user %.64s has no range in /etc/subuid and /etc/subgid: their rootless "
                    "labs have only uid 0 inside",
                    pw->pw_name);
                if (f)
                        doc_fix(f,
                                "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
                                "%.64s",
                                pw->pw_name);
        } else {
                snprintf(ok, sizeof(ok), "newuidmap and newgidmap are installed; %s%.64s%s",
                         pw ? "user " : "", pw ? pw->pw_name : "",
                         pw ? " has subordinate ids"
                            : "run as sudo netlab doctor to check the invoking user's "
                              "subordinate ids");
                f = doc_add(d, "rootless", NLAB_DOC_OK, "%s", ok);
        }
        return f ? 0 : oom(err);
}
