#include "runtime/net/hostsfile.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char localhost_block[] = "127.0.0.1\tlocalhost\n"
                                      "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                      "fe00::0\tip6-localnet\n"
                                      "ff00::0\tip6-mcastprefix\n"
                                      "ff02::1\tip6-allnodes\n"
                                      "ff02::2\tip6-allrouters\n";

/* A growable string; on allocation failure it stays NULL and every later append is a no-op. */
struct sbuf {
        char *s;
        size_t len, cap;
        bool failed;
};

static void sb_add(struct sbuf *b, const char *s)
{
        size_t n = strlen(s);

        if (b->failed)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *ns = realloc(b->s, cap);
                if (!ns) {
                        free(b->s);
                        b->s = NULL;
                        b->failed = true;
                        return;
                }
                b->s = ns;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, n + 1);
        b->len += n;
}

static void sb_line(struct sbuf *b, const char *a, const char *sep, const char *c)
{
        sb_add(b, a);
        sb_add(b, sep);
        sb_add(b, c);
        sb_add(b, "\n");
}

char *nlab_hosts_render(const struct nlab_strv *add_hosts, const struct nlab_hosts_line *own,
                        size_t n_own)
{
        struct sbuf b = {0};
        size_t i;

        sb_add(&b, localhost_block);
        for (i = 0; add_hosts && i < add_hosts->n; i++) {
                const char *spec = add_hosts->v[i];
                const char *colon = strchr(spec, ':');
                char name[256];
                size_t nlen = colon ? (size_t)(colon - spec) : 0;
                if (!colon || nlen >= sizeof(name))
                        continue;
                memcpy(name, spec, nlen);
                name[nlen] = '\0';
                sb_line(&b, colon + 1, "\t", name);
        }
        for (i = 0; i < n_own; i++)
                sb_line(&b, own[i].ip, "\t", own[i].names);
        return b.s;
}

static bool is_loopback_server(const char *addr)
{
        return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

static void add_words(struct sbuf *b, const char *keyword, const struct nlab_strv *sv,
                      const char *host_rest)
{
        size_t i;

        if ((!sv || sv->n == 0) && !host_rest)
                return;
        sb_add(b, keyword);
        if (host_rest) {
                sb_add(b, " ");
                sb_add(b, host_rest);
        }
        for (i = 0; sv && i < sv->n; i++) {
                sb_add(b, " ");
                sb_add(b, sv->v[i]);
        }
        sb_add(b, "\n");
}

static const char *after_keyword(const char *line, const char *kw)
{
        size_t n = strlen(kw);

        if (strncmp(line, kw, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
                return NULL;
        line += n;
        while (*line == ' ' || *line == '\t')
                line++;
        return line;
}

char *nlab_resolv_render(const char *host_text, const struct nlab_resolv_opts *o)
{
        struct sbuf b = {0};
        char host_search[1024] = "", host_options[1024] = "";
        bool own_servers = o->nameservers && o->nameservers->n > 0;
        bool own_search = o->search && o->search->n > 0;
        const char *p = host_text ? host_text : "";
        size_t i;

        while (*p) {
                const char *end = strchr(p, '\n');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char line[1024];
                const char *rest;

                if (len >= sizeof(line))
                        len = sizeof(line) - 1;
                memcpy(line, p, len);
                line[len] = '\0';
                p = end ? end + 1 : p + strlen(p);
                if ((rest = after_keyword(line, "nameserver")) && !own_servers &&
                    !is_loopback_server(rest))
                        sb_line(&b, "nameserver", " ", rest);
                else if ((rest = after_keyword(line, "search")) ||
                         (rest = after_keyword(line, "domain")))
                        snprintf(host_search, sizeof(host_search), "%s", rest);
                else if ((rest = after_keyword(line, "options")))
                        snprintf(host_options, sizeof(host_options), "%s", rest);
        }
        for (i = 0; own_servers && i < o->nameservers->n; i++)
                sb_line(&b, "nameserver", " ", o->nameservers->v[i]);
        if (own_search)
                add_words(&b, "search", o->search, NULL);
        else if (host_search[0])
                add_words(&b, "search", NULL, host_search);
        add_words(&b, "options", o->options, host_options[0] ? host_options : NULL);
        if (!b.s && !b.failed)
                sb_add(&b, "");
        return b.s;
}

int nlab_add_host_check(const char *spec, struct nlab_err *err)
{
        const char *colon = strchr(spec, ':');
        unsigned char buf[16];

        if (!colon || colon == spec)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid --add-host \"%s\": expected NAME:IP", spec);
        if (inet_pton(AF_INET, colon + 1, buf) != 1 && inet_pton(AF_INET6, colon + 1, buf) != 1)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid IP address in --add-host \"%s\": expected NAME:IP "
                                    "with an IPv4 or IPv6 address",
                                    spec);
        return 0;
}
