/* The commands a scenario file may use, over the flag tables the commands themselves parse with:
 * a flag added to a command is known to the scenario parser without a second list. */
#include "netlab/grammar.h"

static const struct nlab_cmd_grammar commands[] = {
    {"run", NULL, 1, -1, true, "run [OPTIONS] IMAGE [COMMAND...]", &nlab_flags_run},
    {"create", NULL, 1, -1, true, "create [OPTIONS] IMAGE [COMMAND...]", &nlab_flags_run},
    {"exec", NULL, 2, -1, true, "exec [OPTIONS] CONTAINER COMMAND...", &nlab_flags_exec},
    {"start", NULL, 1, -1, false, "start CONTAINER...", &nlab_flags_start},
    {"stop", NULL, 1, -1, false, "stop CONTAINER...", &nlab_flags_stop},
    {"restart", NULL, 1, -1, false, "restart CONTAINER...", &nlab_flags_stop},
    {"kill", NULL, 1, -1, false, "kill CONTAINER...", &nlab_flags_kill},
    {"rm", NULL, 1, -1, false, "rm CONTAINER...", &nlab_flags_rm},
    {"logs", NULL, 1, 1, false, "logs CONTAINER", &nlab_flags_logs},
    {"inspect", NULL, 1, -1, false, "inspect NAME...", &nlab_flags_inspect},
    {"ps", NULL, 0, 0, false, "ps [OPTIONS]", &nlab_flags_ps},
    {"images", NULL, 0, 0, false, "images", NULL},
    {"port", NULL, 1, 2, false, "port CONTAINER [PORT]", &nlab_flags_port},
    {"diagnose", NULL, 2, 2, false, "diagnose [--capture] A B[:PORT]", &nlab_flags_diagnose},
    {"graph", NULL, 0, 0, false, "graph [--format text|dot|svg|png] [-o FILE]", &nlab_flags_graph},
    {"network", "create", 1, 1, false, "network create [OPTIONS] NETWORK",
     &nlab_flags_network_create},
    {"network", "rm", 1, -1, false, "network rm NETWORK...", &nlab_flags_network_rm},
    {"network", "remove", 1, -1, false, "network rm NETWORK...", &nlab_flags_network_rm},
    {"network", "ls", 0, 0, false, "network ls", &nlab_flags_network_ls},
    {"network", "list", 0, 0, false, "network ls", &nlab_flags_network_ls},
    {"network", "inspect", 1, -1, false, "network inspect NETWORK...", &nlab_flags_network_inspect},
    {"network", "prune", 0, 0, false, "network prune", &nlab_flags_network_prune},
    {"network", "connect", 2, 2, false, "network connect [OPTIONS] NETWORK CONTAINER",
     &nlab_flags_network_connect},
    {"network", "disconnect", 2, 2, false, "network disconnect NETWORK CONTAINER",
     &nlab_flags_network_disconnect},
    {"link", "set", 1, 1, false,
     "link set CONTAINER[/IFACE] [--rate R] [--delay T [--jitter T]] [--loss P%]",
     &nlab_flags_link_set},
    {"link", "show", 1, 1, false, "link show CONTAINER[/IFACE]", &nlab_flags_link_plain},
    {"link", "reset", 1, 1, false, "link reset CONTAINER[/IFACE]", &nlab_flags_link_plain},
};

const struct nlab_grammar *nlab_cli_grammar(void)
{
        static const struct nlab_grammar g = {commands, sizeof(commands) / sizeof(commands[0])};

        return &g;
}
