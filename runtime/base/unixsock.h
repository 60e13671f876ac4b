/* The client side of the small unix-socket protocols (netlab-dns control, the rootless keeper). */
#ifndef NLAB_UNIXSOCK_H
#define NLAB_UNIXSOCK_H

/* A stream socket connected to the unix socket at path, with send and receive timeouts of
 * timeout_s seconds: its fd, or -1 with errno (ENAMETOOLONG when path does not fit). */
int nlab_unix_connect(const char *path, int timeout_s);
/* The same for another socket type (SOCK_SEQPACKET). */
int nlab_unix_connect_type(const char *path, int type, int timeout_s);

#endif
