#include "runtime/base/userns.h"

#include <stdio.h>

bool nlab_userns_nested(void)
{
        unsigned long inside, outside, count;
        FILE *f = fopen("/proc/self/uid_map", "re");
        int n;

        if (!f)
                return false; /* a kernel without user namespaces */
        n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
        fclose(f);
        return !(n == 3 && inside == 0 && outside == 0 && count == 4294967295UL);
}
