/* The CLI's command grammar, for the runtime's readers of netlab command lines (scenarios). Each
 * command file exports the flag table it parses with; grammar.c lists the commands over them. */
#ifndef NLAB_CLI_GRAMMAR_H
#define NLAB_CLI_GRAMMAR_H

#include "runtime/base/grammar.h"

extern const struct nlab_flags nlab_flags_run, nlab_flags_start, nlab_flags_stop, nlab_flags_kill,
    nlab_flags_rm, nlab_flags_exec, nlab_flags_logs, nlab_flags_diagnose, nlab_flags_graph,
    nlab_flags_port, nlab_flags_ps, nlab_flags_inspect, nlab_flags_network_create,
    nlab_flags_network_ls, nlab_flags_network_inspect, nlab_flags_network_rm,
    nlab_flags_network_prune, nlab_flags_network_connect, nlab_flags_network_disconnect,
    nlab_flags_link_set, nlab_flags_link_plain;

/* The commands a scenario may use, with their arity, usage and real flag tables. */
const struct nlab_grammar *nlab_cli_grammar(void);

#endif
