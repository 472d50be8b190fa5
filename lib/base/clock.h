/*
 * clock.h - time for deadlines and for reports.
 *
 * Deadlines use the monotonic clock (clock_ms); report timestamps use wall
 * time in RFC 3339 UTC form. Durations in the config are "500ms", "10s",
 * "5m", "72h", "2d" or a bare number of seconds.
 */
#ifndef MXRAY_BASE_CLOCK_H
#define MXRAY_BASE_CLOCK_H

#include <stddef.h>
#include <time.h>

long long clock_ms(void);	/* monotonic milliseconds */
/* clock_rfc3339 - "2026-11-22T08:00:00Z" into buf (at least 21 bytes). */
void clock_rfc3339(time_t t, char *buf, size_t len);
/* duration_parse_ms - 0 ok, -1 if text is not a duration. */
int duration_parse_ms(const char *text, long long *out_ms);

#endif
