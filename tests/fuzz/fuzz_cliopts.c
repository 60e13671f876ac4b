/* libFuzzer target: the value parsers of run/create and network create flags (--device,
 * --memory, --cpus, --pids-limit, --log-opt, --sysctl, --hostname, --security-opt, --subnet).
 * The first byte picks the parser, the rest is the value; list flags take one value per line.
 * Every refusal must carry a message and every acceptance must hold the parser's promises. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ctr/cgroup.h"
#include "runtime/base/hostname.h"
#include "runtime/base/ipam.h"
#include "runtime/ctr/logfile.h"
#include "runtime/ctr/secopt.h"
#include "runtime/base/sysctlspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(const struct nlab_err *err)
{
        assert(err->kind != NLAB_E_OK && err->msg[0]);
}

/* No ".." component (empty ones are harmless: "//" is "/"). */
static bool no_dotdot(const char *p)
{
        size_t n;

        for (; *p; p += n + (p[n] == '/')) {
                n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return false;
        }
        return true;
}

static void device(const char *s)
{
        struct nlab_device_spec d;
        struct nlab_err err;

        if (nlab_device_parse(s, &d, &err) < 0) {
                refused(&err);
                return;
        }
        assert(d.host[0] == '/' && !strncmp(d.ctr, "/dev/", 5) && no_dotdot(d.ctr));
        assert(d.access && !(d.access & ~(unsigned)NLAB_DEV_RWM));
}

static void limits(const char *s)
{
        int64_t v;
        struct nlab_err err;

        if (nlab_memory_parse(s, &v, &err) == 0)
                assert(v == 0 || v >= NLAB_MIN_MEMORY);
        else
                refused(&err);
        if (nlab_cpus_parse(s, 8, &v, &err) == 0)
                assert(v >= 0 && v <= 8LL * 1000000000);
        else
                refused(&err);
        if (nlab_pids_parse(s, &v, &err) == 0)
                assert(v >= 0);
        else
                refused(&err);
}

/* One value per line, as repeated flags give them. */
static void split_lines(char *s, struct nlab_strv *sv)
{
        char *line;

        while ((line = strsep(&s, "\n")))
                assert(nlab_strv_push(sv, line) == 0);
}

static void lists(char *s)
{
        struct nlab_strv sv = {0};
        struct nlab_log_opts lo = {NLAB_LOG_DEFAULT_MAX_SIZE, NLAB_LOG_DEFAULT_MAX_FILE};
        struct nlab_secopt so;
        struct nlab_err err;

        split_lines(s, &sv);
        if (nlab_log_opts_parse(&sv, &lo, &err) == 0)
                assert(lo.max_size > 0 && lo.max_file >= 1 && lo.max_file <= NLAB_LOG_MAX_FILES);
        else
                refused(&err);
        if (nlab_secopt_parse(&sv, &so, &err) < 0)
                refused(&err);
        nlab_strv_free(&sv);
}

/* A checked key must stay under /proc/sys: no empty, "." or ".." component. */
static void path_stays_inside(char *path)
{
        char *c;

        while ((c = strsep(&path, "/")))
                assert(c[0] && strcmp(c, ".") && strcmp(c, ".."));
}

static void names(const char *s, uint8_t how)
{
        char key[512], path[512]; /* a checked key has at most 256 characters */
        struct nlab_subnet sub;
        struct nlab_err err;

        if (nlab_sysctl_check(s, (enum nlab_sysctl_netns)(how % 3), &err) == 0) {
                assert(nlab_sysctl_split(s, key, sizeof(key), path, sizeof(path)));
                path_stays_inside(path);
        } else {
                refused(&err);
        }
        if (nlab_hostname_check(s, &err) == 0)
                assert(strlen(s) <= 64);
        else
                refused(&err);
        if (nlab_cidr_parse(s, &sub, &err) == 0) {
                if (nlab_subnet_check_usable(&sub, &err) < 0)
                        refused(&err);
        } else {
                refused(&err);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size < 1 || size > 4096)
                return 0;
        s = malloc(size);
        if (!s)
                return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        switch (data[0] % 4) {
        case 0:
                device(s);
                break;
        case 1:
                limits(s);
                break;
        case 2:
                lists(s);
                break;
        default:
                names(s, data[0] / 4);
                break;
        }
        free(s);
        return 0;
}
