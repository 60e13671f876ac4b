/* What `run` and `create` ask for, as the CLI parsed it: plain data, so the layers that each
 * take their part of it (ports, network modes, the container) need not know each other. */
#ifndef NLAB_RUNREQ_H
#define NLAB_RUNREQ_H

#include <stdbool.h>

#include "runtime/base/strv.h"

struct nlab_run_req {
        const char *name; /* NULL: a random one */
        const char *image;
        const char *hostname;
        const char *workdir;
        const char *network; /* NULL: the default bridge */
        const char *ip;
        const char *mac;
        const char *pids_limit, *memory, *cpus; /* NULL: the defaults (1024 pids, no others) */
        char *const *cmd; /* NULL-terminated; empty means the image's default (sh) */
        struct nlab_strv env, volumes, cap_add, cap_drop, add_hosts, dns, dns_search, dns_options,
            labels, aliases, publish, expose, security_opt, devices;
        struct nlab_strv sysctls;  /* --sysctl KEY=VALUE */
        struct nlab_strv log_opts; /* --log-opt KEY=VALUE */
        bool privileged, tty, interactive, autoremove, publish_all;
        bool init; /* --init: netlab-init runs the command as pid 1 would not */
};

#endif
