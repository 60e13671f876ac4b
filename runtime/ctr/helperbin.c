#include "runtime/ctr/helperbin.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/base/fsutil.h"

static bool executable(const char *path)
{
        return access(path, X_OK) == 0;
}

int nlab_helper_bin(const char *name, const char *env_var, const char *subdir, char *out,
                    size_t size, struct nlab_err *err)
{
        const char *env = getenv(env_var);
        char self[PATH_MAX], *slash;
        ssize_t n;

        assert(name && env_var && subdir && out);
        if (env && env[0]) {
                if (nlab_path(out, size, err, "%s", env) < 0)
                        return -1;
                if (!executable(out))
                        return nlab_err_sys(err, errno, "%s=%s", env_var, env);
                return 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return nlab_err_sys(err, errno, "find the netlab binary");
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        if (nlab_path(out, size, NULL, "%s/%s", self, name) == 0 && executable(out))
                return 0;
        if (nlab_path(out, size, NULL, "%s/../%s/%s", self, subdir, name) == 0 && executable(out))
                return 0;
        if (nlab_path(out, size, NULL, "/usr/local/bin/%s", name) == 0 && executable(out))
                return 0;
        if (slash)
                *slash = '/';
        return nlab_err_set(err, NLAB_E_NOTFOUND, "%s not found beside %s (set %s or install it)",
                            name, self, env_var);
}
