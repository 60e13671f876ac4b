/* A reaped process's wait status as Docker reports it: its code, or 128 + the signal. Shared by
 * the shim (runtime/ctr/shim.c) and the small supervisor (shim/main.c), which links no runtime. */
#ifndef NLAB_EXITCODE_H
#define NLAB_EXITCODE_H

#include <sys/wait.h>

static inline int nlab_exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

#endif
