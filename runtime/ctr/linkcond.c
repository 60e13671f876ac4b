#include "runtime/ctr/linkcond.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "runtime/base/proc.h"
#include "runtime/ctr/container.h"
#include "runtime/kernel/link.h"
#include "runtime/kernel/netlink.h"

enum op { OP_SET, OP_SHOW, OP_RESET };

/* The container's netns as a socket, its interface checked; *nl is the caller's to close. */
static int open_link(struct nlab_store *st, const char *ctr, const char *iface, struct nlab_nl **nl,
                     struct nlab_err *err)
{
        char id[NLAB_ID_LEN + 1], netns[NLAB_NETNS_PATH_LEN];
        struct nlab_ctr_config cfg = {0};
        struct nlab_ctr_state state;
        int r = -1;

        if (nlab_ifname_check(iface, err) < 0 || nlab_store_resolve(st, ctr, id, err) < 0 ||
            nlab_container_load(st, id, &cfg, &state, err) < 0)
                return -1;
        if (!nlab_container_running(&state)) {
                nlab_err_set(err, NLAB_E_INVALID,
                             "container %s is not running: link conditions live on its "
                             "interfaces, which exist only while it runs",
                             ctr);
                goto out;
        }
        /* its interfaces are the host's: shaping them would shape the host */
        if (!strcmp(cfg.network_mode, "host")) {
                nlab_err_set(err, NLAB_E_INVALID,
                             "container %s uses --network host: its interfaces are the host's, "
                             "which netlab does not change",
                             ctr);
                goto out;
        }
        *nl = nlab_nl_open(nlab_proc_netns_path(state.pid, netns), err);
        if (!*nl)
                goto out;
        r = nlab_link_lookup(*nl, iface, NULL, err);
        if (r == 0)
                nlab_err_set(err, NLAB_E_NOTFOUND, "container %s has no interface %s", ctr, iface);
        if (r <= 0) {
                nlab_nl_close(*nl);
                *nl = NULL;
                r = -1;
        } else {
                r = 0;
        }
out:
        nlab_ctr_config_free(&cfg);
        return r;
}

static int do_op(struct nlab_store *st, const char *target, enum op op,
                 const struct nlab_linkcond *c, struct nlab_qdisc_state *out, struct nlab_err *err)
{
        char ctr[256], iface[NLAB_IFNAMSIZ];
        struct nlab_nl *nl = NULL;
        int r;

        if (nlab_link_target_parse(target, ctr, sizeof(ctr), iface, sizeof(iface), err) < 0 ||
            (c && nlab_linkcond_check(c, err) < 0))
                return -1;
        /* changes take the lock, so a stop or another link set does not interleave */
        if (op != OP_SHOW && nlab_store_lock(st, err) < 0)
                return -1;
        r = open_link(st, ctr, iface, &nl, err);
        if (r == 0 && op == OP_SET)
                r = nlab_qdisc_apply(nl, iface, c, err);
        else if (r == 0 && op == OP_RESET)
                r = nlab_qdisc_reset(nl, iface, err);
        else if (r == 0)
                r = nlab_qdisc_read(nl, iface, out, err);
        if (r < 0 && err && err->kind == NLAB_E_SYSTEM)
                nlab_err_prefix(err, "container %s", ctr);
        nlab_nl_close(nl);
        if (op != OP_SHOW)
                nlab_store_unlock(st);
        return r;
}

int nlab_ctr_link_set(struct nlab_store *st, const char *target, const struct nlab_linkcond *c,
                      struct nlab_err *err)
{
        assert(st && target && c);
        return do_op(st, target, OP_SET, c, NULL, err);
}

int nlab_ctr_link_show(struct nlab_store *st, const char *target, struct nlab_qdisc_state *out,
                       struct nlab_err *err)
{
        assert(st && target && out);
        return do_op(st, target, OP_SHOW, NULL, out, err);
}

int nlab_ctr_link_reset(struct nlab_store *st, const char *target, struct nlab_err *err)
{
        assert(st && target);
        return do_op(st, target, OP_RESET, NULL, NULL, err);
}
