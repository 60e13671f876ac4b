#include "runtime/base/subid.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal field ending at ':' or at the end of the line. */
static bool number(const char *s, const char **end, unsigned long *out)
{
        char *e;

        if (*s < '0' || *s > '9')
                return false;
        errno = 0;
        *out = strtoul(s, &e, 10);
        if (errno || (*e != ':' && *e != '\0' && *e != '\n'))
                return false;
        *end = e;
        return true;
}

bool nlab_subid_line(const char *line, const char *name, unsigned id, struct nlab_subid_range *out)
{
        const char *colon = strchr(line, ':'), *end;
        char idbuf[16];
        size_t len;

        assert(line && out);
        if (!colon || colon == line)
                return false;
        len = (size_t)(colon - line);
        snprintf(idbuf, sizeof(idbuf), "%u", id);
        if (!(len == strlen(idbuf) && !strncmp(line, idbuf, len)) &&
            !(name && len == strlen(name) && !strncmp(line, name, len)))
                return false;
        if (!number(colon + 1, &end, &out->start) || *end != ':' ||
            !number(end + 1, &end, &out->count) || (*end != '\0' && *end != '\n'))
                return false;
        return out->count > 0 && out->start <= 4294967295UL &&
               out->count <= 4294967295UL - out->start;
}

bool nlab_subid_find(const char *path, const char *name, unsigned id, struct nlab_subid_range *out)
{
        char line[512];
        FILE *f = fopen(path, "re");
        bool found = false;

        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = nlab_subid_line(line, name, id, out);
        fclose(f);
        return found;
}
