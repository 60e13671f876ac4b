/* libFuzzer: template text (then, after a NUL byte, optional JSON data) must compile or fail
 * cleanly, render or fail cleanly, and never read out of bounds or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/template.h"

static const char default_data[] =
    "{\"Id\":\"3f2a\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Pid\":42},"
    "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Env\":[\"A=1\",\"B=2\"]},"
    "\"N\":null,\"F\":0.5,\"L\":[1,\"a\",true,null,{\"k\":[2.5e-9]}],\"E\":{}}";

static const struct nlab_header headers[] = {
    {"ID", "CONTAINER ID"}, {"Name", "NAMES"}, {NULL, NULL}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nul = memchr(data, '\0', size);
        size_t tlen = nul ? (size_t)(nul - (const char *)data) : size;
        struct nlab_template *t = NULL;
        struct nlab_err err;
        json_error_t je;
        json_t *doc;
        char *text, *out = NULL;

        text = malloc(tlen + 1);
        if (!text)
                return 0;
        memcpy(text, data, tlen);
        text[tlen] = '\0';
        if (nul)
                doc = json_loadb(nul + 1, size - tlen - 1, JSON_DECODE_ANY, &je);
        else
                doc = json_loads(default_data, 0, &je);
        if (nlab_template_compile(text, &t, &err) == 0) {
                if (nlab_template_render(t, doc, &out, &err) == 0)
                        free(out);
                if (nlab_template_render_header(t, headers, &out, &err) == 0)
                        free(out);
        }
        nlab_template_free(t);
        json_decref(doc);
        free(text);
        return 0;
}
