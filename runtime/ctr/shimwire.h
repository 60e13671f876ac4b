/* The state root's supervisor (netlab-shim, shim/) and the starts that hand it their
 * containers: what travels over <root>/shim.sock. Header only: the supervisor links no runtime. */
#ifndef NLAB_SHIMWIRE_H
#define NLAB_SHIMWIRE_H

#include <limits.h>
#include <stdint.h>

#define NLAB_SHIM_SOCK "shim.sock"
#define NLAB_SHIM_LOCK "shim.lock"

/* Sent by the supervisor on accepting a connection: from then on it stays while that
 * connection is open, so the caller may enter its pid namespace. */
#define NLAB_SHIM_HELLO 'h'
/* Sent back for a registration, once the supervisor watches the container. */
#define NLAB_SHIM_ACK 'k'

/* One SOCK_SEQPACKET message; the fds ride along in SCM_RIGHTS: output first, then stdin. */
struct nlab_shim_reg {
        char id[65];
        int pid;        /* the container's first process, in the supervisor's pid namespace */
        int has_output; /* detached output to relay into the log (pipe or pty) */
        int has_stdin;  /* detached -i: the write end of stdin, held open */
        uint64_t max_size;
        uint32_t max_file;
        char log_path[PATH_MAX];
};

#endif
