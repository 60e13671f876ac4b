/* DNS wire codec: strict, bounds-checked parsing and building. Touches no sockets. */
#ifndef NLAB_DNS_WIRE_H
#define NLAB_DNS_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NLAB_DNS_HDRLEN   12
#define NLAB_DNS_MAXNAME  255 /* wire length, including the root label */
#define NLAB_DNS_MAXLABEL 63
#define NLAB_DNS_UDPMIN   512
#define NLAB_DNS_EDNSMAX  4096 /* the UDP size we advertise and accept at most */
#define NLAB_DNS_MAXMSG   65535
/* Dotted text of a name: odd bytes are escaped as \DDD, so up to four characters per byte. */
#define NLAB_DNS_NAMEBUF 1024

enum nlab_dns_rcode {
        NLAB_DNS_NOERROR = 0,
        NLAB_DNS_FORMERR = 1,
        NLAB_DNS_SERVFAIL = 2,
        NLAB_DNS_NXDOMAIN = 3,
        NLAB_DNS_NOTIMP = 4,
        NLAB_DNS_REFUSED = 5,
        NLAB_DNS_BADVERS = 16, /* extended: needs OPT */
};

enum nlab_dns_type {
        NLAB_DNS_T_A = 1,
        NLAB_DNS_T_NS = 2,
        NLAB_DNS_T_CNAME = 5,
        NLAB_DNS_T_SOA = 6,
        NLAB_DNS_T_PTR = 12,
        NLAB_DNS_T_MX = 15,
        NLAB_DNS_T_TXT = 16,
        NLAB_DNS_T_AAAA = 28,
        NLAB_DNS_T_OPT = 41,
        NLAB_DNS_T_ANY = 255,
};

#define NLAB_DNS_C_IN 1

/* Header flag bits. */
#define NLAB_DNS_F_QR     0x8000
#define NLAB_DNS_F_OPCODE 0x7800
#define NLAB_DNS_F_AA     0x0400
#define NLAB_DNS_F_TC     0x0200
#define NLAB_DNS_F_RD     0x0100
#define NLAB_DNS_F_RA     0x0080
#define NLAB_DNS_F_CD     0x0010
#define NLAB_DNS_F_RCODE  0x000f

struct nlab_dns_header {
        uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* A parsed query: header, its single question, and its EDNS0 OPT if any. */
struct nlab_dns_query {
        struct nlab_dns_header hdr;
        char qname[NLAB_DNS_NAMEBUF]; /* dotted, lower case, no trailing dot; "" is the root */
        uint16_t qtype, qclass;
        size_t question_end; /* offset just after the question in the packet */
        bool has_edns;
        uint16_t edns_size; /* client's UDP payload size, at least 512 */
        uint8_t edns_version;
        bool edns_do;
};

/* One resource record as found by nlab_dns_next_rr. */
struct nlab_dns_rr {
        uint16_t type, rclass;
        uint32_t ttl;
        size_t ttl_off; /* where the TTL sits in the packet, to age cached answers */
        uint16_t rdlength;
        size_t rdata_off;
};

enum nlab_dns_parse_result {
        NLAB_DNS_PARSE_OK = 0,
        NLAB_DNS_PARSE_DROP = -1, /* not answerable: shorter than a header, or a response */
};

int nlab_dns_parse_header(const uint8_t *buf, size_t len, struct nlab_dns_header *h);

/*
 * Read the (possibly compressed) name at *off into out as a dotted lower-case string and advance
 * *off past it in the packet. Returns 0, or -1 on truncation, a pointer loop, a forward or
 * out-of-range pointer, a label over 63 bytes, a name over 255 bytes or a reserved label type.
 */
int nlab_dns_read_name(const uint8_t *buf, size_t len, size_t *off, char out[NLAB_DNS_NAMEBUF]);
/* Advance *off past a name without decoding it; same checks. */
int nlab_dns_skip_name(const uint8_t *buf, size_t len, size_t *off);

/* Parse the RR at *off and advance *off past it. */
int nlab_dns_next_rr(const uint8_t *buf, size_t len, size_t *off, struct nlab_dns_rr *rr);

/*
 * Parse a query. Returns NLAB_DNS_PARSE_OK, NLAB_DNS_PARSE_DROP, or an rcode (FORMERR, NOTIMP)
 * to answer with nlab_dns_build_error; q->hdr is valid whenever the result is not DROP.
 */
int nlab_dns_parse_query(const uint8_t *buf, size_t len, struct nlab_dns_query *q);

/* Encode a dotted name in wire form (uncompressed). Returns its length or -1. */
int nlab_dns_encode_name(const char *name, uint8_t *out, size_t cap);

/* A recursive (RD) query for the A record of name. Returns its length, or -1 for an empty or
 * malformed name or a buffer too small. */
int nlab_dns_build_query(const char *name, uint16_t id, uint8_t *buf, size_t cap);

/* Parse "1.2.3.4"-style reverse names: "4.3.2.1.in-addr.arpa" -> 1.2.3.4. */
bool nlab_dns_ptr_to_addr(const char *qname, struct in_addr *addr);

/* Building a response into a caller's buffer. */
struct nlab_dns_builder {
        uint8_t *buf;
        size_t cap;
        size_t len;
        size_t question_end;
        uint16_t ancount;
        int rcode;
        bool overflow;
};

/* Header + the query's question copied verbatim (keeps the asker's letter case). */
void nlab_dns_begin_response(struct nlab_dns_builder *b, uint8_t *buf, size_t cap,
                             const struct nlab_dns_query *q, const uint8_t *qbuf, int rcode,
                             bool authoritative);
void nlab_dns_add_a(struct nlab_dns_builder *b, uint32_t ttl, struct in_addr addr);
void nlab_dns_add_ptr(struct nlab_dns_builder *b, uint32_t ttl, const char *target);
/*
 * Append OPT when the query had one and apply the size limit: a response over limit keeps only
 * the header and question, with TC set. Returns the final length, or -1 if cap was too small.
 */
int nlab_dns_finish(struct nlab_dns_builder *b, const struct nlab_dns_query *q, size_t limit);

/* A complete response carrying only an rcode (SERVFAIL, NXDOMAIN, ...) for a parsed query. */
int nlab_dns_build_rcode(uint8_t *buf, size_t cap, const struct nlab_dns_query *q,
                         const uint8_t *qbuf, int rcode);
/* FORMERR/NOTIMP for a query whose question could not be trusted: header only. */
int nlab_dns_build_error(uint8_t *buf, size_t cap, const struct nlab_dns_header *h, int rcode);

/* The UDP size a client accepts for a response to q. */
size_t nlab_dns_udp_limit(const struct nlab_dns_query *q);

/*
 * For upstream responses: check that resp answers q (QR set, same question), lowest TTL over
 * all records except OPT (negative answers: the SOA's), -1 if none. Returns 0 if it matches.
 */
int nlab_dns_check_response(const uint8_t *resp, size_t len, const struct nlab_dns_query *q,
                            long *min_ttl);
/* Subtract elapsed seconds from every TTL except OPT's (for cached answers). */
int nlab_dns_age_ttls(uint8_t *buf, size_t len, uint32_t elapsed);
/* Remove a response's OPT when it is the last record (one we added); returns the new length. */
size_t nlab_dns_strip_opt(uint8_t *buf, size_t len);
/* Cut a response to header + question (+ its OPT) with TC set; returns the new length. */
size_t nlab_dns_truncate(uint8_t *buf, size_t len);

#endif
