#include "runtime/base/linkspec.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/base/suggest.h"

struct unit {
        const char *name;
        double scale; /* into the base unit: bits/s, microseconds */
};

static const struct unit rate_units[] = {
    {"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9},
    {"bps", 8}, {"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9},
};
static const struct unit time_units[] = {{"us", 1}, {"ms", 1e3}, {"s", 1e6}};

#define RATE_ACCEPTS                                                                               \
        "a number and a unit: bit, kbit, mbit, gbit (bits/s) or bps, kbps, mbps, gbps (bytes/s), " \
        "e.g. 10mbit"
#define TIME_ACCEPTS    "a number and a unit: us, ms or s, e.g. 50ms"
#define PERCENT_ACCEPTS "a percentage from 0%% to 100%%, e.g. 1%% or 0.5%%"

/* Digits with at most one '.' between digits, at most 12 characters: no sign, exponent, space
 * or hex, which strtod alone would take. Returns the length of the number, 0 if none. */
static size_t number_len(const char *s)
{
        size_t i = 0, digits = 0;
        int dot = 0;

        for (; s[i]; i++) {
                if (isdigit((unsigned char)s[i]))
                        digits++;
                else if (s[i] == '.' && !dot)
                        dot = 1;
                else
                        break;
        }
        if (!digits || i > 12 || s[0] == '.' || s[i - 1] == '.')
                return 0;
        return i;
}

/* "<number><unit>" from table; *unit_at points at the unit (or the end) for messages. */
static int number_unit(const char *s, const struct unit *units, size_t n, double *out,
                       const char **unit_at)
{
        size_t len = number_len(s), i;

        *unit_at = s + len;
        if (!len)
                return -1;
        for (i = 0; i < n; i++)
                if (!strcasecmp(s + len, units[i].name)) {
                        *out = strtod(s, NULL) * units[i].scale;
                        return 0;
                }
        return -2;
}

/* "unknown unit "mbt" (did you mean "mbit"?)" or the list of what is accepted. */
static int bad_unit(struct nlab_err *err, const char *what, const char *s, const char *unit,
                    const struct unit *units, size_t n, const char *accepts)
{
        const char *names[8], *near;
        size_t i;

        for (i = 0; i < n && i < 8; i++)
                names[i] = units[i].name;
        near = unit[0] ? nlab_suggest(unit, names, i, 2) : NULL;
        if (near)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid %s \"%s\": unknown unit \"%s\" (did you mean "
                                    "\"%s\"?); want %s",
                                    what, s, unit, near, accepts);
        return nlab_err_set(err, NLAB_E_INVALID, "invalid %s \"%s\": want %s", what, s, accepts);
}

int nlab_rate_parse(const char *s, uint64_t *bps, struct nlab_err *err)
{
        const size_t n = sizeof(rate_units) / sizeof(rate_units[0]);
        const char *unit;
        double v;
        int r;

        assert(s && bps);
        r = number_unit(s, rate_units, n, &v, &unit);
        if (r == -1)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid rate \"%s\": want %s", s,
                                    RATE_ACCEPTS);
        if (r < 0)
                return bad_unit(err, "rate", s, unit, rate_units, n, RATE_ACCEPTS);
        if (v < (double)NLAB_RATE_MIN || v > (double)NLAB_RATE_MAX)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid rate \"%s\": must be from 8kbit to 10gbit", s);
        *bps = (uint64_t)(v + 0.5);
        return 0;
}

int nlab_duration_parse(const char *s, uint32_t *us, struct nlab_err *err)
{
        const size_t n = sizeof(time_units) / sizeof(time_units[0]);
        const char *unit;
        double v;
        int r;

        assert(s && us);
        r = number_unit(s, time_units, n, &v, &unit);
        if (r == -1)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid time \"%s\": want %s", s,
                                    TIME_ACCEPTS);
        if (r < 0)
                return bad_unit(err, "time", s, unit, time_units, n, TIME_ACCEPTS);
        if (v > NLAB_DELAY_MAX_US)
                return nlab_err_set(err, NLAB_E_INVALID, "invalid time \"%s\": must be at most 60s",
                                    s);
        *us = (uint32_t)(v + 0.5);
        return 0;
}

int nlab_percent_parse(const char *s, uint32_t *scaled, struct nlab_err *err)
{
        size_t len;
        double v;

        assert(s && scaled);
        len = number_len(s);
        if (!len || strcmp(s + len, "%"))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid percentage \"%s\": want " PERCENT_ACCEPTS, s);
        v = strtod(s, NULL);
        if (v > 100)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid percentage \"%s\": must be at most 100%%", s);
        *scaled = (uint32_t)(v / 100.0 * (double)UINT32_MAX + 0.5);
        return 0;
}

int nlab_linkcond_set(struct nlab_linkcond *c, const char *flag, const char *value,
                      struct nlab_err *err)
{
        int r;

        assert(c && flag && value);
        if (!strcmp(flag, "rate")) {
                r = nlab_rate_parse(value, &c->rate, err);
                c->set |= NLAB_LC_RATE;
        } else if (!strcmp(flag, "delay")) {
                r = nlab_duration_parse(value, &c->delay_us, err);
                c->set |= NLAB_LC_DELAY;
        } else if (!strcmp(flag, "jitter")) {
                r = nlab_duration_parse(value, &c->jitter_us, err);
                c->set |= NLAB_LC_JITTER;
        } else if (!strcmp(flag, "loss")) {
                r = nlab_percent_parse(value, &c->loss, err);
                c->set |= NLAB_LC_LOSS;
        } else {
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "unknown flag --%s (--rate, --delay, --jitter, --loss)", flag);
        }
        if (r < 0)
                nlab_err_prefix(err, "--%s", flag);
        return r;
}

int nlab_linkcond_check(const struct nlab_linkcond *c, struct nlab_err *err)
{
        assert(c);
        if (!c->set)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "nothing to set: give --rate, --delay (with --jitter) or "
                                    "--loss (link reset removes conditions)");
        if ((c->set & NLAB_LC_JITTER) && !(c->set & NLAB_LC_DELAY))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "--jitter varies a delay: give --delay too, e.g. --delay "
                                    "50ms --jitter 5ms");
        return 0;
}

/* The largest unit that shows v exactly ("1500kbit", not "1.5mbit"). */
static void format_unit(uint64_t v, const struct unit *units, size_t n, char *buf, size_t size)
{
        size_t i = n;

        while (i-- > 1) {
                uint64_t scale = (uint64_t)units[i].scale;
                if (v >= scale && v % scale == 0) {
                        snprintf(buf, size, "%llu%s", (unsigned long long)(v / scale),
                                 units[i].name);
                        return;
                }
        }
        snprintf(buf, size, "%llu%s", (unsigned long long)v, units[0].name);
}

char *nlab_linkcond_format(const struct nlab_linkcond *c, char *buf, size_t size)
{
        char v[32];
        size_t len = 0;

        assert(c && buf && size);
        buf[0] = '\0';
        if (c->set & NLAB_LC_RATE) {
                format_unit(c->rate, rate_units, 4, v, sizeof(v));
                len += (size_t)snprintf(buf + len, size - len, "rate %s", v);
        }
        if ((c->set & NLAB_LC_DELAY) && len < size) {
                format_unit(c->delay_us, time_units, 3, v, sizeof(v));
                len += (size_t)snprintf(buf + len, size - len, "%sdelay %s", len ? " " : "", v);
        }
        if ((c->set & NLAB_LC_JITTER) && len < size) {
                format_unit(c->jitter_us, time_units, 3, v, sizeof(v));
                len += (size_t)snprintf(buf + len, size - len, "%sjitter %s", len ? " " : "", v);
        }
        if ((c->set & NLAB_LC_LOSS) && len < size)
                snprintf(buf + len, size - len, "%sloss %.4g%%", len ? " " : "",
                         (double)c->loss * 100.0 / (double)UINT32_MAX);
        return buf;
}

int nlab_link_target_parse(const char *s, char *ctr, size_t ctr_size, char *iface,
                           size_t iface_size, struct nlab_err *err)
{
        const char *slash;
        size_t n;

        assert(s && ctr && iface);
        slash = strchr(s, '/');
        n = slash ? (size_t)(slash - s) : strlen(s);
        if (n == 0 || n >= ctr_size || (slash && !slash[1]))
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid link \"%s\": want CONTAINER or CONTAINER/IFACE, "
                                    "e.g. web or web/eth1",
                                    s);
        if (slash && strlen(slash + 1) >= iface_size)
                return nlab_err_set(err, NLAB_E_INVALID,
                                    "invalid interface name \"%s\": must be 1 to %zu characters",
                                    slash + 1, iface_size - 1);
        snprintf(ctr, ctr_size, "%.*s", (int)n, s);
        snprintf(iface, iface_size, "%s", slash ? slash + 1 : "eth0");
        return 0;
}
