/* What the command files share: the context, the error printer and the command signatures. */
#ifndef NLAB_CLI_H
#define NLAB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "netlab/args.h"
#include "runtime/base/err.h"
#include "runtime/base/store.h"
#include "runtime/lab/keeper.h"

struct nlab_cli {
        struct nlab_store st;
        const char *root;
        const char *cmd; /* for messages */
        bool rootless;   /* the lab lives in a lab host of its own (docs/architecture.md) */
        bool joined;     /* rootless: this process is inside the lab host */
        struct nlab_keeper keeper; /* rootless: found or started before the join */
};

typedef int (*nlab_cmd_fn)(struct nlab_cli *cli, int argc, char **argv);

/* Print "netlab: error: MSG" and return the exit code for this kind of failure. */
int nlab_cli_fail(const struct nlab_err *err, bool docker_run_codes);
/* Print "netlab: warning: ..." when another firewall would silently drop netlab's forwarded
 * traffic; commands that create a network or start containers call it once. */
void nlab_cli_warn_foreign(void);
/* A usage error (bad flag, wrong argument count) for the named command. */
int nlab_cli_usage_error(const char *cmd, const char *msg, bool docker_run_codes);
/* Whether argv (a command's arguments) sets the table's --help flag; a parse error counts as no. */
/* The help a command with subcommands prints before it opens anything: CMD's own for "CMD",
 * "CMD --help" or "CMD -h" (exit 1 when no subcommand was given), else -1. */
int nlab_cli_group_help(const char *cmd, int argc, char **argv);
/* "CMD SUB ARGS": SUB's help when ARGS ask for it, read with SUB's flags (NULL: any --help before
 * "--"), else -1. */
int nlab_cli_sub_help(const char *cmd, const char *sub, const struct nlab_flag *flags,
                      size_t nflags, int argc, char **argv, int stop_after);
bool nlab_cli_asks_help(const struct nlab_flag *flags, size_t nflags, int argc, char **argv,
                        int stop_after);
/* The narration's language: --lang (en or zh; -1 for anything else), else zh for a zh_* locale
 * (the first of LC_ALL, LC_MESSAGES, LANG that is set, as the C library reads them). */
int nlab_cli_pick_lang(const char *flag, bool *zh);
/* For commands whose arguments may hold a --help that is not theirs (run IMAGE CMD --help):
 * print the help argv asks for and return the exit code, or -1 when it asks for none. main()
 * calls these before it opens the state root, since --help must not create or touch anything. */
typedef int (*nlab_help_only_fn)(const char *cmd, int argc, char **argv);
int nlab_run_help_only(const char *cmd, int argc, char **argv);
int nlab_exec_help_only(const char *cmd, int argc, char **argv);
int nlab_network_help_only(const char *cmd, int argc, char **argv);
int nlab_external_help_only(const char *cmd, int argc, char **argv);
int nlab_challenge_help_only(const char *cmd, int argc, char **argv);
int nlab_link_help_only(const char *cmd, int argc, char **argv);
/* Print the help of a command ("run", "network connect") to stdout. */
int nlab_cli_help(const char *cmd);
/* "unknown command" for word (a subcommand of group, "" for the top level) with the nearest
 * command that has help, or what to do instead of a Docker command netlab lacks. Returns 1. */
int nlab_cli_unknown_command(const char *group, const char *word);
/* Parse a command's flags; a --help flag prints help. Returns 1 if help was printed. */
int nlab_cli_parse(const char *cmd, const struct nlab_flag *flags, size_t nflags, int argc,
                   char **argv, int stop_after, struct nlab_parsed *p, bool run_codes, int *code);

int nlab_cmd_run(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_create(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_start(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_stop(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_restart(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_kill(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_rm(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_ps(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_exec(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_logs(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_inspect(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_images(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_network(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_port(struct nlab_cli *cli, int argc, char **argv);
/* Not a user command: what netlab-shim execs once a container's process is gone. */
int nlab_cmd_shim_exit(const char *root, int argc, char **argv);
int nlab_cmd_diagnose(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_capture(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_explain(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_external(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_graph(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_link(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_scenario(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_challenge(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_system(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_version(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_info(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_top(struct nlab_cli *cli, int argc, char **argv);
int nlab_cmd_doctor(struct nlab_cli *cli, int argc, char **argv);
/* scenario run's preflight (cmd_doctor.c): the host-wide checks for the features the files use,
 * one ok line or the findings; -1 when no lab can run here. */
struct nlab_scenario;
int nlab_cli_preflight(const struct nlab_scenario *all, size_t n, bool tap, FILE *out);
int nlab_cmd_lab(struct nlab_cli *cli, int argc, char **argv);
/* Rootless: find or start the lab host (printing its notes unless quiet), join it, and fork
 * into its pid namespace. Returns -1 in the child, which goes on with the command; the parent
 * waits and exits with the child's code (with stop_after, ending the keeper after a success).
 * A failure before the fork returns the exit code. */
int nlab_rootless_enter(struct nlab_cli *cli, bool run_codes, bool quiet, bool stop_after);

/* The stdio a foreground process gets: our own fds, a pty slave (-t), /dev/null for stdin
 * without -i, or /dev/null for everything (detached exec). */
struct nlab_stdio {
        int fds[3];
        int master; /* -t: our end of the pty, or -1 */
        int slave, devnull;
};
int nlab_stdio_prepare(struct nlab_stdio *s, bool tty, bool keep_stdin, bool discard_output,
                       struct nlab_err *err);
/* After the process got its copies: close ours of its ends; with failed, close the master too. */
void nlab_stdio_spawned(struct nlab_stdio *s, bool failed);

/* The terminal relay for -t: raw mode, window size, copy both ways until the pty closes. */
int nlab_tty_open(int *master, int *slave, struct nlab_err *err);
void nlab_tty_relay(int master, bool forward_stdin);

#endif
