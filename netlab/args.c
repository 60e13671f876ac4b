#include "netlab/args.h"

#include <stdlib.h>
#include <string.h>

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
                return nlab_err_set(err, NLAB_E_INVALID, "unknown flag: --%.*s", (int)len, arg);
        if (eq || flags[idx].type == NLAB_FLAG_BOOL)
                return store(&flags[idx], out, idx, eq ? eq + 1 : NULL, err);
        if (*i + 1 >= argc)
                return nlab_err_set(err, NLAB_E_INVALID, "flag needs an argument: --%s",
                                    flags[idx].name);
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
                        return store(&flags[idx], out, idx, p + 1, err);
                if (*i + 1 >= argc)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "flag needs an argument: '%c' in %s", *p, argv[*i]);
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
