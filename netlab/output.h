/* Shared output helpers: Docker's human durations and aligned tables. */
#ifndef NLAB_OUTPUT_H
#define NLAB_OUTPUT_H

#include <stddef.h>
#include <time.h>

/* "2026-11-25T11:40:00.123Z" -> seconds since the epoch (0 if unparsable or the zero time). */
time_t nlab_parse_time(const char *rfc3339);
/* Docker's go-units HumanDuration: "Less than a second", "5 seconds", "About a minute", ... */
void nlab_human_duration(long seconds, char *buf, size_t size);

#endif
