#include "netlab/args.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/base/suggest.h"

int nlab_flag_index(const struct nlab_flag *flags, size_t nflags, const char *name)
{
        size_t i;

        for (i = 0; i < nflags; i++)
                if (!strcmp(flags[i].name, name))
                        return (int)i;
        return -1;
}

static int find_long(const struct nlab_flag *flags, size_t n, const char *name, size_t len)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len))
                        return (int)i;
                if (flags[i].alias && strlen(flags[i].alias) == len &&
                    !strncmp(flags[i].alias, name, len))
                        return (int)i;
        }
        return -1;
}

static int find_short(const struct nlab_flag *flags, size_t n, char c)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (flags[i].shortc == c)
                        return (int)i;
        return -1;
}

/* Docker flags netlab does not have, with what to do here instead. */
static const struct {
        const char *name, *instead;
} docker_only[] = {
    {"link", "put both containers on one user-defined network (netlab network create NET, then "
             "--network NET): they resolve each other by name"},
    {"mount", "use -v HOST_PATH:CONTAINER_PATH[:ro]"},
    {"volumes-from", "give each container the same -v HOST_PATH:CONTAINER_PATH"},
    {"restart", "start it again with netlab start"},
    {"pull", "the images are built in (netlab images lists them)"},
    {"ipv6", "netlab networks are IPv4-only"},
};

static int unknown_long(const struct nlab_flag *flags, size_t n, const char *arg, size_t len,
                        struct nlab_err *err)
{
        const char *names[2 * 64], *near;
        char word[64];
        size_t i, k = 0;

        if (len >= sizeof(word))
                return nlab_err_set(err, NLAB_E_INVALID, "unknown flag: --%.*s", (int)len, arg);
        memcpy(word, arg, len);
        word[len] = '\0';
        for (i = 0; i < sizeof(docker_only) / sizeof(docker_only[0]); i++)
                if (!strcmp(docker_only[i].name, word))
                        return nlab_err_set(err, NLAB_E_INVALID, "--%s is not supported here: %s",
                                            word, docker_only[i].instead);
        for (i = 0; i < n && k + 2 <= sizeof(names) / sizeof(names[0]); i++) {
                names[k++] = flags[i].name;
                if (flags[i].alias)
                        names[k++] = flags[i].alias;
        }
        near = nlab_suggest(word, names, k, nlab_suggest_bound(word));
        if (near)
                return nlab_err_set(err, NLAB_E_INVALID, "unknown flag: --%s: did you mean --%s?",
                                    word, near);
        return nlab_err_set(err, NLAB_E_INVALID, "unknown flag: --%s", word);
}

/* Flags whose values are free text, where a full-width comma or colon may be meant. */
static bool free_text(const struct nlab_flag *f)
{
        static const char *const names[] = {"env", "label", "format", "filter"};
        size_t i;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(f->name, names[i]))
                        return true;
        return false;
}

/* A word typed with a Chinese IME's full-width punctuation (--net=container：c1, ——network):
 * refused with the ASCII to type, rather than taken as a name or a command. Only words that
 * become a flag or all ASCII once fixed, since other text may mean its full-width characters. */
static int fullwidth_check(const char *word, struct nlab_err *err)
{
        char fixed[512];

        if (nlab_fullwidth_to_ascii(word, fixed, sizeof(fixed)) != 1)
                return 0;
        if (fixed[0] != '-' && !nlab_is_ascii(fixed))
                return 0;
        return nlab_err_set(err, NLAB_E_INVALID,
                            "full-width characters in \"%s\": did you mean %s?", word, fixed);
}

/* The word holding a flag's value (the flag's own word, or the next), unless it is free text. */
static int value_check(const struct nlab_flag *f, const char *word, struct nlab_err *err)
{
        return free_text(f) ? 0 : fullwidth_check(word, err);
}

static int store(const struct nlab_flag *f, struct nlab_parsed *out, int idx, const char *value,
                 struct nlab_err *err)
{
        out->set[idx] = true;
        if (f->type == NLAB_FLAG_BOOL) {
                if (!value || !strcmp(value, "true") || !strcmp(value, "1"))
                        return 0;
                if (!strcmp(value, "false") || !strcmp(value, "0")) {
                        out->set[idx] = false;
                        return 0;
                }
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid argument \"%s\" for \"--%s\" flag: expected true or "
                                    "false",
                                    value, f->name);
        }
        if (f->type == NLAB_FLAG_VALUE) {
                out->value[idx] = value;
                return 0;
        }
        if (nlab_strv_push(&out->list[idx], value) < 0)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        return 0;
}

static int parse_long(const struct nlab_flag *flags, size_t n, int argc, char **argv, int *i,
                      struct nlab_parsed *out, struct nlab_err *err)
{
        const char *arg = argv[*i] + 2;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        int idx = find_long(flags, n, arg, len);

        if (idx < 0)
                return fullwidth_check(argv[*i], err) < 0 ? -1
                                                          : unknown_long(flags, n, arg, len, err);
        if (eq || flags[idx].type == NLAB_FLAG_BOOL)
                return value_check(&flags[idx], argv[*i], err) < 0
                           ? -1
                           : store(&flags[idx], out, idx, eq ? eq + 1 : NULL, err);
        if (*i + 1 >= argc)
                return nlab_err_set(err, NLAB_E_INVALID, "flag needs an argument: --%s",
                                    flags[idx].name);
        if (value_check(&flags[idx], argv[*i + 1], err) < 0)
                return -1;
        return store(&flags[idx], out, idx, argv[++*i], err);
}

static int parse_short(const struct nlab_flag *flags, size_t n, int argc, char **argv, int *i,
                       struct nlab_parsed *out, struct nlab_err *err)
{
        const char *p = argv[*i] + 1;

        for (; *p; p++) {
                int idx = find_short(flags, n, *p);
                if (idx < 0)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "unknown shorthand flag: '%c' in %s", *p, argv[*i]);
                if (flags[idx].type == NLAB_FLAG_BOOL) {
                        if (store(&flags[idx], out, idx, NULL, err) < 0)
                                return -1;
                        continue;
                }
                /* A value flag takes the rest of the word, or the next word. */
                if (p[1])
                        return value_check(&flags[idx], argv[*i], err) < 0
                                   ? -1
                                   : store(&flags[idx], out, idx, p + 1, err);
                if (*i + 1 >= argc)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "flag needs an argument: '%c' in %s", *p, argv[*i]);
                if (value_check(&flags[idx], argv[*i + 1], err) < 0)
                        return -1;
                return store(&flags[idx], out, idx, argv[++*i], err);
        }
        return 0;
}

int nlab_args_parse(const struct nlab_flag *flags, size_t nflags, int argc, char **argv,
                    int stop_after, struct nlab_parsed *out, struct nlab_err *err)
{
        int i;

        out->set = calloc(nflags + 1, sizeof(bool));
        out->value = calloc(nflags + 1, sizeof(char *));
        out->list = calloc(nflags + 1, sizeof(struct nlab_strv));
        out->pos = calloc((size_t)argc + 1, sizeof(char *));
        out->npos = 0;
        if (!out->set || !out->value || !out->list || !out->pos)
                return nlab_err_set(err, NLAB_E_SYSTEM, "out of memory");
        for (i = 0; i < argc; i++) {
                const char *a = argv[i];
                int r = 0;
                if (stop_after > 0 && out->npos >= stop_after) {
                        out->pos[out->npos++] = argv[i];
                        continue;
                }
                if (!strcmp(a, "--")) {
                        while (++i < argc)
                                out->pos[out->npos++] = argv[i];
                        break;
                }
                if (a[0] == '-' && a[1] == '-')
                        r = parse_long(flags, nflags, argc, argv, &i, out, err);
                else if (a[0] == '-' && a[1])
                        r = parse_short(flags, nflags, argc, argv, &i, out, err);
                else if (fullwidth_check(a, err) < 0) /* ——net, or a name typed with ： */
                        return -1;
                else
                        out->pos[out->npos++] = argv[i];
                if (r < 0)
                        return -1;
        }
        return 0;
}

void nlab_parsed_free(struct nlab_parsed *p, size_t nflags)
{
        size_t i;

        for (i = 0; p->list && i < nflags; i++)
                nlab_strv_free(&p->list[i]);
        free(p->set);
        free(p->value);
        free(p->list);
        free(p->pos);
}
