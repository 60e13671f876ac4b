/* libFuzzer target: `-p` and `--expose` values. Every accepted mapping must be well formed and
 * format back to a line; every refusal must carry a message. */
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/base/portspec.h"

static void check(const struct nlab_port_mapping *m, size_t n, int r, const struct nlab_err *err)
{
        char line[96];

        if (r < 0) {
                assert(m == NULL && n == 0 && err->kind == NLAB_E_INVALID && err->msg[0]);
                return;
        }
        assert(n >= 1 && n <= NLAB_PORTSPEC_MAX);
        for (size_t i = 0; i < n; i++) {
                assert(m[i].ctr_port != 0);
                assert(m[i].proto == IPPROTO_TCP || m[i].proto == IPPROTO_UDP);
                assert(m[i].host_port_end == 0 || m[i].host_port_end > m[i].host_port);
                assert(memchr(m[i].host_ip, '\0', sizeof(m[i].host_ip)));
                assert(nlab_port_format(&m[i], line, sizeof(line)) > 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nlab_port_mapping *m;
        struct nlab_err err = {0};
        char *s = malloc(size + 1);
        size_t n;
        int r;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        r = nlab_portspec_parse(s, &m, &n, &err);
        check(m, n, r, &err);
        free(m);
        r = nlab_portspec_parse_expose(s, &m, &n, &err);
        check(m, n, r, &err);
        free(m);
        free(s);
        return 0;
}
