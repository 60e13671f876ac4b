/* netlab diagnose A B[:PORT[/proto]]: print each link of the path, stop at the first broken one. */
#include <stdio.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/lab/capture.h"
#include "runtime/lab/diagnose.h"

static const struct nlab_flag diag_flags[] = {
    {"capture", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_diagnose = NLAB_FLAGS(diag_flags);

/* --capture: the probe's packets at each link of the path, and where they stop. */
static int print_trace(struct nlab_cli *cli, const char *from, const char *to)
{
        struct nlab_trace t;
        struct nlab_err err;
        size_t i, k;

        if (nlab_capture_trace(&cli->st, from, to, &t, &err) < 0)
                return nlab_cli_fail(&err, false);
        printf("capture of the probe: %s\n", t.probe);
        for (i = 0; i < t.n; i++) {
                const struct nlab_trace_point *pt = &t.pts[i];

                if (pt->error[0])
                        printf("  %s: not captured: %s\n", pt->where, pt->error);
                else if (!pt->seen)
                        printf("  %s: no packets%s\n", pt->where,
                               (int)i == t.stop ? ": they stop before here" : "");
                else
                        printf("  %s: %u packet%s\n", pt->where, pt->seen,
                               pt->seen == 1 ? "" : "s");
                for (k = 0; k < pt->seen && k < NLAB_TRACE_LINES; k++)
                        printf("      %s\n", pt->lines[k]);
        }
        return 0;
}

int nlab_cmd_diagnose(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        bool tty = isatty(1);
        struct nlab_diag d;
        struct nlab_err err;
        int code = 0;
        size_t i;

        if (nlab_cli_parse("diagnose", diag_flags, 2, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos != 2) {
                code = nlab_cli_usage_error("diagnose",
                                            "\"netlab diagnose\" requires exactly 2 "
                                            "arguments: A B[:PORT[/tcp|udp]]",
                                            false);
                goto out;
        }
        if (nlab_diagnose(&cli->st, p.pos[0], p.pos[1], &d, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        for (i = 0; i < d.n; i++) {
                printf("%s %s\n", d.steps[i].ok ? (tty ? "✓" : "ok  ") : (tty ? "✗" : "FAIL"),
                       d.steps[i].text);
                if (!d.steps[i].ok && d.steps[i].fix[0])
                        printf("  fix: %s\n", d.steps[i].fix);
                if (!d.steps[i].ok) /* the short name a scenario's `because` matches */
                        printf("  reason: %s\n", nlab_reason_name(d.steps[i].reason));
        }
        code = d.reachable ? 0 : 1;
        if (p.set[0] && print_trace(cli, p.pos[0], p.pos[1]) != 0)
                code = 1;
out:
        nlab_parsed_free(&p, 2);
        return code;
}
