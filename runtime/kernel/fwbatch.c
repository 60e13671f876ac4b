#include "runtime/kernel/fwbatch.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

void nlab_fwb_init(struct nlab_fwb *b)
{
        assert(b);
        memset(b, 0, sizeof(*b));
}

static void free_obj(enum nlab_fwb_kind kind, void *obj)
{
        if (!obj)
                return;
        switch (kind) {
        case NLAB_FWB_TABLE:
                nftnl_table_free(obj);
                break;
        case NLAB_FWB_CHAIN:
                nftnl_chain_free(obj);
                break;
        case NLAB_FWB_SET:
        case NLAB_FWB_ELEMS:
                nftnl_set_free(obj);
                break;
        case NLAB_FWB_RULE:
                nftnl_rule_free(obj);
                break;
        }
}

void nlab_fwb_free(struct nlab_fwb *b)
{
        if (!b)
                return;
        for (size_t i = 0; i < b->n; i++) {
                free_obj(b->msgs[i].kind, b->msgs[i].obj);
                free(b->msgs[i].what);
                free(b->msgs[i].text);
        }
        free(b->msgs);
        memset(b, 0, sizeof(*b));
}

int nlab_fwb_push(struct nlab_fwb *b, uint16_t type, uint16_t family, uint16_t flags,
                  enum nlab_fwb_kind kind, void *obj, const char *what, const char *text,
                  struct nlab_err *err)
{
        struct nlab_fwb_msg *m;

        assert(b && what && text);
        if (!obj)
                return nlab_err_sys(err, ENOMEM, "%s", what);
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 16;
                struct nlab_fwb_msg *v = realloc(b->msgs, cap * sizeof(*v));

                if (!v) {
                        free_obj(kind, obj);
                        return nlab_err_sys(err, ENOMEM, "%s", what);
                }
                b->msgs = v;
                b->cap = cap;
        }
        m = &b->msgs[b->n];
        *m = (struct nlab_fwb_msg){.type = type,
                                   .family = family,
                                   .flags = flags,
                                   .kind = kind,
                                   .obj = obj,
                                   .what = strdup(what),
                                   .text = strdup(text)};
        if (!m->what || !m->text) {
                free(m->what);
                free(m->text);
                free_obj(kind, obj);
                return nlab_err_sys(err, ENOMEM, "%s", what);
        }
        b->n++;
        return 0;
}

static void render_rule(FILE *f, const struct nftnl_rule *r)
{
        char buf[4096];
        const char *body;

        nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
        /* libnftnl prints "family table chain" first; the summary line already says that */
        body = strchr(buf, '\n');
        fputs(body ? body + 1 : buf, f);
}

static void hex(FILE *f, const char *label, const void *p, uint32_t len)
{
        const uint8_t *b = p;

        fprintf(f, " %s", label);
        for (uint32_t i = 0; i < len; i++)
                fprintf(f, "%s%02x", i % 4 ? "" : " ", b[i]);
}

/* The bytes actually sent: key, data and interval-end flag of each element. */
static void render_elems(FILE *f, const struct nftnl_set *s)
{
        struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
        struct nftnl_set_elem *e;

        while (it && (e = nftnl_set_elems_iter_next(it))) {
                const void *p;
                uint32_t len;

                fputs("  [", f);
                p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
                if (p)
                        hex(f, "key", p, len);
                p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
                if (p)
                        hex(f, "key-end", p, len);
                p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
                if (p)
                        hex(f, "data", p, len);
                if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                    nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END)
                        fputs(" interval-end", f);
                fputs(" ]\n", f);
        }
        if (it)
                nftnl_set_elems_iter_destroy(it);
}

char *nlab_fwb_render(const struct nlab_fwb *b)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        assert(b);
        f = open_memstream(&out, &len);
        if (!f)
                return NULL;
        for (size_t i = 0; i < b->n; i++) {
                const struct nlab_fwb_msg *m = &b->msgs[i];

                fprintf(f, "%s\n", m->text);
                if (m->kind == NLAB_FWB_RULE && nftnl_rule_is_set(m->obj, NFTNL_RULE_CHAIN))
                        render_rule(f, m->obj);
                if (m->kind == NLAB_FWB_ELEMS)
                        render_elems(f, m->obj);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static void build_payload(struct nlmsghdr *nlh, const struct nlab_fwb_msg *m)
{
        switch (m->kind) {
        case NLAB_FWB_TABLE:
                nftnl_table_nlmsg_build_payload(nlh, m->obj);
                break;
        case NLAB_FWB_CHAIN:
                nftnl_chain_nlmsg_build_payload(nlh, m->obj);
                break;
        case NLAB_FWB_SET:
                nftnl_set_nlmsg_build_payload(nlh, m->obj);
                break;
        case NLAB_FWB_ELEMS:
                nftnl_set_elems_nlmsg_build_payload(nlh, m->obj);
                break;
        case NLAB_FWB_RULE:
                nftnl_rule_nlmsg_build_payload(nlh, m->obj);
                break;
        }
}

/* Every message we build is far below this; the check below catches any that is not. */
#define NLAB_FWB_MSG_MAX 8192

void *nlab_fwb_serialize(const struct nlab_fwb *b, uint32_t first_seq, size_t *len,
                         struct nlab_err *err)
{
        size_t size = (b->n + 2) * NLAB_FWB_MSG_MAX;
        struct mnl_nlmsg_batch *batch;
        char *buf = malloc(size);
        uint32_t seq = first_seq;

        assert(b && len);
        if (!buf)
                return nlab_err_sys(err, ENOMEM, "nftables batch"), NULL;
        batch = mnl_nlmsg_batch_start(buf, size);
        if (!batch) {
                free(buf);
                return nlab_err_sys(err, ENOMEM, "nftables batch"), NULL;
        }
        nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
        mnl_nlmsg_batch_next(batch);
        for (size_t i = 0; i < b->n; i++) {
                const struct nlab_fwb_msg *m = &b->msgs[i];
                struct nlmsghdr *nlh;

                nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), m->type, m->family,
                                            m->flags | NLM_F_ACK, seq++);
                build_payload(nlh, m);
                if (nlh->nlmsg_len > NLAB_FWB_MSG_MAX) {
                        mnl_nlmsg_batch_stop(batch);
                        free(buf);
                        return nlab_err_set(err, NLAB_E_SYSTEM, "%s: netlink message too large",
                                            m->what),
                               NULL;
                }
                mnl_nlmsg_batch_next(batch);
        }
        nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq);
        mnl_nlmsg_batch_next(batch);
        *len = mnl_nlmsg_batch_size(batch);
        mnl_nlmsg_batch_stop(batch);
        return buf;
}

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
        if (!e)
                return -1;
        nftnl_rule_add_expr(r, e);
        return 0;
}

int nlab_fwr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
        struct nftnl_expr *e = nftnl_expr_alloc("meta");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
        return add_expr(r, e);
}

int nlab_fwr_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
        struct nftnl_expr *e = nftnl_expr_alloc("cmp");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
        return add_expr(r, e);
}

int nlab_fwr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len,
                     uint32_t dreg)
{
        struct nftnl_expr *e = nftnl_expr_alloc("payload");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
        return add_expr(r, e);
}

int nlab_fwr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, int has_dreg,
                    uint32_t dreg, int invert)
{
        struct nftnl_expr *e = nftnl_expr_alloc("lookup");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
        if (has_dreg)
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
        if (invert)
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
        return add_expr(r, e);
}

int nlab_fwr_fib_local(struct nftnl_rule *r, uint32_t dreg)
{
        struct nftnl_expr *e = nftnl_expr_alloc("fib");
        uint32_t local = 2; /* RTN_LOCAL */

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
        if (add_expr(r, e) < 0)
                return -1;
        return nlab_fwr_cmp(r, dreg, NFT_CMP_EQ, &local, sizeof(local));
}

int nlab_fwr_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
        struct nftnl_expr *e = nftnl_expr_alloc("meta");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
        return add_expr(r, e);
}

int nlab_fwr_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t mask, uint32_t xor)
{
        struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, sizeof(xor));
        return add_expr(r, e);
}

/* "ct state|status & bits != 0" into register 1. */
int nlab_fwr_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits)
{
        struct nftnl_expr *e = nftnl_expr_alloc("ct");
        uint32_t zero = 0;

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
        if (add_expr(r, e) < 0 || nlab_fwr_bitwise(r, NFT_REG_1, bits, 0) < 0)
                return -1;
        return nlab_fwr_cmp(r, NFT_REG_1, NFT_CMP_NEQ, &zero, sizeof(zero));
}

int nlab_fwr_dnat(struct nftnl_rule *r, uint32_t addr_reg, uint32_t proto_reg)
{
        struct nftnl_expr *e = nftnl_expr_alloc("nat");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
        return add_expr(r, e);
}

int nlab_fwr_masq(struct nftnl_rule *r)
{
        return add_expr(r, nftnl_expr_alloc("masq"));
}

int nlab_fwr_verdict(struct nftnl_rule *r, int verdict)
{
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");

        if (!e)
                return -1;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
        return add_expr(r, e);
}

struct nftnl_set *nlab_fwb_set_ref(uint16_t family, const char *table, const char *name)
{
        struct nftnl_set *s = nftnl_set_alloc();

        if (!s)
                return NULL;
        nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
        nftnl_set_set_str(s, NFTNL_SET_NAME, name);
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
        return s;
}

/* nft shows a plain ifname key as a string only if told it is in host byte order
 * (NFTNL_UDATA_SET_KEYBYTEORDER = BYTEORDER_HOST_ENDIAN), as nft itself records it. */
static void set_host_order(struct nftnl_set *s)
{
        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(16);

        if (!u)
                return;
        if (nftnl_udata_put_u32(u, 0, 1))
                nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
                                   nftnl_udata_buf_len(u));
        nftnl_udata_buf_free(u);
}

#define DT_IFNAME 41 /* nft's ifname datatype, as the key type of a set */

int nlab_fwb_push_set(struct nlab_fwb *b, const char *table, const struct nlab_fwb_set *d,
                      uint32_t id, uint16_t nlm_flags, struct nlab_err *err)
{
        struct nftnl_set *s = nlab_fwb_set_ref(d->family, table, d->name);
        const char *family = d->family == NFPROTO_BRIDGE ? "bridge" : "inet";
        char text[200], what[64];

        if (s) {
                nftnl_set_set_u32(s, NFTNL_SET_ID, id);
                nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
                nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
                nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
                if (d->fields[0])
                        nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, d->fields, sizeof(d->fields));
                if (d->key_type == DT_IFNAME)
                        set_host_order(s);
                if (d->flags & NFT_SET_MAP) {
                        nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
                        nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
                }
        }
        snprintf(text, sizeof(text), "add %s %s %s %s { %s; }",
                 d->flags & NFT_SET_MAP ? "map" : "set", family, table, d->name, d->decl);
        snprintf(what, sizeof(what), "nftables set %s %s", family, d->name);
        return nlab_fwb_push(b, NFT_MSG_NEWSET, d->family, nlm_flags, NLAB_FWB_SET, s, what, text,
                             err);
}
