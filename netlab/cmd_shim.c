/* `netlab __shim-exit ID CODE EXIT_FD`: not a user command. netlab-shim (shim/main.c) execs it
 * once a container's process is gone, so the teardown runs with the whole runtime while the
 * idle supervisor stays small. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "runtime/ctr/container.h"
#include "runtime/base/ids.h"
#include "runtime/ctr/shim.h"

static int parse_int(const char *s, long lo, long hi, int *out)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -1;
        *out = (int)v;
        return 0;
}

int nlab_cmd_shim_exit(const char *root, int argc, char **argv)
{
        struct nlab_store st;
        int code, exit_fd;

        if (argc != 3 || strlen(argv[0]) != NLAB_ID_LEN || !nlab_id_is_prefix(argv[0]) ||
            parse_int(argv[1], 0, 255, &code) < 0 || parse_int(argv[2], -1, INT_MAX, &exit_fd) < 0)
                return 2;
        if (nlab_store_open(&st, root, NULL) < 0)
                return 1;
        nlab_shim_finish(&st, argv[0], code, exit_fd, nlab_container_shim_exited);
        nlab_store_close(&st);
        return 0;
}
