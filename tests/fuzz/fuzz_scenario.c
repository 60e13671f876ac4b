/* libFuzzer target: the .lab parser must reject or accept any bytes without a crash or a leak,
 * and every error must name the file, a line and a column. The DNS response reader rides along. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/grammar.h"
#include "runtime/lab/probe.h"
#include "runtime/lab/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nlab_probe_result res;
        struct nlab_scenario s;
        struct nlab_err err;

        if (nlab_scenario_parse("fuzz.lab", (const char *)data, size, nlab_cli_grammar(), &s,
                                &err) == 0)
                nlab_scenario_free(&s);
        else if (strncmp(err.msg, "fuzz.lab:", 9) != 0)
                abort();
        if (size >= 2)
                nlab_dns_parse_response(data, size, (uint16_t)(data[0] << 8 | data[1]), &res);
        return 0;
}
