/* An expect (or expect-fail) line: the subject, the check's verb, "because REASON", and the step
 * it becomes; the words after each verb are read in scenario_expect_args.c. */
#include "runtime/lab/scenario_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const verbs[] = {
    [NLAB_EXPECT_REACHES] = "reaches",   [NLAB_EXPECT_CANNOT_REACH] = "cannot-reach",
    [NLAB_EXPECT_RESOLVES] = "resolves", [NLAB_EXPECT_CANNOT_RESOLVE] = "cannot-resolve",
    [NLAB_EXPECT_EXEC] = "exec",         [NLAB_EXPECT_HAS_INTERFACE] = "has-interface",
    [NLAB_EXPECT_CAPTURE] = "capture",
};

const char *nlab_expect_verb(enum nlab_expect_kind kind)
{
        return verbs[kind];
}

static int parse_expect_checks(struct pctx *c, struct nlab_expect *ex);

/* "... because REASON" at the end of a negative check: REASON from the table, with the nearest
 * name when it is not one. Returns the index of "because", or ntok when there is none. */
static int parse_because(struct pctx *c, struct nlab_expect *ex, size_t *at)
{
        const char *near;
        char all[512];
        size_t i;

        for (i = 3; i < c->ntok && strcmp(c->tok[i].s, "because"); i++)
                ;
        *at = i;
        if (i == c->ntok)
                return 0;
        if (ex->kind != NLAB_EXPECT_CANNOT_REACH && ex->kind != NLAB_EXPECT_CANNOT_RESOLVE)
                return scn_fail_tok(
                    c, i, "\"%s\": only cannot-reach and cannot-resolve give a reason", "because");
        if (ex->xfail)
                return scn_fail_tok(
                    c, i, "\"%s\": not with expect-fail (a claim meant to be false)", "because");
        nlab_reason_list(all, sizeof(all));
        if (i + 1 == c->ntok)
                return scn_fail_at_tok(c, i + 1, "because: missing the reason (%s)", all);
        if (i + 2 < c->ntok)
                return scn_fail_tok(c, i + 2,
                                    "because: one reason only, then the line ends, not \"%s\"",
                                    c->tok[i + 2].s);
        if (nlab_reason_parse(c->tok[i + 1].s, &ex->because) == 0)
                return 0;
        near = nlab_reason_suggest(c->tok[i + 1].s);
        if (near)
                return scn_fail_at_tok(c, i + 1, "unknown reason \"%s\" (did you mean \"%s\"?)",
                                       c->tok[i + 1].s, near);
        return scn_fail_at_tok(c, i + 1, "unknown reason \"%s\" (one of: %s)", c->tok[i + 1].s,
                               all);
}

/* The check's own words, with any "because REASON" set aside. */
static int parse_check(struct pctx *c, struct nlab_expect *ex)
{
        size_t at, ntok = c->ntok;
        int r;

        if (parse_because(c, ex, &at) < 0)
                return -1;
        c->ntok = at;
        r = parse_expect_checks(c, ex);
        c->ntok = ntok;
        return r;
}

static int parse_expect_body(struct pctx *c, struct nlab_expect *ex)
{
        size_t k;

        if (c->ntok < 2)
                return scn_fail_tok(c, 1,
                                    "%s: missing the subject (a container, host or an external "
                                    "host)",
                                    c->tok[0].s);
        if (c->ntok < 3)
                return scn_fail_tok(c, 2,
                                    "%s: missing the check (reaches, cannot-reach, resolves, "
                                    "cannot-resolve, exec, has-interface)",
                                    c->tok[0].s);
        if (!strcmp(c->tok[1].s, "capture") && !strcmp(c->tok[2].s, "on"))
                return scn_parse_capture(c, ex);
        /* capture is "expect capture on ...", never a subject's verb */
        for (k = 0; k < NLAB_EXPECT_CAPTURE; k++)
                if (!strcmp(c->tok[2].s, verbs[k]))
                        break;
        if (k == NLAB_EXPECT_CAPTURE)
                return scn_fail_tok(c, 2,
                                    "unknown check \"%s\" (reaches, cannot-reach, resolves, "
                                    "cannot-resolve, exec, has-interface)",
                                    c->tok[2].s);
        ex->kind = (enum nlab_expect_kind)k;
        ex->subject = strdup(c->tok[1].s);
        if (!ex->subject)
                return scn_oom(c);
        return parse_check(c, ex);
}

static int parse_expect_checks(struct pctx *c, struct nlab_expect *ex)
{
        switch (ex->kind) {
        case NLAB_EXPECT_REACHES:
        case NLAB_EXPECT_CANNOT_REACH:
                return scn_check_party(c, 1, false, true) < 0 ? -1 : scn_parse_reach(c, 2, ex);
        case NLAB_EXPECT_RESOLVES:
        case NLAB_EXPECT_CANNOT_RESOLVE:
                return scn_parse_resolves(c, 2, ex);
        case NLAB_EXPECT_EXEC:
                return scn_parse_exec(c, 2, ex);
        case NLAB_EXPECT_HAS_INTERFACE:
                return scn_check_party(c, 1, false, true) < 0 ? -1
                                                              : scn_parse_has_interface(c, 2, ex);
        case NLAB_EXPECT_CAPTURE:
                break;
        }
        return 0;
}

void scn_expect_free(struct nlab_expect *ex)
{
        size_t i;

        free(ex->subject);
        free(ex->target);
        for (i = 0; i < ex->naddrs; i++)
                free(ex->addrs[i]);
        free(ex->addrs);
        for (i = 0; ex->argv && ex->argv[i]; i++)
                free(ex->argv[i]);
        free(ex->argv);
        free(ex->contains);
        free(ex->from);
        free(ex->to);
        memset(ex, 0, sizeof(*ex));
}

int scn_parse_expect(struct pctx *c)
{
        struct nlab_expect ex;
        struct nlab_step *st;

        memset(&ex, 0, sizeof(ex));
        ex.xfail = !strcmp(c->tok[0].s, "expect-fail");
        if (parse_expect_body(c, &ex) < 0) {
                scn_expect_free(&ex);
                return -1;
        }
        st = scn_new_step(c, NLAB_STEP_EXPECT);
        if (!st) {
                scn_expect_free(&ex);
                return scn_oom(c);
        }
        st->ex = ex;
        st->text = scn_source_text(c);
        c->s->nexpect++;
        return st->text ? 0 : scn_oom(c);
}
