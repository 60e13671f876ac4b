/* netlab run / create / start: turn flags into a run request and attach to the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlab/cli.h"
#include "netlab/grammar.h"
#include "runtime/ctr/container.h"
#include "runtime/ctr/sigrelay.h"

static const struct nlab_flag run_flags[] = {
    {"detach", 'd', NLAB_FLAG_BOOL, NULL},
    {"interactive", 'i', NLAB_FLAG_BOOL, NULL},
    {"tty", 't', NLAB_FLAG_BOOL, NULL},
    {"rm", 0, NLAB_FLAG_BOOL, NULL},
    {"name", 0, NLAB_FLAG_VALUE, NULL},
    {"hostname", 'h', NLAB_FLAG_VALUE, NULL},
    {"env", 'e', NLAB_FLAG_LIST, NULL},
    {"volume", 'v', NLAB_FLAG_LIST, NULL},
    {"workdir", 'w', NLAB_FLAG_VALUE, NULL},
    {"network", 0, NLAB_FLAG_VALUE, "net"},
    {"ip", 0, NLAB_FLAG_VALUE, NULL},
    {"mac-address", 0, NLAB_FLAG_VALUE, NULL},
    {"network-alias", 0, NLAB_FLAG_LIST, "net-alias"},
    {"cap-add", 0, NLAB_FLAG_LIST, NULL},
    {"cap-drop", 0, NLAB_FLAG_LIST, NULL},
    {"privileged", 0, NLAB_FLAG_BOOL, NULL},
    {"init", 0, NLAB_FLAG_BOOL, NULL},
    {"security-opt", 0, NLAB_FLAG_LIST, NULL},
    {"add-host", 0, NLAB_FLAG_LIST, NULL},
    {"dns", 0, NLAB_FLAG_LIST, NULL},
    {"dns-search", 0, NLAB_FLAG_LIST, NULL},
    {"dns-option", 0, NLAB_FLAG_LIST, "dns-opt"},
    {"publish", 'p', NLAB_FLAG_LIST, NULL},
    {"publish-all", 'P', NLAB_FLAG_BOOL, NULL},
    {"expose", 0, NLAB_FLAG_LIST, NULL},
    {"label", 'l', NLAB_FLAG_LIST, NULL},
    {"sysctl", 0, NLAB_FLAG_LIST, NULL},
    {"device", 0, NLAB_FLAG_LIST, NULL},
    {"pids-limit", 0, NLAB_FLAG_VALUE, NULL},
    {"memory", 'm', NLAB_FLAG_VALUE, NULL},
    {"cpus", 0, NLAB_FLAG_VALUE, NULL},
    {"log-opt", 0, NLAB_FLAG_LIST, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_run = NLAB_FLAGS(run_flags);
#define N_RUN_FLAGS (sizeof(run_flags) / sizeof(run_flags[0]))

static int fi(const char *name)
{
        return nlab_flag_index(run_flags, N_RUN_FLAGS, name);
}

/* -e KEY without a value takes KEY from our environment, as Docker does. */
static void resolve_env(const struct nlab_strv *in, struct nlab_strv *out)
{
        size_t i;

        for (i = 0; i < in->n; i++) {
                const char *val;
                char *line;
                if (strchr(in->v[i], '=')) {
                        nlab_strv_push(out, in->v[i]);
                        continue;
                }
                val = getenv(in->v[i]);
                if (!val || asprintf(&line, "%s=%s", in->v[i], val) < 0)
                        continue;
                nlab_strv_push(out, line);
                free(line);
        }
}

static void fill_request(const struct nlab_parsed *p, struct nlab_run_req *req)
{
        memset(req, 0, sizeof(*req));
        req->image = p->pos[0];
        req->cmd = p->npos > 1 ? p->pos + 1 : NULL;
        req->name = p->value[fi("name")];
        req->hostname = p->value[fi("hostname")];
        req->workdir = p->value[fi("workdir")];
        req->network = p->value[fi("network")];
        req->ip = p->value[fi("ip")];
        req->mac = p->value[fi("mac-address")];
        resolve_env(&p->list[fi("env")], &req->env);
        req->volumes = p->list[fi("volume")];
        req->aliases = p->list[fi("network-alias")];
        req->cap_add = p->list[fi("cap-add")];
        req->cap_drop = p->list[fi("cap-drop")];
        req->security_opt = p->list[fi("security-opt")];
        req->add_hosts = p->list[fi("add-host")];
        req->dns = p->list[fi("dns")];
        req->dns_search = p->list[fi("dns-search")];
        req->dns_options = p->list[fi("dns-option")];
        req->publish = p->list[fi("publish")];
        req->expose = p->list[fi("expose")];
        req->labels = p->list[fi("label")];
        req->sysctls = p->list[fi("sysctl")];
        req->devices = p->list[fi("device")];
        req->pids_limit = p->value[fi("pids-limit")];
        req->memory = p->value[fi("memory")];
        req->cpus = p->value[fi("cpus")];
        req->log_opts = p->list[fi("log-opt")];
        req->privileged = p->set[fi("privileged")];
        req->init = p->set[fi("init")];
        req->tty = p->set[fi("tty")];
        req->interactive = p->set[fi("interactive")];
        req->autoremove = p->set[fi("rm")];
        req->publish_all = p->set[fi("publish-all")];
}

/* The host's own ports are the container's: Docker warns, drops -p and goes on. */
static void discard_host_ports(struct nlab_run_req *req)
{
        if (!req->network || strcmp(req->network, "host") != 0 || req->publish.n == 0)
                return;
        fprintf(stderr,
                "netlab: warning: Published ports are discarded when using host network mode\n");
        memset(&req->publish, 0, sizeof(req->publish));
}

static int parse_run(const char *cmd, int argc, char **argv, struct nlab_parsed *p,
                     struct nlab_run_req *req, int *code)
{
        int r = nlab_cli_parse(cmd, run_flags, N_RUN_FLAGS, argc, argv, 1, p, true, code);

        if (r != 0)
                return -1;
        if (p->npos < 1) {
                *code = nlab_cli_usage_error(cmd,
                                             "\"netlab run\" requires at least 1 argument: "
                                             "IMAGE [COMMAND] [ARG...]",
                                             true);
                return -1;
        }
        fill_request(p, req);
        discard_host_ports(req);
        return 0;
}

int nlab_run_help_only(const char *cmd, int argc, char **argv)
{
        if (!nlab_cli_asks_help(run_flags, N_RUN_FLAGS, argc, argv, 1))
                return -1;
        return nlab_cli_help(cmd);
}

int nlab_cmd_create(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_run_req req;
        char id[NLAB_ID_LEN + 1];
        struct nlab_err err;
        int code = 0;

        if (parse_run("create", argc, argv, &p, &req, &code) < 0)
                goto out;
        if (nlab_container_create(&cli->st, &req, id, &err) < 0)
                code = nlab_cli_fail(&err, true);
        else
                printf("%s\n", id);
        nlab_strv_free(&req.env);
out:
        nlab_parsed_free(&p, N_RUN_FLAGS);
        return code;
}

/* Docker's sig-proxy: signals to the foreground CLI go to the container's first process (as
 * pid 1 it drops those it has no handler for; --init makes that netlab-init, which passes them
 * on). */
static int forward_signals_until_exit(struct nlab_shim_handle *h, int *code, struct nlab_err *err)
{
        nlab_sigrelay_block();
        nlab_sigrelay_until(h->pid, h->exit_fd);
        return nlab_shim_wait_exit(h, code, err);
}

/* Start attached and wait: 0 with the container's exit code in *code, or -1 with err filled. */
static int attach_foreground(struct nlab_cli *cli, const char *id, const struct nlab_run_req *req,
                             int *code, struct nlab_err *err)
{
        struct nlab_attach io = {.attached = true};
        struct nlab_shim_handle h;
        struct nlab_stdio sio;
        int r;

        if (nlab_stdio_prepare(&sio, req->tty, req->interactive, false, err) < 0)
                return -1;
        memcpy(io.stdio, sio.fds, sizeof(io.stdio));
        r = nlab_container_start(&cli->st, id, &io, &h, err);
        nlab_stdio_spawned(&sio, r < 0);
        if (r < 0)
                return -1;
        if (sio.master >= 0) {
                nlab_tty_relay(sio.master, req->interactive);
                close(sio.master);
        }
        return forward_signals_until_exit(&h, code, err);
}

/* Append word to line (quoted when the shell would split it); false once line is full. */
static bool append_word(char *line, size_t size, const char *word)
{
        size_t len = strlen(line);
        bool quote = !word[0] || strpbrk(word, " \t\"$`\\*?;&|<>()#~") != NULL;
        int n = snprintf(line + len, size - len, quote ? " '%s'" : " %s", word);

        return n > 0 && (size_t)n < size - len;
}

/* run busybox -d sleep 9: the "command" is one of our flags (Docker would run "-d" too). Print
 * the error with the command line that was meant, and return 1; 0 when that is not the case. */
static int flags_after_image(const char *cmd, int argc, char **argv, const struct nlab_parsed *p,
                             const struct nlab_err *err)
{
        struct nlab_parsed q = {0};
        char line[1024];
        int img, nflags, k;
        bool ok = true;

        if (err->kind != NLAB_E_NOCMD || p->npos < 2 || p->pos[1][0] != '-')
                return 0;
        if (nlab_args_parse(run_flags, N_RUN_FLAGS, p->npos - 1, p->pos + 1, 1, &q, NULL) < 0) {
                nlab_parsed_free(&q, N_RUN_FLAGS);
                return 0;
        }
        nflags = p->npos - 1 - q.npos;
        nlab_parsed_free(&q, N_RUN_FLAGS);
        for (img = 0; img < argc && argv[img] != p->pos[0]; img++)
                ;
        if (nflags <= 0 || img == argc)
                return 0;
        snprintf(line, sizeof(line), "netlab %s", cmd);
        for (k = 0; k < img; k++) /* the flags before the image, then those after it */
                ok = ok && append_word(line, sizeof(line), argv[k]);
        for (k = 0; k < nflags; k++)
                ok = ok && append_word(line, sizeof(line), p->pos[1 + k]);
        ok = ok && append_word(line, sizeof(line), p->pos[0]);
        for (k = 1 + nflags; ok && k < p->npos; k++)
                ok = append_word(line, sizeof(line), p->pos[k]);
        fprintf(stderr, "netlab: error: %s: flags go before the image: %s%s\n", err->msg, line,
                ok ? "" : " ...");
        return 1;
}

int nlab_cmd_run(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_shim_handle h;
        struct nlab_run_req req;
        char id[NLAB_ID_LEN + 1];
        struct nlab_attach io = {0};
        struct nlab_err err;
        int code = 0;

        if (parse_run("run", argc, argv, &p, &req, &code) < 0)
                goto out;
        if (nlab_container_create(&cli->st, &req, id, &err) < 0) {
                code = nlab_cli_fail(&err, true);
                goto free_req;
        }
        nlab_cli_warn_foreign(); /* before the container's own output starts */
        if (p.set[fi("detach")]) {
                if (nlab_container_start(&cli->st, id, &io, &h, &err) < 0) {
                        code = flags_after_image("run", argc, argv, &p, &err)
                                   ? 127
                                   : nlab_cli_fail(&err, true);
                        nlab_container_remove(&cli->st, id, true, NULL);
                } else {
                        printf("%s\n", id);
                }
                goto free_req;
        }
        if (attach_foreground(cli, id, &req, &code, &err) < 0) {
                /* A run that never started its command leaves nothing behind. */
                code = flags_after_image("run", argc, argv, &p, &err) ? 127
                                                                      : nlab_cli_fail(&err, true);
                nlab_container_remove(&cli->st, id, true, NULL);
        }
free_req:
        nlab_strv_free(&req.env);
out:
        nlab_parsed_free(&p, N_RUN_FLAGS);
        return code;
}

static const struct nlab_flag start_flags[] = {
    {"attach", 'a', NLAB_FLAG_BOOL, NULL},
    {"interactive", 'i', NLAB_FLAG_BOOL, NULL},
    {"help", 0, NLAB_FLAG_BOOL, NULL},
};
const struct nlab_flags nlab_flags_start = NLAB_FLAGS(start_flags);

/* A concurrent start got there first: like Docker, starting a running container succeeds. Only
 * when this start made no process (h->pid): one it made and aborted on a conflict of its own (a
 * held port, another root's bridge) reads "running" until its shim gets the lock to tear down. */
static bool lost_start_race(struct nlab_cli *cli, const char *id, const struct nlab_shim_handle *h,
                            const struct nlab_err *err)
{
        struct nlab_ctr_state state;

        if (err->kind != NLAB_E_CONFLICT || h->pid != 0 ||
            nlab_container_load(&cli->st, id, NULL, &state, NULL) < 0)
                return false;
        return nlab_container_running(&state);
}

int nlab_cmd_start(struct nlab_cli *cli, int argc, char **argv)
{
        struct nlab_parsed p = {0};
        struct nlab_attach io = {0};
        struct nlab_shim_handle h;
        char id[NLAB_ID_LEN + 1];
        struct nlab_err err;
        int code = 0, i;

        if (nlab_cli_parse("start", start_flags, 3, argc, argv, 0, &p, true, &code) != 0)
                goto out;
        if (p.npos < 1) {
                code = nlab_cli_usage_error("start",
                                            "\"netlab start\" requires at least 1 argument", true);
                goto out;
        }
        nlab_cli_warn_foreign();
        for (i = 0; i < p.npos; i++) {
                struct nlab_ctr_state state;
                struct nlab_ctr_config cfg;
                if (nlab_store_resolve(&cli->st, p.pos[i], id, &err) < 0 ||
                    nlab_container_load(&cli->st, id, &cfg, &state, &err) < 0) {
                        code = nlab_cli_fail(&err, true);
                        continue;
                }
                if (p.set[0] && !nlab_container_running(&state)) {
                        struct nlab_run_req req = {0};
                        req.tty = cfg.tty;
                        req.interactive = p.set[1];
                        if (attach_foreground(cli, id, &req, &code, &err) < 0)
                                code = nlab_cli_fail(&err, true);
                } else if (!nlab_container_running(&state) &&
                           nlab_container_start(&cli->st, id, &io, &h, &err) < 0 &&
                           !lost_start_race(cli, id, &h, &err)) {
                        code = nlab_cli_fail(&err, true);
                } else {
                        printf("%s\n", p.pos[i]);
                }
                nlab_ctr_config_free(&cfg);
        }
out:
        nlab_parsed_free(&p, 3);
        return code;
}
