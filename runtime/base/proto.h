/* The protocols a probe or a diagnosis speaks. */
#ifndef NLAB_PROTO_H
#define NLAB_PROTO_H

enum nlab_proto {
        NLAB_PROTO_ICMP, /* no port given: an echo request */
        NLAB_PROTO_TCP,
        NLAB_PROTO_UDP,
};

#endif
