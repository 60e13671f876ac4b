#include "runtime/kernel/qdisc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "runtime/kernel/link.h"

#define HANDLE_A    0x00010000U /* 1: */
#define HANDLE_B    0x00020000U /* 2: */
#define CHILD_MAJOR 0x00100000U /* tbf under netem: 11: under 1:, 12: under 2: */

uint32_t nlab_qdisc_next_handle(uint32_t current_root)
{
        return current_root == HANDLE_A ? HANDLE_B : HANDLE_A;
}

static struct rtnl_qdisc *new_qdisc(int ifindex, uint32_t parent, uint32_t handle, const char *kind)
{
        struct rtnl_qdisc *q = rtnl_qdisc_alloc();

        if (!q)
                return NULL;
        rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
        rtnl_tc_set_parent(TC_CAST(q), parent);
        rtnl_tc_set_handle(TC_CAST(q), handle);
        if (rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
                rtnl_qdisc_put(q);
                return NULL;
        }
        return q;
}

/* The bucket holds 20 ms of the rate (at least two full frames), the queue 100 ms more: a
 * bucket below one frame would drop every full-size packet, a long queue only adds delay. */
static struct rtnl_qdisc *tbf_qdisc(uint64_t bits, int ifindex, uint32_t parent, uint32_t handle)
{
        uint64_t bytes = bits / 8, bucket = bytes / 50, queue = bytes / 10;
        struct rtnl_qdisc *q = new_qdisc(ifindex, parent, handle, "tbf");

        if (!q)
                return NULL;
        if (bucket < 3200)
                bucket = 3200;
        if (queue < 3200)
                queue = 3200;
        rtnl_qdisc_tbf_set_rate(q, (int)bytes, (int)bucket, 0);
        rtnl_qdisc_tbf_set_limit(q, (int)(bucket + queue));
        return q;
}

static struct rtnl_qdisc *netem_qdisc(const struct nlab_linkcond *c, int ifindex, uint32_t handle)
{
        struct rtnl_qdisc *q = new_qdisc(ifindex, TC_H_ROOT, handle, "netem");

        if (!q)
                return NULL;
        if (c->set & NLAB_LC_DELAY)
                rtnl_netem_set_delay(q, (int)c->delay_us);
        if (c->set & NLAB_LC_JITTER)
                rtnl_netem_set_jitter(q, (int)c->jitter_us);
        if (c->set & NLAB_LC_LOSS)
                rtnl_netem_set_loss(q, (int)c->loss); /* the kernel's u32, carried in an int */
        return q;
}

static int build_one(struct rtnl_qdisc *q, int flags, struct nl_msg **msg, struct nlab_err *err)
{
        int r;

        if (!q)
                return nlab_err_sys(err, ENOMEM, "qdisc");
        r = rtnl_qdisc_build_add_request(q, flags, msg);
        rtnl_qdisc_put(q);
        if (r < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "qdisc: %s", nl_geterror(r));
        return 0;
}

int nlab_qdisc_build(const struct nlab_linkcond *c, int ifindex, uint32_t root_handle,
                     struct nl_msg **root, struct nl_msg **child, struct nlab_err *err)
{
        uint32_t child_handle = root_handle + CHILD_MAJOR;
        struct rtnl_qdisc *q;

        assert(c && root && child);
        *root = *child = NULL;
        if (!(c->set & NLAB_LC_NETEM))
                return build_one(tbf_qdisc(c->rate, ifindex, TC_H_ROOT, root_handle),
                                 NLM_F_CREATE | NLM_F_REPLACE, root, err);
        if (build_one(netem_qdisc(c, ifindex, root_handle), NLM_F_CREATE | NLM_F_REPLACE, root,
                      err) < 0)
                return -1;
        if (!(c->set & NLAB_LC_RATE))
                return 0;
        q = tbf_qdisc(c->rate, ifindex, TC_H_MAKE(root_handle, 1), child_handle);
        if (build_one(q, NLM_F_CREATE | NLM_F_EXCL, child, err) < 0) {
                nlmsg_free(*root);
                *root = NULL;
                return -1;
        }
        return 0;
}

/* The interface's root discipline (put it), NULL when the kernel's default (handle 0) is. */
static int get_root(struct nlab_nl *nl, int ifindex, struct nl_cache **cache,
                    struct rtnl_qdisc **root, struct nlab_err *err)
{
        int r = rtnl_qdisc_alloc_cache(nl->sk, cache);

        *root = NULL;
        if (r < 0)
                return nlab_nl_fail(nl, r, err, "list qdiscs");
        *root = rtnl_qdisc_get_by_parent(*cache, ifindex, TC_H_ROOT);
        if (*root && rtnl_tc_get_handle(TC_CAST(*root)) == 0) {
                rtnl_qdisc_put(*root);
                *root = NULL;
        }
        return 0;
}

static int delete_root(struct nlab_nl *nl, const char *ifname, struct rtnl_qdisc *root,
                       struct nlab_err *err)
{
        int r = rtnl_qdisc_delete(nl->sk, root);

        if (r < 0)
                return nlab_nl_fail(nl, r, err, "interface %s: remove qdisc", ifname);
        return 0;
}

static int netem_missing(const struct nlab_linkcond *c, struct nlab_err *err)
{
        const char *flag = (c->set & NLAB_LC_DELAY) ? "--delay" : "--loss";

        return nlab_err_set(err, NLAB_E_INVALID,
                            "%s needs the kernel's sch_netem qdisc, which this kernel does not "
                            "have (modprobe sch_netem)",
                            flag);
}

/* After the swap: tbf under netem. On failure, back to the default rather than half. */
static int add_child(struct nlab_nl *nl, const char *ifname, int ifindex, uint32_t handle,
                     struct nl_msg *child, struct nlab_err *err)
{
        struct nl_cache *cache = NULL;
        struct rtnl_qdisc *root = NULL;
        int r = nl_send_sync(nl->sk, child);

        if (r >= 0)
                return 0;
        nlab_nl_fail(nl, r, err, "interface %s: qdisc tbf under netem", ifname);
        if (get_root(nl, ifindex, &cache, &root, NULL) == 0 && root &&
            rtnl_tc_get_handle(TC_CAST(root)) == handle)
                delete_root(nl, ifname, root, NULL);
        if (root)
                rtnl_qdisc_put(root);
        nl_cache_free(cache);
        return -1;
}

int nlab_qdisc_apply(struct nlab_nl *nl, const char *ifname, const struct nlab_linkcond *c,
                     struct nlab_err *err)
{
        struct nl_msg *root_msg = NULL, *child_msg = NULL;
        struct nl_cache *cache = NULL;
        struct rtnl_qdisc *root = NULL;
        uint32_t handle;
        int ifindex, r;

        assert(nl && ifname && c);
        if (nlab_linkcond_check(c, err) < 0 || nlab_link_ifindex(nl, ifname, &ifindex, err) < 0 ||
            get_root(nl, ifindex, &cache, &root, err) < 0)
                return -1;
        handle = nlab_qdisc_next_handle(root ? rtnl_tc_get_handle(TC_CAST(root)) : 0);
        if (root)
                rtnl_qdisc_put(root);
        nl_cache_free(cache);
        if (nlab_qdisc_build(c, ifindex, handle, &root_msg, &child_msg, err) < 0)
                return -1;
        r = nl_send_sync(nl->sk, root_msg); /* frees the message */
        if (r < 0) {
                if (child_msg)
                        nlmsg_free(child_msg);
                nlab_nl_fail(nl, r, err, "interface %s: qdisc %s", ifname,
                             (c->set & NLAB_LC_NETEM) ? "netem" : "tbf");
                if (err && err->errnum == ENOENT && (c->set & NLAB_LC_NETEM))
                        return netem_missing(c, err);
                return -1;
        }
        if (child_msg)
                return add_child(nl, ifname, ifindex, handle, child_msg, err);
        return 0;
}

static void read_netem(struct rtnl_qdisc *q, struct nlab_linkcond *c)
{
        int delay = rtnl_netem_get_delay(q), jitter = rtnl_netem_get_jitter(q);
        uint32_t loss = (uint32_t)rtnl_netem_get_loss(q);

        if (delay > 0) {
                c->delay_us = (uint32_t)delay;
                c->set |= NLAB_LC_DELAY;
        }
        if (jitter > 0) {
                c->jitter_us = (uint32_t)jitter;
                c->set |= NLAB_LC_JITTER;
        }
        /* a netem with nothing else still shows, as the --loss 0% it was made with */
        if (loss || !c->set) {
                c->loss = loss;
                c->set |= NLAB_LC_LOSS;
        }
}

static void read_tbf(struct rtnl_qdisc *q, struct nlab_linkcond *c)
{
        int rate = rtnl_qdisc_tbf_get_rate(q);

        if (rate > 0) {
                c->rate = (uint64_t)rate * 8;
                c->set |= NLAB_LC_RATE;
        }
}

static int kind_is(struct rtnl_qdisc *q, const char *kind)
{
        const char *k = rtnl_tc_get_kind(TC_CAST(q));

        return k && !strcmp(k, kind);
}

int nlab_qdisc_read(struct nlab_nl *nl, const char *ifname, struct nlab_qdisc_state *out,
                    struct nlab_err *err)
{
        struct nl_cache *cache = NULL;
        struct rtnl_qdisc *root = NULL, *child;
        int ifindex;

        assert(nl && ifname && out);
        memset(out, 0, sizeof(*out));
        if (nlab_link_ifindex(nl, ifname, &ifindex, err) < 0 ||
            get_root(nl, ifindex, &cache, &root, err) < 0)
                return -1;
        if (root && kind_is(root, "tbf")) {
                read_tbf(root, &out->cond);
        } else if (root && kind_is(root, "netem")) {
                read_netem(root, &out->cond);
                child = rtnl_qdisc_get_by_parent(cache, ifindex,
                                                 TC_H_MAKE(rtnl_tc_get_handle(TC_CAST(root)), 1));
                if (child && kind_is(child, "tbf"))
                        read_tbf(child, &out->cond);
                if (child)
                        rtnl_qdisc_put(child);
        } else if (root) {
                const char *k = rtnl_tc_get_kind(TC_CAST(root));
                snprintf(out->other, sizeof(out->other), "%s", k ? k : "?");
        }
        if (root)
                rtnl_qdisc_put(root);
        nl_cache_free(cache);
        return 0;
}

int nlab_qdisc_reset(struct nlab_nl *nl, const char *ifname, struct nlab_err *err)
{
        struct nl_cache *cache = NULL;
        struct rtnl_qdisc *root = NULL;
        int ifindex, r = 0;

        assert(nl && ifname);
        if (nlab_link_ifindex(nl, ifname, &ifindex, err) < 0 ||
            get_root(nl, ifindex, &cache, &root, err) < 0)
                return -1;
        if (root) {
                r = delete_root(nl, ifname, root, err);
                rtnl_qdisc_put(root);
        }
        nl_cache_free(cache);
        return r;
}
