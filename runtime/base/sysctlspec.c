#include "runtime/base/sysctlspec.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtime/base/suggest.h"

#define MAX_KEY   256
#define MAX_VALUE 1024

/* The IPC namespace's kernel.* keys runc accepts; kernel.domainname belongs to the UTS namespace,
 * which every netlab container has of its own (there is no --uts host). */
static const char *const kernel_keys[] = {
    "kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
    "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.domainname",
};
#define N_KERNEL_KEYS (sizeof(kernel_keys) / sizeof(kernel_keys[0]))

static const char accepted[] =
    "kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall, kernel.shmmax, "
    "kernel.shmmni, kernel.shm_rmid_forced, kernel.domainname, fs.mqueue.* and net.*";

static bool key_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == '/';
}

/* Components split by sep must be non-empty and, in the '/' form, not "." or "..": the key
 * becomes a path under /proc/sys and must stay there. */
static bool key_shape_ok(const char *key, size_t len, char sep)
{
        size_t i, start = 0;

        for (i = 0; i <= len; i++) {
                size_t n;
                if (i < len && key[i] != sep)
                        continue;
                n = i - start;
                if (n == 0 || (sep == '/' && n <= 2 && !strncmp(key + start, "..", n)))
                        return false;
                start = i + 1;
        }
        return true;
}

static bool namespaced(const char *key)
{
        size_t i;

        for (i = 0; i < N_KERNEL_KEYS; i++)
                if (!strcmp(key, kernel_keys[i]))
                        return true;
        return !strncmp(key, "fs.mqueue.", 10) || !strncmp(key, "net.", 4);
}

static int not_allowed(const char *spec, const char *key, struct nlab_err *err)
{
        const char *near = nlab_suggest(key, kernel_keys, N_KERNEL_KEYS, 2);

        if (near)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--sysctl\" flag: sysctl '%s' is "
                                    "not allowed (did you mean %s?)",
                                    spec, key, near);
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid argument \"%s\" for \"--sysctl\" flag: sysctl '%s' is not "
                            "allowed: only namespaced keys can be set: %s",
                            spec, key, accepted);
}

const char *nlab_sysctl_split(const char *spec, char *key, size_t ksize, char *path, size_t psize)
{
        const char *eq = strchr(spec, '=');
        size_t len, i;
        bool slashed;

        assert(spec && key && path);
        if (!eq || (size_t)(eq - spec) >= ksize || (size_t)(eq - spec) >= psize)
                return NULL;
        len = (size_t)(eq - spec);
        slashed = memchr(spec, '/', len) != NULL;
        for (i = 0; i < len; i++) {
                char c = spec[i];
                key[i] = c == '/' ? '.' : c;
                path[i] = slashed || c != '.' ? c : '/';
        }
        key[len] = path[len] = '\0';
        return eq + 1;
}

int nlab_sysctl_check(const char *spec, enum nlab_sysctl_netns net, struct nlab_err *err)
{
        char key[MAX_KEY + 1], path[MAX_KEY + 1];
        const char *value = nlab_sysctl_split(spec, key, sizeof(key), path, sizeof(path));
        size_t i, len;
        bool slashed;

        if (!value || value == spec + 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--sysctl\" flag: expected "
                                    "KEY=VALUE with a key of at most %d characters",
                                    spec, MAX_KEY);
        len = strlen(key);
        for (i = 0; i < len; i++)
                if (!key_char(spec[i]))
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "invalid argument \"%s\" for \"--sysctl\" flag: a key "
                                            "has letters, digits, '_', '-', '.' and '/' only",
                                            spec);
        slashed = memchr(spec, '/', len) != NULL;
        if (!key_shape_ok(slashed ? path : key, len, slashed ? '/' : '.'))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--sysctl\" flag: the key has an "
                                    "empty, \".\" or \"..\" component",
                                    spec);
        if (!*value || strlen(value) > MAX_VALUE || strchr(value, '\n'))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--sysctl\" flag: the value must "
                                    "be 1 to %d characters on one line",
                                    spec, MAX_VALUE);
        if (!namespaced(key))
                return not_allowed(spec, key, err);
        if (strncmp(key, "net.", 4) || net == NLAB_SYSCTL_NET_OWN)
                return 0;
        if (net == NLAB_SYSCTL_NET_HOST)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "sysctl \"%s\" not allowed in host network namespace", key);
        return nlab_err_set(err, NLAB_E_INVALID,
                            "sysctl \"%s\" not allowed in a joined network namespace "
                            "(--network container:NAME): set it on that container",
                            key);
}
