#include "runtime/base/ctrstate.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {"creating", "created", "running", "exited"};

void nlab_ctr_state_init(struct nlab_ctr_state *s)
{
        memset(s, 0, sizeof(*s));
        s->status = NLAB_CTR_CREATED;
        snprintf(s->started_at, sizeof(s->started_at), "%s", NLAB_TIME_ZERO);
        snprintf(s->finished_at, sizeof(s->finished_at), "%s", NLAB_TIME_ZERO);
}

const char *nlab_ctr_status_name(enum nlab_ctr_status status)
{
        return (size_t)status < sizeof(names) / sizeof(names[0]) ? names[status] : "unknown";
}

static int parse_status(const char *v, enum nlab_ctr_status *out, struct nlab_err *err)
{
        size_t i;

        for (i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(v, names[i])) {
                        *out = (enum nlab_ctr_status)i;
                        return 0;
                }
        return nlab_err_set(err, NLAB_E_INVALID,
                            "unknown Status \"%s\": expected creating, created, running or exited",
                            v ? v : "(none)");
}

/* A non-negative integer that fits; absent is 0. */
static int get_uint(const json_t *doc, const char *key, unsigned long long max,
                    unsigned long long *out, struct nlab_err *err)
{
        const json_t *v = json_object_get(doc, key);

        *out = 0;
        if (!v)
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (unsigned long long)json_integer_value(v) > max)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: not an integer from 0 to %llu", key,
                                    max);
        *out = (unsigned long long)json_integer_value(v);
        return 0;
}

static int get_pid(const json_t *doc, const char *key, int *out, struct nlab_err *err)
{
        unsigned long long v;

        if (get_uint(doc, key, 0x7fffffff, &v, err) < 0)
                return -1;
        *out = (int)v;
        return 0;
}

/* A string that fits buf; absent keeps buf's default. */
static int get_str(const json_t *doc, const char *key, char *buf, size_t size, struct nlab_err *err)
{
        const json_t *v = json_object_get(doc, key);

        if (!v)
                return 0;
        if (!json_is_string(v) || json_string_length(v) >= size)
                return nlab_err_set(err, NLAB_E_INVALID, "%s: not a string of at most %zu bytes",
                                    key, size - 1);
        memcpy(buf, json_string_value(v), json_string_length(v) + 1);
        return 0;
}

int nlab_ctr_state_parse(const json_t *doc, struct nlab_ctr_state *s, struct nlab_err *err)
{
        unsigned long long code;

        nlab_ctr_state_init(s);
        if (!json_is_object(doc))
                return nlab_err_set(err, NLAB_E_INVALID, "state record: not a JSON object");
        if (parse_status(json_string_value(json_object_get(doc, "Status")), &s->status, err) < 0 ||
            get_pid(doc, "Pid", &s->pid, err) < 0 ||
            get_uint(doc, "PidStart", ~0ull, &s->pid_start, err) < 0 ||
            get_pid(doc, "ShimPid", &s->shim_pid, err) < 0 ||
            get_uint(doc, "ShimStart", ~0ull, &s->shim_start, err) < 0 ||
            get_pid(doc, "CreatorPid", &s->creator_pid, err) < 0 ||
            get_uint(doc, "CreatorStart", ~0ull, &s->creator_start, err) < 0 ||
            get_uint(doc, "ExitCode", 255, &code, err) < 0 ||
            get_str(doc, "StartedAt", s->started_at, sizeof(s->started_at), err) < 0 ||
            get_str(doc, "FinishedAt", s->finished_at, sizeof(s->finished_at), err) < 0 ||
            get_str(doc, "Error", s->error, sizeof(s->error), err) < 0) {
                nlab_err_prefix(err, "state record");
                return -1;
        }
        s->exit_code = (int)code;
        return 0;
}

json_t *nlab_ctr_state_to_json(const struct nlab_ctr_state *s)
{
        json_t *doc =
            json_pack("{s:s,s:i}", "Status", nlab_ctr_status_name(s->status), "Pid", s->pid);

        if (!doc)
                return NULL;
        if (s->shim_pid) {
                json_object_set_new(doc, "PidStart", json_integer((json_int_t)s->pid_start));
                json_object_set_new(doc, "ShimPid", json_integer(s->shim_pid));
                json_object_set_new(doc, "ShimStart", json_integer((json_int_t)s->shim_start));
        }
        json_object_set_new(doc, "ExitCode", json_integer(s->exit_code));
        json_object_set_new(doc, "StartedAt", json_string(s->started_at));
        json_object_set_new(doc, "FinishedAt", json_string(s->finished_at));
        if (s->error[0])
                json_object_set_new(doc, "Error", json_string(s->error));
        if (s->status == NLAB_CTR_CREATING) {
                json_object_set_new(doc, "CreatorPid", json_integer(s->creator_pid));
                json_object_set_new(doc, "CreatorStart",
                                    json_integer((json_int_t)s->creator_start));
        }
        return doc;
}
