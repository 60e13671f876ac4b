/* expect capture on TARGET contains|lacks PATTERN [from NAME] [to NAME]: the packet pattern, its
 * parties, and the step before it, which it watches. */
#include "runtime/lab/scenario_int.h"

#include <stdlib.h>
#include <string.h>

/* The step an `expect capture` watches: the last one before it that is not a note or another
 * capture check. */
static int watch_previous(struct pctx *c)
{
        size_t i = c->s->nsteps;

        while (i > 0) {
                struct nlab_step *st = &c->s->steps[--i];

                if (st->kind == NLAB_STEP_NOTE ||
                    (st->kind == NLAB_STEP_EXPECT && st->ex.kind == NLAB_EXPECT_CAPTURE))
                        continue;
                if (st->watchers == NLAB_EXPECT_CAPTURES_MAX)
                        return scn_fail_tok(c, 0, "at most %s expect capture lines per step", "8");
                st->watchers++;
                return 0;
        }
        return scn_fail_tok(c, 1, "%s",
                            "expect capture: no step before it to capture during (it checks the "
                            "packets seen while the line above it runs)");
}

/* from/to NAME: a container, an external host or an IPv4 address (host has many addresses). */
static int capture_party(struct pctx *c, size_t i, char **out)
{
        if (i >= c->ntok)
                return scn_fail_tok(c, i, "%s: missing the name", c->tok[i - 1].s);
        if (*out)
                return scn_fail_tok(c, i - 1, "\"%s\" given twice", c->tok[i - 1].s);
        if (!strcmp(c->tok[i].s, "host"))
                return scn_fail_tok(c, i, "%s",
                                    "\"host\" has an address on every network: name the address");
        if (scn_check_party(c, i, true, true) < 0)
                return -1;
        *out = strdup(c->tok[i].s);
        return *out ? 0 : scn_oom(c);
}

/* expect capture on TARGET contains|lacks PROTO [WHAT [NAME]] [from NAME] [to NAME] */
int scn_parse_capture(struct pctx *c, struct nlab_expect *ex)
{
        size_t end, i, bad, len = 1;
        char why[256], **words;
        int r;

        ex->kind = NLAB_EXPECT_CAPTURE;
        if (c->ntok < 4)
                return scn_fail_tok(c, 3, "%s",
                                    "expect capture on: missing the target (CONTAINER[/IFACE], a "
                                    "network or an external host)");
        if (c->ntok < 5 || (strcmp(c->tok[4].s, "contains") && strcmp(c->tok[4].s, "lacks")))
                return scn_fail_tok(c, 4, "expect capture on %s: then \"contains\" or \"lacks\"",
                                    c->tok[3].s);
        ex->lacks = !strcmp(c->tok[4].s, "lacks");
        ex->subject = strdup(c->tok[3].s);
        if (!ex->subject)
                return scn_oom(c);
        for (end = 5; end < c->ntok; end++)
                if (!strcmp(c->tok[end].s, "from") || !strcmp(c->tok[end].s, "to"))
                        break;
        words = calloc(end - 5 + 1, sizeof(*words));
        if (!words)
                return scn_oom(c);
        for (i = 5; i < end; i++)
                words[i - 5] = c->tok[i].s;
        r = nlab_pkt_pattern_parse(words, end - 5, &ex->pattern, &bad, why, sizeof(why));
        free(words);
        if (r < 0)
                return scn_fail_tok(c, 5 + bad, "%s", why);
        for (i = end; i < c->ntok; i += 2) {
                r = capture_party(c, i + 1, !strcmp(c->tok[i].s, "from") ? &ex->from : &ex->to);
                if (r < 0)
                        return -1;
                if (i + 2 < c->ntok && strcmp(c->tok[i + 2].s, "from") &&
                    strcmp(c->tok[i + 2].s, "to"))
                        return scn_fail_tok(c, i + 2, "unexpected \"%s\" (from NAME or to NAME)",
                                            c->tok[i + 2].s);
        }
        for (i = 5; i < c->ntok; i++)
                len += strlen(c->tok[i].s) + 1;
        ex->target = calloc(1, len);
        if (!ex->target)
                return scn_oom(c);
        for (i = 5; i < c->ntok; i++)
                strcat(strcat(ex->target, i > 5 ? " " : ""), c->tok[i].s);
        return watch_previous(c);
}
