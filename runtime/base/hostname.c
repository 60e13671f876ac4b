#include "runtime/base/hostname.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_HOSTNAME 64 /* __NEW_UTS_LEN: sethostname refuses more */
#define MAX_LABEL    63

static bool alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One label of len characters at s: why it is invalid, or NULL. */
static const char *label_problem(const char *s, size_t len)
{
        size_t i;

        if (len == 0)
                return "it has an empty label (two dots, or a dot at either end)";
        if (len > MAX_LABEL)
                return "a label is longer than 63 characters";
        if (!alnum(s[0]) || !alnum(s[len - 1]))
                return "a label must start and end with a letter or digit";
        for (i = 0; i < len; i++)
                if (!alnum(s[i]) && s[i] != '-')
                        return "only letters, digits, '-' and '.' are allowed";
        return NULL;
}

/* The value as it can be shown on one line: control characters escaped, long ones cut. */
static void printable(const char *name, char *out, size_t size)
{
        size_t o = 0;

        for (; *name && o + 5 < size; name++) {
                unsigned char c = (unsigned char)*name;
                if (c == '\n')
                        o += (size_t)snprintf(out + o, size - o, "\\n");
                else if (c < 0x20 || c == 0x7f)
                        o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
                else
                        out[o++] = (char)c;
        }
        out[o] = '\0';
}

int nlab_hostname_check(const char *name, struct nlab_err *err)
{
        const char *p, *problem = NULL;
        char shown[96];
        size_t len;

        assert(name);
        len = strlen(name);
        if (len == 0 || len > MAX_HOSTNAME)
                problem = "it must be 1 to 64 characters";
        for (p = name; !problem;) {
                const char *dot = strchr(p, '.');
                size_t n = dot ? (size_t)(dot - p) : strlen(p);
                problem = label_problem(p, n);
                if (!dot)
                        break;
                p = dot + 1;
        }
        if (!problem)
                return 0;
        printable(name, shown, sizeof(shown));
        return nlab_err_set(err, NLAB_E_INVALID,
                            "invalid hostname \"%s\": %s (RFC 1123 labels, e.g. web-1 or db.lab)",
                            shown, problem);
}
