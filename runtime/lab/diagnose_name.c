/* Why A could not resolve a name: where the name exists, and whether A shares that network. */
#include "runtime/lab/diagnose_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "runtime/net/network.h"

/* Does a container of that name answer to `name` on its endpoint ep: by its name or an alias,
 * bare or as NAME.NETWORK (DNS names fold case)? */
static bool answers_to(const char *ctr, const struct nlab_ctr_endpoint *ep, const char *name)
{
        size_t len = strlen(name), nl = strlen(ep->network), i;

        if (len > nl + 1 && name[len - nl - 1] == '.' && !strcasecmp(name + len - nl, ep->network))
                len -= nl + 1;
        if (strlen(ctr) == len && !strncasecmp(ctr, name, len))
                return true;
        for (i = 0; i < ep->aliases.n; i++)
                if (strlen(ep->aliases.v[i]) == len && !strncasecmp(ep->aliases.v[i], name, len))
                        return true;
        return false;
}

struct name_hits {
        char where[256];                  /* the networks the name exists on */
        const char *shared, *shared_user; /* one the asker is on too; a user-defined one */
};

static void add_network(char *buf, size_t size, const char *net)
{
        size_t len = strlen(buf);

        if (!strstr(buf, net))
                snprintf(buf + len, size - len, "%s%s", len ? ", " : "", net);
}

/* Every network where some container answers to name, and whether a shares one. */
static void find_name(struct nlab_store *st, const struct nlab_party *a, const char *name,
                      struct name_hits *h)
{
        char **ids;
        size_t n, i, k;

        memset(h, 0, sizeof(*h));
        if (nlab_store_list(st, &ids, &n, NULL) < 0)
                return;
        for (i = 0; i < n; i++) {
                struct nlab_party c;
                if (nlab_party_load(st, ids[i], NULL, 0, 0, &c, NULL) < 0)
                        continue;
                for (k = 0; k < nlab_party_n_endpoints(&c); k++) {
                        const struct nlab_ctr_endpoint *ep = nlab_party_endpoint_at(&c, k);
                        const struct nlab_ctr_endpoint *mine = nlab_party_endpoint(a, ep->network);
                        if (!answers_to(cname(&c), ep, name))
                                continue;
                        add_network(h->where, sizeof(h->where), ep->network);
                        if (mine && !h->shared)
                                h->shared = mine->network;
                        if (mine && !nlab_network_is_predefined(ep->network))
                                h->shared_user = mine->network;
                }
                nlab_party_free(&c);
        }
        nlab_store_free_list(ids, n);
}

static void explain_name(struct nlab_store *st, const struct nlab_party *a, const char *name,
                         const struct nlab_probe_result *res, struct nlab_diag_why *w)
{
        char mine[256];
        struct name_hits h;

        if (a->kind != NLAB_PARTY_CONTAINER) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s asks the lab host's resolver, which knows no container names: they "
                         "resolve only inside the user-defined networks",
                         cname(a));
                return;
        }
        if (!strcmp(a->cfg->network_mode, "none")) {
                w->reason = NLAB_REASON_NO_NETWORK;
                snprintf(w->text, sizeof(w->text),
                         "%s runs with --network none: no resolver to ask", cname(a));
                return;
        }
        diag_list_names(a, mine, sizeof(mine));
        find_name(st, a, name, &h);
        if (h.shared_user) {
                w->reason = NLAB_REASON_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is a name on %s, where %s is too, yet the lookup got: %s", name,
                         h.shared_user, cname(a), nlab_probe_status_str(res->status));
        } else if (h.shared) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s and %s are both on %s, the default bridge, which has no DNS for "
                         "container names; fix: use the address, or put both on a user-defined "
                         "network",
                         cname(a), name, h.shared);
        } else if (h.where[0]) {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is on %s, and %s is a name only on %s: a network's names resolve only "
                         "inside it; fix: netlab network connect %.*s %s",
                         cname(a), mine, name, h.where, (int)strcspn(h.where, ","), h.where,
                         cname(a));
        } else if (strchr(name, '.')) { /* www.baidu.com, as course notes resolve it */
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "%s is no name in the lab: only containers and aliases resolve here, and "
                         "a lab has no internet DNS (a scenario's sandbox has no way out); fix: "
                         "resolve a container's NAME or NAME.NETWORK",
                         name);
        } else {
                w->reason = NLAB_REASON_NAME_UNKNOWN;
                snprintf(w->text, sizeof(w->text),
                         "no container or alias is named %s on any network (%s is on %s)", name,
                         cname(a), mine);
        }
}

int nlab_diagnose_name(struct nlab_store *st, const struct nlab_external *ext, size_t next,
                       unsigned flags, const char *from, const char *name,
                       const struct nlab_probe_result *res, struct nlab_diag_why *why,
                       struct nlab_err *err)
{
        struct nlab_party a;

        memset(why, 0, sizeof(*why));
        if (res->status == NLAB_PROBE_OK)
                return 0; /* it resolves: a wrong address is the evidence's to show */
        if (nlab_party_load(st, from, ext, next, flags, &a, err) < 0)
                return -1;
        explain_name(st, &a, name, res, why);
        nlab_party_free(&a);
        return 0;
}
