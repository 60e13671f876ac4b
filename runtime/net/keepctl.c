#include "runtime/net/keepctl.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/base/unixsock.h"
#include "runtime/base/userns.h"

#define ANSWER_MAX (256 * 1024)

static const char *const op_names[] = {"add", "remove", "check", "list", "pids"};

int nlab_keepctl_format(const struct nlab_keepctl_req *req, char *buf, size_t size)
{
        const struct nlab_port_mapping *m = &req->m;
        const char *ip = m->host_ip[0] ? m->host_ip : "-";
        int n;

        assert(req && buf);
        if ((unsigned)req->op >= sizeof(op_names) / sizeof(op_names[0]))
                return -1;
        if (req->op == NLAB_KC_LIST || req->op == NLAB_KC_PIDS)
                n = snprintf(buf, size, "%s\n", op_names[req->op]);
        else if (req->op == NLAB_KC_ADD)
                n = snprintf(buf, size, "add %s %s %u %s %u\n", nlab_proto_name(m->proto), ip,
                             m->host_port, req->target, m->ctr_port);
        else
                n = snprintf(buf, size, "%s %s %s %u\n", op_names[req->op],
                             nlab_proto_name(m->proto), ip, m->host_port);
        return n > 0 && (size_t)n < size ? 0 : -1;
}

static int parse_port(const char *s, uint16_t *out)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v == 0 || v > 65535 || s[0] == '-' || s[0] == '+')
                return -1;
        *out = (uint16_t)v;
        return 0;
}

/* "tcp|udp IP|- PORT" at tok[0..2] into m. */
static int parse_mapping(char **tok, struct nlab_port_mapping *m)
{
        struct in_addr a;

        if (!strcmp(tok[0], "tcp"))
                m->proto = IPPROTO_TCP;
        else if (!strcmp(tok[0], "udp"))
                m->proto = IPPROTO_UDP;
        else
                return -1;
        if (strcmp(tok[1], "-")) {
                if (inet_pton(AF_INET, tok[1], &a) != 1)
                        return -1;
                snprintf(m->host_ip, sizeof(m->host_ip), "%s", tok[1]);
        }
        return parse_port(tok[2], &m->host_port);
}

int nlab_keepctl_parse(const char *line, struct nlab_keepctl_req *req)
{
        char copy[NLAB_KEEPCTL_LINE], *tok[8], *save = NULL, *t;
        size_t ntok = 0, i;
        unsigned char tgt[16];

        assert(line && req);
        memset(req, 0, sizeof(*req));
        if (strlen(line) >= sizeof(copy))
                return -1;
        snprintf(copy, sizeof(copy), "%s", line);
        for (t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                if (ntok == 8)
                        return -1;
                tok[ntok++] = t;
        }
        if (ntok == 0)
                return -1;
        for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
                if (!strcmp(tok[0], op_names[i]))
                        break;
        if (i == sizeof(op_names) / sizeof(op_names[0]))
                return -1;
        req->op = (enum nlab_keepctl_op)i;
        if (req->op == NLAB_KC_LIST || req->op == NLAB_KC_PIDS)
                return ntok == 1 ? 0 : -1;
        if (ntok != (req->op == NLAB_KC_ADD ? 6u : 4u) || parse_mapping(tok + 1, &req->m) < 0)
                return -1;
        if (req->op != NLAB_KC_ADD)
                return 0;
        if (strlen(tok[4]) >= sizeof(req->target) ||
            (inet_pton(AF_INET, tok[4], tgt) != 1 && inet_pton(AF_INET6, tok[4], tgt) != 1))
                return -1;
        snprintf(req->target, sizeof(req->target), "%s", tok[4]);
        return parse_port(tok[5], &req->m.ctr_port);
}

static int sock_path(const char *root, struct sockaddr_un *a)
{
        memset(a, 0, sizeof(*a));
        a->sun_family = AF_UNIX;
        return snprintf(a->sun_path, sizeof(a->sun_path), "%s/keeper.sock", root) <
                       (int)sizeof(a->sun_path)
                   ? 0
                   : -1;
}

bool nlab_keepctl_active(const char *root)
{
        struct sockaddr_un a;
        struct stat sb;

        /* root mode has neither: the host's own namespaces publish by nftables alone */
        return sock_path(root, &a) == 0 && stat(a.sun_path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
               nlab_userns_nested();
}

static int connect_keeper(const char *root, struct nlab_err *err)
{
        struct sockaddr_un a;
        int fd;

        if (sock_path(root, &a) < 0)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "state root %s: path too long for "
                                    "keeper.sock",
                                    root);
        fd = nlab_unix_connect(a.sun_path, 15);
        if (fd < 0)
                return nlab_err_sys(err, errno, "keeper %s", a.sun_path);
        return fd;
}

/* Read the whole answer (the keeper closes after it). */
static int read_answer(int fd, char **text, struct nlab_err *err)
{
        size_t len = 0, cap = 1024;
        char *buf = malloc(cap);
        ssize_t n;

        if (!buf)
                return nlab_err_sys(err, ENOMEM, "keeper answer");
        for (;;) {
                if (len + 1 >= cap) {
                        char *nb = cap < ANSWER_MAX ? realloc(buf, cap * 2) : NULL;
                        if (!nb) {
                                free(buf);
                                return nlab_err_set(err, NLAB_E_SYSTEM, "keeper answer too long");
                        }
                        buf = nb;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        free(buf);
                        return nlab_err_sys(err, e, "keeper: no answer");
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *text = buf;
        return 0;
}

/* The last line is the verdict; the lines before it go to *out. */
static int verdict(char *text, char **out, struct nlab_err *err)
{
        char *last, *end = text + strlen(text);
        int kind;

        while (end > text && end[-1] == '\n')
                *--end = '\0';
        last = strrchr(text, '\n');
        last = last ? last + 1 : text;
        if (!strcmp(last, "ok")) {
                *last = '\0';
                if (out) {
                        *out = text;
                        return 0;
                }
                free(text);
                return 0;
        }
        if (sscanf(last, "error %d", &kind) == 1 && strchr(last + 6, ' ')) {
                nlab_err_set(err, kind > NLAB_E_OK && kind <= NLAB_E_NOCMD ? kind : NLAB_E_SYSTEM,
                             "%s", strchr(last + 6, ' ') + 1);
                free(text);
                return -1;
        }
        free(text);
        return nlab_err_set(err, NLAB_E_SYSTEM, "keeper: unexpected answer");
}

int nlab_keepctl_call(const char *root, const struct nlab_keepctl_req *req, char **out,
                      struct nlab_err *err)
{
        char line[NLAB_KEEPCTL_LINE], *text = NULL;
        int fd, r;

        assert(root && req);
        if (out)
                *out = NULL;
        if (nlab_keepctl_format(req, line, sizeof(line)) < 0)
                return nlab_err_set(err, NLAB_E_INVALID, "keeper: malformed request");
        fd = connect_keeper(root, err);
        if (fd < 0)
                return -1;
        if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
                r = nlab_err_sys(err, errno, "keeper: send request");
                close(fd);
                return r;
        }
        r = read_answer(fd, &text, err);
        close(fd);
        return r < 0 ? -1 : verdict(text, out, err);
}

int nlab_keepctl_add(const char *root, const struct nlab_port_mapping *m, const char *target,
                     struct nlab_err *err)
{
        struct nlab_keepctl_req req = {.op = NLAB_KC_ADD, .m = *m};

        snprintf(req.target, sizeof(req.target), "%s", target);
        return nlab_keepctl_call(root, &req, NULL, err);
}

int nlab_keepctl_remove(const char *root, const struct nlab_port_mapping *m, struct nlab_err *err)
{
        struct nlab_keepctl_req req = {.op = NLAB_KC_REMOVE, .m = *m};

        return nlab_keepctl_call(root, &req, NULL, err);
}

int nlab_keepctl_check(const char *root, const struct nlab_port_mapping *m, struct nlab_err *err)
{
        struct nlab_keepctl_req req = {.op = NLAB_KC_CHECK, .m = *m};

        return nlab_keepctl_call(root, &req, NULL, err);
}
