/* Pure parts of the container cgroup: the device allowlist and the limit flags' grammars. */
#include "runtime/ctr/cgroup.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct nlab_dev_rule default_rules[] = {
    {'c', -1, -1, NLAB_DEV_MKNOD}, /* mknod of any node; opening it is another matter */
    {'b', -1, -1, NLAB_DEV_MKNOD}, {'c', 1, 3, NLAB_DEV_RWM},               /* null */
    {'c', 1, 5, NLAB_DEV_RWM},     /* zero */ {'c', 1, 7, NLAB_DEV_RWM},    /* full */
    {'c', 5, 0, NLAB_DEV_RWM},     /* tty */ {'c', 1, 8, NLAB_DEV_RWM},     /* random */
    {'c', 1, 9, NLAB_DEV_RWM},     /* urandom */ {'c', 5, 1, NLAB_DEV_RWM}, /* console */
    {'c', 136, -1, NLAB_DEV_RWM},  /* pts */ {'c', 5, 2, NLAB_DEV_RWM},     /* ptmx */
    {'c', 10, 200, NLAB_DEV_RWM},                                           /* tun */
};

const struct nlab_dev_rule *nlab_dev_default_rules(size_t *n)
{
        *n = sizeof(default_rules) / sizeof(default_rules[0]);
        return default_rules;
}

static void format_num(int64_t v, char *buf, size_t size)
{
        if (v < 0)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%lld", (long long)v);
}

int nlab_dev_rule_format(const struct nlab_dev_rule *r, char *buf, size_t size)
{
        char maj[24], min[24], acc[4];
        size_t k = 0;
        int n;

        assert(r && buf);
        format_num(r->major, maj, sizeof(maj));
        format_num(r->minor, min, sizeof(min));
        if (r->access & NLAB_DEV_READ)
                acc[k++] = 'r';
        if (r->access & NLAB_DEV_WRITE)
                acc[k++] = 'w';
        if (r->access & NLAB_DEV_MKNOD)
                acc[k++] = 'm';
        acc[k] = '\0';
        n = snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

int nlab_dev_access_parse(const char *s, unsigned *access)
{
        unsigned bits = 0;
        size_t i;

        if (!s[0] || strlen(s) > 3)
                return -1;
        for (i = 0; s[i]; i++) {
                unsigned b = s[i] == 'r'   ? NLAB_DEV_READ
                             : s[i] == 'w' ? NLAB_DEV_WRITE
                             : s[i] == 'm' ? NLAB_DEV_MKNOD
                                           : 0;
                if (!b || (bits & b))
                        return -1;
                bits |= b;
        }
        *access = bits;
        return 0;
}

/* A path inside the container must not climb out of it. */
static bool has_dotdot(const char *p)
{
        const char *s = p;

        while ((s = strstr(s, "..")) != NULL) {
                if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return true;
                s += 2;
        }
        return false;
}

static int device_fail(struct nlab_err *err, const char *spec, const char *why, const char *what)
{
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid argument \"%s\" for \"--device\" flag: %s%s (expected "
                            "HOST[:CONTAINER][:rwm], e.g. /dev/net/tun)",
                            spec, why, what);
}

int nlab_device_parse(const char *spec, struct nlab_device_spec *out, struct nlab_err *err)
{
        char *c1, *c2;
        const char *mode = NULL;

        assert(spec && out);
        memset(out, 0, sizeof(*out));
        if (snprintf(out->buf, sizeof(out->buf), "%s", spec) >= (int)sizeof(out->buf))
                return device_fail(err, spec, "path too long", "");
        c1 = strchr(out->buf, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (out->buf[0] == '\0' || c1 == out->buf || (c2 && strchr(c2 + 1, ':')))
                return device_fail(err, spec, "bad format for path: ", spec);
        out->host = out->buf;
        out->ctr = out->buf;
        out->access = NLAB_DEV_RWM;
        if (c1)
                *c1 = '\0';
        if (c2) {
                *c2 = '\0';
                out->ctr = c1 + 1;
                mode = c2 + 1;
                if (nlab_dev_access_parse(mode, &out->access) < 0)
                        return device_fail(err, spec, "bad mode specified: ", mode);
        } else if (c1 && nlab_dev_access_parse(c1 + 1, &out->access) < 0) {
                out->ctr = c1 + 1; /* not a mode, so the container path */
        }
        if (out->host[0] != '/')
                return device_fail(err, spec, "host path is not absolute: ", out->host);
        if (out->ctr[0] != '/')
                return device_fail(err, spec, out->ctr, " is not an absolute path");
        if (has_dotdot(out->ctr) || strlen(out->ctr) >= sizeof(((struct nlab_devnode *)0)->ctr))
                return device_fail(err, spec, "container path may not contain \"..\": ", out->ctr);
        /* /dev is a fresh tmpfs at each start; elsewhere a symlink the container left behind
         * could aim the node (made before pivot_root) at the host. Docker allows any path. */
        if (strncmp(out->ctr, "/dev/", 5) || !out->ctr[5])
                return device_fail(err, spec, "the container path must be under /dev/: ", out->ctr);
        return 0;
}

static int memory_fail(struct nlab_err *err, const char *s)
{
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid argument \"%s\" for \"-m, --memory\" flag: invalid size: "
                            "'%s' (expected a number with an optional unit b, k, m, g, t or p, "
                            "e.g. 512m)",
                            s, s);
}

int nlab_memory_parse(const char *s, int64_t *bytes, struct nlab_err *err)
{
        static const char units[] = "bkmgtp";
        long double v = 0, scale = 1, frac = 0.1L;
        const char *p = s, *u;

        assert(s && bytes);
        if (!isdigit((unsigned char)*p))
                return memory_fail(err, s);
        for (; isdigit((unsigned char)*p) && v < 1e30L; p++)
                v = v * 10 + (*p - '0');
        if (*p == '.') {
                if (!isdigit((unsigned char)*++p))
                        return memory_fail(err, s);
                for (; isdigit((unsigned char)*p); p++, frac /= 10)
                        v += (*p - '0') * frac;
        }
        if (*p == ' ')
                p++;
        if (*p && (u = strchr(units + 1, tolower((unsigned char)*p))) != NULL) {
                for (; u > units; u--)
                        scale *= 1024;
                p++;
                if (*p == 'i' || *p == 'I')
                        p++;
        }
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p)
                return memory_fail(err, s);
        v *= scale;
        if (v >= 9.2e18L)
                return memory_fail(err, s);
        *bytes = (int64_t)v;
        if (*bytes != 0 && *bytes < NLAB_MIN_MEMORY)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --memory \"%s\": minimum memory limit allowed is 6MB",
                                    s);
        return 0;
}

int nlab_cpus_parse(const char *s, long ncpu, int64_t *nano, struct nlab_err *err)
{
        int64_t whole = 0, frac = 0, scale = 100000000;
        const char *p = s;

        assert(s && nano);
        if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
                goto bad;
        for (; isdigit((unsigned char)*p) && whole < 1000000; p++)
                whole = whole * 10 + (*p - '0');
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++, scale /= 10) {
                        if (scale == 0)
                                return nlab_err_set(err, NLAB_E_INVALID,
                                                    "invalid argument \"%s\" for \"--cpus\" flag: "
                                                    "value is too precise (at most 9 decimals)",
                                                    s);
                        frac += (*p - '0') * scale;
                }
        if (*p)
                goto bad;
        *nano = whole * 1000000000 + frac;
        if (*nano != 0 && (*nano < 10000000 || *nano > (int64_t)ncpu * 1000000000))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --cpus \"%s\": range of CPUs is from 0.01 to %ld.00, "
                                    "as there are only %ld CPUs available",
                                    s, ncpu, ncpu);
        return 0;
bad:
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid argument \"%s\" for \"--cpus\" flag: failed to parse %s as a "
                            "rational number (expected a decimal number of CPUs, e.g. 1.5)",
                            s, s);
}

int nlab_pids_parse(const char *s, int64_t *limit, struct nlab_err *err)
{
        const char *p = s;
        int64_t v = 0;

        assert(s && limit);
        if (!strcmp(s, "-1")) {
                *limit = 0;
                return 0;
        }
        for (; isdigit((unsigned char)*p) && v < 1000000000000LL; p++)
                v = v * 10 + (*p - '0');
        if (p == s || *p)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--pids-limit\" flag: expected "
                                    "a number of processes, or -1 for unlimited",
                                    s);
        *limit = v;
        return 0;
}
