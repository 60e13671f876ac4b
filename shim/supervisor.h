/* The supervisor's state and event loop: connections from starts, the containers it watches
 * (output relayed into the log, reaped, torn down) and the teardowns it has started. */
#ifndef NLAB_SUPERVISOR_H
#define NLAB_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>

enum nlab_sup_kind { NLAB_SUP_LISTEN, NLAB_SUP_CHLD, NLAB_SUP_CLIENT, NLAB_SUP_OUTPUT };

/* What an epoll event points at: the first member of each watched object. */
struct nlab_sup_tag {
        enum nlab_sup_kind kind;
};

struct nlab_sup_ctr;
struct nlab_sup_client;

struct nlab_sup {
        const char *netlab, *root;
        int epfd, listen_fd, chld_fd;
        struct nlab_sup_tag listen_tag, chld_tag;
        struct nlab_sup_ctr *ctrs;
        struct nlab_sup_client *clients;
        int *teardowns; /* pids of the `netlab __shim-exit` children still running */
        size_t n_teardowns, cap_teardowns;
        bool served; /* had a connection: from then on, nothing left means done */
        char buf[16384];
};

int nlab_sup_init(struct nlab_sup *s, const char *netlab, const char *root);
/* Watch listen_fd and chld_fd (set by the caller). */
int nlab_sup_watch_fixed(struct nlab_sup *s);
/* The loop; returns the exit status once idle. */
int nlab_sup_run(struct nlab_sup *s);

#endif
