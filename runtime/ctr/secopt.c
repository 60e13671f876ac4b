#include "runtime/ctr/secopt.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "runtime/base/suggest.h"

#define ACCEPTED "seccomp=unconfined, no-new-privileges[=true]"

/* The values netlab implements. no-new-privileges is always set in containers, so asking for
 * it is honoured as is. Docker also accepts ':' as the separator. */
static const char *const accepted[] = {
    "seccomp=unconfined",     "seccomp:unconfined",     "no-new-privileges",
    "no-new-privileges=true", "no-new-privileges:true",
};

static int reject(const char *opt, struct nlab_err *err)
{
        const char *near = nlab_suggest(opt, accepted, sizeof(accepted) / sizeof(accepted[0]), 2);

        if (near)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --security-opt \"%s\": did you mean \"%s\"?", opt,
                                    near);
        if (!strncmp(opt, "seccomp=", 8) || !strncmp(opt, "seccomp:", 8))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --security-opt \"%s\": custom seccomp profiles are "
                                    "not supported; accepted: " ACCEPTED,
                                    opt);
        if (!strncmp(opt, "no-new-privileges", 17))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --security-opt \"%s\": netlab always sets "
                                    "no-new-privileges; accepted: " ACCEPTED,
                                    opt);
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid --security-opt \"%s\": not implemented by netlab; "
                            "accepted: " ACCEPTED,
                            opt);
}

static int parse_one(const char *opt, struct nlab_secopt *out, struct nlab_err *err)
{
        size_t i;

        for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
                if (strcmp(opt, accepted[i]))
                        continue;
                if (!strncmp(opt, "seccomp", 7))
                        out->seccomp_unconfined = true;
                return 0;
        }
        return reject(opt, err);
}

int nlab_secopt_parse(const struct nlab_strv *opts, struct nlab_secopt *out, struct nlab_err *err)
{
        size_t i;

        assert(out);
        memset(out, 0, sizeof(*out));
        for (i = 0; opts && i < opts->n; i++)
                if (parse_one(opts->v[i], out, err) < 0)
                        return -1;
        return 0;
}
