/* A network record, parsed and checked once when it is loaded. Docker's long option names are
 * resolved here and nowhere else, so every user of a network sees the same MTU and icc. */
#ifndef NLAB_NETREC_H
#define NLAB_NETREC_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/base/err.h"
#include "runtime/base/ids.h"
#include "runtime/base/ipam.h"

#define NLAB_NET_NAME_MAX 128
/* netlab's own key in network.json, left out of what inspect shows: was the subnet the user's
 * (--subnet), or picked from the default pools? A record without it is taken as the user's. */
#define NLAB_NET_KEY_USER_SUBNET "NetlabUserSubnet"

struct nlab_net {
        char name[NLAB_NET_NAME_MAX + 1];
        char id[NLAB_ID_LEN + 1];
        char created[64];
        char driver[8];   /* bridge, host or null */
        char bridge[16];  /* the Linux bridge; empty for host and none */
        bool has_pool;    /* bridge networks have a subnet and a gateway */
        bool user_subnet; /* given with --subnet: only then may --ip pin an address */
        struct nlab_pool pool;
        unsigned mtu; /* 0: the kernel's default */
        bool icc;     /* containers on it may talk to each other */
        bool internal;
};

/* From a Docker-shaped network.json. Refuses a record that names one option twice, under its
 * short and its long name, with different values. */
int nlab_net_parse(const json_t *rec, struct nlab_net *net, struct nlab_err *err);

#endif
