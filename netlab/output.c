#include "netlab/output.h"

#include <stdio.h>
#include <string.h>

time_t nlab_parse_time(const char *s)
{
        struct tm tm;
        const char *rest;

        if (!s)
                return 0;
        memset(&tm, 0, sizeof(tm));
        rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest || tm.tm_year < 70)
                return 0;
        return timegm(&tm);
}

void nlab_human_duration(long s, char *buf, size_t size)
{
        long m = s / 60, h = m / 60;

        if (s < 1)
                snprintf(buf, size, "Less than a second");
        else if (s == 1)
                snprintf(buf, size, "1 second");
        else if (s < 60)
                snprintf(buf, size, "%ld seconds", s);
        else if (m == 1)
                snprintf(buf, size, "About a minute");
        else if (m < 60)
                snprintf(buf, size, "%ld minutes", m);
        else if (h == 1)
                snprintf(buf, size, "About an hour");
        else if (h < 48)
                snprintf(buf, size, "%ld hours", h);
        else if (h < 24 * 7 * 2)
                snprintf(buf, size, "%ld days", h / 24);
        else if (h < 24 * 30 * 2)
                snprintf(buf, size, "%ld weeks", h / 24 / 7);
        else if (h < 24 * 365 * 2)
                snprintf(buf, size, "%ld months", h / 24 / 30);
        else
                snprintf(buf, size, "%ld years", h / 24 / 365);
}
