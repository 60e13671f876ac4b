/* The .lab parser: lines into steps, every check done before a runner sees the file. */
#include "runtime/lab/scenario_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

bool scn_strv_has(const struct nlab_strv *sv, const char *s)
{
        size_t i;

        for (i = 0; i < sv->n; i++)
                if (!strcmp(sv->v[i], s))
                        return true;
        return false;
}

struct nlab_step *scn_new_step(struct pctx *c, enum nlab_step_kind kind)
{
        struct nlab_scenario *s = c->s;
        struct nlab_step *st, *grown;

        grown = realloc(s->steps, (s->nsteps + 1) * sizeof(*s->steps));
        if (!grown)
                return NULL;
        s->steps = grown;
        st = &s->steps[s->nsteps++];
        memset(st, 0, sizeof(*st));
        st->kind = kind;
        st->line = c->lineno;
        return st;
}

/* Copy tokens [from, to) into a NULL-terminated argv. */
char **scn_copy_argv(struct pctx *c, size_t from, size_t to)
{
        char **v = calloc(to - from + 1, sizeof(*v));
        size_t i;

        if (!v)
                return NULL;
        for (i = from; i < to; i++)
                v[i - from] = strdup(c->tok[i].s);
        return v;
}

static int parse_line(struct pctx *c)
{
        const char *w;
        int prev = c->prev;

        if (scn_tokenize(c) < 0)
                return -1;
        if (c->ntok == 0)
                return 0;
        w = c->tok[0].s;
        c->prev = PREV_OTHER;
        if (scn_is_text_directive(w))
                return scn_parse_text_directive(c, prev);
        if (!strcmp(w, "external"))
                return scn_parse_external(c);
        if (!strcmp(w, "expect") || !strcmp(w, "expect-fail"))
                return scn_parse_expect(c);
        if (!strcmp(w, "netlab"))
                return scn_fail_tok(c, 0, "write the command without the word \"%s\"", w);
        if (!strcmp(w, "link") && c->ntok > 1 && !nlab_grammar_find(c->g, w, c->tok[1].s))
                return scn_parse_link_directive(c);
        return scn_parse_command(c);
}

static void step_free(struct nlab_step *st)
{
        size_t i;

        free(st->text);
        free(st->text_zh);
        for (i = 0; i < st->argc; i++)
                free(st->argv[i]);
        free(st->argv);
        scn_expect_free(&st->ex);
}

void nlab_scenario_free(struct nlab_scenario *s)
{
        size_t i;

        if (!s)
                return;
        for (i = 0; i < s->nsteps; i++)
                step_free(&s->steps[i]);
        free(s->steps);
        free(s->file);
        free(s->title);
        free(s->title_zh);
        memset(s, 0, sizeof(*s));
}

int nlab_scenario_parse(const char *file, const char *text, size_t len,
                        const struct nlab_grammar *g, struct nlab_scenario *out,
                        struct nlab_err *err)
{
        struct pctx c;
        size_t pos = 0;
        int r = 0;

        assert(file && (text || !len) && g && out);
        memset(out, 0, sizeof(*out));
        memset(&c, 0, sizeof(c));
        c.file = file;
        c.err = err;
        c.g = g;
        c.s = out;
        out->file = strdup(file);
        if (!out->file)
                return nlab_err_sys(err, 12, "scenario %s", file);
        while (pos < len && r == 0) {
                const char *nlp = memchr(text + pos, '\n', len - pos);
                size_t end = nlp ? (size_t)(nlp - text) : len;
                c.lineno++;
                c.line = text + pos;
                c.len = end - pos;
                if (c.len && c.line[c.len - 1] == '\r')
                        c.len--;
                if (memchr(c.line, '\0', c.len))
                        r = scn_fail_at(&c, 1, 1, "a NUL byte: this is not a text file");
                else
                        r = parse_line(&c);
                scn_free_tokens(&c);
                pos = end + 1;
        }
        nlab_strv_free(&c.containers);
        nlab_strv_free(&c.externals);
        if (r < 0) {
                nlab_scenario_free(out);
                return -1;
        }
        return 0;
}
