/* The client side of the small unix-socket protocols (netlab-dns control, the rootless keeper). */
#ifndef NLAB_UNIXSOCK_H
#define NLAB_UNIXSOCK_H

struct sockaddr_un;

/* path as a unix socket address; one too long for sun_path is named through an fd of its
 * directory (*dir_fd, to close once bound or connected; else -1). -1 with errno. */
int nlab_unix_addr(const char *path, struct sockaddr_un *a, int *dir_fd);
/* A stream socket connected to the unix socket at path, with send and receive timeouts of
 * timeout_s seconds: its fd, or -1 with errno. */
int nlab_unix_connect(const char *path, int timeout_s);
/* The same for another socket type (SOCK_SEQPACKET). */
int nlab_unix_connect_type(const char *path, int type, int timeout_s);

#endif
