#include "runtime/lab/scenario_trust.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* What an option gives the container, or NULL when it gives nothing of the host. */
static const char *capability_risk(const char *cap)
{
        static const char *const risky[] = {"SYS_ADMIN", "SYS_MODULE", "ALL"};
        size_t i;

        if (!strncasecmp(cap, "CAP_", 4))
                cap += 4;
        for (i = 0; i < sizeof(risky) / sizeof(risky[0]); i++)
                if (!strcasecmp(cap, risky[i]))
                        return "a capability that reaches the host kernel";
        return NULL;
}

/* The risk of a long option --NAME with its value (NULL when it takes none). */
static const char *long_risk(const char *name, const char *value)
{
        if (!strcmp(name, "privileged"))
                return (value && !strcasecmp(value, "false"))
                           ? NULL
                           : "all of the host's devices and kernel settings";
        if (!strcmp(name, "volume"))
                return "a host directory";
        if (!strcmp(name, "device"))
                return "a host device";
        if (!strcmp(name, "cap-add") && value)
                return capability_risk(value);
        /* both spellings --security-opt accepts */
        if (!strcmp(name, "security-opt") && value &&
            (!strcmp(value, "seccomp=unconfined") || !strcmp(value, "seccomp:unconfined")))
                return "the kernel without a seccomp filter";
        return NULL;
}

static int refuse(const struct nlab_scenario *s, const struct nlab_step *st, const char *flag,
                  const char *risk, struct nlab_err *err)
{
        return nlab_err_set(err, NLAB_E_INVALID,
                            "%s:%u: %s%s gives a lab container %s; a scenario file is code, so "
                            "this needs the teacher's opt-in: scenario run --trust",
                            s->file, st->line, flag[0] == '-' ? "" : "--", flag, risk);
}

/* A cluster of short options (-dit, -v/a:/b): the first one that takes a value ends it. */
static const char *short_risk(const struct nlab_cmd_grammar *cmd, const char *t, bool *takes_next)
{
        size_t k;

        *takes_next = false;
        for (k = 1; t[k]; k++) {
                char one[2] = {t[k], 0};
                if (t[k] == 'v')
                        return "a host directory";
                if (nlab_grammar_takes_value(cmd, one)) {
                        *takes_next = t[k + 1] == '\0';
                        return NULL;
                }
        }
        return NULL;
}

/* Only the options before the image count: what follows is the container's own command. */
static int check_run_step(const struct nlab_scenario *s, const struct nlab_step *st,
                          const struct nlab_cmd_grammar *cmd, struct nlab_err *err)
{
        size_t i;

        for (i = 1; i < st->argc && st->argv[i][0] == '-' && strcmp(st->argv[i], "--"); i++) {
                const char *t = st->argv[i], *eq, *value = NULL, *risk;
                char name[64];
                bool takes_next;
                size_t len;
                if (t[1] != '-') {
                        risk = short_risk(cmd, t, &takes_next);
                        if (risk)
                                return refuse(s, st, "-v", risk, err);
                        i += takes_next;
                        continue;
                }
                eq = strchr(t + 2, '=');
                len = eq ? (size_t)(eq - t - 2) : strlen(t + 2);
                if (len >= sizeof(name))
                        continue;
                memcpy(name, t + 2, len);
                name[len] = '\0';
                if (eq)
                        value = eq + 1;
                else if (nlab_grammar_takes_value(cmd, name) && i + 1 < st->argc)
                        value = st->argv[++i];
                risk = long_risk(name, value);
                if (risk)
                        return refuse(s, st, name, risk, err);
        }
        return 0;
}

/* graph -o FILE writes as root wherever FILE says, outside the lab's private state root. */
static int check_graph_step(const struct nlab_scenario *s, const struct nlab_step *st,
                            struct nlab_err *err)
{
        size_t i;

        for (i = 1; i < st->argc && strcmp(st->argv[i], "--"); i++) {
                const char *t = st->argv[i];
                bool writes = !strncmp(t, "--output", 8)
                                  ? (t[8] == '\0' || t[8] == '=')
                                  : (t[0] == '-' && t[1] != '-' && strchr(t, 'o'));
                if (writes)
                        return nlab_err_set(err, NLAB_E_INVALID,
                                            "%s:%u: graph -o writes a file on the host; a scenario "
                                            "file is code, so this needs the teacher's opt-in: "
                                            "scenario run --trust",
                                            s->file, st->line);
        }
        return 0;
}

int nlab_scenario_check_trust(const struct nlab_scenario *s, const struct nlab_grammar *g,
                              struct nlab_err *err)
{
        const struct nlab_cmd_grammar *cmd;
        size_t i;

        assert(s && g);
        for (i = 0; i < s->nsteps; i++) {
                const struct nlab_step *st = &s->steps[i];
                if (st->kind != NLAB_STEP_COMMAND || st->argc == 0)
                        continue;
                if (!strcmp(st->argv[0], "graph") && check_graph_step(s, st, err) < 0)
                        return -1;
                if (strcmp(st->argv[0], "run") && strcmp(st->argv[0], "create"))
                        continue;
                cmd = nlab_grammar_find(g, st->argv[0], NULL);
                if (cmd && check_run_step(s, st, cmd, err) < 0)
                        return -1;
        }
        return 0;
}
