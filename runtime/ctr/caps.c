#include "runtime/ctr/caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static const cap_value_t docker_defaults[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

static uint64_t all_caps(void)
{
        int last = CAP_LAST_CAP;

        return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

static int cap_lookup(const char *name, cap_value_t *out)
{
        char buf[64];
        size_t i;

        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        if (snprintf(buf, sizeof(buf), "cap_%s", name) >= (int)sizeof(buf))
                return -1;
        for (i = 0; buf[i]; i++)
                buf[i] = (char)tolower((unsigned char)buf[i]);
        return cap_from_name(buf, out);
}

int nlab_cap_check(const char *name, struct nlab_err *err)
{
        cap_value_t v;

        if (!strcasecmp(name, "all") || cap_lookup(name, &v) == 0)
                return 0;
        return nlab_err_set(err, NLAB_E_INVALID,
                            "unknown capability \"%s\": use a name like NET_ADMIN or ALL", name);
}

static int apply_list(const struct nlab_strv *sv, bool add, uint64_t *mask, struct nlab_err *err)
{
        size_t i;

        for (i = 0; sv && i < sv->n; i++) {
                cap_value_t v;
                uint64_t bits;
                if (!strcasecmp(sv->v[i], "all"))
                        bits = all_caps();
                else if (cap_lookup(sv->v[i], &v) == 0)
                        bits = 1ULL << v;
                else
                        return nlab_cap_check(sv->v[i], err);
                *mask = add ? (*mask | bits) : (*mask & ~bits);
        }
        return 0;
}

int nlab_caps_compute(const struct nlab_strv *add, const struct nlab_strv *drop, bool privileged,
                      uint64_t *keep, struct nlab_err *err)
{
        uint64_t mask = 0;
        size_t i;

        if (privileged) {
                *keep = all_caps();
                return 0;
        }
        for (i = 0; i < sizeof(docker_defaults) / sizeof(docker_defaults[0]); i++)
                mask |= 1ULL << docker_defaults[i];
        /* Docker applies drops before adds, so "--cap-drop ALL --cap-add NET_RAW" keeps NET_RAW. */
        if (apply_list(drop, false, &mask, err) < 0 || apply_list(add, true, &mask, err) < 0)
                return -1;
        *keep = mask & all_caps();
        return 0;
}

int nlab_caps_apply(uint64_t keep, struct nlab_err *err)
{
        cap_t caps;
        int c, r = 0;

        /* We cannot grant what we were never given (a host may withhold some). */
        for (c = 0; c <= CAP_LAST_CAP; c++)
                if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
                        keep &= ~(1ULL << c);
        for (c = 0; c <= CAP_LAST_CAP; c++) {
                if (keep & (1ULL << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return nlab_err_sys(err, errno, "drop capability %d", c);
        }
        caps = cap_init();
        if (!caps)
                return nlab_err_sys(err, errno, "cap_init");
        for (c = 0; c <= CAP_LAST_CAP && r == 0; c++) {
                cap_value_t v = c;
                if (!(keep & (1ULL << c)))
                        continue;
                if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
                    cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
                    cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET) < 0)
                        r = -1;
        }
        if (r == 0 && cap_set_proc(caps) < 0)
                r = -1;
        if (r < 0)
                nlab_err_sys(err, errno, "set capabilities");
        cap_free(caps);
        return r;
}
