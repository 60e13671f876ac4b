/* Docker-shaped inspect documents built from a container's config and state records. */
#include <stdio.h>
#include <string.h>

#include "runtime/container.h"

static json_t *copy_or(const json_t *v, json_t *fallback)
{
        if (v) {
                json_decref(fallback);
                return json_deep_copy(v);
        }
        return fallback;
}

static json_t *state_doc(const json_t *state)
{
        const char *status = json_string_value(json_object_get(state, "Status"));
        json_t *s = json_object();

        json_object_set_new(s, "Status", json_string(status ? status : "created"));
        json_object_set_new(s, "Running", json_boolean(nlab_container_running(state)));
        json_object_set_new(s, "Paused", json_false());
        json_object_set_new(s, "Restarting", json_false());
        json_object_set_new(s, "OOMKilled", json_false());
        json_object_set_new(s, "Dead", json_false());
        json_object_set_new(s, "Pid", copy_or(json_object_get(state, "Pid"), json_integer(0)));
        json_object_set_new(s, "ExitCode",
                            copy_or(json_object_get(state, "ExitCode"), json_integer(0)));
        json_object_set_new(s, "Error", copy_or(json_object_get(state, "Error"), json_string("")));
        json_object_set_new(
            s, "StartedAt",
            copy_or(json_object_get(state, "StartedAt"), json_string("0001-01-01T00:00:00Z")));
        json_object_set_new(
            s, "FinishedAt",
            copy_or(json_object_get(state, "FinishedAt"), json_string("0001-01-01T00:00:00Z")));
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

json_t *nlab_container_inspect(const json_t *config, const json_t *state)
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
