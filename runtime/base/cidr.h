/* IPv4 addresses and prefixes as text: the one parser and formatter for A.B.C.D and A.B.C.D/N.
 * Pure, below everything that handles addresses (the firewall, IPAM, records). */
#ifndef NLAB_CIDR_H
#define NLAB_CIDR_H

#include <netinet/in.h>

#include "runtime/base/err.h"

#define NLAB_CIDR_STRLEN 19 /* "255.255.255.255/32" and the NUL */

struct nlab_subnet {
        struct in_addr net; /* host bits always zero */
        unsigned prefix;    /* 0..32 */
};

/* "10.89.0.0/24"; like Docker, "10.89.0.5/24" is accepted and normalised to 10.89.0.0/24. */
int nlab_cidr_parse(const char *s, struct nlab_subnet *out, struct nlab_err *err);
/* A plain dotted quad. `what` names the value in errors ("gateway", "--ip"). */
int nlab_ip_parse(const char *s, const char *what, struct in_addr *out, struct nlab_err *err);
/* Writes "10.89.0.0/24" into buf (NLAB_CIDR_STRLEN bytes) and returns buf. */
char *nlab_cidr_format(const struct nlab_subnet *s, char *buf);

#endif
