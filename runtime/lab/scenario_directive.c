/* The directives that are not a command or a check: title, note, their language variants
 * (title.zh, note.zh) and external test hosts. */
#include "runtime/lab/scenario_int.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/net/external.h"

/* "note.zh TEXT" right after a note (or title.zh after the title): its Chinese variant. */
static int parse_variant(struct pctx *c, int prev)
{
        const char *w = c->tok[0].s;
        bool title = w[0] == 't';
        char **slot;
        char *text;

        if (strcmp(strchr(w, '.'), ".zh"))
                return scn_fail_tok(c, 0, "%s: unknown language (a variant is title.zh or note.zh)",
                                    w);
        if (prev != (title ? PREV_TITLE : PREV_NOTE))
                return scn_fail_at_tok(c, 0,
                                       "%s: goes on the line right after the %s it translates", w,
                                       title ? "title" : "note");
        text = scn_rest_of_line(c, 0);
        if (!text)
                return scn_oom(c);
        if (!text[0]) {
                free(text);
                return scn_fail_tok(c, 1, "%s: missing text", w);
        }
        slot = title ? &c->s->title_zh : &c->s->steps[c->s->nsteps - 1].text_zh;
        *slot = text;
        return 0;
}

int scn_parse_text_directive(struct pctx *c, int prev)
{
        struct nlab_step *st;
        char *text;

        if (strchr(c->tok[0].s, '.'))
                return parse_variant(c, prev);
        text = scn_rest_of_line(c, 0);
        if (!text)
                return scn_oom(c);
        if (!text[0]) {
                free(text);
                return scn_fail_tok(c, 1, "%s: missing text", c->tok[0].s);
        }
        if (!strcmp(c->tok[0].s, "title")) {
                if (c->s->title) {
                        free(text);
                        return scn_fail_tok(c, 0, "%s: the file already has a title", "title");
                }
                c->s->title = text;
                c->prev = PREV_TITLE;
                return 0;
        }
        st = scn_new_step(c, NLAB_STEP_NOTE);
        if (!st) {
                free(text);
                return scn_oom(c);
        }
        st->text = text;
        c->prev = PREV_NOTE;
        return 0;
}

int scn_parse_external(struct pctx *c)
{
        struct nlab_step *st;
        const char *subnet = NULL;
        struct nlab_subnet sn;
        struct nlab_err err;

        if (c->ntok < 2)
                return scn_fail_tok(c, 1, "%s: missing the host's name", "external");
        if (nlab_external_name_check(c->tok[1].s, &err) < 0) /* the CLI's rule too */
                return scn_fail_tok(c, 1, "%s", err.msg);
        if (!strcmp(c->tok[1].s, "host") || scn_strv_has(&c->externals, c->tok[1].s) ||
            scn_strv_has(&c->containers, c->tok[1].s))
                return scn_fail_tok(c, 1, "the name \"%s\" is already taken", c->tok[1].s);
        if (c->ntok == 4 && !strcmp(c->tok[2].s, "--subnet")) {
                if (nlab_external_subnet_parse(c->tok[3].s, 0, &sn, &err) < 0)
                        return scn_fail_tok(c, 3, "%s", err.msg);
                subnet = c->tok[3].s;
        } else if (c->ntok != 2) {
                return scn_fail_tok(c, 2, "%s: only --subnet CIDR may follow the name", "external");
        }
        st = scn_new_step(c, NLAB_STEP_EXTERNAL);
        if (!st || nlab_strv_push(&c->externals, c->tok[1].s) < 0)
                return scn_oom(c);
        st->argv = calloc(3, sizeof(char *));
        if (!st->argv)
                return scn_oom(c);
        st->argv[0] = strdup(c->tok[1].s);
        st->argv[1] = subnet ? strdup(subnet) : NULL;
        st->argc = 2;
        st->text = scn_source_text(c);
        return 0;
}
