/* netlab ps and inspect: read the records, shape them like Docker, print. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "netlab/filter.h"
#include "netlab/format.h"
#include "netlab/output.h"
#include "runtime/ctr/container.h"

static void command_text(const json_t *cmd, bool trunc, char *buf, size_t size)
{
        size_t i, len = 0;
        char inner[1024] = "";

        for (i = 0; i < json_array_size(cmd) && len < sizeof(inner) - 1; i++)
                len += (size_t)snprintf(inner + len, sizeof(inner) - len, "%s%s", i ? " " : "",
                                        json_string_value(json_array_get(cmd, i)));
        if (trunc && strlen(inner) > 20)
                snprintf(buf, size, "\"%.19s…\"", inner);
        else
                snprintf(buf, size, "\"%s\"", inner);
}

static void status_text(const struct nlab_ctr_state *state, time_t now, char *buf, size_t size)
{
        char dur[64];

        if (state->status == NLAB_CTR_RUNNING) {
                time_t t = nlab_parse_time(state->started_at);
                nlab_human_duration((long)(now - t), dur, sizeof(dur));
                snprintf(buf, size, "Up %s", dur);
        } else if (state->status == NLAB_CTR_EXITED) {
                time_t t = nlab_parse_time(state->finished_at);
                nlab_human_duration((long)(now - t), dur, sizeof(dur));
                snprintf(buf, size, "Exited (%d) %s ago", state->exit_code, dur);
        } else {
                snprintf(buf, size, "Created");
        }
}

static void labels_text(const json_t *labels, char *buf, size_t size)
{
        const char *k;
        json_t *v;
        size_t len = 0;

        buf[0] = '\0';
        json_object_foreach((json_t *)labels, k, v)
        {
                len += (size_t)snprintf(buf + len, size > len ? size - len : 0, "%s%s=%s",
                                        len ? "," : "", k, json_string_value(v));
        }
}

static void networks_text(const json_t *cfg, char *buf, size_t size)
{
        const json_t *nets = json_object_get(json_object_get(cfg, "NetworkSettings"), "Networks");
        const char *k;
        json_t *v;
        size_t len = 0;

        buf[0] = '\0';
        if (!json_object_size(nets)) {
                snprintf(buf, size, "%s",
                         json_string_value(
                             json_object_get(json_object_get(cfg, "HostConfig"), "NetworkMode")));
                return;
        }
        json_object_foreach((json_t *)nets, k, v)
        {
                len += (size_t)snprintf(buf + len, size > len ? size - len : 0, "%s%s",
                                        len ? "," : "", k);
        }
}

/* One `ps` row with Docker's field names, the data that templates see. */
static json_t *ps_row(const json_t *cfg, const struct nlab_ctr_state *state, bool trunc)
{
        const json_t *c = json_object_get(cfg, "Config");
        char buf[2048], id[16];
        time_t now = time(NULL), created;
        json_t *row = json_object();
        struct tm tm;

        snprintf(id, sizeof(id), "%.12s", json_string_value(json_object_get(cfg, "Id")));
        json_object_set_new(
            row, "ID", json_string(trunc ? id : json_string_value(json_object_get(cfg, "Id"))));
        json_object_set_new(row, "Image", json_deep_copy(json_object_get(cfg, "Image")));
        command_text(json_object_get(c, "Cmd"), trunc, buf, sizeof(buf));
        json_object_set_new(row, "Command", json_string(buf));
        created = nlab_parse_time(json_string_value(json_object_get(cfg, "Created")));
        gmtime_r(&created, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        json_object_set_new(row, "CreatedAt", json_string(buf));
        nlab_human_duration((long)(now - created), buf, sizeof(buf));
        strcat(buf, " ago");
        json_object_set_new(row, "RunningFor", json_string(buf));
        status_text(state, now, buf, sizeof(buf));
        json_object_set_new(row, "Status", json_string(buf));
        json_object_set_new(row, "State", json_string(nlab_ctr_status_name(state->status)));
        buf[0] = '\0';
        if (nlab_container_running(state)) /* Docker shows mappings only while they exist */
                nlab_format_ports(json_object_get(json_object_get(cfg, "NetworkSettings"), "Ports"),
                                  buf, sizeof(buf));
        json_object_set_new(row, "Ports", json_string(buf));
        json_object_set_new(row, "Names", json_deep_copy(json_object_get(cfg, "Name")));
        labels_text(json_object_get(c, "Labels"), buf, sizeof(buf));
        json_object_set_new(row, "Labels", json_string(buf));
        networks_text(cfg, buf, sizeof(buf));
        json_object_set_new(row, "Networks", json_string(buf));
        json_object_set_new(row, "Mounts", json_string(""));
        json_object_set_new(row, "Size", json_string("0B"));
        return row;
}

static bool name_matches(const char *name, const char *pattern)
{
        regex_t re;
        bool ok;

        /* Docker matches names as a regular expression; fall back to a substring. */
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return strstr(name, pattern) != NULL;
        ok = regexec(&re, name, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

struct ps_item {
        const json_t *cfg;
        const struct nlab_ctr_state *state;
};

static bool ps_filter_one(const struct nlab_filter *f, const void *item)
{
        const struct ps_item *it = item;
        const char *id = json_string_value(json_object_get(it->cfg, "Id"));
        const json_t *nets =
            json_object_get(json_object_get(it->cfg, "NetworkSettings"), "Networks");
        const char *mode = json_string_value(
            json_object_get(json_object_get(it->cfg, "HostConfig"), "NetworkMode"));

        if (!strcmp(f->key, "name"))
                return name_matches(json_string_value(json_object_get(it->cfg, "Name")), f->value);
        if (!strcmp(f->key, "id"))
                return !strncmp(id, f->value, strlen(f->value));
        if (!strcmp(f->key, "status"))
                return !strcmp(nlab_ctr_status_name(it->state->status), f->value);
        if (!strcmp(f->key, "label"))
                return nlab_filter_label(
                    json_object_get(json_object_get(it->cfg, "Config"), "Labels"), f->value);
        if (!strcmp(f->key, "network"))
                return json_object_get(nets, f->value) != NULL || (mode && !strcmp(mode, f->value));
        return false;
}

static const struct nlab_flag ps_flags[] = {
    {"all", 'a', NLAB_FLAG_BOOL, NULL},    {"quiet", 'q', NLAB_FLAG_BOOL, NULL},
    {"format", 0, NLAB_FLAG_VALUE, NULL},  {"filter", 'f', NLAB_FLAG_LIST, NULL},
    {"no-trunc", 0, NLAB_FLAG_BOOL, NULL}, {"latest", 'l', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_ps = NLAB_FLAGS(ps_flags);
#define N_PS_FLAGS (sizeof(ps_flags) / sizeof(ps_flags[0]))

static const struct nlab_header ps_columns[] = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"}, {"RunningFor", "CREATED"},
    {"Status", "STATUS"},   {"Ports", "PORTS"}, {"Names", "NAMES"},     {"CreatedAt", "CREATED AT"},
    {"State", "STATE"},     {NULL, NULL},
};
static const char ps_default[] =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

static json_t *collect_rows(struct nlab_cli *cli, const struct nlab_parsed *p,
                            const struct nlab_filters *fs, struct nlab_err *err)
{
        json_t *rows = json_array();
        char **ids = NULL;
        size_t n = 0, i;

        if (nlab_store_list(&cli->st, &ids, &n, err) < 0) {
                json_decref(rows);
                return NULL;
        }
        for (i = n; i-- > 0;) {
                struct nlab_ctr_state state;
                json_t *cfg = NULL;
                struct ps_item it;
                /* ps is where a killed shim is noticed: its teardown is done here. */
                if (nlab_container_reconcile(&cli->st, ids[i], NULL) < 0 ||
                    nlab_container_load(&cli->st, ids[i], &cfg, &state, NULL) < 0)
                        continue;
                it.cfg = cfg;
                it.state = &state;
                if ((p->set[0] || nlab_container_running(&state)) &&
                    nlab_filters_match(fs, ps_filter_one, &it))
                        json_array_append_new(rows, ps_row(cfg, &state, !p->set[4]));
                json_decref(cfg);
        }
        nlab_store_free_list(ids, n);
        return rows;
}

int nlab_cmd_ps(struct nlab_cli *cli, int argc, char **argv)
{
        static const char *const keys[] = {"name", "id", "status", "label", "network", NULL};
        struct nlab_parsed p = {0};
        struct nlab_filters fs = {0};
        struct nlab_err err;
        json_t *rows = NULL;
        int code = 0;

        if (nlab_cli_parse("ps", ps_flags, N_PS_FLAGS, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (nlab_filters_parse(&p.list[3], keys, &fs, &err) < 0 ||
            !(rows = collect_rows(cli, &p, &fs, &err))) {
                code = nlab_cli_fail(&err, false);
                goto out;
        }
        if (p.set[1])
                code = nlab_print_rows(rows, "{{.ID}}", ps_columns, &err);
        else
                code =
                    nlab_print_rows(rows, p.value[2] ? p.value[2] : ps_default, ps_columns, &err);
        if (code < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(rows);
        nlab_filters_free(&fs);
        nlab_parsed_free(&p, N_PS_FLAGS);
        return code;
}

static const struct nlab_flag inspect_flags[] = {
    {"format", 'f', NLAB_FLAG_VALUE, NULL},
    {"type", 0, NLAB_FLAG_VALUE, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_inspect = NLAB_FLAGS(inspect_flags);

int nlab_cmd_inspect(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_err err;
        json_t *docs = json_array();
        int code = 0, i;

        if (nlab_cli_parse("inspect", inspect_flags, 3, argc, argv, 0, &p, false, &code) != 0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error(
                    "inspect", "\"netlab inspect\" requires at least 1 argument", false);
                goto out;
        }
        for (i = 0; i < p.npos; i++) {
                json_t *doc = NULL;
                if (nlab_inspect_any(cli, p.pos[i], p.value[1], &doc, &err) < 0) {
                        code = nlab_cli_fail(&err, false);
                        continue;
                }
                json_array_append_new(docs, doc);
        }
        if (nlab_print_docs(docs, p.value[0], &err) < 0)
                code = nlab_cli_fail(&err, false);
out:
        json_decref(docs);
        nlab_parsed_free(&p, 3);
        return code;
}
