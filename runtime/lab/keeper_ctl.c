#include "runtime/lab/keeper_ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUEST_MS 2000

/* One request line, within REQUEST_MS: the loop also relays published ports, so a client that
 * connects and says nothing must not stall it. */
static int read_request(int c, char *line, size_t size)
{
        struct pollfd p = {.fd = c, .events = POLLIN};
        size_t len = 0;
        ssize_t n;

        while (len + 1 < size) {
                if (poll(&p, 1, REQUEST_MS) <= 0)
                        return -1;
                n = read(c, line + len, size - 1 - len);
                if (n <= 0)
                        return -1;
                len += (size_t)n;
                line[len] = '\0';
                if (strchr(line, '\n'))
                        return 0;
        }
        return -1;
}

static void answer(int c, const char *text)
{
        struct timeval tv = {.tv_sec = 2};
        size_t len = strlen(text), off = 0;
        ssize_t n;

        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        while (off < len && (n = send(c, text + off, len - off, MSG_NOSIGNAL)) > 0)
                off += (size_t)n;
}

static void answer_err(int c, const struct nlab_err *err)
{
        char line[1100], *p;

        snprintf(line, sizeof(line), "error %d %s\n", (int)err->kind, err->msg);
        for (p = line; *p && p[1]; p++)
                if (*p == '\n')
                        *p = ' ';
        answer(c, line);
}

static struct kctl_fwd *find(struct kctl *k, const struct nlab_port_mapping *m)
{
        for (size_t i = 0; i < k->n; i++)
                if (k->v[i].m.proto == m->proto && k->v[i].m.host_port == m->host_port &&
                    !strcmp(k->v[i].m.host_ip, m->host_ip))
                        return &k->v[i];
        return NULL;
}

static int add(struct kctl *k, const struct nlab_keepctl_req *req, struct nlab_err *err)
{
        struct kctl_fwd *v = realloc(k->v, (k->n + 1) * sizeof(*v));

        if (!v)
                return nlab_err_sys(err, ENOMEM, "keeper");
        k->v = v;
        if (nlab_portfwd_add(k->fwd, &req->m, req->target, err) < 0)
                return -1;
        k->v[k->n].m = req->m;
        snprintf(k->v[k->n].target, sizeof(k->v[k->n].target), "%s", req->target);
        k->n++;
        return 0;
}

static int remove_fwd(struct kctl *k, const struct nlab_keepctl_req *req, struct nlab_err *err)
{
        struct kctl_fwd *f = find(k, &req->m);

        if (nlab_portfwd_remove(k->fwd, &req->m, err) < 0)
                return -1;
        if (f)
                *f = k->v[--k->n];
        return 0;
}

static void list(int c, const struct kctl *k)
{
        size_t size = 256 + sizeof(k->egress_note) + k->n * 128, used = 0;
        char *text = malloc(size);

        if (!text)
                return;
        if (k->eg.pid > 0)
                used += (size_t)snprintf(text, size, "egress %s (pid %d)\n", k->eg.tool,
                                         (int)k->eg.pid);
        else
                used += (size_t)snprintf(text, size, "egress none: %s\n", k->egress_note);
        for (size_t i = 0; i < k->n && used < size; i++) {
                const struct kctl_fwd *f = &k->v[i];
                used += (size_t)snprintf(text + used, size - used, "forward %s:%u/%s -> %s:%u\n",
                                         f->m.host_ip[0] ? f->m.host_ip : "0.0.0.0", f->m.host_port,
                                         nlab_proto_name(f->m.proto), f->target, f->m.ctr_port);
        }
        if (used < size)
                snprintf(text + used, size - used, "ok\n");
        answer(c, text);
        free(text);
}

static void handle(int c, struct kctl *k, const char *line)
{
        struct nlab_keepctl_req req;
        struct nlab_err err = {0};
        char pids[64];
        int r = 0;

        if (nlab_keepctl_parse(line, &req) < 0) {
                nlab_err_set(&err, NLAB_E_INVALID, "keeper: malformed request");
                return answer_err(c, &err);
        }
        if (req.op == NLAB_KC_PIDS) {
                snprintf(pids, sizeof(pids), "netlab-keeper %d %d\nok\n", (int)k->outer,
                         (int)k->inner);
                return answer(c, pids);
        }
        if (req.op == NLAB_KC_LIST)
                return list(c, k);
        if (!k->fwd)
                r = nlab_err_set(&err, NLAB_E_SYSTEM, "keeper: the port forwarder is gone");
        else if (req.op == NLAB_KC_ADD)
                r = add(k, &req, &err);
        else if (req.op == NLAB_KC_REMOVE)
                r = remove_fwd(k, &req, &err);
        else if (!find(k, &req.m)) /* ours: a stale forward the next add replaces */
                r = nlab_portfwd_probe(&req.m, &err);
        if (r < 0)
                return answer_err(c, &err);
        answer(c, "ok\n");
}

void kctl_serve(int lfd, struct kctl *k)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        char line[NLAB_KEEPCTL_LINE];
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (c < 0)
                return;
        /* the socket's directory is the user's 0700 state root; this holds even if it is not */
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
                close(c);
                return;
        }
        if (read_request(c, line, sizeof(line)) == 0)
                handle(c, k, line);
        close(c);
}

void kctl_reap(struct kctl *k)
{
        int status;

        if (k->eg.pid <= 0 || waitpid(k->eg.pid, &status, WNOHANG) != k->eg.pid)
                return;
        snprintf(k->egress_note, sizeof(k->egress_note),
                 "%s (pid %d) exited with status %d: containers cannot reach the outside "
                 "network until `netlab lab down`",
                 k->eg.tool, (int)k->eg.pid,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        k->eg.pid = 0;
}

void kctl_free(struct kctl *k)
{
        nlab_egress_stop(&k->eg);
        nlab_portfwd_free(k->fwd);
        k->fwd = NULL;
        free(k->v);
        k->v = NULL;
        k->n = 0;
}
