/*
 * Test helper: a tiny upstream DNS server for the forwarding tests, run inside the sandbox.
 *   fake_upstream ADDR [--port N] [--answer IP] [--silent]
 * Only names under "example" exist: "fail*.example" gets SERVFAIL, "big*.example" 60 A records
 * (TC if they do not fit the client's size), "nx*.example" and every name outside "example"
 * NXDOMAIN with an SOA; any other *.example one A record (--answer, default 198.51.100.7),
 * TTL 300, and no answer for other types. --silent reads queries and never answers.
 * Every query is logged to stdout as "QUERY <name> <type>".
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/wire.h"

static size_t put_rr_header(uint8_t *p, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
        const uint8_t h[12] = {
            0xc0,       12,          type >> 8,          type & 0xff,       0,
            1,          ttl >> 24,   (ttl >> 16) & 0xff, (ttl >> 8) & 0xff, ttl & 0xff,
            rdlen >> 8, rdlen & 0xff};
        memcpy(p, h, sizeof(h));
        return sizeof(h);
}

static size_t add_soa(uint8_t *p)
{
        static const uint8_t rdata[] = {2, 'n', 's',  0xc0, 12, 4, 'h',  'o',  's', 't', 0xc0, 12,
                                        0, 0,   0,    1,    0,  0, 0x0e, 0x10, 0,   0,   0x0e, 0x10,
                                        0, 0,   0x0e, 0x10, 0,  0, 0,    30};
        size_t n = put_rr_header(p, NLAB_DNS_T_SOA, 30, sizeof(rdata));

        p[1] = 12; /* owner: the question name */
        memcpy(p + n, rdata, sizeof(rdata));
        return n + sizeof(rdata);
}

static size_t respond(const uint8_t *q, size_t qlen, const struct nlab_dns_query *pq,
                      struct in_addr answer, uint8_t *out)
{
        size_t len = pq->question_end, limit = nlab_dns_udp_limit(pq);
        uint16_t an = 0, ns = 0, rcode = 0;
        bool big = strncmp(pq->qname, "big", 3) == 0;
        size_t nlen = strlen(pq->qname);
        bool exists = nlen > 8 && strcmp(pq->qname + nlen - 8, ".example") == 0;

        (void)qlen;
        memcpy(out, q, len);
        if (!exists || strncmp(pq->qname, "nx", 2) == 0) {
                rcode = NLAB_DNS_NXDOMAIN;
                len += add_soa(out + len);
                ns = 1;
        } else if (strncmp(pq->qname, "fail", 4) == 0) {
                rcode = NLAB_DNS_SERVFAIL;
        } else if (pq->qtype == NLAB_DNS_T_A) {
                for (int i = 0; i < (big ? 60 : 1); i++) {
                        struct in_addr a = answer;

                        if (big)
                                a.s_addr = htonl(0xc6336400u + (uint32_t)i + 1); /* 198.51.100.x */
                        len += put_rr_header(out + len, NLAB_DNS_T_A, 300, 4);
                        memcpy(out + len, &a, 4);
                        len += 4;
                        an++;
                }
        }
        out[2] = 0x81 | (q[2] & 0x01); /* QR, RD copied */
        out[3] = (uint8_t)(0x80 | rcode);
        out[6] = 0, out[7] = (uint8_t)an;
        out[8] = 0, out[9] = (uint8_t)ns;
        out[10] = 0, out[11] = 0;
        if (len > limit) {
                len = pq->question_end;
                out[2] |= 0x02;
                out[7] = 0;
        }
        return len;
}

int main(int argc, char **argv)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
        struct in_addr answer;
        bool silent = false;
        int fd;

        inet_pton(AF_INET, "198.51.100.7", &answer);
        if (argc < 2 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
                fprintf(stderr, "usage: fake_upstream ADDR [--port N] [--answer IP] [--silent]\n");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
                        sa.sin_port = htons((uint16_t)atoi(argv[++i]));
                else if (strcmp(argv[i], "--answer") == 0 && i + 1 < argc)
                        inet_pton(AF_INET, argv[++i], &answer);
                else if (strcmp(argv[i], "--silent") == 0)
                        silent = true;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                perror("fake_upstream: bind");
                return 1;
        }
        for (;;) {
                uint8_t q[4096], out[8192];
                struct sockaddr_in from;
                socklen_t alen = sizeof(from);
                struct nlab_dns_query pq;
                ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &alen);

                if (n < 0 || nlab_dns_parse_query(q, (size_t)n, &pq) != NLAB_DNS_PARSE_OK)
                        continue;
                printf("QUERY %s %u\n", pq.qname, pq.qtype);
                if (silent)
                        continue;
                size_t len = respond(q, (size_t)n, &pq, answer, out);
                sendto(fd, out, len, 0, (struct sockaddr *)&from, alen);
        }
}
