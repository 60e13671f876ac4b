/* Rootless published ports, the way RootlessKit's builtin port driver does them: the outer half
 * holds the listening sockets in the real host's network namespace; for each TCP connection (or
 * UDP client address) it asks the inner half, in the lab host, for a socket connected to the
 * target, receives it over a unix socket (SCM_RIGHTS) and relays both ways. No threads: the outer
 * half is an epoll fd and a dispatch function that run inside the keeper's event loop. */
#ifndef NLAB_PORTFWD_H
#define NLAB_PORTFWD_H

#include "runtime/base/err.h"
#include "runtime/base/portspec.h"

struct nlab_portfwd;

/* inner_sock: the outer end of a SOCK_SEQPACKET unix socket pair used by the forwarder alone; the
 * other end is served by nlab_portfwd_serve in the lab host. The forwarder takes it over (on
 * failure it stays the caller's). */
struct nlab_portfwd *nlab_portfwd_new(int inner_sock, struct nlab_err *err);

/* Publish m (host_port resolved, host_ip "" = every address, IPv6 too where there is IPv6) to
 * target_ip:m->ctr_port in the lab host. A port below net.ipv4.ip_unprivileged_port_start that we
 * may not bind, and a port someone holds, are refused naming the sysctl / the holder. */
int nlab_portfwd_add(struct nlab_portfwd *fwd, const struct nlab_port_mapping *m,
                     const char *target_ip, struct nlab_err *err);

/* Could m be published now? Binds and closes at once: the same refusals as nlab_portfwd_add
 * (privileged port naming the sysctl, a holder named), for picking a port before it is needed. */
int nlab_portfwd_probe(const struct nlab_port_mapping *m, struct nlab_err *err);

/* Close the listener of m (same host_ip, host_port, proto) and its live connections.
 * NLAB_E_NOTFOUND if m is not published. */
int nlab_portfwd_remove(struct nlab_portfwd *fwd, const struct nlab_port_mapping *m,
                        struct nlab_err *err);

/* The epoll fd to wait on (readable: call dispatch). */
int nlab_portfwd_fd(const struct nlab_portfwd *fwd);

/* Handle whatever is ready, never blocking. -1 only if the inner half is gone (err says so): the
 * forwarder then cannot make new connections and the keeper should tear it down. */
int nlab_portfwd_dispatch(struct nlab_portfwd *fwd, struct nlab_err *err);

/* UDP flows idle this long are closed (default 60 s). */
void nlab_portfwd_set_udp_timeout(struct nlab_portfwd *fwd, unsigned ms);

/* Live TCP connections and UDP flows, for status output and tests. */
unsigned nlab_portfwd_live(const struct nlab_portfwd *fwd);

/* Close every listener, connection and flow, and the inner socket. NULL is fine. */
void nlab_portfwd_free(struct nlab_portfwd *fwd);

/* Inner half, in the lab host: answer one request on sock (non-blocking connect, send the socket
 * back). 1 handled (or, on a non-blocking sock, nothing to read yet), 0 the outer half closed the
 * socket, -1 with err. For the keeper's loop: call it when sock is readable. */
int nlab_portfwd_serve_one(int sock, struct nlab_err *err);
/* Answer requests until the outer half closes sock. */
int nlab_portfwd_serve(int sock, struct nlab_err *err);

/* net.ipv4.ip_unprivileged_port_start of our network namespace (1024 if unreadable). */
unsigned nlab_unprivileged_port_start(void);

#endif
