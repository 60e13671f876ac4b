/* The rootless lab host: a keeper process pair per (user, state root), and joining it.
 *
 * The outer half stays in the real host's namespaces: it owns <root>/keeper.sock (see
 * runtime/net/keepctl.h), the listeners of published ports (the port forwarder) and the lab
 * host's user-mode egress stack. The inner half is pid 1 of a new user,
 * pid, net, mount, uts and ipc namespace set: the lab host. Each dies with the other, and as
 * init of the pid namespace the inner takes every process of the lab with it. */
#ifndef NLAB_KEEPER_H
#define NLAB_KEEPER_H

#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/base/store.h"

enum nlab_idmap { NLAB_IDMAP_SUBIDS, NLAB_IDMAP_SINGLE };

struct nlab_keeper {
        int outer_pid, inner_pid;
        unsigned long long outer_start, inner_start;
        enum nlab_idmap idmap;
        int lock_fd;            /* <root>/keeper.lock while held, else -1 */
        int outer_fd, inner_fd; /* pidfds from nlab_keeper_ensure: they work after the join */
        char uid_map[128];      /* as the host sees it: "0 4242 1 1 100000 65536" */
        char gid_map[128];
};

/* What nlab_keeper_ensure had to do, for the CLI's note lines. */
struct nlab_keeper_news {
        bool started; /* a new lab host was started */
        int lost_pid; /* > 0: the outer pid of a lab host that was gone */
        char idmap_note[256];
        char cgroup_note[256];
        char egress_note[384]; /* no user-mode stack: what that costs */
};

/* The state root for rootless mode: flag, else $NETLAB_ROOT, else $XDG_RUNTIME_DIR/netlab,
 * else /tmp/netlab-UID. */
int nlab_keeper_default_root(const char *flag, char *buf, size_t size, struct nlab_err *err);

/* The state root of USER's lab (a name or a uid), for root to look into it: the rootless default
 * of that user, $XDG_RUNTIME_DIR being /run/user/UID, else /tmp/netlab-UID; one that exists. */
int nlab_keeper_user_root(const char *user, char *buf, size_t size, struct nlab_err *err);

/* Read <root>/keeper.pid: true and k filled when both halves are alive; false when there is
 * none (*lost_pid 0) or it is gone (*lost_pid names the dead outer, -1 if unreadable). */
bool nlab_keeper_find(const char *root, struct nlab_keeper *k, int *lost_pid);

/* Find the live keeper or start one, under <root>/keeper.lock, which stays held (k->lock_fd)
 * until nlab_keeper_release: a lost lab's records are cleared by the caller after joining. */
int nlab_keeper_ensure(const char *root, struct nlab_keeper *k, struct nlab_keeper_news *news,
                       struct nlab_err *err);
void nlab_keeper_release(struct nlab_keeper *k);

/* Enter the lab host: all its namespaces (user first), then uid and gid 0 inside. The working
 * directory is kept. New children land in its pid namespace; the caller itself does not. */
int nlab_keeper_join(const struct nlab_keeper *k, struct nlab_err *err);

/* Inside the lab host, after a keeper was lost: drop what its processes held (containers,
 * names, netns files, claims, DNS state); networks stay defined. *n_containers is how many. */
int nlab_keeper_forget(struct nlab_store *st, int *n_containers, struct nlab_err *err);

/* End the keeper (both halves, and with them every process of the lab), wait for it, and remove
 * its pidfile and socket. Through the pidfds, so from the host's pid namespace only: a process
 * in the lab's cannot signal its ancestors. */
int nlab_keeper_stop(const char *root, const struct nlab_keeper *k, struct nlab_err *err);

#endif
