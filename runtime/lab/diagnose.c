/* netlab diagnose: the question (A, and B[:PORT[/PROTO]]), a walk chosen by what B is, and the
 * first broken link as the answer. */
#include "runtime/lab/diagnose_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_target(const char *to, struct target *t, struct nlab_err *err)
{
        const char *colon = strchr(to, ':'), *slash;
        char *end;
        long port;

        memset(t, 0, sizeof(*t));
        t->proto = NLAB_PROTO_ICMP;
        snprintf(t->name, sizeof(t->name), "%.*s", (int)(colon ? colon - to : (long)strlen(to)),
                 to);
        if (!colon)
                return 0;
        port = strtol(colon + 1, &end, 10);
        slash = *end == '/' ? end + 1 : NULL;
        if (end == colon + 1 || port < 1 || port > 65535 || (*end && !slash) ||
            (slash && strcmp(slash, "tcp") && strcmp(slash, "udp")))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid target \"%s\": expected B, B:PORT or B:PORT/tcp|udp "
                                    "(port 1-65535)",
                                    to);
        t->port = (unsigned)port;
        t->proto = slash && !strcmp(slash, "udp") ? NLAB_PROTO_UDP : NLAB_PROTO_TCP;
        return 0;
}

static int diagnose(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                    unsigned flags, const char *from, const char *to, struct nlab_diag *out,
                    struct nlab_err *err)
{
        struct nlab_party a, b;
        struct target t;
        int r = 0;

        if (parse_target(to, &t, err) < 0 ||
            nlab_party_load(st, from, ext, next, flags, &a, err) < 0)
                return -1;
        if (a.kind == NLAB_PARTY_ADDRESS) {
                nlab_party_free(&a);
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid source \"%s\": a container, host or a test host, "
                                    "not an address",
                                    from);
        }
        if (!diag_usable(out, &a))
                goto done;
        r = nlab_party_load(st, t.name, ext, next, flags, &b, err);
        if (r < 0)
                goto done;
        if (b.kind == NLAB_PARTY_CONTAINER)
                diag_to_container(out, st, &a, &b, &t);
        else if (b.kind == NLAB_PARTY_EXTERNAL)
                diag_to_outside(out, st, &a, &b, &t);
        else
                diag_to_address(out, st, ext, next, &a, &t);
        nlab_party_free(&b);
done:
        nlab_party_free(&a);
        return r;
}

/* The CLI's parties: `netlab external` hosts that are up, then containers and /run/netns. */
int nlab_diagnose(struct nlab_store *st, const char *from, const char *to, struct nlab_diag *out,
                  struct nlab_err *err)
{
        struct nlab_external *ext = NULL;
        size_t n = 0, up = 0, i;
        int r;

        memset(out, 0, sizeof(*out));
        if (nlab_external_list(st, &ext, &n, err) < 0)
                return -1;
        for (i = 0; i < n; i++)
                if (ext[i].state == NLAB_EXTERNAL_UP)
                        ext[up++] = ext[i];
        r = diagnose(st, ext, up, NLAB_PARTY_NAMED_NETNS, from, to, out, err);
        free(ext);
        return r;
}

static void first_broken(const struct nlab_diag *d, struct nlab_diag_why *why)
{
        size_t i;

        for (i = 0; i < d->n && d->steps[i].ok; i++)
                ;
        if (i == d->n) {
                why->reason = d->reachable ? NLAB_REASON_NONE : NLAB_REASON_UNKNOWN;
                snprintf(why->text, sizeof(why->text), "%s",
                         d->reachable ? "the path works now" : "no broken link found");
                return;
        }
        why->reason = d->steps[i].reason;
        snprintf(why->text, sizeof(why->text), "%s%s%s", d->steps[i].text,
                 d->steps[i].fix[0] ? "; fix: " : "", d->steps[i].fix);
}

int nlab_diagnose_explain(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                          unsigned flags, const char *from, const char *to,
                          const struct nlab_probe_result *seen, struct nlab_diag_why *why,
                          struct nlab_err *err)
{
        struct nlab_diag *d = calloc(1, sizeof(*d));

        if (!d)
                return nlab_err_sys(err, ENOMEM, "diagnose");
        d->seen = seen;
        d->explain = true;
        d->via_host = flags & NLAB_DIAG_VIA_HOST;
        if (diagnose(st, ext, next, flags & ~NLAB_DIAG_VIA_HOST, from, to, d, err) < 0) {
                free(d);
                return -1;
        }
        first_broken(d, why);
        free(d);
        return 0;
}

int nlab_diagnose_target(const char *to, char *name, size_t size, unsigned *port,
                         enum nlab_proto *proto, struct nlab_err *err)
{
        struct target t;

        if (parse_target(to, &t, err) < 0)
                return -1;
        snprintf(name, size, "%s", t.name);
        *port = t.port;
        *proto = t.proto;
        return 0;
}
