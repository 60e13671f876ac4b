/* Docker-shaped inspect documents built from a container's config and state records. */
#include <stdio.h>
#include <string.h>

#include "runtime/ctr/container.h"

static json_t *copy_or(const json_t *v, json_t *fallback)
{
        if (v) {
                json_decref(fallback);
                return json_deep_copy(v);
        }
        return fallback;
}

static json_t *state_doc(const struct nlab_ctr_state *state)
{
        json_t *s = json_object();

        json_object_set_new(s, "Status", json_string(nlab_ctr_status_name(state->status)));
        json_object_set_new(s, "Running", json_boolean(nlab_container_running(state)));
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "OOMKilled", json_false());
        json_object_set_new(s, "Dead", json_false());
        json_object_set_new(s, "Pid", json_integer(state->pid));
        json_object_set_new(s, "ExitCode", json_integer(state->exit_code));
        json_object_set_new(s, "Error", json_string(state->error));
        json_object_set_new(s, "StartedAt", json_string(state->started_at));
        json_object_set_new(s, "FinishedAt", json_string(state->finished_at));
        return s;
}

/* Docker fills the top-level address fields from the default "bridge" network only; tutorials
 * read them with -f '{{.NetworkSettings.IPAddress}}'. Other networks leave them empty. */
static json_t *network_settings_doc(const json_t *config)
{
        static const char *const fields[] = {"IPAddress", "Gateway", "MacAddress", "IPPrefixLen"};
        json_t *ns = copy_or(json_object_get(config, "NetworkSettings"), json_object());
        const json_t *bridge = json_object_get(json_object_get(ns, "Networks"), "bridge");
        size_t i;

        for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                const json_t *v = json_object_get(bridge, fields[i]);
                json_t *empty = i == 3 ? json_integer(0) : json_string("");
                json_object_set_new(ns, fields[i], copy_or(v, empty));
        }
        return ns;
}

json_t *nlab_container_inspect(const json_t *config, const struct nlab_ctr_state *state)
{
        const json_t *cmd = json_object_get(json_object_get(config, "Config"), "Cmd");
        json_t *doc = json_object(), *args = json_array();
        char name[256];
        size_t i;

        for (i = 1; i < json_array_size(cmd); i++)
                json_array_append(args, json_array_get(cmd, i));
        snprintf(name, sizeof(name), "/%s", json_string_value(json_object_get(config, "Name")));
        json_object_set_new(doc, "Id", json_deep_copy(json_object_get(config, "Id")));
        json_object_set_new(doc, "Created", json_deep_copy(json_object_get(config, "Created")));
        json_object_set_new(doc, "Path", json_deep_copy(json_array_get(cmd, 0)));
        json_object_set_new(doc, "Args", args);
        json_object_set_new(doc, "State", state_doc(state));
        json_object_set_new(doc, "Image", json_deep_copy(json_object_get(config, "Image")));
        json_object_set_new(doc, "Name", json_string(name));
        json_object_set_new(doc, "RestartCount", json_integer(0));
        json_object_set_new(doc, "Driver", json_string("overlay"));
        json_object_set_new(doc, "Platform", json_string("linux"));
        json_object_set_new(doc, "HostConfig",
                            json_deep_copy(json_object_get(config, "HostConfig")));
        json_object_set_new(doc, "Config", json_deep_copy(json_object_get(config, "Config")));
        json_object_set_new(doc, "NetworkSettings", network_settings_doc(config));
        return doc;
}
