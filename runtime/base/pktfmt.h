/* A captured frame decoded by our own bounds-checked reader: Ethernet (802.1Q skipped), ARP, IPv4,
 * IPv6, ICMP, ICMPv6, TCP, UDP and DNS on port 53 (through dns/wire.c, the server's codec). Pure:
 * no sockets, no libpcap, so the fuzz target and unit tests feed it bytes. */
#ifndef NLAB_PKTFMT_H
#define NLAB_PKTFMT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, numbered as libpcap's DLT_* values. */
#define NLAB_PKT_LINK_ETHER 1
#define NLAB_PKT_LINK_RAW   12

enum nlab_pkt_proto {
        NLAB_PKT_OTHER = 0,
        NLAB_PKT_ARP,
        NLAB_PKT_ICMP, /* ICMP and ICMPv6 */
        NLAB_PKT_TCP,
        NLAB_PKT_UDP,
        NLAB_PKT_DNS, /* UDP or TCP with port 53 on one side and a DNS header that parses */
};

/* TCP flag bits as on the wire. */
#define NLAB_TCP_FIN 0x01
#define NLAB_TCP_SYN 0x02
#define NLAB_TCP_RST 0x04
#define NLAB_TCP_PSH 0x08
#define NLAB_TCP_ACK 0x10

#define NLAB_PKT_ADDRLEN 46 /* INET6_ADDRSTRLEN */
#define NLAB_PKT_NAMELEN 256

struct nlab_pkt {
        enum nlab_pkt_proto proto;
        uint8_t ipproto; /* IPPROTO_* of an IP packet (DNS rides on UDP or TCP), else 0 */
        int family;      /* AF_INET, AF_INET6, or 0 (ARP, other) */
        char src[NLAB_PKT_ADDRLEN], dst[NLAB_PKT_ADDRLEN]; /* IP addresses, or ARP sender/target */
        uint16_t sport, dport;
        uint8_t icmp_type, icmp_code;
        uint8_t tcp_flags;
        bool arp_reply;                   /* ARP: is-at; else who-has */
        bool dns_response;                /* DNS: QR set */
        char dns_qname[NLAB_PKT_NAMELEN]; /* DNS: the question, "" if none */
        uint16_t dns_qtype;
};

/* Decode one frame of caplen bytes (len on the wire) and write its readable summary, one line
 * without newline, into out ("IP 10.0.0.2 > 10.0.0.3: ICMP echo-request id 7 seq 1, length 64").
 * Never reads past caplen; a cut or malformed header ends the line with a note instead. pkt may be
 * NULL. Returns 0, or -1 when out is too small for anything (the line is then cut). */
int nlab_pkt_decode(const uint8_t *frame, size_t caplen, size_t len, int linktype,
                    struct nlab_pkt *pkt, char *out, size_t outsize);

/* "echo-request", "dest-unreachable"... for an ICMPv4 type; NULL if unknown. */
const char *nlab_pkt_icmp_name(uint8_t type);
/* The ICMPv4 type of a name above, or -1. */
int nlab_pkt_icmp_type(const char *name);

/* What a scenario's `expect capture` looks for, by protocol (addresses are the lab's to resolve):
 *   icmp [TYPE]             echo-request, echo-reply, dest-unreachable, ...
 *   tcp [syn|syn-ack|rst|fin]
 *   udp
 *   dns [query|response [NAME]]
 *   arp [who-has|is-at] */
struct nlab_pkt_pattern {
        enum nlab_pkt_proto proto;   /* NLAB_PKT_UDP and NLAB_PKT_TCP match DNS on them too */
        int what;                    /* -1: any; else an ICMP type, or an index per protocol */
        char name[NLAB_PKT_NAMELEN]; /* dns: the question, "" for any */
};

/* Parse words[0..n). Returns 0, or -1 with *bad the index of the word at fault and why filled. */
int nlab_pkt_pattern_parse(char *const *words, size_t n, struct nlab_pkt_pattern *pt, size_t *bad,
                           char *why, size_t size);
bool nlab_pkt_pattern_match(const struct nlab_pkt_pattern *pt, const struct nlab_pkt *p);
/* The pattern as written, normalized ("tcp syn", "dns query web"). */
void nlab_pkt_pattern_format(const struct nlab_pkt_pattern *pt, char *out, size_t size);

#endif
