/* Link conditions (`netlab link set`, the scenario's `link` directive): the values a user writes
 * for rate, delay, jitter and loss, parsed strictly and printed back the same way. Pure. */
#ifndef NLAB_LINKSPEC_H
#define NLAB_LINKSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/base/err.h"

/* Which values were given; a given 0 still counts (--loss 0% asks for netem). */
enum {
        NLAB_LC_RATE = 1,
        NLAB_LC_DELAY = 2,
        NLAB_LC_JITTER = 4,
        NLAB_LC_LOSS = 8,
};
#define NLAB_LC_NETEM (NLAB_LC_DELAY | NLAB_LC_JITTER | NLAB_LC_LOSS)

#define NLAB_RATE_MIN     8000ULL        /* 8kbit: below it one packet takes over a second */
#define NLAB_RATE_MAX     10000000000ULL /* 10gbit: libnl's tbf rate is 32-bit bytes/s */
#define NLAB_DELAY_MAX_US 60000000U      /* 60s, well inside netem's 32-bit ticks */

struct nlab_linkcond {
        unsigned set;      /* NLAB_LC_* */
        uint64_t rate;     /* bits per second */
        uint32_t delay_us; /* netem latency */
        uint32_t jitter_us;
        uint32_t loss; /* probability scaled to UINT32_MAX = 100%, the kernel's unit */
};

/* "10mbit", "1.5gbit", "800kbps": a number and a unit (bit kbit mbit gbit: bits per second;
 * bps kbps mbps gbps: bytes per second; case ignored), NLAB_RATE_MIN..NLAB_RATE_MAX. */
int nlab_rate_parse(const char *s, uint64_t *bps, struct nlab_err *err);
/* "50ms", "250us", "1.5s": 0..NLAB_DELAY_MAX_US microseconds. */
int nlab_duration_parse(const char *s, uint32_t *us, struct nlab_err *err);
/* "1%", "0.5%": 0..100 percent, scaled to UINT32_MAX. */
int nlab_percent_parse(const char *s, uint32_t *scaled, struct nlab_err *err);

/* Set one value by its flag's long name (rate, delay, jitter, loss); the message names the flag
 * and what it accepts. */
int nlab_linkcond_set(struct nlab_linkcond *c, const char *flag, const char *value,
                      struct nlab_err *err);
/* The whole request: something set, and jitter only with delay. */
int nlab_linkcond_check(const struct nlab_linkcond *c, struct nlab_err *err);
/* "rate 10mbit delay 50ms jitter 5ms loss 1%" (only what is set), or "" when nothing is. */
char *nlab_linkcond_format(const struct nlab_linkcond *c, char *buf, size_t size);

/* "web" or "web/eth1" into the container reference and the interface (default eth0); the
 * interface is only cut here, the kernel layer checks its name. */
int nlab_link_target_parse(const char *s, char *ctr, size_t ctr_size, char *iface,
                           size_t iface_size, struct nlab_err *err);

#endif
