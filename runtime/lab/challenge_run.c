/* A challenge in a real state root: build its start, check its goals, remove it again. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/ctr/system.h"
#include "runtime/lab/challenge.h"
#include "runtime/lab/diagnose.h"
#include "runtime/lab/internal.h"
#include "runtime/net/external.h"
#include "runtime/net/network.h"

/* <root>/challenge holds the active challenge's file; system reset empties the root with it. */
static void record_path(const char *root, char *buf, size_t size)
{
        snprintf(buf, size, "%s/challenge", root);
}

int nlab_challenge_active(const char *root, char *path, size_t size, struct nlab_err *err)
{
        char rec[PATH_MAX];
        FILE *f;
        size_t n;

        assert(root && path && size);
        record_path(root, rec, sizeof(rec));
        f = fopen(rec, "re");
        if (!f && errno == ENOENT)
                return nlab_err_set(err, NLAB_E_NOTFOUND, "no active challenge in state root %s",
                                    root);
        if (!f)
                return nlab_err_sys(err, errno, "challenge record %s", rec);
        n = fread(path, 1, size - 1, f);
        fclose(f);
        path[n] = '\0';
        path[strcspn(path, "\n")] = '\0';
        if (!path[0])
                return nlab_err_set(err, NLAB_E_NOTFOUND, "challenge record %s is empty", rec);
        return 0;
}

static int record_active(const char *root, const char *file, struct nlab_err *err)
{
        char rec[PATH_MAX];
        FILE *f;
        int r;

        record_path(root, rec, sizeof(rec));
        f = fopen(rec, "we");
        if (!f)
                return nlab_err_sys(err, errno, "challenge record %s", rec);
        r = fprintf(f, "%s\n", file);
        if (fclose(f) != 0 || r < 0)
                return nlab_err_sys(err, errno, "challenge record %s", rec);
        return 0;
}

static int count_user_networks(struct nlab_store *st, size_t *n, struct nlab_err *err)
{
        struct nlab_net *nets;
        size_t i, all;

        *n = 0;
        if (nlab_network_list(st, &nets, &all, err) < 0)
                return -1;
        for (i = 0; i < all; i++)
                *n += nlab_network_is_user(&nets[i]);
        free(nets);
        return 0;
}

/* A challenge starts from an empty lab: its names must be free and its reset may remove all. */
static int ensure_empty(struct nlab_store *st, const char *root, struct nlab_err *err)
{
        char active[PATH_MAX], **ids;
        struct nlab_external *xs;
        size_t nctr, nnet, nx;

        if (nlab_challenge_active(root, active, sizeof(active), NULL) == 0)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "challenge %s is active in state root %s: one at a time "
                                    "(remove it with: netlab challenge reset)",
                                    active, root);
        if (nlab_store_list(st, &ids, &nctr, err) < 0)
                return -1;
        nlab_store_free_list(ids, nctr);
        if (count_user_networks(st, &nnet, err) < 0)
                return -1;
        if (nlab_external_list(st, &xs, &nx, err) < 0)
                return -1;
        free(xs);
        if (nctr || nnet || nx)
                return nlab_err_set(err, NLAB_E_CONFLICT,
                                    "state root %s holds a lab (%zu containers, %zu networks, %zu "
                                    "external hosts): a challenge starts from an empty one "
                                    "(empty it with: netlab system reset, or use another --root)",
                                    root, nctr, nnet, nx);
        return 0;
}

/* One step of the start as this binary runs it; returns its exit status. */
static int run_setup_step(const struct lab_ctx *lc, const struct nlab_step *st, char *out,
                          size_t size)
{
        char *ext[] = {"external", "add", st->argc ? st->argv[0] : NULL, "--subnet",
                       st->argc > 1 ? st->argv[1] : NULL};
        int status = 0;

        if (st->kind == NLAB_STEP_EXTERNAL) {
                if (lab_self_exec(lc, ext, ext[4] ? 5 : 3, out, size, &status) < 0)
                        return -1;
        } else if (lab_self_exec(lc, st->argv, st->argc, out, size, &status) < 0) {
                return -1;
        }
        return lab_exit_code(status);
}

static int build(const struct nlab_challenge *c, const struct lab_ctx *lc,
                 volatile sig_atomic_t *stop, nlab_challenge_progress progress, void *ctx,
                 struct nlab_err *err)
{
        char out[8192];
        size_t i;

        for (i = 0; i < c->s.nsteps; i++) {
                const struct nlab_step *st = &c->s.steps[i];
                int code;
                if (st->line > c->task_line)
                        break;
                if (st->kind != NLAB_STEP_COMMAND && st->kind != NLAB_STEP_EXTERNAL)
                        continue;
                code = run_setup_step(lc, st, out, sizeof(out));
                if (code < 0)
                        return nlab_err_sys(err, errno, "challenge %s: cannot run %s", c->s.file,
                                            lc->self);
                if (progress)
                        progress(ctx, st, code, out);
                if (code != 0)
                        return nlab_err_set(err, NLAB_E_SYSTEM,
                                            "challenge %s:%u: \"%s\" failed (exit status %d): the "
                                            "start is removed",
                                            c->s.file, st->line, st->text, code);
                if (stop && *stop) /* the command may have ignored Ctrl-C, the start must not */
                        return nlab_err_set(err, NLAB_E_SYSTEM,
                                            "challenge %s: interrupted: the start is removed",
                                            c->s.file);
        }
        return 0;
}

int nlab_challenge_start(const struct nlab_challenge *c, const char *root,
                         volatile sig_atomic_t *stop, nlab_challenge_progress progress, void *ctx,
                         struct nlab_err *err)
{
        /* a command killed half-way in a real state root could leave what reset cannot find */
        struct lab_ctx lc = {.root = root, .own_group = true};
        char self[PATH_MAX], file[PATH_MAX];
        ssize_t n;
        int r;

        assert(c && root);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return nlab_err_sys(err, errno, "/proc/self/exe");
        self[n] = '\0';
        lc.self = self;
        if (!realpath(c->s.file, file))
                return nlab_err_sys(err, errno, "challenge %s", c->s.file);
        if (nlab_store_open(&lc.st, root, err) < 0)
                return -1;
        r = ensure_empty(&lc.st, root, err);
        /* recorded first: a start killed half-way is still removed by challenge reset */
        if (r == 0)
                r = record_active(root, file, err);
        if (r == 0) {
                r = build(c, &lc, stop, progress, ctx, err);
                if (r < 0)
                        nlab_system_reset(&lc.st, NULL);
        }
        nlab_store_close(&lc.st);
        return r;
}

/* The runner explains failed reach checks; a name that does not resolve gets diagnose's reason
 * too (no shared network, a container not running), which says more than "NXDOMAIN". */
struct explain {
        const struct nlab_runner_ops *inner;
        void *ctx;
        struct nlab_store st;
};

static void explain_start(void *ctx, const struct nlab_scenario *s)
{
        struct explain *x = ctx;

        x->inner->start(x->ctx, s);
}

static void explain_note(void *ctx, const struct nlab_step *st)
{
        struct explain *x = ctx;

        x->inner->note(x->ctx, st);
}

static void explain_begin(void *ctx, const struct nlab_step *st)
{
        struct explain *x = ctx;

        x->inner->begin(x->ctx, st);
}

static void explain_result(void *ctx, const struct nlab_step *st, const struct nlab_step_result *r)
{
        struct explain *x = ctx;
        struct nlab_step_result out = *r;
        struct nlab_diag d;
        char reason[sizeof(d.steps[0].text) + sizeof(d.steps[0].fix) + 8];
        size_t i;

        if (r->mark == NLAB_MARK_FAIL && !r->reason && st->kind == NLAB_STEP_EXPECT &&
            st->ex.kind == NLAB_EXPECT_RESOLVES && !st->ex.xfail &&
            nlab_diagnose(&x->st, st->ex.subject, st->ex.target, &d, NULL) == 0) {
                for (i = 0; i < d.n && d.steps[i].ok; i++)
                        ;
                if (i < d.n) {
                        snprintf(reason, sizeof(reason), "%s%s%s", d.steps[i].text,
                                 d.steps[i].fix[0] ? "; fix: " : "", d.steps[i].fix);
                        out.reason = reason;
                }
        }
        x->inner->result(x->ctx, st, &out);
}

static void explain_done(void *ctx, const struct nlab_scenario *s,
                         const struct nlab_run_summary *sum)
{
        struct explain *x = ctx;

        x->inner->done(x->ctx, s, sum);
}

static const struct nlab_runner_ops explain_ops = {.start = explain_start,
                                                   .note = explain_note,
                                                   .begin = explain_begin,
                                                   .result = explain_result,
                                                   .done = explain_done};

int nlab_challenge_check(const struct nlab_challenge *c, const char *root,
                         const struct nlab_runner_ops *ops, void *ctx, struct nlab_err *err)
{
        struct explain x = {.inner = ops, .ctx = ctx};
        int r;

        assert(c && root && ops);
        if (nlab_store_open(&x.st, root, err) < 0)
                return -1;
        /* commands are not run by a check, and the file has expectations only after the task */
        r = nlab_scenario_check(&c->s, root, &explain_ops, &x, err);
        nlab_store_close(&x.st);
        return r;
}

int nlab_challenge_reset(const char *root, struct nlab_err *err)
{
        char active[PATH_MAX], rec[PATH_MAX];
        struct nlab_store st;
        int r;

        assert(root);
        if (nlab_challenge_active(root, active, sizeof(active), err) < 0)
                return -1;
        if (nlab_store_open(&st, root, err) < 0)
                return -1;
        r = nlab_system_reset(&st, err);
        nlab_store_close(&st);
        record_path(root, rec, sizeof(rec));
        if (unlink(rec) < 0 && errno != ENOENT && r == 0)
                r = nlab_err_sys(err, errno, "challenge record %s", rec);
        return r < 0 ? -1 : 0;
}
