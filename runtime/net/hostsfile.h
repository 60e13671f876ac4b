/* Pure builders for a container's /etc/hosts and /etc/resolv.conf. */
#ifndef NLAB_HOSTSFILE_H
#define NLAB_HOSTSFILE_H

#include <stddef.h>

#include "runtime/base/err.h"
#include "runtime/base/strv.h"

struct nlab_hosts_line {
        const char *ip;
        const char *names; /* space-separated */
};

/* Localhost block, then --add-host lines (already "NAME:IP" validated), then one line per
 * attached network. Returns a malloc'ed string. */
char *nlab_hosts_render(const struct nlab_strv *add_hosts, const struct nlab_hosts_line *own,
                        size_t n_own);

struct nlab_resolv_opts {
        const struct nlab_strv *nameservers; /* replaces the host's servers when non-empty */
        const struct nlab_strv *search;      /* replaces the host's search when non-empty */
        const struct nlab_strv *options;     /* appended to the host's options */
};

/* Docker's rule: start from the host's file, drop loopback nameservers (they mean nothing in
 * another network namespace), then apply the container's overrides. */
char *nlab_resolv_render(const char *host_text, const struct nlab_resolv_opts *o);

/* Validate "NAME:IP" for --add-host. */
int nlab_add_host_check(const char *spec, struct nlab_err *err);

#endif
