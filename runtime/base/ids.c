#include "runtime/base/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int nlab_id_new(char out[NLAB_ID_LEN + 1], struct nlab_err *err)
{
        unsigned char raw[NLAB_ID_LEN / 2];
        size_t i;

        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return nlab_err_sys(err, errno, "generate id");
        for (i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

bool nlab_id_is_prefix(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > NLAB_ID_LEN)
                return false;
        return strspn(s, "0123456789abcdef") == n;
}

int nlab_name_check(const char *name, struct nlab_err *err)
{
        static const char first[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        size_t n = strlen(name);

        if (n < 2 || n > 128 || !strchr(first, name[0]) ||
            strspn(name + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                n - 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
                                    "(2 to 128 characters) are allowed",
                                    name);
        return 0;
}

void nlab_name_random(char *out, size_t size, unsigned seed)
{
        static const char *const adjectives[] = {
            "admiring", "brave",      "clever",   "dazzling", "eager",  "focused",
            "gallant",  "happy",      "jolly",    "keen",     "lucid",  "modest",
            "nifty",    "optimistic", "quirky",   "relaxed",  "serene", "trusting",
            "upbeat",   "vibrant",    "wizardly", "zealous",
        };
        static const char *const scientists[] = {
            "babbage", "cerf",     "dijkstra", "engelbart", "hopper",  "kahn",
            "lamport", "liskov",   "metcalfe", "perlman",   "postel",  "ritchie",
            "shannon", "thompson", "torvalds", "turing",    "wozniak", "baran",
        };
        size_t na = sizeof(adjectives) / sizeof(adjectives[0]);
        size_t ns = sizeof(scientists) / sizeof(scientists[0]);

        snprintf(out, size, "%s_%s", adjectives[seed % na], scientists[(seed / na) % ns]);
}
