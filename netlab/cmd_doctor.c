/* netlab doctor [--fix] [--json], and the preflight line of scenario run. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab/cli.h"
#include "runtime/lab/doctor.h"

static const struct nlab_flag doctor_flags[] = {
    {"json", 0, NLAB_FLAG_BOOL, NULL},
    {"fix", 0, NLAB_FLAG_BOOL, NULL},
    {"help", 'h', NLAB_FLAG_BOOL, NULL},
};
#define N_DOCTOR_FLAGS (sizeof(doctor_flags) / sizeof(doctor_flags[0]))

static const char *status_word(const struct nlab_doc_finding *f)
{
        static const char *const words[] = {
            [NLAB_DOC_OK] = "ok", [NLAB_DOC_NOTE] = "note", [NLAB_DOC_PROBLEM] = "problem"};

        return f->fixed ? "fixed" : words[f->level];
}

static void print_text(const struct nlab_doctor *d)
{
        for (size_t i = 0; i < d->n; i++) {
                const struct nlab_doc_finding *f = &d->v[i];
                const char *w = status_word(f);

                printf("%-8s %s: %s%s%s\n", f->level == NLAB_DOC_PROBLEM ? "PROBLEM" : w, f->check,
                       f->text, f->fix[0] ? (f->fixed ? "; " : "; fix: ") : "", f->fix);
        }
}

static void print_json(const struct nlab_doctor *d)
{
        json_t *arr = json_array();
        char *s;

        for (size_t i = 0; arr && i < d->n; i++)
                json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "check", d->v[i].check,
                                                     "status", status_word(&d->v[i]), "message",
                                                     d->v[i].text, "fix", d->v[i].fix));
        s = arr ? json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        printf("%s\n", s ? s : "[]");
        free(s);
        json_decref(arr);
}

int nlab_cmd_doctor(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_doctor_opts o = {0};
        struct nlab_parsed p = {0};
        struct nlab_doctor d;
        struct nlab_err err;
        int code = 0;

        if (nlab_cli_parse("doctor", doctor_flags, N_DOCTOR_FLAGS, argc, argv, 0, &p, false,
                           &code) != 0)
                goto out;
        if (p.npos > 0) {
                code =
                    nlab_cli_usage_error("doctor", "\"netlab doctor\" accepts no arguments", false);
                goto out;
        }
        o.fix = p.set[1];
        if (nlab_doctor_run(&cli->st, &o, &d, &err) < 0) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (p.set[0])
                print_json(&d);
        else
                print_text(&d);
        code = nlab_doctor_any(&d, NLAB_DOC_PROBLEM) ? 1 : 0;
        nlab_doctor_free(&d);
out:
        nlab_parsed_free(&p, N_DOCTOR_FLAGS);
        return code;
}

/* "bridge, veth work (tried ...)" -> "bridge, veth": what the ok line of the preflight lists. */
static void append_short(char *buf, size_t size, const struct nlab_doc_finding *f)
{
        size_t len = strlen(buf), keep = strcspn(f->text, "(");

        while (keep > 0 && f->text[keep - 1] == ' ')
                keep--;
        if (keep >= 5 && !strncmp(f->text + keep - 5, " work", 5))
                keep -= 5;
        if (len < size)
                snprintf(buf + len, size - len, "%s%s: %.*s", len ? "; " : "", f->check, (int)keep,
                         f->text);
}

int nlab_cli_preflight(const struct nlab_scenario *all, size_t n, bool tap, FILE *out)
{
        struct nlab_doctor_opts o = {.quick = true};
        const char *c = tap ? "# " : "";
        struct nlab_doctor d;
        struct nlab_err err;
        char ok[512] = "";
        bool fatal = false;

        for (size_t i = 0; i < n; i++)
                o.need |= nlab_scenario_needs(&all[i]);
        if (nlab_doctor_run(NULL, &o, &d, &err) < 0) {
                fprintf(out, "%spreflight: not run: %s\n", c, err.msg);
                return 0;
        }
        for (size_t i = 0; i < d.n; i++) {
                const struct nlab_doc_finding *f = &d.v[i];

                fatal |= f->fatal;
                if (f->level == NLAB_DOC_OK)
                        append_short(ok, sizeof(ok), f);
                else
                        fprintf(out, "%spreflight: %s %s: %s%s%s\n", c, status_word(f), f->check,
                                f->text, f->fix[0] ? "; fix: " : "", f->fix);
        }
        if (!nlab_doctor_any(&d, NLAB_DOC_NOTE))
                fprintf(out, "%spreflight: ok (%s)\n", c, ok);
        if (fatal)
                fprintf(out, "%spreflight: no lab can run on this host (see netlab doctor)\n", c);
        nlab_doctor_free(&d);
        fflush(out);
        return fatal ? -1 : 0;
}
