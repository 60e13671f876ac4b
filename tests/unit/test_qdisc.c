/* The netlink requests for link conditions, built with libnl and read back attribute by
 * attribute (no root, nothing sent): this kernel has no sch_netem, so the netem path is checked
 * here on the messages it would send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/utils.h>

#include "runtime/kernel/qdisc.h"

struct req {
        struct nlmsghdr *h;
        struct tcmsg *tc;
        struct nlattr *tb[TCA_MAX + 1];
};

static void read_req(struct nl_msg *msg, struct req *r)
{
        assert_non_null(msg);
        r->h = nlmsg_hdr(msg);
        assert_int_equal(r->h->nlmsg_type, RTM_NEWQDISC);
        r->tc = nlmsg_data(r->h);
        assert_int_equal(nlmsg_parse(r->h, sizeof(struct tcmsg), r->tb, TCA_MAX, NULL), 0);
        assert_non_null(r->tb[TCA_KIND]);
        assert_non_null(r->tb[TCA_OPTIONS]);
}

static struct nlab_linkcond cond(const char *rate, const char *delay, const char *jitter,
                                 const char *loss)
{
        struct nlab_linkcond c = {0};
        struct nlab_err err = {0};

        if ((rate && nlab_linkcond_set(&c, "rate", rate, &err) < 0) ||
            (delay && nlab_linkcond_set(&c, "delay", delay, &err) < 0) ||
            (jitter && nlab_linkcond_set(&c, "jitter", jitter, &err) < 0) ||
            (loss && nlab_linkcond_set(&c, "loss", loss, &err) < 0))
                fail_msg("%s", err.msg);
        return c;
}

/* netem's options are its struct followed by optional attributes, all in TCA_OPTIONS. */
static struct tc_netem_qopt netem_opts(const struct req *r)
{
        struct tc_netem_qopt q;

        assert_string_equal(nla_get_string(r->tb[TCA_KIND]), "netem");
        assert_true(nla_len(r->tb[TCA_OPTIONS]) >= (int)sizeof(q));
        memcpy(&q, nla_data(r->tb[TCA_OPTIONS]), sizeof(q));
        return q;
}

static struct tc_tbf_qopt tbf_opts(const struct req *r)
{
        struct nlattr *tb[TCA_TBF_MAX + 1];
        struct tc_tbf_qopt q;

        assert_string_equal(nla_get_string(r->tb[TCA_KIND]), "tbf");
        assert_int_equal(nla_parse_nested(tb, TCA_TBF_MAX, r->tb[TCA_OPTIONS], NULL), 0);
        assert_non_null(tb[TCA_TBF_PARMS]);
        assert_non_null(tb[TCA_TBF_RTAB]);
        memcpy(&q, nla_data(tb[TCA_TBF_PARMS]), sizeof(q));
        return q;
}

static void test_rate_alone_is_tbf_at_the_root(void **state)
{
        struct nlab_linkcond c = cond("10mbit", NULL, NULL, NULL);
        struct nl_msg *root = NULL, *child = (void *)1;
        struct nlab_err err = {0};
        struct tc_tbf_qopt q;
        struct req r;

        (void)state;
        assert_int_equal(nlab_qdisc_build(&c, 7, 0x10000, &root, &child, &err), 0);
        assert_null(child);
        read_req(root, &r);
        assert_int_equal(r.tc->tcm_ifindex, 7);
        assert_int_equal(r.tc->tcm_parent, TC_H_ROOT);
        assert_int_equal(r.tc->tcm_handle, 0x10000);
        /* replace: the kernel builds the new one before the old one goes */
        assert_int_equal(r.h->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_EXCL),
                         NLM_F_CREATE | NLM_F_REPLACE);
        q = tbf_opts(&r);
        assert_int_equal(q.rate.rate, 10000000 / 8);
        assert_int_equal(q.limit, 25000 + 125000); /* a 20 ms bucket and a 100 ms queue */
        assert_int_equal(q.buffer, nl_us2ticks(20000));
        nlmsg_free(root);
}

static void test_delay_jitter_loss_is_netem(void **state)
{
        struct nlab_linkcond c = cond(NULL, "50ms", "5ms", "1%");
        struct nl_msg *root = NULL, *child = (void *)1;
        struct nlab_err err = {0};
        struct tc_netem_qopt q;
        struct req r;

        (void)state;
        assert_int_equal(nlab_qdisc_build(&c, 3, 0x20000, &root, &child, &err), 0);
        assert_null(child);
        read_req(root, &r);
        assert_int_equal(r.tc->tcm_ifindex, 3);
        assert_int_equal(r.tc->tcm_parent, TC_H_ROOT);
        assert_int_equal(r.tc->tcm_handle, 0x20000);
        q = netem_opts(&r);
        assert_int_equal(q.latency, nl_us2ticks(50000));
        assert_int_equal(q.jitter, nl_us2ticks(5000));
        assert_int_equal(q.loss, 42949673); /* 1% of UINT32_MAX, as tc writes it */
        assert_int_equal(q.limit, 1000);    /* netem's default queue, in packets */
        assert_int_equal(q.duplicate, 0);
        assert_int_equal(q.gap, 0);
        nlmsg_free(root);
}

static void test_loss_alone(void **state)
{
        struct nlab_linkcond c = cond(NULL, NULL, NULL, "0.5%");
        struct nl_msg *root = NULL, *child = (void *)1;
        struct nlab_err err = {0};
        struct tc_netem_qopt q;
        struct req r;

        (void)state;
        assert_int_equal(nlab_qdisc_build(&c, 3, 0x10000, &root, &child, &err), 0);
        assert_null(child);
        read_req(root, &r);
        q = netem_opts(&r);
        assert_int_equal(q.latency, 0);
        assert_int_equal(q.jitter, 0);
        assert_int_equal(q.loss, 21474836);
        nlmsg_free(root);
}

/* tc-netem(8): netem at the root (handle 1:), tbf added as its child under 1:1. */
static void test_rate_and_delay_is_tbf_under_netem(void **state)
{
        struct nlab_linkcond c = cond("50mbit", "20ms", NULL, NULL);
        struct nl_msg *root = NULL, *child = NULL;
        struct nlab_err err = {0};
        struct tc_netem_qopt nq;
        struct tc_tbf_qopt tq;
        struct req r;

        (void)state;
        assert_int_equal(nlab_qdisc_build(&c, 9, 0x10000, &root, &child, &err), 0);
        read_req(root, &r);
        assert_int_equal(r.tc->tcm_parent, TC_H_ROOT);
        assert_int_equal(r.tc->tcm_handle, 0x10000);
        nq = netem_opts(&r);
        assert_int_equal(nq.latency, nl_us2ticks(20000));
        assert_int_equal(nq.loss, 0);
        read_req(child, &r);
        assert_int_equal(r.tc->tcm_ifindex, 9);
        assert_int_equal(r.tc->tcm_parent, TC_H_MAKE(0x10000, 1));
        assert_int_equal(r.tc->tcm_handle, 0x110000);
        /* the child is new under a new root: it must not replace anything */
        assert_int_equal(r.h->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE | NLM_F_EXCL),
                         NLM_F_CREATE | NLM_F_EXCL);
        tq = tbf_opts(&r);
        assert_int_equal(tq.rate.rate, 50000000 / 8);
        nlmsg_free(root);
        nlmsg_free(child);
}

static void test_handles_alternate(void **state)
{
        (void)state;
        assert_int_equal(nlab_qdisc_next_handle(0), 0x10000);
        assert_int_equal(nlab_qdisc_next_handle(0x10000), 0x20000);
        assert_int_equal(nlab_qdisc_next_handle(0x20000), 0x10000);
        assert_int_equal(nlab_qdisc_next_handle(0x80010000), 0x10000); /* someone else's */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rate_alone_is_tbf_at_the_root),
            cmocka_unit_test(test_delay_jitter_loss_is_netem),
            cmocka_unit_test(test_loss_alone),
            cmocka_unit_test(test_rate_and_delay_is_tbf_under_netem),
            cmocka_unit_test(test_handles_alternate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
