#include "runtime/base/cidr.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only plain decimal 0..32: no sign, no spaces, no leading zeros beyond "0". */
static int parse_prefix(const char *s, unsigned *out)
{
        size_t len = strlen(s);

        if (len < 1 || len > 2 || !isdigit((unsigned char)s[0]) ||
            (len == 2 && (!isdigit((unsigned char)s[1]) || s[0] == '0')))
                return -1;
        *out = (unsigned)atoi(s);
        return *out <= 32 ? 0 : -1;
}

int nlab_cidr_parse(const char *s, struct nlab_subnet *out, struct nlab_err *err)
{
        char ip[INET_ADDRSTRLEN];
        const char *slash;
        struct in_addr a;
        unsigned prefix;

        assert(s && out);
        slash = strchr(s, '/');
        if (!slash || (size_t)(slash - s) >= sizeof(ip))
                goto bad;
        memcpy(ip, s, slash - s);
        ip[slash - s] = '\0';
        if (inet_pton(AF_INET, ip, &a) != 1 || parse_prefix(slash + 1, &prefix) < 0)
                goto bad;
        out->prefix = prefix;
        out->net.s_addr = htonl(ntohl(a.s_addr) & (prefix ? 0xffffffffu << (32 - prefix) : 0));
        return 0;
bad:
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid CIDR \"%s\": expected A.B.C.D/N with N from 0 to 32, "
                            "like 10.89.0.0/24",
                            s);
}

int nlab_ip_parse(const char *s, const char *what, struct in_addr *out, struct nlab_err *err)
{
        assert(s && what && out);
        if (inet_pton(AF_INET, s, out) != 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid %s \"%s\": expected an IPv4 address like 10.89.0.2",
                                    what, s);
        return 0;
}

char *nlab_cidr_format(const struct nlab_subnet *s, char *buf)
{
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &s->net, ip, sizeof(ip));
        snprintf(buf, NLAB_CIDR_STRLEN, "%s/%u", ip, s->prefix);
        return buf;
}
