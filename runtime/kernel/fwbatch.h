/* An nftables change as data: a list of libnftnl objects, each tagged with the netlink message that
 * carries it and the name of what it is for. Built without I/O, rendered as text for golden tests,
 * sent by firewall.c as one atomic netlink batch. */
#ifndef NLAB_FWBATCH_H
#define NLAB_FWBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"

struct nftnl_table;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_rule;

enum nlab_fwb_kind {
        NLAB_FWB_TABLE,
        NLAB_FWB_CHAIN,
        NLAB_FWB_SET,
        NLAB_FWB_RULE,
        NLAB_FWB_ELEMS, /* a struct nftnl_set carrying elements */
};

struct nlab_fwb_msg {
        uint16_t type;   /* NFT_MSG_NEWTABLE, ... */
        uint16_t family; /* NFPROTO_INET, NFPROTO_BRIDGE */
        uint16_t flags;  /* NLM_F_CREATE, NLM_F_EXCL; NLM_F_ACK is added on send */
        enum nlab_fwb_kind kind;
        void *obj;  /* owned */
        char *what; /* "port 8080/tcp": names the object in errors */
        char *text; /* one-line human summary for the rendering */
};

struct nlab_fwb {
        struct nlab_fwb_msg *msgs;
        size_t n, cap;
};

void nlab_fwb_init(struct nlab_fwb *b);
void nlab_fwb_free(struct nlab_fwb *b);

/* Append a message; takes ownership of obj on success and on failure. */
int nlab_fwb_push(struct nlab_fwb *b, uint16_t type, uint16_t family, uint16_t flags,
                  enum nlab_fwb_kind kind, void *obj, const char *what, const char *text,
                  struct nlab_err *err);

/* A set (or map) of a table, as declared; decl is nft's own text of it, for the rendering. */
struct nlab_fwb_set {
        uint16_t family;
        const char *name;
        uint32_t key_type, key_len, data_type, data_len, flags; /* NFT_SET_MAP, _INTERVAL, ... */
        const char *decl;
        uint8_t fields[2]; /* a concatenated interval set: each field's length; else 0 */
};
/* A reference to set name of table (to declare it, or to carry elements); NULL on ENOMEM. */
struct nftnl_set *nlab_fwb_set_ref(uint16_t family, const char *table, const char *name);
/* Append the declaration of d (id: its batch-local NFTNL_SET_ID). */
int nlab_fwb_push_set(struct nlab_fwb *b, const char *table, const struct nlab_fwb_set *d,
                      uint32_t id, uint16_t nlm_flags, struct nlab_err *err);

/* Readable text of the whole batch (summaries plus rule bytecode); malloc'd, NULL on ENOMEM. */
char *nlab_fwb_render(const struct nlab_fwb *b);

/* Serialize into one netlink batch (begin, messages with NLM_F_ACK, end). seq of message i is
 * first_seq + 1 + i. Returns a malloc'd buffer and its length, or NULL. */
void *nlab_fwb_serialize(const struct nlab_fwb *b, uint32_t first_seq, size_t *len,
                         struct nlab_err *err);

/* Rule expression helpers (registers as in nf_tables.h). Each returns 0 or -1 on ENOMEM. */
int nlab_fwr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
int nlab_fwr_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data, uint32_t len);
int nlab_fwr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len,
                     uint32_t dreg);
int nlab_fwr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, int has_dreg,
                    uint32_t dreg, int invert);
int nlab_fwr_fib_local(struct nftnl_rule *r, uint32_t dreg);
int nlab_fwr_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
/* reg = (reg & mask) ^ xor, on 4 bytes */
int nlab_fwr_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t mask, uint32_t xor);
int nlab_fwr_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits);
int nlab_fwr_dnat(struct nftnl_rule *r, uint32_t addr_reg, uint32_t proto_reg);
int nlab_fwr_masq(struct nftnl_rule *r);
int nlab_fwr_verdict(struct nftnl_rule *r, int verdict);

#endif
